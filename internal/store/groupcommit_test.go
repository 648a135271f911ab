package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/store"
)

// TestUpdateGroupedCommitsEachCallerAlone runs many grouped transactions
// at once: those that succeed are all stored (and audited), those that
// fail leave nothing, and each caller gets its own answer.
func TestUpdateGroupedCommitsEachCallerAlone(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		a := nurse(db, t)
		const n = 200
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs[i] = db.UpdateGrouped(ctx, func(tx *store.Tx) error {
					if err := tx.Audit(ctx, store.Event{Actor: a, Action: "test.grouped", Detail: fmt.Sprint(i)}); err != nil {
						return err
					}
					if i%3 == 0 {
						return ketacare.Errorf(ketacare.EINVALID, "refused %d", i)
					}
					if i == 7 {
						panic("boom")
					}
					return nil
				})
			}(i)
		}
		wg.Wait()
		ok := 0
		for i, err := range errs {
			switch {
			case i%3 == 0:
				if ketacare.ErrorCode(err) != ketacare.EINVALID {
					t.Errorf("%d: %v, want its own refusal", i, err)
				}
			case i == 7:
				if err == nil {
					t.Errorf("%d: a panic was not reported", i)
				}
			case err != nil:
				t.Errorf("%d: %v", i, err)
			default:
				ok++
			}
		}
		entries, err := db.ListAudit(ctx, store.AuditFilter{Action: "test.grouped", Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != ok {
			t.Errorf("%d audit entries stored, want %d", len(entries), ok)
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Errorf("audit chain broken: %v", err)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := db.UpdateGrouped(cctx, func(*store.Tx) error { return nil }); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled context: %v", err)
		}
	})
}
