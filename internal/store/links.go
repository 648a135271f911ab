package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/auth"
)

// PatientLink is a single-use, expiring link that lets a patient do one
// thing (its purpose, e.g. "screening" or "consent") without an account.
// The raw token is shown once, when the link is created; the database keeps
// only its SHA-256, so a copy of the database opens no link.
type PatientLink struct {
	ID        int64
	PatientID int64
	ClinicID  int64
	Purpose   string
	CreatedBy int64 // 0 when another link created it (a follow-on step)
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
	RevokedAt *time.Time // withdrawn by the clinic before it was used
}

// linkColumns are read by scanLink.
const linkColumns = "id, patient_id, clinic_id, purpose, created_by, created_at, expires_at, used_at, revoked_at"

func scanLink(s interface{ Scan(...any) error }) (PatientLink, error) {
	var l PatientLink
	var used, revoked sql.NullTime
	if err := s.Scan(&l.ID, &l.PatientID, &l.ClinicID, &l.Purpose, &l.CreatedBy, &l.CreatedAt, &l.ExpiresAt, &used, &revoked); err != nil {
		return l, err
	}
	l.CreatedAt, l.ExpiresAt = l.CreatedAt.UTC(), l.ExpiresAt.UTC()
	if used.Valid {
		t := used.Time.UTC()
		l.UsedAt = &t
	}
	if revoked.Valid {
		t := revoked.Time.UTC()
		l.RevokedAt = &t
	}
	return l, nil
}

// Link purposes used by screening and consent.
const (
	PurposeScreening      = "screening"
	PurposeScreeningCSSRS = "screening-cssrs" // the C-SSRS step that follows a PHQ-9 item 9 above 0
	PurposeConsent        = "consent"
)

// LinkGoneError is returned for a link that exists but was used, withdrawn
// or has expired: the surfaces answer 410 Gone with a page that says which.
type LinkGoneError struct {
	Used    bool
	Revoked bool // neither: expired
}

// Error implements error.
func (e *LinkGoneError) Error() string {
	switch {
	case e.Used:
		return "This link has already been used."
	case e.Revoked:
		return "The clinic has withdrawn this link."
	}
	return "This link has expired."
}

// errLinkUnknown is the answer to a token that matches no link of the
// purpose: a guessed, mistyped or other-purpose token.
func errLinkUnknown() error {
	return ketacare.Errorf(ketacare.ENOTFOUND, "This link is not valid. Check that you copied all of it, or ask the clinic for a new one.")
}

// validPurpose keeps purposes to short lowercase-hyphen codes.
func validPurpose(p string) bool {
	if p == "" || len(p) > 40 {
		return false
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// LinkActor is the actor recorded in the audit log for what is done
// through a link: the patient the link belongs to, named "link:ID" (no
// account), so audit entries say which link was used.
func LinkActor(l PatientLink, clientAddr, requestID string) ketacare.Actor {
	return ketacare.Actor{Email: fmt.Sprintf("link:%d", l.ID), Name: "Patient (link)", Role: ketacare.RolePatient,
		PatientID: l.PatientID, ClinicIDs: []int64{l.ClinicID}, ClientAddr: clientAddr, RequestID: requestID}
}

// CreatePatientLink creates a link for one of the patient's tasks, valid
// for ttl, and returns the raw token (shown once; build the URL from it).
// The actor must be able to see the patient; the creation is audited.
func (db *DB) CreatePatientLink(ctx context.Context, a ketacare.Actor, patientID int64, purpose string, ttl time.Duration) (string, PatientLink, error) {
	var token string
	var l PatientLink
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		token, l, err = tx.CreatePatientLink(ctx, a, patientID, purpose, ttl)
		return err
	})
	return token, l, db.recordDenied(ctx, err)
}

