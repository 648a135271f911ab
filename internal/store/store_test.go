package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/store"
	"github.com/ketacare/ketacare/internal/testutil"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// each runs a test against every configured database.
func each(t *testing.T, fn func(t *testing.T, db *store.DB, clk *clock)) {
	for _, target := range testutil.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			db, clk := open(t, target)
			if _, err := db.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			seed(t, db)
			fn(t, db, clk)
		})
	}
}

// open opens a target's database, not yet migrated, on a test clock.
func open(t *testing.T, target testutil.Target) (*store.DB, *clock) {
	t.Helper()
	db, err := store.Open(context.Background(), target.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	db.Now = clk.Now
	return db, clk
}

// seed adds the default clinic and protocol to a migrated database.
func seed(t *testing.T, db *store.DB) {
	t.Helper()
	if _, err := db.EnsureDefaultClinic(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := db.EnsureProtocol(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func nurse(db *store.DB, t *testing.T, clinics ...int64) ketacare.Actor {
	t.Helper()
	email := "nurse" + time.Now().Format("150405.000000000") + "@example.com"
	u, err := db.CreateUser(context.Background(), ketacare.Actor{Email: "test"}, store.NewUser{Email: email, Role: ketacare.RoleNurse, ClinicIDs: clinics, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return ketacare.Actor{UserID: u.ID, Email: u.Email, Role: u.Role, ClinicIDs: u.ClinicIDs, ClientAddr: "127.0.0.1"}
}

var alex = ketacare.Patient{GivenName: "Alex", FamilyName: "Morgan", BirthDate: "1985-04-12", Sex: "female", NHSNumber: "9990000026"}

func TestMigrationsAndSchemaCheck(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, _ *clock) {
		ctx := context.Background()
		applied, err := db.Migrate(ctx)
		if err != nil || len(applied) != 0 {
			t.Fatalf("second migrate applied %v, err %v; want nothing", applied, err)
		}
		if err := db.CheckSchema(ctx); err != nil {
			t.Fatalf("fresh schema refused: %v", err)
		}
		err = db.Update(ctx, func(tx *store.Tx) error {
			return tx.ExecForTest(ctx, "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (9999, '9999_future.sql', 'x', 'now')")
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CheckSchema(ctx); err == nil || !strings.Contains(err.Error(), "unknown to this version") {
			t.Fatalf("schema with an unknown migration accepted: %v", err)
		}
		_ = db.Update(ctx, func(tx *store.Tx) error {
			_ = tx.ExecForTest(ctx, "DELETE FROM schema_migrations WHERE version = 9999")
			return tx.ExecForTest(ctx, "UPDATE schema_migrations SET checksum = 'altered' WHERE version = 1")
		})
		if err := db.CheckSchema(ctx); err == nil || !strings.Contains(err.Error(), "checksum") {
			t.Fatalf("altered migration accepted: %v", err)
		}
	})
}

func TestPatientsAreScopedToClinicAndAudited(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, _ *clock) {
		ctx := context.Background()
		other, err := db.CreateClinic(ctx, ketacare.Actor{Email: "test"}, "North clinic")
		if err != nil {
			t.Fatal(err)
		}
		home := nurse(db, t) // default clinic
		away := nurse(db, t, other.ID)

		p, err := db.CreatePatient(ctx, home, alex)
		if err != nil {
			t.Fatal(err)
		}
		if p.ClinicID != home.ClinicIDs[0] || p.CreatedBy != home.UserID {
			t.Errorf("clinic/author = %d/%d, want %d/%d from the actor", p.ClinicID, p.CreatedBy, home.ClinicIDs[0], home.UserID)
		}
		got, err := db.Patient(ctx, home, p.ID)
		if err != nil || got.NHSNumber != "9990000026" || got.FamilyName != "Morgan" {
			t.Fatalf("read back %+v, %v", got, err)
		}
		if _, err := db.Patient(ctx, away, p.ID); ketacare.ErrorCode(err) != ketacare.ENOTFOUND {
			t.Fatalf("other clinic's nurse got %v, want not found", err)
		}
		page, err := db.ListPatients(ctx, away, "", 50, 0)
		if err != nil || page.Total != 0 {
			t.Fatalf("other clinic lists %d patients (%v)", page.Total, err)
		}
		entries, err := db.ListAudit(ctx, store.AuditFilter{PatientID: p.ID})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action+"/"+e.Outcome)
		}
		want := "patient.read/denied patient.read/success patient.create/success"
		if strings.Join(actions, " ") != want {
			t.Errorf("audit for patient = %q, want %q", strings.Join(actions, " "), want)
		}
		if entries[0].UserID != away.UserID || entries[0].ClientAddr != "127.0.0.1" {
			t.Errorf("denied entry %+v does not name who and from where", entries[0])
		}
		if n, err := db.VerifyAudit(ctx); err != nil || n < 3 {
			t.Fatalf("chain: %d entries, %v", n, err)
		}
	})
}

func TestPatientValidationStoresNothing(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, _ *clock) {
		ctx := context.Background()
		a := nurse(db, t)
		bad := alex
		bad.NHSNumber = "9990000027"
		if _, err := db.CreatePatient(ctx, a, bad); ketacare.ErrorFields(err)["nhsNumber"] == "" {
			t.Fatalf("bad NHS number: %v", err)
		}
		if _, err := db.CreatePatient(ctx, a, alex); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreatePatient(ctx, a, alex); ketacare.ErrorCode(err) != ketacare.ECONFLICT {
			t.Fatalf("duplicate NHS number: %v", err)
		}
		page, _ := db.ListPatients(ctx, a, "", 10, 0)
		if page.Total != 1 {
			t.Fatalf("%d patients stored, want 1", page.Total)
		}
	})
}

