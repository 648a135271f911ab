package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/store"
)

// fuSession is a constructed dosing session: an optional pre-dose anxiety
// rating, in-session ratings at 15-minute steps after the dose, whether an
// anxiety warning fired, and discharge after the last rating.
type fuSession struct {
	baseline *int
	ratings  []int
	warning  bool
}

func iptr(v int) *int { return &v }

func prescriberActor(t *testing.T, db *store.DB) ketacare.Actor {
	t.Helper()
	u, err := db.CreateUser(context.Background(), ketacare.Actor{Email: "test"}, store.NewUser{
		Email: fmt.Sprintf("rx%d@example.com", time.Now().UnixNano()), Role: ketacare.RolePrescriber, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return ketacare.Actor{UserID: u.ID, Email: u.Email, Role: u.Role, ClinicIDs: u.ClinicIDs}
}

// runSession records a session at the clock's time and discharges it; it
// leaves the clock after discharge and returns the session id.
func runSession(t *testing.T, db *store.DB, clk *clock, a ketacare.Actor, patientID int64, s fuSession) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	step := func(fn func(tx *store.Tx) error) {
		t.Helper()
		if err := db.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	var sess store.DosingSession
	step(func(tx *store.Tx) error {
		var err error
		sess, err = tx.InsertDosingSession(ctx, a, store.NewDosingSession{PatientID: patientID, ClinicID: a.HomeClinic(), Drug: "ketamine",
			Route: clinical.RouteIV, DoseMg: 35, Protocol: 1})
		id = sess.ID
		if err != nil || s.baseline == nil {
			return err
		}
		return tx.InsertObservation(ctx, &store.ObservationRecord{SessionID: id, Observation: clinical.Observation{At: tx.Now, Anxiety: s.baseline},
			Source: "api", RecordedBy: a.UserID, ProtocolVersion: 1})
	})
	clk.Advance(5 * time.Minute)
	step(func(tx *store.Tx) error { return tx.MarkDose(ctx, a, &sess, tx.Now, nil) })
	for _, r := range s.ratings {
		clk.Advance(15 * time.Minute)
		step(func(tx *store.Tx) error {
			rec := &store.ObservationRecord{SessionID: id, Observation: clinical.Observation{At: tx.Now, Anxiety: iptr(r)}, Source: "api",
				RecordedBy: a.UserID, ProtocolVersion: 1}
			if err := tx.InsertObservation(ctx, rec); err != nil {
				return err
			}
			if s.warning && r >= 6 {
				_, err := tx.RaiseAlert(ctx, a, sess, clinical.Firing{Rule: clinical.RuleAnxietyWarning, Tier: clinical.TierWarning,
					Message: "anxiety", Value: fmt.Sprint(r), At: tx.Now}, rec.ID, 1)
				if err != nil && !strings.Contains(err.Error(), "UNIQUE") && !strings.Contains(err.Error(), "23505") {
					return err
				}
				return nil
			}
			return nil
		})
	}
	clk.Advance(10 * time.Minute)
	step(func(tx *store.Tx) error {
		return tx.RecordDischarge(ctx, a, &sess, clinical.GateResult{Pass: true}, 1, "")
	})
	return id
}

// answerCheckin answers a session's check-in at offsetHours at its due time.
func answerCheckin(t *testing.T, db *store.DB, clk *clock, a ketacare.Actor, sessionID int64, offsetHours, nrs int, gad7 []int) store.CheckinResult {
	t.Helper()
	ctx := context.Background()
	_, list, err := db.SessionFollowup(ctx, a, sessionID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c.OffsetHours != offsetHours {
			continue
		}
		if clk.Now().Before(c.DueAt) {
			clk.Advance(c.DueAt.Sub(clk.Now()) + time.Minute)
		}
		token, _, err := db.StaffCheckinLink(ctx, a, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		no := false
		in := store.CheckinAnswers{NRS: &nrs, WantCallback: &no}
		if c.AsksGAD7 {
			in.GAD7 = gad7
			if in.GAD7 == nil {
				in.GAD7 = []int{0, 0, 0, 0, 0, 0, 0}
			}
		}
		res, err := db.SubmitCheckin(ctx, token, "127.0.0.1", "test", in)
		if err != nil {
			t.Fatalf("submitting the +%dh check-in: %v", offsetHours, err)
		}
		return res
	}
	t.Fatalf("no +%dh check-in", offsetHours)
	return store.CheckinResult{}
}

func gad7Answers(total int) []int {
	out := make([]int, 7)
	for i := 0; total > 0; i = (i + 1) % 7 {
		out[i]++
		total--
	}
	return out
}

func TestClassificationThroughTheStore(t *testing.T) {
	type step struct {
		checkinHours, nrs int // a check-in answered (0: none)
	}
	cases := []struct {
		name string
		// gad7Baseline and gad7Later: totals recorded before the first dose
		// and at the +7 day check-in (-1: none).
		gad7Baseline, gad7Later int
		earlier                 []fuSession // earlier sessions of the course, a week apart
		session                 fuSession
		checkins                []step
		want                    clinical.AnxietyClass
		rule                    string
	}{
		{name: "no anxiety", gad7Baseline: -1, gad7Later: -1, session: fuSession{baseline: iptr(2), ratings: []int{3, 2}},
			want: clinical.AnxietyNone},
		{name: "transient: warning, back to baseline + 1 by discharge", gad7Baseline: -1, gad7Later: -1,
			session: fuSession{baseline: iptr(2), ratings: []int{8, 3}, warning: true}, want: clinical.AnxietyTransient, rule: clinical.EvidenceResolvedByDischarge},
		{name: "elevated at discharge: baseline + 2", gad7Baseline: -1, gad7Later: -1,
			session: fuSession{baseline: iptr(2), ratings: []int{8, 4}, warning: true}, want: clinical.AnxietyPersistent, rule: clinical.EvidenceElevatedAtDischarge},
		{name: "check-in NRS 7 at +24 h, baseline 5", gad7Baseline: -1, gad7Later: -1, session: fuSession{baseline: iptr(5), ratings: []int{5, 5}},
			checkins: []step{{24, 7}}, want: clinical.AnxietyPersistent, rule: clinical.EvidenceCheckinElevated},
		{name: "check-in NRS 6 at +24 h, baseline 5: below both limits", gad7Baseline: -1, gad7Later: -1, session: fuSession{baseline: iptr(5), ratings: []int{5, 5}},
			checkins: []step{{24, 6}}, want: clinical.AnxietyNone},
		{name: "check-in at baseline + 3", gad7Baseline: -1, gad7Later: -1, session: fuSession{baseline: iptr(3), ratings: []int{3, 3}},
			checkins: []step{{24, 6}}, want: clinical.AnxietyPersistent, rule: clinical.EvidenceCheckinElevated},
		{name: "check-in at baseline + 2", gad7Baseline: -1, gad7Later: -1, session: fuSession{baseline: iptr(3), ratings: []int{3, 3}},
			checkins: []step{{24, 5}}, want: clinical.AnxietyNone},
		{name: "GAD-7 rise of 4", gad7Baseline: 5, gad7Later: 9, session: fuSession{baseline: iptr(2), ratings: []int{2, 2}},
			checkins: []step{{168, 2}}, want: clinical.AnxietyPersistent, rule: clinical.EvidenceGAD7Rise},
		{name: "GAD-7 rise of 3", gad7Baseline: 5, gad7Later: 8, session: fuSession{baseline: iptr(2), ratings: []int{2, 2}},
			checkins: []step{{168, 2}}, want: clinical.AnxietyNone},
		{name: "anxiety in 3 consecutive sessions", gad7Baseline: -1, gad7Later: -1,
			earlier: []fuSession{{baseline: iptr(2), ratings: []int{7, 2}, warning: true}, {baseline: iptr(2), ratings: []int{7, 2}, warning: true}},
			session: fuSession{baseline: iptr(2), ratings: []int{7, 2}, warning: true}, want: clinical.AnxietyPersistent, rule: clinical.EvidenceRecurring},
		{name: "anxiety in 2 consecutive sessions", gad7Baseline: -1, gad7Later: -1,
			earlier: []fuSession{{baseline: iptr(2), ratings: []int{2, 2}}, {baseline: iptr(2), ratings: []int{7, 2}, warning: true}},
			session: fuSession{baseline: iptr(2), ratings: []int{7, 2}, warning: true}, want: clinical.AnxietyTransient},
	}
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		rx := prescriberActor(t, db)
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p := alex
				p.NHSNumber = ""
				p.FamilyName = fmt.Sprintf("Case%d", i)
				pt, err := db.CreatePatient(ctx, rx, p)
				if err != nil {
					t.Fatal(err)
				}
				if tc.gad7Baseline >= 0 {
					if _, err := db.RecordAssessment(ctx, rx, pt.ID, store.AssessmentInput{Instrument: "gad7", Answers: gad7Answers(tc.gad7Baseline)}); err != nil {
						t.Fatal(err)
					}
				}
				clk.Advance(time.Hour)
				for _, e := range tc.earlier {
					runSession(t, db, clk, rx, pt.ID, e)
					clk.Advance(7 * 24 * time.Hour)
				}
				sid := runSession(t, db, clk, rx, pt.ID, tc.session)
				for _, c := range tc.checkins {
					var g []int
					if tc.gad7Later >= 0 {
						g = gad7Answers(tc.gad7Later)
					}
					answerCheckin(t, db, clk, rx, sid, c.checkinHours, c.nrs, g)
				}
				sc, err := db.Classification(ctx, rx, sid)
				if err != nil {
					t.Fatal(err)
				}
				if sc.Class != tc.want {
					t.Fatalf("class %s, want %s; evidence %+v", sc.Class, tc.want, sc.Evidence)
				}
				if sc.ProtocolVersion != 1 {
					t.Errorf("protocol version %d", sc.ProtocolVersion)
				}
				found := tc.rule == ""
				for _, e := range sc.Evidence {
					found = found || e.Rule == tc.rule
				}
				if !found {
					t.Errorf("no %s evidence in %+v", tc.rule, sc.Evidence)
				}
				reviews, err := db.ListReviews(ctx, rx, store.ReviewOpen)
				if err != nil {
					t.Fatal(err)
				}
				var mine []store.Review
				for _, r := range reviews {
					if r.SessionID == sid {
						mine = append(mine, r)
					}
				}
				if persistent := tc.want == clinical.AnxietyPersistent; persistent != (len(mine) == 1) {
					t.Fatalf("persistent %t but %d open reviews", persistent, len(mine))
				}
				if len(mine) == 1 && mine[0].DueAt.Sub(mine[0].CreatedAt) != 24*time.Hour {
					t.Errorf("review due %v after opening, want 24 h", mine[0].DueAt.Sub(mine[0].CreatedAt))
				}
				clk.Advance(30 * 24 * time.Hour)
			})
		}
	})
}

