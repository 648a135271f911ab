package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/store"
	"github.com/ketacare/ketacare/internal/testutil"
)

var caller = ketacare.Actor{ClientAddr: "192.0.2.1", RequestID: "test"}

func counsellor(n int) ketacare.Actor {
	return ketacare.Actor{UserID: int64(1000 + n), Email: fmt.Sprintf("c%d@example.com", n), Role: ketacare.RoleCounsellor, ClinicIDs: []int64{1}}
}

// drama landline numbers (Ofcom's range for examples): 020 7946 0000-0999.
func number(i int) string { return fmt.Sprintf("020 7946 %04d", i) }

func submit(t *testing.T, db *store.DB, phoneNo, reason string, safe bool) store.SubmitResult {
	t.Helper()
	res, err := db.SubmitCallback(context.Background(), caller, store.CallbackSourcePublic,
		store.CallbackInput{Name: "Robin", Phone: phoneNo, Reason: reason, SafeNow: safe, ConsentCall: true}, store.SubmitGuard{})
	if err != nil {
		t.Fatalf("submitting %s: %v", phoneNo, err)
	}
	return res
}

func openCount(t *testing.T, db *store.DB) int {
	t.Helper()
	cs, err := db.ListCallbacks(context.Background(), counsellor(0), "open", 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(cs)
}

func TestCallbackTriageTargetsAndMerge(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		p := clinical.Default().Callback
		first := submit(t, db, "020 7946 0123", "I would like to talk about cutting down", true)
		c := first.Callback
		if c.Priority != clinical.CallbackStandard || first.Merged || c.Phone != "+442079460123" || c.ProtocolVersion != 1 {
			t.Fatalf("first request = %+v", c)
		}
		if want := clk.Now().Add(time.Duration(p.StandardFirstAttemptMinutes) * time.Minute); !c.DueAt.Equal(want) {
			t.Fatalf("standard due %v, want %v", c.DueAt, want)
		}
		clk.Advance(10 * time.Minute)
		// The same number written another way, now with risk wording.
		second := submit(t, db, "+44 (0)20 7946 0123", "Honestly I relapsed last night", true)
		if !second.Merged || second.Callback.ID != c.ID || second.Callback.Reference != c.Reference {
			t.Fatalf("second request was not merged: %+v", second)
		}
		m := second.Callback
		if m.Priority != clinical.CallbackUrgent || m.Merged != 1 || second.Triage.Priority != clinical.CallbackUrgent {
			t.Fatalf("merged request = %+v", m)
		}
		if want := clk.Now().Add(time.Duration(p.UrgentFirstAttemptMinutes) * time.Minute); !m.DueAt.Equal(want) {
			t.Fatalf("merged due %v, want %v (brought forward to the urgent target)", m.DueAt, want)
		}
		if n := openCount(t, db); n != 1 {
			t.Fatalf("%d open requests, want 1", n)
		}
		// A standard follow-up never lowers the priority.
		third := submit(t, db, "02079460123", "just checking", true)
		if third.Callback.Priority != clinical.CallbackUrgent || third.Callback.Merged != 2 || third.Triage.Priority != clinical.CallbackStandard {
			t.Fatalf("third = %+v", third)
		}
		// Immediate danger: urgent, and the person is told to call 999.
		danger := submit(t, db, number(5), "", false)
		if !danger.Triage.ImmediateDanger || danger.Callback.Priority != clinical.CallbackUrgent {
			t.Fatalf("not safe now: %+v", danger.Triage)
		}
		// Once closed, the same number starts a new request.
		got, ok, err := db.ClaimNextCallback(ctx, counsellor(1))
		if err != nil || !ok || got.ID != c.ID {
			t.Fatalf("claim = %v %v %v, want the oldest urgent %d", got.ID, ok, err, c.ID)
		}
		if _, err := db.RecordCallbackAttempt(ctx, counsellor(1), c.ID, store.OutcomeAdviceGiven, "talked"); err != nil {
			t.Fatal(err)
		}
		again := submit(t, db, "020 7946 0123", "", true)
		if again.Merged || again.Callback.ID == c.ID {
			t.Fatalf("a request after closing was merged into the closed one")
		}
	})
}