func TestListPatientsPagesAndSearches(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, _ *clock) {
		ctx := context.Background()
		a := nurse(db, t)
		for _, name := range []string{"Adams", "Baker", "Clark", "Davies", "Evans"} {
			p := alex
			p.FamilyName, p.NHSNumber = name, ""
			if _, err := db.CreatePatient(ctx, a, p); err != nil {
				t.Fatal(err)
			}
		}
		page, err := db.ListPatients(ctx, a, "", 2, 2)
		if err != nil || page.Total != 5 || len(page.Patients) != 2 || page.Patients[0].FamilyName != "Clark" {
			t.Fatalf("page 2: %+v %v", page, err)
		}
		page, _ = db.ListPatients(ctx, a, "avi", 10, 0)
		if page.Total != 1 || page.Patients[0].FamilyName != "Davies" {
			t.Fatalf("search: %+v", page)
		}
	})
}

func TestAuditFailureFailsTheChange(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, _ *clock) {
		ctx := context.Background()
		a := nurse(db, t)
		if err := db.Update(ctx, func(tx *store.Tx) error {
			return tx.ExecForTest(ctx, "ALTER TABLE audit_log RENAME TO audit_log_gone")
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreatePatient(ctx, a, alex); err == nil {
			t.Fatal("patient created although its audit entry could not be written")
		}
		if err := db.Update(ctx, func(tx *store.Tx) error {
			return tx.ExecForTest(ctx, "ALTER TABLE audit_log_gone RENAME TO audit_log")
		}); err != nil {
			t.Fatal(err)
		}
		page, _ := db.ListPatients(ctx, a, "", 10, 0)
		if page.Total != 0 {
			t.Fatalf("%d patients stored after a failed audit", page.Total)
		}
	})
}

