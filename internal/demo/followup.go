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
	ratings := []struct {
		min, nrs int
	}{{-10, 3}, {20, 7}, {40, 6}, {70, 5}}
	var sid int64
	err = db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.PatientFor(ctx, nurse, priya, "demo.load"); err != nil {
			return err
		}
		s, err := tx.InsertDosingSession(ctx, nurse, store.NewDosingSession{PatientID: priya, ClinicID: nurse.HomeClinic(), Drug: "ketamine",
			Route: clinical.RouteIV, DoseMg: 35, Protocol: 1})
		if err != nil {
			return err
		}
		sid = s.ID
		if err := tx.MarkDose(ctx, nurse, &s, dose, nil); err != nil {
			return err
		}
		for _, r := range ratings {
			rec := &store.ObservationRecord{SessionID: s.ID, Observation: clinical.Observation{At: dose.Add(time.Duration(r.min) * time.Minute),
				Anxiety: new(r.nrs)}, Source: "web", RecordedBy: nurse.UserID, ProtocolVersion: 1}
			if err := tx.InsertObservation(ctx, rec); err != nil {
				return err
			}
			if r.min == 20 {
				if _, err := tx.RaiseAlert(ctx, nurse, s, clinical.Firing{Rule: clinical.RuleAnxietyWarning, Tier: clinical.TierWarning,
					Message: "Anxiety 7: warning", Value: "7", At: rec.At}, rec.ID, 1); err != nil {
					return err
				}
			}
		}
		return tx.RecordDischarge(ctx, nurse, &s, clinical.GateResult{Pass: true}, 1, "")
	})
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