func TestCallbackRefusals(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		for _, tc := range []struct {
			in    store.CallbackInput
			field string
		}{
			{store.CallbackInput{Name: "A", Phone: "999", ConsentCall: true}, "phone"},
			{store.CallbackInput{Name: "A", Phone: "0906 123 4567", ConsentCall: true}, "phone"},
			{store.CallbackInput{Name: "A", Phone: "12", ConsentCall: true}, "phone"},
			{store.CallbackInput{Name: "", Phone: number(1), ConsentCall: true}, "name"},
			{store.CallbackInput{Name: "A", Phone: number(1)}, "consent"},
			{store.CallbackInput{Name: "A", Phone: number(1), ConsentCall: true, PreferredFrom: clk.Now().Add(2 * time.Hour), PreferredTo: clk.Now().Add(time.Hour)}, "preferredTo"},
		} {
			_, err := db.SubmitCallback(ctx, caller, store.CallbackSourcePublic, tc.in, store.SubmitGuard{})
			if ketacare.ErrorCode(err) != ketacare.EINVALID || ketacare.ErrorFields(err)[tc.field] == "" {
				t.Errorf("%+v: err = %v, want a problem with %s", tc.in, err, tc.field)
			}
		}
		if n := openCount(t, db); n != 0 {
			t.Fatalf("refused requests were stored: %d open", n)
		}
		// Per-number limit: counted on submissions, whatever the queue holds.
		g := store.SubmitGuard{NumberLimit: 2, NumberWindow: time.Hour}
		in := store.CallbackInput{Name: "A", Phone: number(2), ConsentCall: true, SafeNow: true}
		for i := 0; i < 2; i++ {
			if _, err := db.SubmitCallback(ctx, caller, store.CallbackSourcePublic, in, g); err != nil {
				t.Fatal(err)
			}
		}
		_, err := db.SubmitCallback(ctx, caller, store.CallbackSourcePublic, in, g)
		if ketacare.ErrorCode(err) != ketacare.ETOOMANY {
			t.Fatalf("third submission within the hour: %v", err)
		}
		if msg := ketacare.ErrorMessage(err); msg != ketacare.ErrorMessage(store.ErrCallbackLimited()) {
			t.Fatalf("limit message differs from the generic one: %q", msg)
		}
		clk.Advance(61 * time.Minute)
		if _, err := db.SubmitCallback(ctx, caller, store.CallbackSourcePublic, in, g); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}

func TestCallbackIdempotentSubmit(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		g := store.SubmitGuard{IdemKey: "k1", RequestHash: "h1", Respond: func(r store.SubmitResult) ([]byte, error) {
			return []byte(fmt.Sprintf(`{"id":%d}`, r.Callback.ID)), nil
		}}
		in := store.CallbackInput{Name: "A", Phone: number(3), ConsentCall: true, SafeNow: true}
		first, err := db.SubmitCallback(ctx, caller, store.CallbackSourcePublic, in, g)
		if err != nil || first.Replayed {
			t.Fatal(first, err)
		}
		// Concurrent retries with the same key: one request, the same answer.
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				again, err := db.SubmitCallback(ctx, caller, store.CallbackSourcePublic, in, g)
				if err != nil || !again.Replayed || string(again.Body) != string(first.Body) {
					t.Errorf("retry = %+v, %v", again, err)
				}
			}()
		}
		wg.Wait()
		g.RequestHash = "h2"
		if _, err := db.SubmitCallback(ctx, caller, store.CallbackSourcePublic, in, g); ketacare.ErrorCode(err) != ketacare.EUNPROCESSABLE {
			t.Fatalf("same key, other body: %v", err)
		}
		cs, err := db.ListCallbacks(ctx, counsellor(0), "open", 0)
		if err != nil || len(cs) != 1 || cs[0].Merged != 0 {
			t.Fatalf("open = %+v, %v; want one request never merged", cs, err)
		}
	})
}

