package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
)

// TimelineSession is one dosing session on a patient's timeline, with its
// anxiety ratings and classification.
type TimelineSession struct {
	Session        DosingSession
	BaselineNRS    *int
	PeakNRS        *int
	DischargeNRS   *int
	Classification *StoredClassification
}

// Timeline is a patient's follow-up record: sessions, check-ins, GAD-7 and
// PHQ-9 scores, classifications and review decisions, oldest first, and
// the treatment plan's revisions, newest first.
type Timeline struct {
	Patient  ketacare.Patient
	Sessions []TimelineSession
	Checkins []Checkin
	GAD7     []Assessment
	PHQ9     []Assessment
	Reviews  []Review
	Plans    []Plan
}

// Timeline returns a patient's timeline, audited as a read: for staff of
// the patient's clinic, and for the patient themself.
func (db *DB) Timeline(ctx context.Context, a ketacare.Actor, patientID int64) (Timeline, error) {
	var t Timeline
	err := db.Update(ctx, func(tx *Tx) error {
		p, err := tx.PatientFor(ctx, a, patientID, "timeline.read")
		if err != nil {
			return err
		}
		t, err = tx.timeline(ctx, p)
		return err
	})
	return t, db.recordDenied(ctx, err)
}

func (tx *Tx) timeline(ctx context.Context, p ketacare.Patient) (Timeline, error) {
	t := Timeline{Patient: p}
	sessions, err := tx.SessionsOfPatient(ctx, p.ID)
	if err != nil {
		return t, err
	}
	for i := len(sessions) - 1; i >= 0; i-- { // oldest first
		s := sessions[i]
		ts := TimelineSession{Session: s}
		if s.DoseAt != nil {
			in, err := tx.ClassificationInput(ctx, s)
			if err != nil {
				return t, err
			}
			ts.BaselineNRS = in.BaselineNRS
			for _, o := range in.Observations {
				if ts.PeakNRS == nil || o.NRS > *ts.PeakNRS {
					v := o.NRS
					ts.PeakNRS = &v
				}
			}
			if in.Discharge != nil {
				v := in.Discharge.NRS
				ts.DischargeNRS = &v
			}
			sc, err := tx.storedClassification(ctx, s.ID)
			if err == nil {
				ts.Classification = &sc
			} else if !errors.Is(err, sql.ErrNoRows) {
				return t, err
			}
		}
		t.Sessions = append(t.Sessions, ts)
	}
	if t.Checkins, err = tx.followupCheckins(ctx, "patient_id = ? ORDER BY due_at, id", p.ID); err != nil {
		return t, err
	}
	if t.GAD7, err = tx.followupScores(ctx, p.ID, clinical.InstrumentGAD7); err != nil {
		return t, err
	}
	if t.PHQ9, err = tx.followupScores(ctx, p.ID, clinical.InstrumentPHQ9); err != nil {
		return t, err
	}
	if t.Reviews, err = tx.followupReviews(ctx, "r.patient_id = ? ORDER BY r.id", p.ID); err != nil {
		return t, err
	}
	t.Plans, err = tx.plans(ctx, p.ID)
	return t, err
}

// SessionFollowup returns a session's check-ins, scheduling them first
// when the session was discharged and the background pass has not yet
// done so; audited as a read.
func (db *DB) SessionFollowup(ctx context.Context, a ketacare.Actor, sessionID int64) (DosingSession, []Checkin, error) {
	var s DosingSession
	var list []Checkin
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		s, _, err = tx.DosingSessionFor(ctx, a, sessionID, "followup.read")
		if err != nil {
			return err
		}
		if s.Status == SessionDischarged && s.DoseAt != nil {
			list, err = tx.ScheduleFollowup(ctx, s)
			return err
		}
		return nil
	})
	return s, list, db.recordDenied(ctx, err)
}

// StaffCheckinLink makes a new link for a check-in for staff to give the
// patient (shown once), while the check-in is open.
func (db *DB) StaffCheckinLink(ctx context.Context, a ketacare.Actor, checkinID int64) (string, Checkin, error) {
	var token string
	var c Checkin
	err := db.Update(ctx, func(tx *Tx) error {
		list, err := tx.followupCheckins(ctx, "id = ?", checkinID)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return deny(Event{Actor: a, Action: "checkin.link", Detail: fmt.Sprintf("no check-in %d", checkinID)}, notFound("Check-in"))
		}
		c = list[0]
		if _, err := tx.PatientFor(ctx, a, c.PatientID, "checkin.link"); err != nil {
			return NotFoundAs(err, "Check-in")
		}
		if c.Status == CheckinCompleted || c.Status == CheckinMissed {
			return ketacare.Errorf(ketacare.ECONFLICT, "This check-in is %s.", c.Status)
		}
		token, _, err = tx.CheckinLink(ctx, a, c)
		return err
	})
	return token, c, db.recordDenied(ctx, err)
}

// CreatePatientAccount gives a patient an account (role patient) that can
// read the patient's own timeline and nothing else. Staff of the patient's
// clinic create it with the patient's email and a password hash.
func (db *DB) CreatePatientAccount(ctx context.Context, a ketacare.Actor, patientID int64, email, passwordHash string) (ketacare.User, error) {
	if !a.Role.Clinical() {
		return ketacare.User{}, ketacare.Errorf(ketacare.EFORBIDDEN, "Only clinical staff create patient accounts.")
	}
	var p ketacare.Patient
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		p, err = tx.PatientFor(ctx, a, patientID, "patient-account.create")
		if err != nil {
			return err
		}
		var n int
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM users WHERE patient_id = ?", p.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ketacare.Errorf(ketacare.ECONFLICT, "This patient already has an account.")
		}
		return nil
	})
	if err != nil {
		return ketacare.User{}, db.recordDenied(ctx, err)
	}
	return db.CreateUser(ctx, a, NewUser{Email: email, Name: p.GivenName + " " + p.FamilyName, Role: ketacare.RolePatient,
		ClinicIDs: []int64{p.ClinicID}, PatientID: p.ID, PasswordHash: passwordHash})
}

// PatientAccount returns the account of a patient, if any (ok false
// otherwise). The caller has authorised the access.
func (db *DB) PatientAccount(ctx context.Context, patientID int64) (ketacare.User, bool, error) {
	var u ketacare.User
	var email string
	err := db.View(ctx, func(tx *Tx) error {
		return tx.queryRow(ctx, "SELECT id, email, disabled FROM users WHERE patient_id = ? AND role = ?", patientID, string(ketacare.RolePatient)).
			Scan(&u.ID, &email, &u.Disabled)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return u, false, nil
	}
	u.Email, u.PatientID, u.Role = strings.ToLower(email), patientID, ketacare.RolePatient
	return u, err == nil, err
}