// CreatePatientLink is CreatePatientLink inside a transaction. A link
// actor (a follow-on step of a link) may create links for its own patient.
func (tx *Tx) CreatePatientLink(ctx context.Context, a ketacare.Actor, patientID int64, purpose string, ttl time.Duration) (string, PatientLink, error) {
	if !validPurpose(purpose) {
		return "", PatientLink{}, fmt.Errorf("link purpose %q is not a lowercase-hyphen code", purpose)
	}
	if ttl <= 0 {
		return "", PatientLink{}, fmt.Errorf("link lifetime must be positive")
	}
	p, err := tx.PatientFor(ctx, a, patientID, "link.create")
	if err != nil {
		return "", PatientLink{}, err
	}
	token := auth.RandomToken(32)
	l := PatientLink{PatientID: p.ID, ClinicID: p.ClinicID, Purpose: purpose, CreatedBy: a.UserID, CreatedAt: tx.Now, ExpiresAt: tx.Now.Add(ttl)}
	l.ID, err = tx.insert(ctx, `INSERT INTO patient_links (token_hash, patient_id, clinic_id, purpose, created_by, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, auth.HashToken(token), l.PatientID, l.ClinicID, l.Purpose, l.CreatedBy, l.CreatedAt, l.ExpiresAt)
	if err != nil {
		return "", l, fmt.Errorf("inserting link: %w", err)
	}
	return token, l, tx.Audit(ctx, Event{Actor: a, Action: "link.create", ClinicID: p.ClinicID, PatientID: p.ID,
		Detail: fmt.Sprintf("link %d for %s, expires %s", l.ID, purpose, l.ExpiresAt.Format(time.RFC3339))})
}

// PatientLink checks a token without using it: the link when it exists for
// this purpose and is still open; a not-found error for an unknown token
// or one made for another purpose; a *LinkGoneError when it was used or
// has expired.
func (db *DB) PatientLink(ctx context.Context, token, purpose string) (PatientLink, error) {
	var l PatientLink
	err := db.View(ctx, func(tx *Tx) error {
		var err error
		l, err = tx.PatientLink(ctx, token, purpose)
		return err
	})
	return l, err
}

// OpenPatientLink checks a token without using it, as PatientLink, and
// audits the opening against the link's patient ("link.open"): the page it
// opens shows something of the patient's record.
func (db *DB) OpenPatientLink(ctx context.Context, token, purpose, clientAddr, requestID string) (PatientLink, error) {
	var l PatientLink
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		if l, err = tx.PatientLink(ctx, token, purpose); err != nil {
			return err
		}
		return tx.auditLinkOpen(ctx, l, clientAddr, requestID)
	})
	return l, err
}

func (tx *Tx) auditLinkOpen(ctx context.Context, l PatientLink, clientAddr, requestID string) error {
	return tx.Audit(ctx, Event{Actor: LinkActor(l, clientAddr, requestID), Action: "link.open", ClinicID: l.ClinicID, PatientID: l.PatientID,
		Detail: fmt.Sprintf("link %d (%s)", l.ID, l.Purpose)})
}

// PatientLink is PatientLink inside a transaction.
func (tx *Tx) PatientLink(ctx context.Context, token, purpose string) (PatientLink, error) {
	return tx.findLink(ctx, token, purpose, false)
}

func (tx *Tx) findLink(ctx context.Context, token, purpose string, lock bool) (PatientLink, error) {
	token = strings.TrimSpace(token)
	if token == "" || len(token) > 200 {
		return PatientLink{}, errLinkUnknown()
	}
	q := "SELECT " + linkColumns + " FROM patient_links WHERE token_hash = ? AND purpose = ?"
	if lock && tx.dialect == Postgres {
		q += " FOR UPDATE"
	}
	l, err := scanLink(tx.queryRow(ctx, q, auth.HashToken(token), purpose))
	if errors.Is(err, sql.ErrNoRows) {
		return l, errLinkUnknown()
	}
	if err != nil {
		return l, err
	}
	if l.UsedAt != nil {
		return l, &LinkGoneError{Used: true}
	}
	if l.RevokedAt != nil {
		return l, &LinkGoneError{Revoked: true}
	}
	if !tx.Now.Before(l.ExpiresAt) {
		return l, &LinkGoneError{}
	}
	return l, nil
}

// UseLink redeems a link inside the caller's transaction: it must be open
// (see PatientLink), and it is marked used, so a second use fails even when
// two requests race. The use is audited with the link actor. When the
// caller's transaction rolls back (say, a form had errors), the link stays
// open.
func (tx *Tx) UseLink(ctx context.Context, token, purpose, clientAddr, requestID string) (PatientLink, error) {
	l, err := tx.findLink(ctx, token, purpose, true)
	if err != nil {
		return l, err
	}
	res, err := tx.exec(ctx, "UPDATE patient_links SET used_at = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL", tx.Now, l.ID)
	if err != nil {
		return l, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return l, err
	} else if n != 1 {
		return l, &LinkGoneError{Used: true}
	}
	now := tx.Now
	l.UsedAt = &now
	return l, tx.Audit(ctx, Event{Actor: LinkActor(l, clientAddr, requestID), Action: "link.use", ClinicID: l.ClinicID,
		PatientID: l.PatientID, Detail: fmt.Sprintf("link %d for %s", l.ID, purpose)})
}

// PatientLinks lists the links made for a patient, newest first (never the
// tokens), audited as a read.
func (db *DB) PatientLinks(ctx context.Context, a ketacare.Actor, patientID int64) ([]PatientLink, error) {
	var out []PatientLink
	err := db.Update(ctx, func(tx *Tx) error {
		if _, err := tx.PatientFor(ctx, a, patientID, "link.list"); err != nil {
			return err
		}
		var err error
		out, err = queryList(ctx, tx, scanLink, "SELECT "+linkColumns+" FROM patient_links WHERE patient_id = ? ORDER BY id DESC LIMIT 50", patientID)
		return err
	})
	return out, db.recordDenied(ctx, err)
}

// RevokePatientLink withdraws a link that was not used yet, so that it
// opens nothing (it was sent to the wrong address, say). The actor must be
// able to see the patient; the withdrawal is audited. Withdrawing a
// withdrawn link changes nothing; a used link cannot be withdrawn.
func (db *DB) RevokePatientLink(ctx context.Context, a ketacare.Actor, linkID int64) (PatientLink, error) {
	var l PatientLink
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		l, err = scanLink(tx.queryRow(ctx, "SELECT "+linkColumns+" FROM patient_links WHERE id = ?", linkID))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("Link")
		}
		if err != nil {
			return err
		}
		p, err := scanPatient(tx.queryRow(ctx, "SELECT "+patientColumns+" FROM patients WHERE id = ?", l.PatientID))
		if err != nil {
			return err
		}
		if !CanSeePatient(a, p) { // another clinic's link is not there
			return deny(Event{Actor: a, Action: "link.revoke", PatientID: p.ID, ClinicID: p.ClinicID,
				Detail: fmt.Sprintf("link %d outside the actor's clinics", l.ID)}, notFound("Link"))
		}
		switch {
		case l.UsedAt != nil:
			return ketacare.Errorf(ketacare.ECONFLICT, "The link was already used on %s; a used link cannot be withdrawn.", ukTime(*l.UsedAt))
		case l.RevokedAt != nil:
			return nil
		}
		if _, err := tx.exec(ctx, "UPDATE patient_links SET revoked_at = ?, revoked_by = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL",
			tx.Now, a.UserID, l.ID); err != nil {
			return err
		}
		now := tx.Now
		l.RevokedAt = &now
		return tx.Audit(ctx, Event{Actor: a, Action: "link.revoke", ClinicID: l.ClinicID, PatientID: l.PatientID,
			Detail: fmt.Sprintf("link %d for %s", l.ID, l.Purpose)})
	})
	return l, db.recordDenied(ctx, err)
}

// WithLink redeems a link and runs fn in the same transaction with the
// link and its actor (see LinkActor): what fn writes and the link's use
// commit together, or not at all, so a form with errors leaves the link
// open. A used, expired or unknown link fails before fn runs.
func (db *DB) WithLink(ctx context.Context, token, purpose, clientAddr, requestID string, fn func(tx *Tx, l PatientLink, a ketacare.Actor) error) error {
	err := db.Update(ctx, func(tx *Tx) error {
		l, err := tx.UseLink(ctx, token, purpose, clientAddr, requestID)
		if err != nil {
			return err
		}
		return fn(tx, l, LinkActor(l, clientAddr, requestID))
	})
	return db.recordDenied(ctx, err)
}
