package demo

import (
	"context"
	"fmt"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/store"
)

// demoScreening is one demo patient's screening, consent and plan.
type demoScreening struct {
	gad7, phq9, auditc []int
	cssrs              []int // item scores, -1 for unasked
	history            map[string]bool
	systolic, diastol  int
	consent            string // "", "signed" or "countersigned"
	plan               *store.PlanInput
}

func f64(v float64) *float64 { return &v }

// demoScreenings follow the demo patients in order: Alex (high
// susceptibility), Sam (moderate), Jordan (low), Priya (a blood pressure
// that blocks dosing, for the override).
var demoScreenings = []demoScreening{
	{gad7: []int{2, 2, 2, 2, 1, 1, 2}, phq9: []int{2, 2, 2, 1, 1, 2, 2, 2, 0}, auditc: []int{1, 1, 0}, cssrs: []int{0, 0, -1, -1, -1, 0},
		history: map[string]bool{"anxietyDisorder": true, "ssri": true}, systolic: 128, diastol: 82, consent: "countersigned",
		plan: &store.PlanInput{Drug: store.DrugEsketamine, Route: "intranasal", DoseMg: f64(56), Sessions: 8, IntervalDays: 3,
			Reason: "Treatment-resistant depression; esketamine twice weekly for four weeks. High susceptibility: trusted nurse present."}},
	{gad7: []int{1, 1, 1, 1, 1, 1, 0}, phq9: []int{1, 1, 1, 1, 1, 1, 1, 1, 0}, auditc: []int{2, 2, 1}, cssrs: []int{0, 0, -1, -1, -1, 0},
		history: map[string]bool{"substanceUse": true}, systolic: 138, diastol: 88, consent: "signed",
		plan: &store.PlanInput{Drug: store.DrugKetamine, Route: "iv", DoseMgPerKg: f64(0.5), WeightKg: f64(82), Sessions: 6, IntervalDays: 7,
			Reason: "Weekly IV infusions, six sessions, then review."}},
	{gad7: []int{1, 0, 1, 0, 1, 0, 0}, phq9: []int{1, 1, 1, 1, 1, 1, 1, 0, 0}, auditc: []int{1, 0, 0}, cssrs: []int{0, 0, -1, -1, -1, 0},
		history: map[string]bool{}, systolic: 118, diastol: 76, consent: "countersigned",
		plan: &store.PlanInput{Drug: store.DrugKetamine, Route: "im", DoseMg: f64(40), Sessions: 6, IntervalDays: 7,
			Reason: "PTSD: six weekly IM sessions alongside trauma-focused therapy."}},
	{gad7: []int{1, 1, 0, 1, 0, 1, 0}, phq9: []int{2, 2, 1, 2, 1, 1, 1, 1, 0}, auditc: []int{0, 0, 0}, cssrs: []int{0, 0, -1, -1, -1, 0},
		history: map[string]bool{"hypertension": true}, systolic: 184, diastol: 104},
}

// loadScreening adds the demo's screening data for the demo patients: a
// mix of low, moderate and high susceptibility, one patient whose blood
// pressure blocks dosing, consents (some countersigned) and plans.
func loadScreening(ctx context.Context, db *store.DB, patientIDs []int64) error {
	actor := func(email string) (ketacare.Actor, error) {
		u, _, err := db.UserByEmail(ctx, email)
		if err != nil {
			return ketacare.Actor{}, fmt.Errorf("demo account %s: %w", email, err)
		}
		return ketacare.Actor{UserID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, ClinicIDs: u.ClinicIDs}, nil
	}
	nurse, err := actor("nurse@demo.ketacare.test")
	if err != nil {
		return err
	}
	prescriber, err := actor("prescriber@demo.ketacare.test")
	if err != nil {
		return err
	}
	text, err := db.CurrentConsentText(ctx)
	if err != nil {
		return err
	}
	for i, d := range demoScreenings {
		if i >= len(patientIDs) {
			break
		}
		id := patientIDs[i]
		h := &store.HistoryAnswers{}
		for _, q := range store.HistoryQuestions {
			v := d.history[q.Name]
			h.Set(q.Name, &v)
		}
		sys, dia := d.systolic, d.diastol
		h.Systolic, h.Diastolic = &sys, &dia
		inputs := []store.AssessmentInput{
			{Instrument: "gad7", Answers: d.gad7}, {Instrument: "phq9", Answers: d.phq9}, {Instrument: "auditc", Answers: d.auditc},
			{Instrument: "cssrs", Answers: d.cssrs}, {Instrument: "history", History: h},
		}
		if _, err := db.RecordAssessments(ctx, nurse, id, inputs); err != nil {
			return fmt.Errorf("demo screening of patient %d: %w", id, err)
		}
		if d.consent != "" {
			p, err := db.Patient(ctx, nurse, id)
			if err != nil {
				return err
			}
			c, err := db.SignConsent(ctx, nurse, id, text.Version, p.GivenName+" "+p.FamilyName)
			if err != nil {
				return fmt.Errorf("demo consent of patient %d: %w", id, err)
			}
			if d.consent == "countersigned" {
				if _, err := db.Countersign(ctx, prescriber, id, c.ID); err != nil {
					return err
				}
			}
		}
		if d.plan != nil {
			if _, _, err := db.SavePlan(ctx, prescriber, id, *d.plan); err != nil {
				return fmt.Errorf("demo plan of patient %d: %w", id, err)
			}
		}
	}
	return nil
}