func TestAuditChainIsAppendOnlyAndVerified(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, _ *clock) {
		ctx := context.Background()
		a := nurse(db, t)
		for i := 0; i < 3; i++ {
			if _, err := db.CreatePatient(ctx, a, ketacare.Patient{GivenName: "P", FamilyName: "Q", BirthDate: "1990-01-01", Sex: "male"}); err != nil {
				t.Fatal(err)
			}
		}
		err := db.Update(ctx, func(tx *store.Tx) error {
			return tx.ExecForTest(ctx, "UPDATE audit_log SET detail = 'edited' WHERE seq = 2")
		})
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("audit entry updated: %v", err)
		}
		if err := db.Update(ctx, func(tx *store.Tx) error { return tx.ExecForTest(ctx, "DELETE FROM audit_log WHERE seq = 2") }); err == nil {
			t.Fatal("audit entry deleted")
		}
		// Someone with direct database access bypasses the trigger:
		// verification still names the altered entry.
		err = db.Update(ctx, func(tx *store.Tx) error {
			if db.Dialect == store.Postgres {
				if err := tx.ExecForTest(ctx, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"); err != nil {
					return err
				}
			} else if err := tx.ExecForTest(ctx, "DROP TRIGGER audit_log_no_update"); err != nil {
				return err
			}
			return tx.ExecForTest(ctx, "UPDATE audit_log SET detail = 'edited' WHERE seq = 3")
		})
		if err != nil {
			t.Fatal(err)
		}
		n, err := db.VerifyAudit(ctx)
		if err == nil || !strings.HasPrefix(err.Error(), "entry 3:") || n != 2 {
			t.Fatalf("verify after tampering: %d intact, %v; want entry 3 named", n, err)
		}
	})
}

func TestConcurrentAuditKeepsOneChain(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, _ *clock) {
		ctx := context.Background()
		a := nurse(db, t)
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := db.CreatePatient(ctx, a, ketacare.Patient{GivenName: "P", FamilyName: "Q", BirthDate: "1990-01-01", Sex: "male"})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n, err := db.VerifyAudit(ctx); err != nil || n < 41 {
			t.Fatalf("chain after concurrent writes: %d, %v", n, err)
		}
	})
}

func TestSessionsExpire(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		a := nurse(db, t)
		idle, max := 30*time.Minute, 12*time.Hour
		if err := db.CreateSession(ctx, store.AuthSession{IDHash: "h1", UserID: a.UserID, CSRFToken: "c"}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ { // activity every 20 minutes keeps it alive
			clk.Advance(20 * time.Minute)
			if _, _, err := db.SessionUser(ctx, "h1", idle, max); err != nil {
				t.Fatalf("active session ended: %v", err)
			}
		}
		clk.Advance(31 * time.Minute)
		if _, _, err := db.SessionUser(ctx, "h1", idle, max); ketacare.ErrorCode(err) != ketacare.EUNAUTHORIZED {
			t.Fatalf("idle session still live: %v", err)
		}
		_ = db.CreateSession(ctx, store.AuthSession{IDHash: "h2", UserID: a.UserID, CSRFToken: "c"})
		for i := 0; i < 36; i++ {
			clk.Advance(20 * time.Minute)
			_, _, err := db.SessionUser(ctx, "h2", idle, max)
			if i < 35 && err != nil {
				t.Fatalf("session ended early after %d steps: %v", i, err)
			}
			if i == 35 && err == nil {
				t.Fatal("session outlived its absolute limit")
			}
		}
		_ = db.CreateSession(ctx, store.AuthSession{IDHash: "h3", UserID: a.UserID, CSRFToken: "c"})
		if err := db.SetUserDisabled(ctx, a, a.UserID, true); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.SessionUser(ctx, "h3", idle, max); ketacare.ErrorCode(err) != ketacare.EUNAUTHORIZED {
			t.Fatalf("disabled account's session live: %v", err)
		}
	})
}