// A GAD-7 of 15 or more makes the review urgent (due within 1 h), and a
// decision closes it; lowering the dose writes a plan revision.
func TestUrgentReviewAndDecision(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		rx := prescriberActor(t, db)
		p := alex
		pt, err := db.CreatePatient(ctx, rx, p)
		if err != nil {
			t.Fatal(err)
		}
		dose := 35.0
		if _, _, err := db.SavePlan(ctx, rx, pt.ID, store.PlanInput{Drug: "ketamine", Route: "iv", DoseMg: &dose, Sessions: 6, IntervalDays: 3, Reason: "start"}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RecordAssessment(ctx, rx, pt.ID, store.AssessmentInput{Instrument: "gad7", Answers: gad7Answers(10)}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
		sid := runSession(t, db, clk, rx, pt.ID, fuSession{baseline: iptr(1), ratings: []int{2, 1}})
		answerCheckin(t, db, clk, rx, sid, 168, 2, gad7Answers(16))
		open, err := db.ListReviews(ctx, rx, store.ReviewOpen)
		if err != nil || len(open) != 1 {
			t.Fatalf("open reviews %d, %v", len(open), err)
		}
		r := open[0]
		if !r.Urgent || r.DueAt.Sub(r.CreatedAt) != time.Hour {
			t.Fatalf("review urgent %t due after %v; want urgent within 1 h", r.Urgent, r.DueAt.Sub(r.CreatedAt))
		}
		nurseA := nurse(db, t)
		if _, err := db.DecideReview(ctx, nurseA, r.ID, store.ReviewDecision{Options: []string{clinical.ReviewAdjunctMedicine}, Reason: "x"}); ketacare.ErrorCode(err) != ketacare.EINVALID {
			t.Fatalf("a nurse chose adjunct medicine: %v", err)
		}
		if _, err := db.DecideReview(ctx, rx, r.ID, store.ReviewDecision{Options: []string{clinical.ReviewLowerDose}, Reason: "anxious"}); ketacare.ErrorCode(err) != ketacare.EINVALID {
			t.Fatalf("lower dose without a dose: %v", err)
		}
		// The plan's refusal names the review's own field.
		long := 9999
		_, err = db.DecideReview(ctx, rx, r.ID, store.ReviewDecision{Options: []string{clinical.ReviewLengthenInterval}, Reason: "anxious", NewIntervalDays: &long})
		if f := ketacare.ErrorFields(err); ketacare.ErrorCode(err) != ketacare.EINVALID || f["newIntervalDays"] == "" || f["intervalDays"] != "" {
			t.Fatalf("an interval of 9999 days: %v %v", err, f)
		}
		lower := 25.0
		done, err := db.DecideReview(ctx, rx, r.ID, store.ReviewDecision{Options: []string{clinical.ReviewLowerDose, clinical.ReviewReferCBT},
			Reason: "Anxiety lasting a week", NewDoseMg: &lower})
		if err != nil {
			t.Fatal(err)
		}
		if done.Status != store.ReviewDecided || done.PlanRevision != 2 || len(done.Options) != 2 {
			t.Fatalf("decided review %+v", done)
		}
		plans, err := db.Plans(ctx, rx, pt.ID)
		if err != nil || len(plans) != 2 || plans[0].DoseMg != 25 || !strings.Contains(plans[0].Reason, "Anxiety lasting a week") {
			t.Fatalf("plan history %+v %v", plans, err)
		}
		// Recomputing on the same evidence opens no second review.
		if _, err := db.FollowupPass(ctx, "http://clinic.example"); err != nil {
			t.Fatal(err)
		}
		if open, _ := db.ListReviews(ctx, rx, store.ReviewOpen); len(open) != 0 {
			t.Fatalf("a decided review reopened: %+v", open)
		}
	})
}

