package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ketacare/ketacare"
)

// PurposeAccount is the link with which a patient chooses the password of
// the account the clinic made for them: staff never know it.
const PurposeAccount = "account"

// AccountLinkTTL is how long an account link stays open.
const AccountLinkTTL = 72 * time.Hour

// InvitePatientAccount makes a link for the patient's account, with which
// the patient chooses its password (a first one, or a new one after
// forgetting it). Earlier account links of the patient that are still open
// are withdrawn: only the newest works. The account must exist.
func (db *DB) InvitePatientAccount(ctx context.Context, a ketacare.Actor, patientID int64) (string, PatientLink, error) {
	var token string
	var l PatientLink
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		if token, l, err = tx.CreatePatientLink(ctx, a, patientID, PurposeAccount, AccountLinkTTL); err != nil {
			return err // not the actor's patient, among others
		}
		var n int
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM users WHERE patient_id = ? AND role = ?", patientID, string(ketacare.RolePatient)).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ketacare.Errorf(ketacare.ECONFLICT, "This patient has no account yet: create it first.")
		}
		res, err := tx.exec(ctx, "UPDATE patient_links SET revoked_at = ?, revoked_by = ? WHERE patient_id = ? AND purpose = ? AND id <> ? AND used_at IS NULL AND revoked_at IS NULL",
			tx.Now, a.UserID, patientID, PurposeAccount, l.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return tx.Audit(ctx, Event{Actor: a, Action: "link.revoke", ClinicID: l.ClinicID, PatientID: patientID,
			Detail: fmt.Sprintf("earlier account links, replaced by link %d", l.ID)})
	})
	return token, l, db.recordDenied(ctx, err)
}

// SetPatientPassword redeems an account link: the patient's account gets
// the password hash, and every signed-in session of the account ends. The
// change is audited with the link as the actor.
func (db *DB) SetPatientPassword(ctx context.Context, token, passwordHash, clientAddr, requestID string) (ketacare.User, error) {
	var u ketacare.User
	err := db.WithLink(ctx, token, PurposeAccount, clientAddr, requestID, func(tx *Tx, l PatientLink, a ketacare.Actor) error {
		if err := tx.queryRow(ctx, "SELECT id, email FROM users WHERE patient_id = ? AND role = ?", l.PatientID, string(ketacare.RolePatient)).
			Scan(&u.ID, &u.Email); err != nil {
			return fmt.Errorf("finding the patient's account: %w", err)
		}
		u.PatientID, u.Role = l.PatientID, ketacare.RolePatient
		if _, err := tx.exec(ctx, "UPDATE users SET password_hash = ? WHERE id = ?", passwordHash, u.ID); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "DELETE FROM auth_sessions WHERE user_id = ?", u.ID); err != nil {
			return err
		}
		return tx.Audit(ctx, Event{Actor: a, Action: "patient-account.password", ClinicID: l.ClinicID, PatientID: l.PatientID,
			Detail: fmt.Sprintf("account %d, through link %d", u.ID, l.ID)})
	})
	return u, err
}