func TestTokens(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, _ *clock) {
		ctx := context.Background()
		a := nurse(db, t)
		tok, err := db.CreateToken(ctx, a, a.UserID, "monitor bridge", "hash1")
		if err != nil {
			t.Fatal(err)
		}
		if u, err := db.TokenUser(ctx, "hash1"); err != nil || u.ID != a.UserID {
			t.Fatalf("token user %v %v", u, err)
		}
		ts, _ := db.Tokens(ctx, a.UserID)
		if len(ts) != 1 || ts[0].Name != "monitor bridge" || ts[0].LastUsedAt == nil {
			t.Fatalf("tokens %+v", ts)
		}
		if err := db.RevokeToken(ctx, a, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.TokenUser(ctx, "hash1"); ketacare.ErrorCode(err) != ketacare.EUNAUTHORIZED {
			t.Fatalf("revoked token works: %v", err)
		}
		if _, err := db.TokenUser(ctx, "nope"); ketacare.ErrorCode(err) != ketacare.EUNAUTHORIZED {
			t.Fatalf("unknown token: %v", err)
		}
		// A token just used (and so remembered) stops working at once when
		// its account is disabled, and works again once it is enabled.
		if _, err := db.CreateToken(ctx, a, a.UserID, "second", "hash2"); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := db.TokenUser(ctx, "hash2"); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.SetUserDisabled(ctx, a, a.UserID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := db.TokenUser(ctx, "hash2"); ketacare.ErrorCode(err) != ketacare.EUNAUTHORIZED {
			t.Fatalf("disabled account's token works: %v", err)
		}
		if err := db.SetUserDisabled(ctx, a, a.UserID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := db.TokenUser(ctx, "hash2"); err != nil {
			t.Fatalf("enabled account's token refused: %v", err)
		}
	})
}

func TestProtocolVersions(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		admin := ketacare.Actor{UserID: 0, Email: "cso@example.com", Role: ketacare.RoleAdmin}
		v1, err := db.CurrentProtocol(ctx)
		if err != nil || v1.Version != 1 {
			t.Fatalf("v1: %+v %v", v1, err)
		}
		p := v1.Protocol
		if _, err := db.SaveProtocol(ctx, admin, p, "  "); ketacare.ErrorCode(err) != ketacare.EINVALID {
			t.Fatalf("change without a reason: %v", err)
		}
		bad := clinical.Protocol{}
		if _, err := db.SaveProtocol(ctx, admin, bad, "empty"); ketacare.ErrorCode(err) != ketacare.EINVALID {
			t.Fatalf("empty protocol accepted: %v", err)
		}
		clk.Advance(time.Hour)
		v2, err := db.SaveProtocol(ctx, admin, p, "Reviewed by the clinical safety officer")
		if err != nil || v2.Version != 2 {
			t.Fatalf("v2: %+v %v", v2, err)
		}
		hist, _ := db.ProtocolHistory(ctx)
		if len(hist) != 2 || hist[0].Version != 2 || hist[0].Author != "cso@example.com" || hist[1].Reason == "" {
			t.Fatalf("history %+v", hist)
		}
		cur, _ := db.CurrentProtocol(ctx)
		if cur.Version != 2 || !cur.CreatedAt.Equal(clk.Now()) {
			t.Fatalf("current %d at %v", cur.Version, cur.CreatedAt)
		}
	})
}

// keyedRequest is a request made with an Idempotency-Key: the context its
// write transactions run under, and its claim of the key.
type keyedRequest struct {
	ctx   context.Context
	claim *store.Claim
}

func keyed(user int64, key, hash string) keyedRequest {
	ctx, c := store.WithIdempotencyKey(context.Background(), user, key, hash)
	return keyedRequest{ctx, c}
}

