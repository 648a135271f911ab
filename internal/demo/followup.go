package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/auth"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/store"
)

// PatientAccountEmail is the demo patient account: Priya Shah, who can
// read her own timeline (password Password).
const PatientAccountEmail = "patient@demo.ketacare.test"

// loadFollowup adds the demo's follow-up: Priya Shah's dosing session two
// days ago, with anxiety that rose in the session and was still raised at
// the +24 h check-in (so a review is open for the prescriber), check-ins
// scheduled for every discharged demo session, and Priya's patient
// account.
func loadFollowup(ctx context.Context, db *store.DB, patientIDs []int64) error {
	if len(patientIDs) < 4 {
		return nil
	}
	nurse, err := demoActor(ctx, db, "nurse@demo.ketacare.test")
	if err != nil {
		return err
	}
	priya := patientIDs[3]
	dose := time.Now().UTC().Add(-47 * time.Hour).Truncate(time.Minute)
	infusionEnd := dose.Add(40 * time.Minute)
	discharged := dose.Add(100 * time.Minute)
	ratings := []struct {
		min, nrs int
	}{{-10, 3}, {20, 7}, {40, 6}, {70, 5}, {95, 5}}
	// The session is written as it happened: the database clock is moved
	// to each moment, as for the other demo sessions.
	realNow := db.Now
	defer func() { db.Now = realNow }()
	at := func(t time.Time) { db.Now = func() time.Time { return t } }
	var sid int64
	at(dose.Add(-15 * time.Minute))
	err = db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.PatientFor(ctx, nurse, priya, "demo.load"); err != nil {
			return err
		}
		s, err := tx.InsertDosingSession(ctx, nurse, store.NewDosingSession{PatientID: priya, ClinicID: nurse.HomeClinic(), Drug: "ketamine",
			Route: clinical.RouteIV, DoseMg: 35, Protocol: 1})
		sid = s.ID
		return err
	})
	var sess store.DosingSession
	var obs []clinical.Observation
	var warning store.Alert
	for i, r := range ratings {
		if err != nil {
			break
		}
		t := dose.Add(time.Duration(r.min) * time.Minute)
		at(t)
		err = db.Update(ctx, func(tx *store.Tx) error {
			var err error
			if sess, err = tx.SessionByID(ctx, sid); err != nil {
				return err
			}
			switch {
			case i == 1: // the first reading after the dose, marked given at its time
				if err := tx.MarkDose(ctx, nurse, &sess, dose, nil); err != nil {
					return err
				}
			case r.min == 40: // the infusion has just ended
				if err := tx.MarkDose(ctx, nurse, &sess, dose, &infusionEnd); err != nil {
					return err
				}
			}
			o := clinical.Observation{At: t, Systolic: new(126 + r.nrs), Diastolic: new(80), Pulse: new(72 + r.nrs), SpO2: new(98), RespRate: new(14),
				Anxiety: new(r.nrs), MOAAS: new(5), Consciousness: "A", OnOxygen: new(false)}
			obs = append(obs, o)
			rec := &store.ObservationRecord{SessionID: sid, Observation: o, Source: "web", RecordedBy: nurse.UserID, ProtocolVersion: 1}
			if err := tx.InsertObservation(ctx, rec); err != nil {
				return err
			}
			switch r.min {
			case 20:
				warning, err = tx.RaiseAlert(ctx, nurse, sess, clinical.Firing{Rule: clinical.RuleAnxietyWarning, Tier: clinical.TierWarning,
					Message: "Anxiety 7: warning", Value: "7", At: t}, rec.ID, 1)
				if err == nil {
					err = tx.AcknowledgeAlert(ctx, nurse, &warning)
				}
				return err
			case 40:
				return tx.ClearAlert(ctx, warning.ID)
			}
			return nil
		})
	}
	if err == nil {
		// Signed outside the gate: the anxiety had not come back to within
		// one point of the baseline.
		at(discharged)
		err = db.Update(ctx, func(tx *store.Tx) error {
			pv, err := tx.CurrentProtocol(ctx)
			if err != nil {
				return err
			}
			if err := tx.SetDischargeChecks(ctx, nurse, &sess, true, true); err != nil {
				return err
			}
			gate := clinical.DischargeGate(pv.Protocol.Discharge, clinical.DischargeInput{Route: clinical.RouteIV, DoseEndAt: infusionEnd,
				Baseline: obs[0], Observations: obs, EscortConfirmed: true, DrivingAdviceGiven: true, Now: discharged})
			reason := ""
			if !gate.Pass {
				reason = "Anxiety 5 and easing; her partner took her home and will call if it worsens."
			}
			return tx.RecordDischarge(ctx, nurse, &sess, gate, pv.Version, reason)
		})
	}
	db.Now = realNow
	if err != nil {
		return fmt.Errorf("demo follow-up session: %w", err)
	}
	if _, err := db.FollowupPass(ctx, "http://127.0.0.1:8080"); err != nil {
		return fmt.Errorf("demo follow-up: %w", err)
	}
	_, list, err := db.SessionFollowup(ctx, nurse, sid)
	if err != nil || len(list) == 0 {
		return fmt.Errorf("demo check-ins: %v", err)
	}
	token, _, err := db.StaffCheckinLink(ctx, nurse, list[0].ID)
	if err != nil {
		return err
	}
	no := false
	if _, err := db.SubmitCheckin(ctx, token, "demo", "demo", store.CheckinAnswers{NRS: new(7), WantCallback: &no,
		OwnWords: "Still on edge since Tuesday, and not sleeping well."}); err != nil {
		return fmt.Errorf("demo check-in: %w", err)
	}
	hash, err := auth.HashPassword(Password)
	if err != nil {
		return err
	}
	if _, err := db.CreatePatientAccount(ctx, nurse, priya, PatientAccountEmail, hash); err != nil && ketacare.ErrorCode(err) != ketacare.ECONFLICT {
		return fmt.Errorf("demo patient account: %w", err)
	}
	return nil
}
