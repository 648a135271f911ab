package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/store"
)

func staff(db *store.DB, t *testing.T, role ketacare.Role, clinics ...int64) ketacare.Actor {
	t.Helper()
	a := nurse(db, t, clinics...)
	u, err := db.CreateUser(context.Background(), ketacare.Actor{Email: "test"}, store.NewUser{
		Email: string(role) + time.Now().Format("150405.000000000") + "@example.com", Role: role, ClinicIDs: a.ClinicIDs, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return ketacare.Actor{UserID: u.ID, Email: u.Email, Role: u.Role, ClinicIDs: u.ClinicIDs, ClientAddr: "127.0.0.1"}
}

func yes() *bool { v := true; return &v }
func no() *bool  { v := false; return &v }

// fullHistory answers every history question no, with a normal blood
// pressure, then applies changes.
func fullHistory(change func(h *store.HistoryAnswers)) *store.HistoryAnswers {
	h := &store.HistoryAnswers{}
	for _, q := range store.HistoryQuestions {
		h.Set(q.Name, no())
	}
	sys, dia := 120, 80
	h.Systolic, h.Diastolic = &sys, &dia
	if change != nil {
		change(h)
	}
	return h
}

func TestAssessmentsStoreEveryAnswerAndTheProtocolVersion(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, _ *clock) {
		ctx := context.Background()
		a := nurse(db, t)
		p, err := db.CreatePatient(ctx, a, alex)
		if err != nil {
			t.Fatal(err)
		}
		gad := []int{3, 2, 1, 0, 1, 2, 3}
		as, err := db.RecordAssessment(ctx, a, p.ID, store.AssessmentInput{Instrument: "gad7", Answers: gad})
		if err != nil {
			t.Fatal(err)
		}
		if as.Total == nil || *as.Total != 12 || as.Band != "moderate" || as.ProtocolVersion != 1 || !slices.Contains(as.Flags, clinical.FlagGAD7Refer) {
			t.Fatalf("GAD-7 = %+v", as)
		}
		if _, err := db.RecordAssessment(ctx, a, p.ID, store.AssessmentInput{Instrument: "gad7", Answers: []int{3, 2, 1}}); ketacare.ErrorCode(err) != ketacare.EINVALID ||
			!strings.Contains(ketacare.ErrorMessage(err), "3 answers given, 7 expected") {
			t.Fatalf("short GAD-7: %v", err)
		}
		if _, err := db.RecordAssessment(ctx, a, p.ID, store.AssessmentInput{Instrument: "history", History: fullHistory(func(h *store.HistoryAnswers) {
			h.Pregnant = yes()
		})}); err != nil {
			t.Fatal(err)
		}
		list, err := db.Assessments(ctx, a, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 {
			t.Fatalf("%d assessments stored, want 2 (the refused one stores nothing)", len(list))
		}
		if got := list[1].AnswerValues(); !slices.Equal(got, gad) {
			t.Fatalf("GAD-7 answers read back %v, want %v", got, gad)
		}
		h := list[0].History
		if h == nil || h.Pregnant == nil || !*h.Pregnant || *h.Systolic != 120 || h.AnxietyDisorder == nil || *h.AnxietyDisorder {
			t.Fatalf("history read back %+v", h)
		}
		sc, err := db.ScreeningFor(ctx, a, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sc.Result.Level != clinical.SusceptibilityModerate || sc.Result.Points != 2 || len(sc.Blocking()) != 1 || sc.Blocking()[0].Code != "pregnancy" {
			t.Fatalf("screening = %+v", sc.Result)
		}
	})
}

func TestOverrideDosingBlockedConsentAndPlan(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		n := nurse(db, t)
		pr := staff(db, t, ketacare.RolePrescriber)
		admin := staff(db, t, ketacare.RoleAdmin)
		p, err := db.CreatePatient(ctx, n, alex)
		if err != nil {
			t.Fatal(err)
		}
		blocked := func() []string {
			t.Helper()
			var reasons []string
			if err := db.Update(ctx, func(tx *store.Tx) error {
				var err error
				reasons, err = tx.DosingBlocked(ctx, p.ID)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return reasons
		}
		if r := blocked(); len(r) != 3 || !strings.Contains(r[0], "Screening has not been done") {
			t.Fatalf("before anything: %q", r)
		}
		for _, in := range []store.AssessmentInput{
			{Instrument: "gad7", Answers: []int{0, 0, 0, 0, 0, 0, 0}},
			{Instrument: "history", History: fullHistory(func(h *store.HistoryAnswers) { s, d := 185, 95; h.Systolic, h.Diastolic = &s, &d })},
		} {
			if _, err := db.RecordAssessment(ctx, n, p.ID, in); err != nil {
				t.Fatal(err)
			}
		}
		if r := blocked(); len(r) != 3 || !strings.Contains(r[0], "Baseline blood pressure 185/95") {
			t.Fatalf("with a very high blood pressure: %q", r)
		}
		if _, err := db.OverrideContraindication(ctx, n, p.ID, "baseline-bp-very-high", "checked"); ketacare.ErrorCode(err) != ketacare.EFORBIDDEN {
			t.Fatalf("nurse override: %v", err)
		}
		if _, err := db.OverrideContraindication(ctx, pr, p.ID, "baseline-bp-very-high", " "); ketacare.ErrorCode(err) != ketacare.EINVALID {
			t.Fatalf("override without a reason: %v", err)
		}
		if _, err := db.OverrideContraindication(ctx, pr, p.ID, "pregnancy", "x"); ketacare.ErrorCode(err) != ketacare.ECONFLICT {
			t.Fatalf("override of an absent contraindication: %v", err)
		}
		if _, err := db.OverrideContraindication(ctx, pr, p.ID, "baseline-bp-very-high", "Repeat reading 150/90 after rest; cardiology agrees."); err != nil {
			t.Fatal(err)
		}
		entries, err := db.ListAudit(ctx, store.AuditFilter{PatientID: p.ID, Action: "screening.override.create"})
		if err != nil || len(entries) != 1 || !strings.Contains(entries[0].Detail, "cardiology") || entries[0].UserID != pr.UserID {
			t.Fatalf("override audit %+v, %v", entries, err)
		}

		// Consent: signed, then countersigned; a new text version asks again.
		text, err := db.CurrentConsentText(ctx)
		if err != nil || text.Version != 1 || !strings.Contains(text.Text, "Bladder problems") {
			t.Fatalf("default consent text %+v, %v", text, err)
		}
		if _, err := db.SignConsent(ctx, n, p.ID, 2, "Alex Morgan"); ketacare.ErrorCode(err) != ketacare.ECONFLICT {
			t.Fatalf("signing a version that is not current: %v", err)
		}
		c, err := db.SignConsent(ctx, n, p.ID, 1, "  Alex   Morgan ")
		if err != nil || c.SignedName != "Alex Morgan" || c.Via != "in-person" {
			t.Fatalf("sign: %+v, %v", c, err)
		}
		if r := blocked(); len(r) != 2 || !strings.Contains(r[0], "countersignature") {
			t.Fatalf("signed, not countersigned: %q", r)
		}
		if _, err := db.Countersign(ctx, n, p.ID, c.ID); ketacare.ErrorCode(err) != ketacare.EFORBIDDEN {
			t.Fatalf("nurse countersign: %v", err)
		}
		if _, err := db.Countersign(ctx, pr, p.ID, c.ID); err != nil {
			t.Fatal(err)
		}
		if r := blocked(); len(r) != 1 || r[0] != "There is no treatment plan." {
			t.Fatalf("consented: %q", r)
		}

		// Plan.
		w := 70.0
		perKg := 0.5
		if _, _, err := db.SavePlan(ctx, n, p.ID, store.PlanInput{Drug: "ketamine", Route: "iv", DoseMgPerKg: &perKg, WeightKg: &w, Sessions: 6, IntervalDays: 7, Reason: "x"}); ketacare.ErrorCode(err) != ketacare.EFORBIDDEN {
			t.Fatalf("nurse plan: %v", err)
		}
		_, _, err = db.SavePlan(ctx, pr, p.ID, store.PlanInput{Drug: "esketamine", Route: "intranasal", DoseMg: ptrF(60), Sessions: 8, IntervalDays: 3, Reason: "start"})
		if f := ketacare.ErrorFields(err); f["doseMg"] == "" {
			t.Fatalf("esketamine 60 mg: %v", err)
		}
		plan, _, err := db.SavePlan(ctx, pr, p.ID, store.PlanInput{Drug: "ketamine", Route: "iv", DoseMgPerKg: &perKg, WeightKg: &w, Sessions: 6, IntervalDays: 7, Reason: "Start of course"})
		if err != nil || plan.DoseMg != 35 || plan.Revision != 1 || plan.Susceptibility != "low" {
			t.Fatalf("plan %+v, %v", plan, err)
		}
		clk.Advance(time.Hour)
		plan2, history, err := db.SavePlan(ctx, pr, p.ID, store.PlanInput{Drug: "esketamine", Route: "intranasal", DoseMg: ptrF(56), Sessions: 8, IntervalDays: 3, Reason: "Switch to nasal spray"})
		if err != nil || plan2.Revision != 2 || plan2.Devices() != 2 || len(history) != 2 || history[1].Reason != "Start of course" {
			t.Fatalf("second revision %+v, history %+v, %v", plan2, history, err)
		}
		if r := blocked(); len(r) != 0 {
			t.Fatalf("everything done, still blocked: %q", r)
		}
		var cur store.Plan
		if err := db.Update(ctx, func(tx *store.Tx) error { cur, err = tx.CurrentPlan(ctx, p.ID); return err }); err != nil || cur.Revision != 2 {
			t.Fatalf("current plan %+v, %v", cur, err)
		}

		// A new consent text version asks again.
		if _, err := db.SaveConsentText(ctx, n, "new"); ketacare.ErrorCode(err) != ketacare.EFORBIDDEN {
			t.Fatalf("nurse saves consent text: %v", err)
		}
		// A text that does not name the risks of anxiety and addiction is refused.
		for text, missing := range map[string]string{"I agree to treatment.": "anxiety and of addiction",
			"You may feel anxious during the dose.": "addiction", "Ketamine can cause dependence.": "anxiety"} {
			if _, err := db.SaveConsentText(ctx, admin, text); ketacare.ErrorCode(err) != ketacare.EINVALID || !strings.Contains(ketacare.ErrorMessage(err), missing) {
				t.Errorf("consent text %q: %v", text, err)
			}
		}
		if v, err := db.SaveConsentText(ctx, admin, defaultPlus("Also: nausea.")); err != nil || v.Version != 2 {
			t.Fatalf("new consent text %+v, %v", v, err)
		}
		if r := blocked(); len(r) != 1 || !strings.Contains(r[0], "must consent again") {
			t.Fatalf("after a new consent version: %q", r)
		}

		// A newer history that still shows the contraindication blocks again.
		if _, err := db.RecordAssessment(ctx, n, p.ID, store.AssessmentInput{Instrument: "history", History: fullHistory(func(h *store.HistoryAnswers) { s, d := 182, 95; h.Systolic, h.Diastolic = &s, &d })}); err != nil {
			t.Fatal(err)
		}
		if r := blocked(); len(r) != 2 || !strings.Contains(r[0], "182/95") {
			t.Fatalf("after a newer very high reading: %q", r)
		}
	})
}

func defaultPlus(s string) string { return store.DefaultConsentText + "\n" + s }

func ptrF(f float64) *float64 { return &f }

func TestPatientLinksAreSingleUseScopedAndExpire(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, clk *clock) {
		ctx := context.Background()
		n := nurse(db, t)
		p, err := db.CreatePatient(ctx, n, alex)
		if err != nil {
			t.Fatal(err)
		}
		other := ketacare.Patient{GivenName: "Sam", FamilyName: "Okafor", BirthDate: "1972-11-03", Sex: "male"}
		q, err := db.CreatePatient(ctx, n, other)
		if err != nil {
			t.Fatal(err)
		}
		token, l, err := db.CreatePatientLink(ctx, n, p.ID, store.PurposeScreening, time.Hour)
		if err != nil || l.PatientID != p.ID || len(token) < 40 {
			t.Fatalf("link %+v, %q, %v", l, token, err)
		}
		if _, err := db.PatientLink(ctx, token, store.PurposeConsent); ketacare.ErrorCode(err) != ketacare.ENOTFOUND {
			t.Fatalf("screening link used for consent: %v", err)
		}
		if _, err := db.PatientLink(ctx, token+"x", store.PurposeScreening); ketacare.ErrorCode(err) != ketacare.ENOTFOUND {
			t.Fatalf("wrong token: %v", err)
		}
		// A link's actor sees only its own patient.
		err = db.WithLink(ctx, token, store.PurposeScreening, "127.0.0.1", "req", func(tx *store.Tx, l store.PatientLink, a ketacare.Actor) error {
			_, err := tx.RecordAssessment(ctx, a, q.ID, store.AssessmentInput{Instrument: "gad7", Answers: []int{0, 0, 0, 0, 0, 0, 0}}, "link", l.ID)
			return err
		})
		if ketacare.ErrorCode(err) != ketacare.ENOTFOUND {
			t.Fatalf("link wrote to another patient: %v", err)
		}
		// A failed use leaves the link open; a good one closes it.
		err = db.WithLink(ctx, token, store.PurposeScreening, "127.0.0.1", "req", func(tx *store.Tx, l store.PatientLink, a ketacare.Actor) error {
			_, err := tx.RecordAssessment(ctx, a, l.PatientID, store.AssessmentInput{Instrument: "gad7", Answers: []int{9}}, "link", l.ID)
			return err
		})
		if ketacare.ErrorCode(err) != ketacare.EINVALID {
			t.Fatalf("bad answers through a link: %v", err)
		}
		err = db.WithLink(ctx, token, store.PurposeScreening, "127.0.0.1", "req", func(tx *store.Tx, l store.PatientLink, a ketacare.Actor) error {
			_, err := tx.RecordAssessment(ctx, a, l.PatientID, store.AssessmentInput{Instrument: "gad7", Answers: []int{1, 1, 1, 1, 1, 1, 1}}, "link", l.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var gone *store.LinkGoneError
		err = db.WithLink(ctx, token, store.PurposeScreening, "127.0.0.1", "req", func(*store.Tx, store.PatientLink, ketacare.Actor) error { return nil })
		if !errors.As(err, &gone) || !gone.Used {
			t.Fatalf("second use: %v", err)
		}
		entries, err := db.ListAudit(ctx, store.AuditFilter{PatientID: p.ID, Action: "link.use"})
		if err != nil || len(entries) != 1 || !strings.HasPrefix(entries[0].Email, "link:") {
			t.Fatalf("link use audit %+v, %v", entries, err)
		}
		list, err := db.Assessments(ctx, n, p.ID)
		if err != nil || len(list) != 1 || list[0].Source != "link" {
			t.Fatalf("assessments through the link: %+v, %v", list, err)
		}
		// Expiry.
		token2, _, err := db.CreatePatientLink(ctx, n, p.ID, store.PurposeConsent, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
		if _, err := db.PatientLink(ctx, token2, store.PurposeConsent); !errors.As(err, &gone) || gone.Used {
			t.Fatalf("expired link: %v", err)
		}
		// Another clinic's staff cannot make links for the patient.
		c2, err := db.CreateClinic(ctx, ketacare.Actor{Email: "test"}, "Second clinic")
		if err != nil {
			t.Fatal(err)
		}
		outsider := nurse(db, t, c2.ID)
		if _, _, err := db.CreatePatientLink(ctx, outsider, p.ID, store.PurposeScreening, time.Hour); ketacare.ErrorCode(err) != ketacare.ENOTFOUND {
			t.Fatalf("other clinic's link: %v", err)
		}
	})
}

func TestScreeningFollowsTheProtocolVersion(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, _ *clock) {
		ctx := context.Background()
		n := nurse(db, t)
		p, err := db.CreatePatient(ctx, n, alex)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.RecordAssessment(ctx, n, p.ID, store.AssessmentInput{Instrument: "gad7", Answers: []int{2, 2, 2, 2, 0, 0, 0}}); err != nil {
			t.Fatal(err)
		}
		sc, err := db.ScreeningFor(ctx, n, p.ID)
		if err != nil || sc.Result.Points != 1 || sc.ProtocolVersion != 1 {
			t.Fatalf("GAD-7 8 under version 1: %+v, %v", sc.Result, err)
		}
		prot := clinical.Default()
		prot.Screening.GAD7HighMin = 8
		if _, err := db.SaveProtocol(ctx, ketacare.Actor{Email: "cso@example.com"}, prot, "Lower GAD-7 threshold"); err != nil {
			t.Fatal(err)
		}
		sc, err = db.ScreeningFor(ctx, n, p.ID)
		if err != nil || sc.Result.Points != 2 || sc.ProtocolVersion != 2 || sc.Result.Level != clinical.SusceptibilityModerate {
			t.Fatalf("GAD-7 8 under version 2: %+v, %v", sc.Result, err)
		}
	})
}