// Check-ins fall at the same London wall-clock time as the dose, across
// the start and end of British Summer Time; the pass sends each when due,
// chases it once and lists it as missed when its link expires.
func TestSchedulingAcrossBST(t *testing.T) {
	london := store.FollowupLondon
	cases := []struct {
		name    string
		dose    time.Time
		elapsed []time.Duration // from dose to the +24 h, +72 h and +7 d check-ins
	}{
		{"clocks go forward (30 March 2025)", time.Date(2025, 3, 29, 10, 0, 0, 0, london), []time.Duration{23 * time.Hour, 71 * time.Hour, 167 * time.Hour}},
		{"clocks go back (26 October 2025)", time.Date(2025, 10, 25, 10, 0, 0, 0, london), []time.Duration{25 * time.Hour, 73 * time.Hour, 169 * time.Hour}},
		{"no change", time.Date(2025, 6, 7, 10, 0, 0, 0, london), []time.Duration{24 * time.Hour, 72 * time.Hour, 168 * time.Hour}},
	}
	for _, tc := range cases {
		for i, h := range []int{24, 72, 168} {
			due := store.CheckinDueAt(tc.dose, h)
			if got := due.Sub(tc.dose); got != tc.elapsed[i] {
				t.Errorf("%s: +%dh check-in %v after the dose, want %v", tc.name, h, got, tc.elapsed[i])
			}
			if hh, mm, _ := due.In(london).Clock(); hh != 10 || mm != 0 {
				t.Errorf("%s: +%dh check-in at %02d:%02d London time, want 10:00", tc.name, h, hh, mm)
			}
		}
	}
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		rx := prescriberActor(t, db)
		p := alex
		p.Email = "alex@example.com"
		pt, err := db.CreatePatient(ctx, rx, p)
		if err != nil {
			t.Fatal(err)
		}
		clk.t = time.Date(2025, 3, 29, 9, 55, 0, 0, london)
		sid := runSession(t, db, clk, rx, pt.ID, fuSession{baseline: iptr(1), ratings: []int{1}})
		if _, err := db.FollowupPass(ctx, "https://clinic.example"); err != nil {
			t.Fatal(err)
		}
		_, list, err := db.SessionFollowup(ctx, rx, sid)
		if err != nil {
			t.Fatal(err)
		}
		first := list[0]
		if first.OffsetHours != 24 || !first.DueAt.Equal(time.Date(2025, 3, 30, 10, 0, 0, 0, london)) {
			t.Fatalf("first check-in %+v", first)
		}
		pass := func() store.FollowupPassResult {
			r, err := db.FollowupPass(ctx, "https://clinic.example")
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		clk.t = first.DueAt.Add(-time.Minute)
		if r := pass(); r.Sent != 0 {
			t.Fatalf("sent before due: %+v", r)
		}
		clk.t = first.DueAt
		if r := pass(); r.Sent != 1 {
			t.Fatalf("at due: %+v", r)
		}
		msgs, _ := db.OutboxMessages(ctx, fmt.Sprintf("checkin:%d", first.ID), 0)
		if len(msgs) != 1 || msgs[0].Recipient != "alex@example.com" || !strings.Contains(msgs[0].Body, "https://clinic.example/checkin/") {
			t.Fatalf("queued emails %+v", msgs)
		}
		for _, word := range []string{"anxiety", "ketamine", "Alex", "Morgan"} {
			if strings.Contains(msgs[0].Body+msgs[0].Subject, word) {
				t.Errorf("email mentions %q", word)
			}
		}
		clk.t = first.DueAt.Add(12*time.Hour - time.Minute)
		if r := pass(); r.Chased != 0 {
			t.Fatalf("chased early: %+v", r)
		}
		clk.t = first.DueAt.Add(12 * time.Hour)
		if r := pass(); r.Chased != 1 {
			t.Fatalf("not chased: %+v", r)
		}
		if r := pass(); r.Chased != 0 {
			t.Fatalf("chased twice: %+v", r)
		}
		clk.t = first.ExpiresAt
		if r := pass(); r.Missed < 1 {
			t.Fatalf("not missed: %+v", r)
		}
		tasks, err := db.FollowupTasks(ctx, rx)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, tk := range tasks {
			found = found || (tk.Kind == store.TaskCheckinMissed && tk.RefID == first.ID)
		}
		if !found {
			t.Fatalf("missed check-in not listed: %+v", tasks)
		}
	})
}

