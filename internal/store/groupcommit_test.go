package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/store"
	"github.com/ketacare/ketacare/internal/testutil"
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

// TestUpdateGroupedAuditChain appends several entries per caller in shared
// batches, with callers that fail after appending: the chain stays linear
// and verifiable, with no hole, and a plain transaction continues it.
func TestUpdateGroupedAuditChain(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		a := nurse(db, t)
		before, err := db.VerifyAudit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		const n = 300
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				err := db.UpdateGrouped(ctx, func(tx *store.Tx) error {
					for j := 0; j < 1+i%3; j++ {
						if err := tx.Audit(ctx, store.Event{Actor: a, Action: "test.chain", Detail: fmt.Sprint(i, ".", j)}); err != nil {
							return err
						}
					}
					if i%4 == 1 {
						return ketacare.Errorf(ketacare.EINVALID, "refused %d", i)
					}
					return nil
				})
				if err == nil {
					mu.Lock()
					ok += 1 + i%3
					mu.Unlock()
				}
			}(i)
		}
		wg.Wait()
		if err := db.Audit(ctx, store.Event{Actor: a, Action: "test.chain.after"}); err != nil {
			t.Fatal(err)
		}
		got, err := db.VerifyAudit(ctx)
		if err != nil {
			t.Fatalf("audit chain broken: %v", err)
		}
		if got != before+int64(ok)+1 {
			t.Errorf("%d entries, want %d", got, before+int64(ok)+1)
		}
	})
}

// TestUpdateGroupedRunsAgainWithSavepoints queues one batch behind a
// transaction that holds the writer. Without a failing caller the batch
// runs once, without savepoints; with one, it is rolled back and run again
// with a savepoint per caller, so only the failing caller's writes go.
func TestUpdateGroupedRunsAgainWithSavepoints(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		if db.Dialect != store.SQLite {
			t.Skip("batches are SQLite's")
		}
		ctx := context.Background()
		a := nurse(db, t)
		for _, failing := range []int{-1, 5} {
			before := db.GroupCommitStats()
			release := make(chan struct{})
			started, blocked := make(chan struct{}), make(chan error, 1)
			go func() {
				blocked <- db.UpdateGrouped(ctx, func(*store.Tx) error { close(started); <-release; return nil })
			}()
			<-started
			const n = 20
			runs := make([]int, n) // guarded by the writer: one batch runs at a time
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					errs[i] = db.UpdateGrouped(ctx, func(tx *store.Tx) error {
						runs[i]++
						if err := tx.Audit(ctx, store.Event{Actor: a, Action: "test.retry", Detail: fmt.Sprint(failing, ".", i)}); err != nil {
							return err
						}
						if i == failing {
							return ketacare.Errorf(ketacare.EINVALID, "refused %d", i)
						}
						return nil
					})
				}(i)
			}
			for db.PendingGroupedForTest() < n {
				time.Sleep(time.Millisecond)
			}
			close(release)
			wg.Wait()
			if err := <-blocked; err != nil {
				t.Fatal(err)
			}
			after := db.GroupCommitStats()
			wantRuns, wantRetries := 1, int64(0)
			if failing >= 0 {
				wantRuns, wantRetries = 2, 1
			}
			if got := after.Retries - before.Retries; got != wantRetries {
				t.Errorf("failing %d: %d batches run again, want %d", failing, got, wantRetries)
			}
			for i := 0; i < n; i++ {
				// Callers queued after the failing one ran once: the first
				// run stopped at the failure.
				if runs[i] != wantRuns && (i == failing || runs[i] != 1) {
					t.Errorf("failing %d: caller %d ran %d times, want %d", failing, i, runs[i], wantRuns)
				}
				if (i == failing) != (errs[i] != nil) {
					t.Errorf("failing %d: caller %d: %v", failing, i, errs[i])
				}
			}
			entries, err := db.ListAudit(ctx, store.AuditFilter{Action: "test.retry", Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			stored := 0
			for _, e := range entries {
				if strings.HasPrefix(e.Detail, fmt.Sprint(failing, ".")) {
					stored++
					if e.Detail == fmt.Sprint(failing, ".", failing) {
						t.Errorf("the failing caller's entry was stored")
					}
				}
			}
			if want := n - min(failing+1, 1); stored != want {
				t.Errorf("failing %d: %d entries stored, want %d", failing, stored, want)
			}
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Errorf("audit chain broken: %v", err)
		}
	})
}

// TestSQLiteWriterSettings: an acknowledged commit is flushed to disk
// (synchronous=FULL in WAL mode), and the writer checkpoints the log every
// 10,000 pages rather than SQLite's 1,000.
func TestSQLiteWriterSettings(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, testutil.SQLiteDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for pragma, want := range map[string]string{"journal_mode": "wal", "synchronous": "2", "wal_autocheckpoint": "10000"} {
		got, err := db.WriterPragmaForTest(ctx, pragma)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
}
