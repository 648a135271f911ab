package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ketacare/ketacare"
)

// OnDuty is a prescriber on duty in a clinic.
type OnDuty struct {
	UserID int64     `json:"userId"`
	Name   string    `json:"name"` // the email when the account has no name
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until"` // when the duty ends by itself (the protocol's alerts.dutyHours after Since)
}

// SetOnDuty puts a prescriber of the clinic on duty there, or takes them
// off it. Prescribers go on and off duty themselves; the clinic's
// administrator may take anyone off duty (someone who left without doing
// so), but puts no one on. Another clinic answers as not found. A change is
// audited (duty.start, duty.end); asking for the state already held
// changes nothing.
func (db *DB) SetOnDuty(ctx context.Context, a ketacare.Actor, clinicID, userID int64, on bool) error {
	action := "duty.end"
	if on {
		action = "duty.start"
	}
	return db.Update(ctx, func(tx *Tx) error {
		if !a.Role.Clinical() || !a.InClinic(clinicID) {
			return deny(Event{Actor: a, Action: action, ClinicID: clinicID, Detail: "outside the actor's clinics"}, notFound("Clinic"))
		}
		self := userID == a.UserID && a.Role == ketacare.RolePrescriber
		if !self && !(a.Role == ketacare.RoleAdmin && !on) {
			return deny(Event{Actor: a, Action: action, ClinicID: clinicID, Detail: fmt.Sprintf("user %d", userID)},
				ketacare.Errorf(ketacare.EFORBIDDEN, "Prescribers go on duty themselves; an administrator may only take someone off duty."))
		}
		var role ketacare.Role
		var disabled bool
		err := tx.queryRow(ctx, `SELECT u.role, u.disabled FROM users u JOIN user_clinics c ON c.user_id = u.id
			WHERE u.id = ? AND c.clinic_id = ?`, userID, clinicID).Scan(&role, &disabled)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("Prescriber")
		}
		if err != nil {
			return err
		}
		if on && (role != ketacare.RolePrescriber || disabled) {
			return ketacare.Errorf(ketacare.ECONFLICT, "Only an enabled prescriber can be on duty.")
		}
		// A duty that has run its hours, not yet ended by the background
		// check, gives way to the new one.
		pv, err := tx.CurrentProtocol(ctx)
		if err != nil {
			return err
		}
		expired := tx.Now.Add(-time.Duration(pv.Protocol.Monitoring.Alerts.DutyHours) * time.Hour)
		q := "UPDATE user_clinics SET on_duty_since = ? WHERE user_id = ? AND clinic_id = ? AND (on_duty_since IS NULL OR on_duty_since <= ?)"
		args := []any{tx.Now, userID, clinicID, expired}
		if !on {
			q = "UPDATE user_clinics SET on_duty_since = NULL WHERE user_id = ? AND clinic_id = ? AND on_duty_since IS NOT NULL"
			args = args[1:3]
		}
		res, err := tx.exec(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return tx.Audit(ctx, Event{Actor: a, Action: action, ClinicID: clinicID, Detail: fmt.Sprintf("user %d", userID)})
	})
}

// ClinicOnDuty lists the clinic's enabled prescribers on duty, longest on
// duty first; a duty lasts dutyHours.
func (tx *Tx) ClinicOnDuty(ctx context.Context, clinicID int64, dutyHours int) ([]OnDuty, error) {
	return queryList(ctx, tx, func(s scanner) (OnDuty, error) {
		var d OnDuty
		var email string
		err := s.Scan(&d.UserID, &d.Name, &email, &d.Since)
		if d.Name == "" {
			d.Name = email
		}
		d.Since = d.Since.UTC()
		d.Until = d.Since.Add(time.Duration(dutyHours) * time.Hour)
		return d, err
	}, `SELECT u.id, u.name, u.email, c.on_duty_since FROM users u JOIN user_clinics c ON c.user_id = u.id
		WHERE c.clinic_id = ? AND c.on_duty_since IS NOT NULL AND u.role = ? AND u.disabled = ?
		ORDER BY c.on_duty_since, u.id`, clinicID, string(ketacare.RolePrescriber), false)
}

// OnDutyIn lists the prescribers on duty in a clinic of the actor's (staff
// of another clinic get not found). It names staff only, so it is not
// audited.
func (db *DB) OnDutyIn(ctx context.Context, a ketacare.Actor, clinicID int64) ([]OnDuty, error) {
	if !a.Role.Clinical() || !a.InClinic(clinicID) {
		return nil, notFound("Clinic")
	}
	var out []OnDuty
	err := db.View(ctx, func(tx *Tx) error {
		pv, err := tx.CurrentProtocol(ctx)
		if err != nil {
			return err
		}
		out, err = tx.ClinicOnDuty(ctx, clinicID, pv.Protocol.Monitoring.Alerts.DutyHours)
		return err
	})
	if out == nil {
		out = []OnDuty{}
	}
	return out, err
}

// EndedDuty is a duty that ended by itself.
type EndedDuty struct {
	ClinicID, UserID int64
	Since            time.Time
}

// EndLongDuties ends every duty begun dutyHours ago or longer (the
// protocol's alerts.dutyHours), so that escalations do not go on to a
// prescriber who left without going off duty. Each is audited as duty.end
// by a (the monitoring job) and ended once, however many processes do this
// at the same time.
func (db *DB) EndLongDuties(ctx context.Context, a ketacare.Actor, dutyHours int) ([]EndedDuty, error) {
	var ended []EndedDuty
	err := db.Update(ctx, func(tx *Tx) error {
		ended = nil
		cutoff := tx.Now.Add(-time.Duration(dutyHours) * time.Hour)
		due, err := queryList(ctx, tx, func(s scanner) (d EndedDuty, err error) {
			err = s.Scan(&d.ClinicID, &d.UserID, &d.Since)
			d.Since = d.Since.UTC()
			return d, err
		}, "SELECT clinic_id, user_id, on_duty_since FROM user_clinics WHERE on_duty_since <= ? ORDER BY clinic_id, user_id", cutoff)
		if err != nil {
			return err
		}
		for _, d := range due {
			res, err := tx.exec(ctx, "UPDATE user_clinics SET on_duty_since = NULL WHERE clinic_id = ? AND user_id = ? AND on_duty_since <= ?",
				d.ClinicID, d.UserID, cutoff)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if n == 0 {
				continue // ended, or begun again, meanwhile
			}
			if err := tx.Audit(ctx, Event{Actor: a, Action: "duty.end", ClinicID: d.ClinicID,
				Detail: fmt.Sprintf("user %d: on duty since %s, ended after %d hours", d.UserID, d.Since.Format(time.RFC3339), dutyHours)}); err != nil {
				return err
			}
			ended = append(ended, d)
		}
		return nil
	})
	return ended, err
}
