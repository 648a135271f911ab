package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/store"
)

// screeningReviewCodes returns the codes of the patient's screening review
// items.
func screeningReviewCodes(t *testing.T, db *store.DB, patientID int64) []string {
	t.Helper()
	s, err := db.ScreeningFor(context.Background(), nurse(db, t), patientID)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, r := range s.Result.ReviewItems {
		codes = append(codes, r.Code)
	}
	return codes
}

func riskFlags(t *testing.T, db *store.DB, sessionID int64) []string {
	t.Helper()
	var flags []string
	if err := db.View(context.Background(), func(tx *store.Tx) error {
		s, err := tx.SessionByID(context.Background(), sessionID)
		if err != nil {
			return err
		}
		in, err := tx.ClassificationInput(context.Background(), s)
		flags = in.RiskFlags
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return flags
}

// PHQ-9 item 9 at 0 is never a clearance: after an item 9 above 0 with no
// C-SSRS, a later PHQ-9 with item 9 at 0 leaves the screening's review item
// and the follow-up risk flag in place; the C-SSRS clears them.
func TestItem9ZeroIsNeverAClearance(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		a := nurse(db, t)
		p, err := db.CreatePatient(ctx, a, alex)
		if err != nil {
			t.Fatal(err)
		}
		sid := runSession(t, db, clk, a, p.ID, fuSession{baseline: iptr(2), ratings: []int{2}})
		record := func(instrument string, answers []int) {
			t.Helper()
			clk.Advance(time.Hour)
			if _, err := db.RecordAssessment(ctx, a, p.ID, store.AssessmentInput{Instrument: instrument, Answers: answers}); err != nil {
				t.Fatal(err)
			}
		}
		record(clinical.InstrumentPHQ9, []int{2, 2, 2, 2, 2, 2, 2, 2, 2})
		if codes := screeningReviewCodes(t, db, p.ID); !slices.Contains(codes, "phq9-item9-needs-cssrs") {
			t.Fatalf("after item 9 = 2: review items %v", codes)
		}
		clk.Advance(7 * 24 * time.Hour)
		record(clinical.InstrumentPHQ9, []int{2, 2, 2, 2, 2, 2, 2, 2, 0})
		if codes := screeningReviewCodes(t, db, p.ID); !slices.Contains(codes, "phq9-item9-needs-cssrs") {
			t.Errorf("a later item 9 = 0 cleared the review item: %v", codes)
		}
		if flags := riskFlags(t, db, sid); !slices.Contains(flags, clinical.FlagPHQ9Item9) {
			t.Errorf("a later item 9 = 0 cleared the risk flag: %v", flags)
		}
		// The C-SSRS is the clearance.
		record(clinical.InstrumentCSSRS, []int{0, 0, clinical.Skipped, clinical.Skipped, clinical.Skipped, 0})
		if codes := screeningReviewCodes(t, db, p.ID); slices.Contains(codes, "phq9-item9-needs-cssrs") {
			t.Errorf("after the C-SSRS: review items %v", codes)
		}
		if flags := riskFlags(t, db, sid); slices.Contains(flags, clinical.FlagPHQ9Item9) {
			t.Errorf("after the C-SSRS and an item 9 at 0: risk flags %v", flags)
		}
	})
}

// A C-SSRS recorded before a positive item 9 does not screen it.
func TestEarlierCSSRSDoesNotScreenALaterItem9(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		a := nurse(db, t)
		p, err := db.CreatePatient(ctx, a, alex)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.RecordAssessment(ctx, a, p.ID, store.AssessmentInput{Instrument: clinical.InstrumentCSSRS,
			Answers: []int{0, 0, clinical.Skipped, clinical.Skipped, clinical.Skipped, 0}}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(90 * 24 * time.Hour)
		if _, err := db.RecordAssessment(ctx, a, p.ID, store.AssessmentInput{Instrument: clinical.InstrumentPHQ9,
			Answers: []int{2, 2, 2, 2, 2, 2, 2, 2, 3}}); err != nil {
			t.Fatal(err)
		}
		if codes := screeningReviewCodes(t, db, p.ID); !slices.Contains(codes, "phq9-item9-needs-cssrs") {
			t.Errorf("item 9 = 3 after a C-SSRS 90 days old: review items %v", codes)
		}
	})
}