func TestIdempotencyKeys(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		runs := 0
		work := func(*store.Tx) error { runs++; return nil }
		finish := func(r keyedRequest, resp store.StoredResponse) {
			t.Helper()
			if err := <-db.FinishIdempotent(ctx, r.claim, resp); err != nil {
				t.Fatal(err)
			}
		}
		created := store.StoredResponse{Status: 201, ContentType: "application/json", Location: "/x/1", Body: `{"id":1}`}

		first := keyed(1, "k", "h1")
		// A read the request makes before its work does not claim the key.
		if err := db.Update(store.WithoutIdempotencyKey(first.ctx), func(*store.Tx) error { return nil }); err != nil || first.claim.Taken() {
			t.Fatalf("a read without the key: %v, taken %v", err, first.claim.Taken())
		}
		if err := db.UpdateGrouped(first.ctx, work); err != nil || runs != 1 || !first.claim.Taken() {
			t.Fatalf("first use: %v, %d runs", err, runs)
		}
		// The request's later transactions run without claiming again.
		if err := db.Update(first.ctx, work); err != nil || runs != 2 {
			t.Fatalf("the first request's second transaction: %v", err)
		}
		during := keyed(1, "k", "h1")
		if err := db.UpdateGrouped(during.ctx, work); ketacare.ErrorCode(err) != ketacare.ECONFLICT || runs != 2 {
			t.Fatalf("while in progress: %v, %d runs", err, runs)
		}
		// Every later write of a refused request is refused too.
		if err := db.Update(during.ctx, work); ketacare.ErrorCode(err) != ketacare.ECONFLICT || runs != 2 {
			t.Fatalf("the refused request's next transaction: %v", err)
		}
		// Its failure does not free the key that another request holds.
		finish(during, store.StoredResponse{Status: 500})
		finish(first, created)

		retry := keyed(1, "k", "h1")
		var replay *store.Replayed
		if err := db.UpdateGrouped(retry.ctx, work); !errors.As(err, &replay) || replay.Response != created || runs != 2 {
			t.Fatalf("replay: %v, %d runs", err, runs)
		}
		if err := db.UpdateGrouped(keyed(1, "k", "h2").ctx, work); ketacare.ErrorCode(err) != ketacare.EUNPROCESSABLE || runs != 2 {
			t.Fatalf("other body: %v", err)
		}

		other := keyed(2, "k", "h2")
		if err := db.Update(other.ctx, work); err != nil || runs != 3 {
			t.Fatalf("another user's key space: %v", err)
		}
		finish(other, store.StoredResponse{Status: 500})
		if err := db.Update(keyed(2, "k", "h3").ctx, work); err != nil || runs != 4 {
			t.Fatalf("a failed request frees its key: %v", err)
		}

		// The claim is committed with the work or not at all.
		failing := keyed(3, "f", "h")
		if err := db.UpdateGrouped(failing.ctx, func(*store.Tx) error { return errors.New("refused") }); err == nil || failing.claim.Taken() {
			t.Fatalf("failing work: %v", err)
		}
		if err := db.UpdateGrouped(keyed(3, "f", "h").ctx, work); err != nil {
			t.Fatalf("retry after the work failed: %v", err)
		}

		// A request that wrote nothing still has its response kept.
		reader := keyed(4, "r", "h")
		finish(reader, store.StoredResponse{Status: 200, ContentType: "text/plain", Body: "read"})
		if err := db.Update(keyed(4, "r", "h").ctx, work); !errors.As(err, &replay) || replay.Response.Body != "read" {
			t.Fatalf("replay of a request that wrote nothing: %v", err)
		}

		// A key claimed long ago without a response: the answer was lost.
		lost := keyed(5, "l", "h")
		if err := db.Update(lost.ctx, work); err != nil {
			t.Fatal(err)
		}
		clk.Advance(11 * time.Minute)
		if err := db.Update(keyed(5, "l", "h").ctx, work); ketacare.ErrorCode(err) != ketacare.ECONFLICT || !strings.Contains(err.Error(), "may have been carried out") {
			t.Fatalf("after the answer was lost: %v", err)
		}

		// Keys are forgotten after a day.
		clk.Advance(store.IdempotencyKeep)
		if err := db.DeleteOldIdempotencyKeys(ctx); err != nil {
			t.Fatal(err)
		}
		if err := db.Update(keyed(1, "k", "h9").ctx, work); err != nil {
			t.Fatalf("a key used more than a day ago: %v", err)
		}
	})
}

// A retry sent as soon as the first answer arrives finds that answer, even
// when the answer's record is still queued behind other transactions and
// the retry's work runs in a transaction of its own (Update).
func TestRetryWaitsForTheFirstAnswer(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, _ *clock) {
		ctx := context.Background()
		first := keyed(8, "k", "h")
		if err := db.Update(first.ctx, func(*store.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
		// Hold the writer with a grouped transaction that waits.
		release, holding := make(chan struct{}), make(chan struct{})
		held := make(chan error, 1)
		go func() {
			held <- db.UpdateGrouped(ctx, func(*store.Tx) error { close(holding); <-release; return nil })
		}()
		<-holding
		recorded := db.FinishIdempotent(ctx, first.claim, store.StoredResponse{Status: 201, Body: "first"})
		retried := make(chan error, 1)
		go func() { retried <- db.Update(keyed(8, "k", "h").ctx, func(*store.Tx) error { return nil }) }()
		time.Sleep(20 * time.Millisecond) // the retry is waiting
		close(release)
		if err := <-held; err != nil {
			t.Fatal(err)
		}
		if err := <-recorded; err != nil {
			t.Fatal(err)
		}
		var replay *store.Replayed
		if err := <-retried; !errors.As(err, &replay) || replay.Response.Body != "first" {
			t.Fatalf("retry: %v, want the first answer", err)
		}
	})
}

