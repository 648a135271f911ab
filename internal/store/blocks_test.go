package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/store"
	"github.com/ketacare/ketacare/internal/testutil"
)

// A session's observations and alerts, a patient's observations and a
// patient's audit entries are found through indexes keyed by block of 4,096
// ids first: the lookups must find every row of every block, in order, and
// nobody else's.
func TestLookupsAcrossBlocks(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		checkLookups(t, db, fillAcrossBlocks(t, db, clk))
	})
}

// Rows stored before the indexes were keyed by block are found after the
// migration that keys them.
func TestBlockMigrationKeepsEarlierRows(t *testing.T) {
	for _, target := range testutil.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			db, clk := open(t, target)
			if err := db.MigrateToForTest(context.Background(), 13); err != nil {
				t.Fatal(err)
			}
			seed(t, db)
			f := fillAcrossBlocks(t, db, clk)
			applied, err := db.Migrate(context.Background())
			if err != nil || !slices.Equal(applied, []string{"0014_lookup_by_block.sql", "0015_alerts_by_block.sql"}) {
				t.Fatalf("migrate applied %v, err %v; want 0014 and 0015", applied, err)
			}
			checkLookups(t, db, f)
		})
	}
}

// blockRows is what fillAcrossBlocks stored.
type blockRows struct {
	rx       ketacare.Actor
	pa, pb   int64    // two patients
	sessions [3]int64 // of patients A, B and A
}

const blockTestRows = 5000 // more than a block of 4,096

