package store

import (
	"context"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
)

// DosingPlan is what the patient's current treatment plan prescribes for a
// session.
type DosingPlan struct {
	Drug   string
	Route  clinical.Route
	DoseMg float64
}

// DosingGate is what the screening, consent and treatment plan records say
// about dosing a patient now: the plan to dose from (nil when there is
// none) and every reason dosing is refused.
type DosingGate struct {
	Plan    *DosingPlan
	Blocked []string
}

// DosingGateFor reads the patient's dosing gate from the screening,
// consent and plan records (DosingBlocked and CurrentPlan). Opening a
// dosing session is refused while Blocked is not empty. It reads without
// auditing: call it inside a transaction that loaded the patient with
// PatientFor.
func (tx *Tx) DosingGateFor(ctx context.Context, patientID int64) (DosingGate, error) {
	var g DosingGate
	blocked, err := tx.DosingBlocked(ctx, patientID)
	if err != nil {
		return g, err
	}
	g.Blocked = blocked
	plan, err := tx.CurrentPlan(ctx, patientID)
	switch {
	case err == nil:
		g.Plan = &DosingPlan{Drug: plan.Drug, Route: plan.Route, DoseMg: plan.DoseMg}
	case ketacare.ErrorCode(err) != ketacare.ENOTFOUND:
		return g, err
	}
	return g, nil
}