// Concurrent requests with one key, claimed in shared group-commit batches:
// exactly one runs its work, the others are told it is in progress.
func TestIdempotencyKeyClaimedOnce(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, _ *clock) {
		for round := 0; round < 5; round++ {
			key := fmt.Sprintf("same-%d", round)
			const n = 30
			var wg sync.WaitGroup
			var owners, conflicts, runs atomic.Int64
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// The work is not counted until its transaction commits.
					ran := false
					err := db.UpdateGrouped(keyed(7, key, "h").ctx, func(*store.Tx) error { ran = true; return nil })
					switch {
					case err == nil && ran:
						owners.Add(1)
						runs.Add(1)
					case ketacare.ErrorCode(err) == ketacare.ECONFLICT:
						conflicts.Add(1)
					default:
						t.Errorf("claim: %v", err)
					}
				}()
			}
			wg.Wait()
			if owners.Load() != 1 || conflicts.Load() != n-1 || runs.Load() != 1 {
				t.Errorf("round %d: %d owners, %d told in progress", round, owners.Load(), conflicts.Load())
			}
		}
	})
}

func TestBackupIsAConsistentCopy(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, testutil.SQLiteDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnsureDefaultClinic(ctx); err != nil {
		t.Fatal(err)
	}
	a := nurse(db, t)
	if _, err := db.CreatePatient(ctx, a, alex); err != nil {
		t.Fatal(err)
	}
	to := t.TempDir() + "/copy.db"
	if err := db.Backup(ctx, to); err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(ctx, to); err == nil {
		t.Fatal("backup overwrote an existing file")
	}
	cp, err := store.Open(ctx, "sqlite:"+to)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if err := cp.CheckSchema(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := cp.VerifyAudit(ctx); err != nil || n < 2 {
		t.Fatalf("copy's audit chain: %d %v", n, err)
	}
	page, err := cp.ListPatients(ctx, a, "", 10, 0)
	if err != nil || page.Total != 1 {
		t.Fatalf("copy holds %d patients: %v", page.Total, err)
	}
	var pgErr error
	pg := &store.DB{Dialect: store.Postgres}
	pgErr = pg.Backup(ctx, to+"2")
	if pgErr == nil || !strings.Contains(pgErr.Error(), "pg_dump") {
		t.Fatalf("postgres backup: %v", pgErr)
	}
}

// TestRateEvents: events count within their window, per key; a reset
// forgets a key; events older than a day are dropped as new ones come.
func TestRateEvents(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		t0 := clk.Now()
		for i := range 3 {
			if err := db.RateRecord(ctx, "login:a", t0.Add(time.Duration(i)*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.RateRecord(ctx, "login:b", t0); err != nil {
			t.Fatal(err)
		}
		count := func(key string, since time.Time) int {
			t.Helper()
			n, err := db.RateCount(ctx, key, since)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count("login:a", t0.Add(-time.Second)); n != 3 {
			t.Errorf("a: %d events, want 3", n)
		}
		if n := count("login:a", t0.Add(30*time.Second)); n != 2 {
			t.Errorf("a in the last window: %d events, want 2", n)
		}
		if err := db.RateReset(ctx, "login:a"); err != nil {
			t.Fatal(err)
		}
		if a, b := count("login:a", t0.Add(-time.Hour)), count("login:b", t0.Add(-time.Hour)); a != 0 || b != 1 {
			t.Errorf("after resetting a: a %d, b %d", a, b)
		}
		if err := db.RateRecord(ctx, "login:c", t0.Add(25*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if n := count("login:b", t0.Add(-time.Hour)); n != 0 {
			t.Errorf("b's day-old event kept: %d", n)
		}
	})
}