func TestCallbackAttemptsAndRetries(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		p := clinical.Default().Callback
		c := submit(t, db, number(7), "", true).Callback
		me, other := counsellor(1), counsellor(2)
		for attempt := 1; attempt <= p.MaxAttempts; attempt++ {
			got, ok, err := db.ClaimNextCallback(ctx, me)
			if err != nil || !ok || got.ID != c.ID {
				t.Fatalf("attempt %d: claim %v %v", attempt, ok, err)
			}
			if _, err := db.RecordCallbackAttempt(ctx, other, c.ID, store.OutcomeNoAnswer, ""); ketacare.ErrorCode(err) != ketacare.ECONFLICT {
				t.Fatalf("a counsellor not holding the request recorded an attempt: %v", err)
			}
			after, err := db.RecordCallbackAttempt(ctx, me, c.ID, store.OutcomeNoAnswer, "rang out")
			if err != nil {
				t.Fatal(err)
			}
			if attempt < p.MaxAttempts {
				if after.Status != store.CallbackQueued || !after.NextAttemptAt.Equal(clk.Now().Add(time.Duration(p.RetrySpacingMinutes)*time.Minute)) {
					t.Fatalf("after attempt %d: %+v", attempt, after)
				}
				if _, ok, _ := db.ClaimNextCallback(ctx, me); ok {
					t.Fatalf("retry offered before the spacing")
				}
				clk.Advance(time.Duration(p.RetrySpacingMinutes) * time.Minute)
				continue
			}
			if after.Status != store.CallbackClosed || after.Outcome != store.OutcomeNoAnswerMaxAttempts || after.Attempts != p.MaxAttempts {
				t.Fatalf("after the last attempt: %+v", after)
			}
		}
		if _, err := db.RecordCallbackAttempt(ctx, me, c.ID, store.OutcomeAdviceGiven, ""); ketacare.ErrorCode(err) != ketacare.ECONFLICT {
			t.Fatalf("attempt on a closed request: %v", err)
		}
		if _, err := db.RecordCallbackAttempt(ctx, me, c.ID, "chatted", ""); ketacare.ErrorCode(err) != ketacare.EINVALID {
			t.Fatalf("unknown outcome: %v", err)
		}
		d, err := db.CallbackDetail(ctx, me, c.ID)
		if err != nil || len(d.Attempts) != p.MaxAttempts {
			t.Fatalf("detail: %d attempts, %v", len(d.Attempts), err)
		}
	})
}

func TestCallbackLeaseExpiry(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		lease := time.Duration(clinical.Default().Callback.LeaseMinutes) * time.Minute
		c := submit(t, db, number(8), "", true).Callback
		a, b := counsellor(1), counsellor(2)
		got, ok, err := db.ClaimNextCallback(ctx, a)
		if err != nil || !ok || !got.LeaseExpiresAt.Equal(clk.Now().Add(lease)) {
			t.Fatalf("claim: %+v %v %v", got, ok, err)
		}
		clk.Advance(lease - time.Minute)
		if _, ok, _ := db.ClaimNextCallback(ctx, b); ok {
			t.Fatal("a request under a live lease was claimed again")
		}
		if r, err := db.RenewCallbackLease(ctx, a, c.ID); err != nil || !r.LeaseExpiresAt.Equal(clk.Now().Add(lease)) {
			t.Fatalf("renew: %+v %v", r, err)
		}
		if _, err := db.RenewCallbackLease(ctx, b, c.ID); ketacare.ErrorCode(err) != ketacare.ECONFLICT {
			t.Fatalf("renewal by a non-holder: %v", err)
		}
		clk.Advance(lease + time.Second)
		got, ok, err = db.ClaimNextCallback(ctx, b)
		if err != nil || !ok || got.ID != c.ID || got.ClaimedBy != b.UserID {
			t.Fatalf("after the lease ran out: %+v %v %v", got, ok, err)
		}
		if _, err := db.RecordCallbackAttempt(ctx, a, c.ID, store.OutcomeAdviceGiven, ""); ketacare.ErrorCode(err) != ketacare.ECONFLICT {
			t.Fatalf("the former holder recorded an attempt: %v", err)
		}
		// The background check returns an expired claim to the queue.
		clk.Advance(lease + time.Second)
		sw, err := db.SweepCallbacks(ctx)
		if err != nil || sw.LeasesExpired != 1 {
			t.Fatalf("sweep = %+v, %v", sw, err)
		}
		if _, err := db.ReleaseCallback(ctx, b, c.ID); ketacare.ErrorCode(err) != ketacare.ECONFLICT {
			t.Fatalf("release after the claim was returned: %v", err)
		}
		cs, _ := db.ListCallbacks(ctx, a, "open", 0)
		if len(cs) != 1 || cs[0].Status != store.CallbackQueued {
			t.Fatalf("after the sweep: %+v", cs)
		}
		// Release hands it back at once.
		if _, ok, _ := db.ClaimNextCallback(ctx, a); !ok {
			t.Fatal("could not claim the returned request")
		}
		if r, err := db.ReleaseCallback(ctx, a, c.ID); err != nil || r.Status != store.CallbackQueued {
			t.Fatalf("release: %+v %v", r, err)
		}
	})
}