// A patient with a mobile number and no email address gets the check-in
// link, and the reminder, by text message; nothing in it says what the
// treatment was.
func TestCheckinLinkByTextMessage(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		rx := prescriberActor(t, db)
		p := alex
		p.Phone = "07911 123456"
		pt, err := db.CreatePatient(ctx, rx, p)
		if err != nil {
			t.Fatal(err)
		}
		clk.t = time.Date(2025, 6, 7, 10, 0, 0, 0, store.FollowupLondon)
		sid := runSession(t, db, clk, rx, pt.ID, fuSession{baseline: iptr(1), ratings: []int{1}})
		if _, err := db.FollowupPass(ctx, "https://clinic.example"); err != nil {
			t.Fatal(err)
		}
		_, list, err := db.SessionFollowup(ctx, rx, sid)
		if err != nil {
			t.Fatal(err)
		}
		first := list[0]
		clk.t = first.DueAt
		if r, err := db.FollowupPass(ctx, "https://clinic.example"); err != nil || r.Sent != 1 {
			t.Fatalf("at due: %+v %v", r, err)
		}
		clk.t = first.DueAt.Add(12 * time.Hour)
		if r, err := db.FollowupPass(ctx, "https://clinic.example"); err != nil || r.Chased != 1 {
			t.Fatalf("chase: %+v %v", r, err)
		}
		msgs, _ := db.OutboxMessages(ctx, fmt.Sprintf("checkin:%d", first.ID), 0)
		if len(msgs) != 2 {
			t.Fatalf("queued %d messages, want the link and the reminder: %+v", len(msgs), msgs)
		}
		for i, m := range msgs {
			if m.Kind != store.OutboxText || m.Recipient != "+447911123456" || !strings.Contains(m.Body, "https://clinic.example/checkin/") ||
				!strings.Contains(m.Body, "116 123") || len(m.Body) > 320 {
				t.Errorf("text %d: %+v", i, m)
			}
			for _, word := range []string{"anxiety", "ketamine", "Alex", "Morgan"} {
				if strings.Contains(m.Body, word) {
					t.Errorf("text %d mentions %q", i, word)
				}
			}
		}
		if strings.HasPrefix(msgs[0].Body, "Reminder") == strings.HasPrefix(msgs[1].Body, "Reminder") {
			t.Errorf("want one link and one reminder: %q, %q", msgs[0].Body, msgs[1].Body)
		}
		entries, err := db.ListAudit(ctx, store.AuditFilter{PatientID: pt.ID, Action: "checkin.send"})
		if err != nil || len(entries) != 1 || !strings.Contains(entries[0].Detail, "texted") {
			t.Fatalf("audit of the sending: %+v %v", entries, err)
		}
	})
}