// A check-in's PHQ-9 with item 9 above 0 puts an urgent task in front of
// staff at once, whether or not the patient goes on to the C-SSRS; a low
// C-SSRS result asks for a safety plan.
func TestCheckinItem9OpensATask(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		a := nurse(db, t)
		p, err := db.CreatePatient(ctx, a, alex)
		if err != nil {
			t.Fatal(err)
		}
		sid := runSession(t, db, clk, a, p.ID, fuSession{baseline: iptr(2), ratings: []int{2, 2}})
		if _, _, err := db.SessionFollowup(ctx, a, sid); err != nil {
			t.Fatal(err)
		}
		tl, err := db.Timeline(ctx, a, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		var course *store.Checkin
		for i, c := range tl.Checkins {
			if c.Kind == store.CheckinKindCourse && c.AsksPHQ9 {
				course = &tl.Checkins[i]
				break
			}
		}
		if course == nil {
			t.Fatalf("no course check-in: %+v", tl.Checkins)
		}
		clk.Advance(course.DueAt.Sub(clk.Now()) + time.Minute)
		token, _, err := db.StaffCheckinLink(ctx, a, course.ID)
		if err != nil {
			t.Fatal(err)
		}
		no := false
		res, err := db.SubmitCheckin(ctx, token, "127.0.0.1", "t", store.CheckinAnswers{WantCallback: &no,
			GAD7: []int{1, 1, 1, 1, 1, 1, 1}, PHQ9: []int{1, 1, 1, 1, 1, 1, 1, 1, 2}})
		if err != nil || res.CSSRSToken == "" {
			t.Fatalf("submit: %v (C-SSRS link %q)", err, res.CSSRSToken)
		}
		openTask := func(kind string) *store.FollowupTask {
			tasks, err := db.FollowupTasks(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			for i, tk := range tasks {
				if tk.Kind == kind && tk.PatientID == p.ID {
					return &tasks[i]
				}
			}
			return nil
		}
		if tk := openTask(store.TaskItem9); tk == nil || !tk.Urgent {
			t.Fatalf("no urgent item 9 task: %+v", tk)
		}
		if _, _, err := db.SubmitCheckinCSSRS(ctx, res.CSSRSToken, "127.0.0.1", "t", []int{1, 0, clinical.Skipped, clinical.Skipped, clinical.Skipped, 0}); err != nil {
			t.Fatal(err)
		}
		if tk := openTask(store.TaskCSSRSLow); tk == nil || tk.Urgent {
			t.Fatalf("no safety-plan task after a low C-SSRS: %+v", tk)
		}
		if openTask(store.TaskItem9) == nil {
			t.Error("the item 9 task closed itself: staff close it")
		}
	})
}

// Another clinic's task or check-in answers as one that does not exist,
// and both refusals are audited.
func TestAnotherClinicsFollowupIsNotFound(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		a := nurse(db, t)
		p, err := db.CreatePatient(ctx, a, alex)
		if err != nil {
			t.Fatal(err)
		}
		sid := runSession(t, db, clk, a, p.ID, fuSession{baseline: iptr(2), ratings: []int{2}})
		_, checkins, err := db.SessionFollowup(ctx, a, sid)
		if err != nil || len(checkins) == 0 {
			t.Fatalf("check-ins: %v", err)
		}
		other, err := db.CreateClinic(ctx, ketacare.Actor{Email: "test", Role: ketacare.RoleAdmin}, "Other clinic")
		if err != nil {
			t.Fatal(err)
		}
		theirs := nurse(db, t, other.ID)
		_, _, errOther := db.StaffCheckinLink(ctx, theirs, checkins[0].ID)
		_, _, errNone := db.StaffCheckinLink(ctx, theirs, 999999)
		if ketacare.ErrorCode(errOther) != ketacare.ENOTFOUND || ketacare.ErrorMessage(errOther) != ketacare.ErrorMessage(errNone) {
			t.Errorf("another clinic's check-in: %v; a missing one: %v", errOther, errNone)
		}
		errNone = db.CloseFollowupTask(ctx, theirs, 999999)
		if ketacare.ErrorCode(errNone) != ketacare.ENOTFOUND {
			t.Errorf("a missing task: %v", errNone)
		}
		denied, err := db.ListAudit(ctx, store.AuditFilter{UserID: theirs.UserID, Outcome: "denied"})
		if err != nil || len(denied) < 3 {
			t.Errorf("refusals audited: %d (%v)", len(denied), err)
		}
	})
}