func TestCallbackQueueOrderAndWindow(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		old := submit(t, db, number(10), "", true).Callback
		clk.Advance(time.Minute)
		windowed, err := db.SubmitCallback(ctx, caller, store.CallbackSourcePublic, store.CallbackInput{Name: "W", Phone: number(11), SafeNow: true,
			ConsentCall: true, PreferredFrom: clk.Now().Add(3 * time.Hour), PreferredTo: clk.Now().Add(4 * time.Hour)}, store.SubmitGuard{})
		if err != nil {
			t.Fatal(err)
		}
		if !windowed.Callback.DueAt.Equal(clk.Now().Add(3*time.Hour)) || !windowed.Callback.NextAttemptAt.Equal(clk.Now().Add(3*time.Hour)) {
			t.Fatalf("windowed targets %+v", windowed.Callback)
		}
		clk.Advance(time.Minute)
		urgent := submit(t, db, number(12), "I want to end my life", true).Callback
		var order []int64
		for {
			c, ok, err := db.ClaimNextCallback(ctx, counsellor(1))
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			order = append(order, c.ID)
		}
		if len(order) != 2 || order[0] != urgent.ID || order[1] != old.ID {
			t.Fatalf("claim order %v, want urgent %d then oldest %d (windowed not yet due)", order, urgent.ID, old.ID)
		}
		for _, id := range order {
			if _, err := db.RecordCallbackAttempt(ctx, counsellor(1), id, store.OutcomeAdviceGiven, ""); err != nil {
				t.Fatal(err)
			}
		}
		clk.Advance(3 * time.Hour)
		if c, ok, _ := db.ClaimNextCallback(ctx, counsellor(2)); !ok || c.ID != windowed.Callback.ID {
			t.Fatalf("windowed request not offered at its window")
		}
	})
}