// A patient reads their own timeline, and another patient's is not found.
func TestPatientReadsOnlyOwnTimeline(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		rx := prescriberActor(t, db)
		p1, _ := db.CreatePatient(ctx, rx, ketacare.Patient{GivenName: "A", FamilyName: "One", BirthDate: "1980-01-01", Sex: "female"})
		p2, _ := db.CreatePatient(ctx, rx, ketacare.Patient{GivenName: "B", FamilyName: "Two", BirthDate: "1980-01-01", Sex: "male"})
		u, err := db.CreatePatientAccount(ctx, rx, p1.ID, "one@example.com", "x")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreatePatientAccount(ctx, rx, p1.ID, "again@example.com", "x"); ketacare.ErrorCode(err) != ketacare.ECONFLICT {
			t.Fatalf("second account: %v", err)
		}
		me := ketacare.Actor{UserID: u.ID, Email: u.Email, Role: ketacare.RolePatient, PatientID: p1.ID, ClinicIDs: u.ClinicIDs}
		if tl, err := db.Timeline(ctx, me, p1.ID); err != nil || tl.Patient.ID != p1.ID {
			t.Fatalf("own timeline: %v", err)
		}
		if _, err := db.Timeline(ctx, me, p2.ID); ketacare.ErrorCode(err) != ketacare.ENOTFOUND {
			t.Fatalf("another patient's timeline: %v", err)
		}
	})
}