// fillAcrossBlocks stores three sessions (two of patient A) whose
// observations interleave over more than one block, the third's timed
// backwards, an audit entry for each observation's patient, and an alert
// with each observation (see alertOf).
func fillAcrossBlocks(t *testing.T, db *store.DB, clk *clock) blockRows {
	t.Helper()
	ctx := context.Background()
	f := blockRows{rx: prescriberActor(t, db)}
	pa, err := db.CreatePatient(ctx, f.rx, alex)
	if err != nil {
		t.Fatal(err)
	}
	other := alex
	other.GivenName, other.NHSNumber = "Sam", "9990000034"
	pb, err := db.CreatePatient(ctx, f.rx, other)
	if err != nil {
		t.Fatal(err)
	}
	f.pa, f.pb = pa.ID, pb.ID
	start := clk.Now()
	err = db.Update(ctx, func(tx *store.Tx) error {
		var sessions [3]store.DosingSession
		for i, p := range []int64{pa.ID, pb.ID, pa.ID} {
			s, err := tx.InsertDosingSession(ctx, f.rx, store.NewDosingSession{PatientID: p, ClinicID: f.rx.HomeClinic(),
				Drug: "ketamine", Route: clinical.RouteIV, DoseMg: 35, Protocol: 1})
			if err != nil {
				return err
			}
			sessions[i], f.sessions[i] = s, s.ID
		}
		for i := range blockTestRows {
			at := start.Add(time.Duration(i) * time.Second)
			if i%3 == 2 {
				at = start.Add(-time.Duration(i) * time.Second)
			}
			rec := &store.ObservationRecord{SessionID: f.sessions[i%3], Observation: clinical.Observation{At: at, Pulse: iptr(60 + i%50)},
				Source: "api", RecordedBy: f.rx.UserID, ProtocolVersion: 1}
			if err := tx.InsertObservation(ctx, rec); err != nil {
				return err
			}
			firing, open := alertOf(i)
			a, err := tx.RaiseAlert(ctx, f.rx, sessions[i%3], firing, rec.ID, 1)
			if err != nil {
				return err
			}
			if !open {
				if err := tx.ClearAlert(ctx, a.ID); err != nil {
					return err
				}
			}
			patient := pa.ID
			if i%3 == 1 {
				patient = pb.ID
			}
			if err := tx.Audit(ctx, store.Event{Actor: f.rx, Action: "test.entry", ClinicID: f.rx.HomeClinic(), PatientID: patient}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// alertOf is the alert raised with observation i of fillAcrossBlocks, and
// whether it stays open: a warning for even i and an information for odd i,
// each cleared at once but the last of each session's; an anxiety alert for
// the first observation of the first session and for the last one of the
// third (in the second block), a blood-pressure alert otherwise.
func alertOf(i int) (f clinical.Firing, open bool) {
	f = clinical.Firing{Rule: clinical.RuleBPWarning, Tier: clinical.TierWarning, Message: "test", Value: "165/90 mmHg"}
	if i%2 == 1 {
		f.Tier = clinical.TierInfo
	}
	if i == 0 || i == blockTestRows-3 {
		f.Rule = clinical.RuleAnxietyWarning
	}
	return f, i >= blockTestRows-3
}

// checkLookups reads back what fillAcrossBlocks stored, through each lookup.
func checkLookups(t *testing.T, db *store.DB, f blockRows) {
	t.Helper()
	ctx := context.Background()
	var bySession [3][]store.ObservationRecord
	err := db.View(ctx, func(tx *store.Tx) error {
		for i, id := range f.sessions {
			var err error
			if bySession[i], err = tx.SessionObservations(ctx, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, obs := range bySession {
		want := (blockTestRows - i + 2) / 3
		if len(obs) != want {
			t.Fatalf("session %d: %d observations, want %d", i, len(obs), want)
		}
		for k, o := range obs {
			if o.SessionID != f.sessions[i] {
				t.Fatalf("session %d lists observation %d of session %d", f.sessions[i], o.ID, o.SessionID)
			}
			if k > 0 && o.At.Before(obs[k-1].At) {
				t.Fatalf("session %d: observation %d at %v listed after one at %v", i, o.ID, o.At, obs[k-1].At)
			}
		}
	}
	if first, last := bySession[0][0].ID, bySession[0][len(bySession[0])-1].ID; first>>12 == last>>12 {
		t.Fatalf("the observations span one block only (ids %d to %d)", first, last)
	}
	checkAlertLookups(t, db, f)

	recs, err := db.PatientRecords(ctx, f.rx, f.pa, "observation.search")
	if err != nil {
		t.Fatal(err)
	}
	if want := len(bySession[0]) + len(bySession[2]); len(recs.Observations) != want {
		t.Fatalf("patient A: %d observations, want %d", len(recs.Observations), want)
	}
	for _, o := range recs.Observations {
		if o.SessionID == f.sessions[1] {
			t.Fatalf("patient A's records list observation %d of patient B", o.ID)
		}
	}

	// Patient B's audit entries, paged backwards 500 at a time.
	var got []int64
	before := int64(0)
	for {
		page, err := db.ListAudit(ctx, store.AuditFilter{PatientID: f.pb, Action: "test.", BeforeSeq: before, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if e.PatientID != f.pb {
				t.Fatalf("patient B's audit lists entry %d of patient %d", e.Seq, e.PatientID)
			}
			if len(got) > 0 && e.Seq >= got[len(got)-1] {
				t.Fatalf("entry %d listed after %d: want newest first", e.Seq, got[len(got)-1])
			}
			got = append(got, e.Seq)
		}
		before = page[len(page)-1].Seq
	}
	if want := (blockTestRows + 1) / 3; len(got) != want {
		t.Fatalf("patient B: %d audit entries, want %d", len(got), want)
	}
	if got[0]>>12 == got[len(got)-1]>>12 {
		t.Fatalf("the audit entries span one block only (%d to %d)", got[len(got)-1], got[0])
	}
}

// On SQLite each of those lookups searches the index keyed by block, once
// a block: never a scan of the table, nor an index built for the query.
func TestLookupsSearchTheBlockIndexes(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, _ *clock) {
		if db.Dialect != store.SQLite {
			t.Skip("query plans are checked on SQLite")
		}
		auditQ, auditArgs := store.AuditQueryForTest(store.AuditFilter{PatientID: 7, Action: "observation."})
		for _, c := range []struct {
			name, query, index string
			args               []any
		}{
			{"session's observations", store.SessionObservationsQuery, "observations_session", []any{1}},
			{"patient's observations", store.PatientObservationsQuery, "observations_session", []any{1}},
			{"patient's audit entries", auditQ, "audit_log_patient", auditArgs},
			{"session's alerts", store.SessionAlertsQuery, "session_alerts_session", []any{1}},
			{"session's outstanding alerts", store.OutstandingAlertsQuery, "session_alerts_session", []any{1, "info", "observation-overdue"}},
			{"session's anxiety alerts", store.AnxietyAlertsQuery, "session_alerts_session", store.AnxietyAlertsArgsForTest(1)},
		} {
			plan, err := db.SQLitePlanForTest(context.Background(), c.query, c.args...)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(plan, "USING INDEX "+c.index+" (") && !strings.Contains(plan, "USING COVERING INDEX "+c.index+" (") ||
				strings.Contains(plan, "AUTOMATIC") {
				t.Errorf("%s: the plan does not search %s:\n%s", c.name, c.index, plan)
			}
		}
	})
}

// checkAlertLookups reads back the alerts fillAcrossBlocks raised, through
// each lookup of a session's alerts.
func checkAlertLookups(t *testing.T, db *store.DB, f blockRows) {
	t.Helper()
	ctx := context.Background()
	err := db.View(ctx, func(tx *store.Tx) error {
		for k, id := range f.sessions {
			var all, outstanding int
			for i := k; i < blockTestRows; i += 3 {
				all++
				if firing, open := alertOf(i); open || firing.Tier != clinical.TierInfo {
					outstanding++
				}
			}
			every, err := tx.SessionAlerts(ctx, id)
			if err != nil {
				return err
			}
			checkAlerts(t, "alerts", id, every, all)
			if every[0].ID>>12 == every[len(every)-1].ID>>12 {
				t.Fatalf("the alerts span one block only (ids %d to %d)", every[0].ID, every[len(every)-1].ID)
			}
			out, err := tx.OutstandingAlerts(ctx, id)
			if err != nil {
				return err
			}
			checkAlerts(t, "outstanding alerts", id, out, outstanding)
			open, err := tx.OpenAlerts(ctx, id)
			if err != nil {
				return err
			}
			checkAlerts(t, "open alerts", id, open, 1)
			fired, err := tx.WarningFiredForTest(ctx, id)
			if err != nil {
				return err
			}
			if want := k != 1; fired != want {
				t.Errorf("session %d: an anxiety alert fired %v, want %v", id, fired, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func checkAlerts(t *testing.T, what string, sessionID int64, alerts []store.Alert, want int) {
	t.Helper()
	if len(alerts) != want {
		t.Fatalf("session %d: %d %s, want %d", sessionID, len(alerts), what, want)
	}
	for k, a := range alerts {
		if a.SessionID != sessionID {
			t.Fatalf("session %d's %s list alert %d of session %d", sessionID, what, a.ID, a.SessionID)
		}
		if k > 0 && a.ID <= alerts[k-1].ID {
			t.Fatalf("session %d's %s: alert %d listed after %d", sessionID, what, a.ID, alerts[k-1].ID)
		}
	}
}