func TestCallbackBreachAndStats(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		p := clinical.Default().Callback
		me := counsellor(1)
		// Three urgent requests answered after 5, 10 and 20 minutes.
		for i, wait := range []time.Duration{5, 10, 20} {
			submit(t, db, number(20+i), "overdose", true)
			clk.Advance(wait * time.Minute)
			c, ok, err := db.ClaimNextCallback(ctx, me)
			if err != nil || !ok {
				t.Fatal(ok, err)
			}
			if _, err := db.RecordCallbackAttempt(ctx, me, c.ID, store.OutcomeReferred, ""); err != nil {
				t.Fatal(err)
			}
		}
		// One urgent request nobody calls.
		missed := submit(t, db, number(30), "suicidal", true).Callback
		clk.Advance(time.Duration(p.UrgentFirstAttemptMinutes)*time.Minute + time.Second)
		sw, err := db.SweepCallbacks(ctx)
		if err != nil || len(sw.Breached) != 1 || sw.Breached[0] != missed.ID {
			t.Fatalf("sweep = %+v, %v", sw, err)
		}
		if sw, _ := db.SweepCallbacks(ctx); len(sw.Breached) != 0 {
			t.Fatal("a missed target was escalated twice")
		}
		st, err := db.CallbackStats(ctx, me)
		if err != nil {
			t.Fatal(err)
		}
		if st.Queued != 1 || st.OverdueOpen != 1 || len(st.Escalations) != 1 || st.Escalations[0].RequestID != missed.ID {
			t.Fatalf("stats = %+v", st)
		}
		day := st.Windows[0].ByPriority[0]
		if day.Priority != clinical.CallbackUrgent || day.Requests != 4 || day.Attempted != 3 || day.Missed != 2 ||
			day.Median != 10*time.Minute || day.P90 != 20*time.Minute {
			t.Fatalf("urgent, 24 h = %+v (want 4 requests, 3 called, median 10 min, p90 20 min, 2 missed)", day)
		}
		if o := st.Windows[0].Outcomes; len(o) != 1 || o[0].Outcome != store.OutcomeReferred || o[0].Count != 3 {
			t.Fatalf("outcomes = %+v", o)
		}
		if err := db.AcknowledgeEscalation(ctx, me, st.Escalations[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := db.AcknowledgeEscalation(ctx, me, st.Escalations[0].ID); ketacare.ErrorCode(err) != ketacare.ENOTFOUND {
			t.Fatalf("second acknowledgement: %v", err)
		}
		clk.Advance(25 * time.Hour)
		st, _ = db.CallbackStats(ctx, me)
		if st.Windows[0].ByPriority[0].Requests != 0 || st.Windows[1].ByPriority[0].Requests != 4 {
			t.Fatalf("windows after a day: %+v", st.Windows)
		}
	})
}

// TestCallbackConcurrentClaims: 50 counsellors race for 20 requests, round
// after round; every request goes to exactly one of them. On PostgreSQL the
// claimers use two separate connection pools, as two server processes do.
func TestCallbackConcurrentClaims(t *testing.T) {
	const claimers, requests = 50, 20
	rounds := 10
	if testing.Short() {
		rounds = 3
	}
	for _, target := range testutil.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			ctx := context.Background()
			var dbs []*store.DB
			for i := 0; i < 2; i++ {
				db, err := store.Open(ctx, target.DSN)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				dbs = append(dbs, db)
				if target.Name == "sqlite" {
					break // one process owns an SQLite file
				}
			}
			if _, err := dbs[0].Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if err := dbs[0].EnsureProtocol(ctx); err != nil {
				t.Fatal(err)
			}
			for round := 0; round < rounds; round++ {
				for i := 0; i < requests; i++ {
					submit(t, dbs[0], number(100+round*requests+i), "", true)
				}
				var mu sync.Mutex
				holder := map[int64]int{}
				var wg sync.WaitGroup
				start := make(chan struct{})
				for c := 0; c < claimers; c++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						cb, ok, err := dbs[c%len(dbs)].ClaimNextCallback(ctx, counsellor(c))
						if err != nil {
							t.Errorf("claimer %d: %v", c, err)
							return
						}
						if !ok {
							return
						}
						mu.Lock()
						defer mu.Unlock()
						if prev, dup := holder[cb.ID]; dup {
							t.Errorf("round %d: request %d held by claimers %d and %d", round, cb.ID, prev, c)
						}
						holder[cb.ID] = c
					}()
				}
				close(start)
				wg.Wait()
				if len(holder) != requests {
					t.Fatalf("round %d: %d requests claimed, want %d", round, len(holder), requests)
				}
				// Everyone closes what they hold, so the next round starts empty.
				for id, c := range holder {
					if _, err := dbs[0].RecordCallbackAttempt(ctx, counsellor(c), id, store.OutcomeAdviceGiven, ""); err != nil {
						t.Fatal(err)
					}
				}
				if n := openCount(t, dbs[0]); n != 0 {
					t.Fatalf("round %d: %d still open", round, n)
				}
			}
		})
	}
}

// Asking again without a preferred time drops an earlier window that would
// make the person wait longer than the standard target.
func TestRepeatRequestWithoutWindowCallsSooner(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		p := clinical.Default().Callback
		from := clk.Now().Add(18 * time.Hour)
		first, err := db.SubmitCallback(ctx, caller, store.CallbackSourcePublic, store.CallbackInput{Name: "Robin", Phone: number(40), SafeNow: true,
			ConsentCall: true, PreferredFrom: from, PreferredTo: from.Add(time.Hour)}, store.SubmitGuard{})
		if err != nil || !first.Callback.DueAt.Equal(from) {
			t.Fatalf("first request due %v (%v), want the window's start %v", first.Callback.DueAt, err, from)
		}
		clk.Advance(time.Minute)
		again := submit(t, db, number(40), "", true)
		c := again.Callback
		want := clk.Now().Add(time.Duration(p.StandardFirstAttemptMinutes) * time.Minute)
		if !again.Merged || !c.DueAt.Equal(want) || !c.PreferredFrom.IsZero() || !c.PreferredTo.IsZero() {
			t.Fatalf("after asking again: due %v, window %v-%v; want due %v and no window", c.DueAt, c.PreferredFrom, c.PreferredTo, want)
		}
		// A later request with its own window keeps the sooner target.
		later := clk.Now().Add(20 * time.Hour)
		third, err := db.SubmitCallback(ctx, caller, store.CallbackSourcePublic, store.CallbackInput{Name: "Robin", Phone: number(40), SafeNow: true,
			ConsentCall: true, PreferredFrom: later, PreferredTo: later.Add(time.Hour)}, store.SubmitGuard{})
		if err != nil || !third.Callback.DueAt.Equal(want) {
			t.Fatalf("a later window moved the target: %v (%v), want %v", third.Callback.DueAt, err, want)
		}
	})
}

// A request linked to a patient carries what the patient's clinic knows of
// them: only that clinic's staff list, claim or read it; the rest of the
// queue is shared.
func TestLinkedCallbackStaysWithThePatientsClinic(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		n := nurse(db, t)
		p, err := db.CreatePatient(ctx, n, alex)
		if err != nil {
			t.Fatal(err)
		}
		other, err := db.CreateClinic(ctx, ketacare.Actor{Email: "test", Role: ketacare.RoleAdmin}, "Other clinic")
		if err != nil {
			t.Fatal(err)
		}
		linked, err := db.SubmitCallback(ctx, ketacare.Actor{Email: "checkin:1", Role: ketacare.RolePatient, PatientID: p.ID, ClinicIDs: []int64{p.ClinicID}},
			store.CallbackSourcePublic, store.CallbackInput{Name: "Alex Morgan", Phone: number(60), Reason: "In their words: panicky since the dose",
				SafeNow: true, ConsentCall: true, PatientID: p.ID}, store.SubmitGuard{})
		if err != nil {
			t.Fatal(err)
		}
		shared := submit(t, db, number(61), "", true)
		mine := counsellor(1) // clinic 1, the patient's
		theirs := ketacare.Actor{UserID: 2001, Email: "c@other.example", Role: ketacare.RoleCounsellor, ClinicIDs: []int64{other.ID}}

		list, err := db.ListCallbacks(ctx, theirs, "open", 0)
		if err != nil || len(list) != 1 || list[0].ID != shared.Callback.ID {
			t.Fatalf("another clinic's queue: %+v %v", list, err)
		}
		if _, err := db.CallbackDetail(ctx, theirs, linked.Callback.ID); ketacare.ErrorCode(err) != ketacare.ENOTFOUND {
			t.Fatalf("another clinic reads the linked request: %v", err)
		}
		clk.Advance(time.Hour)
		for i := 0; i < 2; i++ {
			c, ok, err := db.ClaimNextCallback(ctx, theirs)
			if err != nil {
				t.Fatal(err)
			}
			if ok && c.ID == linked.Callback.ID {
				t.Fatal("another clinic claimed the linked request")
			}
		}
		if list, err := db.ListCallbacks(ctx, mine, "open", 0); err != nil || len(list) != 2 {
			t.Fatalf("the patient's clinic's queue: %d %v", len(list), err)
		}
		if d, err := db.CallbackDetail(ctx, mine, linked.Callback.ID); err != nil || d.Callback.Name != "Alex Morgan" {
			t.Fatalf("the patient's clinic reads the request: %v", err)
		}
	})
}
