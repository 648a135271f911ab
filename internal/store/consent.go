package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ketacare/ketacare"
)

// DefaultConsentText is the consent text a clinic starts with (version 1),
// until an admin writes its own.
const DefaultConsentText = `Consent to treatment with ketamine or esketamine

Please read this carefully and ask us about anything that is not clear. You can stop treatment at any time.

What can happen during and after treatment
- Anxiety. Many people feel anxious, restless or panicky while the medicine works. This is usually transient: it passes within hours, by the time you go home. For some people anxiety is persistent: it lasts days or longer after the session. Tell us if you feel anxious after you get home; we will ask you how you are at set times after each session, and you can ask for a call back at any time, day or night.
- Dissociation: feeling detached from your body or surroundings, or that things are not real. This is expected and usually passes within two hours.
- Raised blood pressure. Blood pressure usually rises during treatment, most around 40 minutes after a dose. We check it before, during and after each session.
- Sedation: feeling sleepy or less responsive. We watch you until you are fully alert.
- Nausea, dizziness and headache.
- Bladder problems. Long-term or frequent use of ketamine can damage the bladder. Tell us about pain when passing urine, needing to go often, or blood in your urine.
- Misuse and addiction. Ketamine can be misused and some people become dependent on it. Only take it as prescribed, here. Tell us if you feel cravings or use it outside the clinic.

After each session
- Do not drive, cycle or operate machinery until the next day, after you have slept.
- Someone must take you home.

I have read this information, I have been able to ask questions, and I agree to treatment.`

// ConsentText is one version of the consent text.
type ConsentText struct {
	Version   int
	Text      string
	CreatedBy int64
	Author    string
	CreatedAt time.Time
}

// Consent is a patient's signature on one version of the consent text, and
// the prescriber's countersignature once given.
type Consent struct {
	ID          int64
	PatientID   int64
	TextVersion int
	SignedName  string
	SignedAt    time.Time
	// Via is "link" (the patient signed through their link), "in-person"
	// (staff recorded a signature given in the clinic) or "account".
	Via               string
	RecordedBy        int64
	CountersignedBy   int64
	CountersignedName string
	CountersignedAt   *time.Time
}

// Countersigned reports whether a prescriber has countersigned.
func (c Consent) Countersigned() bool { return c.CountersignedAt != nil }

const consentTextColumns = "version, text, created_by, author, created_at"

func scanConsentText(s interface{ Scan(...any) error }) (ConsentText, error) {
	var c ConsentText
	err := s.Scan(&c.Version, &c.Text, &c.CreatedBy, &c.Author, &c.CreatedAt)
	c.CreatedAt = c.CreatedAt.UTC()
	return c, err
}

// latestConsentText returns the current consent text, or version 0 when no
// text has been stored yet.
func (tx *Tx) latestConsentText(ctx context.Context) (ConsentText, error) {
	c, err := scanConsentText(tx.queryRow(ctx, "SELECT "+consentTextColumns+" FROM consent_texts ORDER BY version DESC LIMIT 1"))
	if errors.Is(err, sql.ErrNoRows) {
		return ConsentText{}, nil
	}
	return c, err
}

// currentConsentText returns the current consent text, storing the shipped
// default as version 1 when there is none.
func (tx *Tx) currentConsentText(ctx context.Context) (ConsentText, error) {
	c, err := tx.latestConsentText(ctx)
	if err != nil || c.Version != 0 {
		return c, err
	}
	return tx.saveConsentText(ctx, ketacare.Actor{Email: "system"}, DefaultConsentText)
}

// CurrentConsentText returns the consent text patients sign now.
func (db *DB) CurrentConsentText(ctx context.Context) (ConsentText, error) {
	var c ConsentText
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		c, err = tx.currentConsentText(ctx)
		return err
	})
	return c, err
}

// ConsentTexts lists every version of the consent text, newest first.
func (db *DB) ConsentTexts(ctx context.Context) ([]ConsentText, error) {
	var out []ConsentText
	err := db.Update(ctx, func(tx *Tx) error {
		if _, err := tx.currentConsentText(ctx); err != nil {
			return err
		}
		rows, err := tx.query(ctx, "SELECT "+consentTextColumns+" FROM consent_texts ORDER BY version DESC")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanConsentText(rows)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// SaveConsentText stores a new version of the consent text (admins only).
// Every patient must consent again, to the new version, before their next
// dosing session.
func (db *DB) SaveConsentText(ctx context.Context, a ketacare.Actor, text string) (ConsentText, error) {
	if a.Role != ketacare.RoleAdmin {
		return ConsentText{}, ketacare.Errorf(ketacare.EFORBIDDEN, "Only an admin may change the consent text.")
	}
	var c ConsentText
	err := db.Update(ctx, func(tx *Tx) error {
		if _, err := tx.currentConsentText(ctx); err != nil {
			return err
		}
		var err error
		c, err = tx.saveConsentText(ctx, a, text)
		return err
	})
	return c, err
}

func (tx *Tx) saveConsentText(ctx context.Context, a ketacare.Actor, text string) (ConsentText, error) {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	if text == "" || len(text) > 50000 {
		return ConsentText{}, &ketacare.Error{Code: ketacare.EINVALID, Message: "Write the consent text (up to 50,000 characters).",
			Fields: map[string]string{"text": "Write the consent text (up to 50,000 characters)."}}
	}
	// The text must name the two risks the clinic's care is built around.
	lower := strings.ToLower(text)
	var missing []string
	if !strings.Contains(lower, "anxiety") && !strings.Contains(lower, "anxious") {
		missing = append(missing, "anxiety")
	}
	if !strings.Contains(lower, "addiction") && !strings.Contains(lower, "dependen") {
		missing = append(missing, "addiction")
	}
	if len(missing) > 0 {
		msg := "The consent text must name the risk of " + strings.Join(missing, " and of ") + " (see the text shipped as version 1)."
		return ConsentText{}, &ketacare.Error{Code: ketacare.EINVALID, Message: msg, Fields: map[string]string{"text": msg}}
	}
	if tx.dialect == Postgres {
		if _, err := tx.exec(ctx, "LOCK TABLE consent_texts IN EXCLUSIVE MODE"); err != nil {
			return ConsentText{}, err
		}
	}
	var last int
	if err := tx.queryRow(ctx, "SELECT COALESCE(MAX(version), 0) FROM consent_texts").Scan(&last); err != nil {
		return ConsentText{}, err
	}
	c := ConsentText{Version: last + 1, Text: text, CreatedBy: a.UserID, Author: signerName(a), CreatedAt: tx.Now}
	if _, err := tx.exec(ctx, "INSERT INTO consent_texts ("+consentTextColumns+") VALUES (?, ?, ?, ?, ?)",
		c.Version, c.Text, c.CreatedBy, c.Author, c.CreatedAt); err != nil {
		return c, err
	}
	return c, tx.Audit(ctx, Event{Actor: a, Action: "consent-text.save", Detail: fmt.Sprintf("version %d", c.Version)})
}

// SignConsent records the patient's typed-name signature on the current
// consent text: given in person and recorded by staff, or by a patient
// signed in to their own account. version must be the current version,
// so nobody signs a text they have not been shown.
func (db *DB) SignConsent(ctx context.Context, a ketacare.Actor, patientID int64, version int, signedName string) (Consent, error) {
	via := "in-person"
	if a.Role == ketacare.RolePatient {
		via = "account"
	}
	var c Consent
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		c, err = tx.SignConsent(ctx, a, patientID, version, signedName, via, 0)
		return err
	})
	return c, db.recordDenied(ctx, err)
}

// SignConsent is SignConsent inside a transaction; via and linkID say how
// the signature was given.
func (tx *Tx) SignConsent(ctx context.Context, a ketacare.Actor, patientID int64, version int, signedName, via string, linkID int64) (Consent, error) {
	p, err := tx.PatientFor(ctx, a, patientID, "consent.sign")
	if err != nil {
		return Consent{}, err
	}
	signedName = strings.Join(strings.Fields(signedName), " ")
	switch {
	case signedName == "":
		return Consent{}, &ketacare.Error{Code: ketacare.EINVALID, Message: "Type the patient's full name to sign.",
			Fields: map[string]string{"signedName": "Type your full name to sign."}}
	case len(signedName) > 200:
		return Consent{}, &ketacare.Error{Code: ketacare.EINVALID, Message: "The name is too long.",
			Fields: map[string]string{"signedName": "Type your full name in 200 characters or fewer."}}
	}
	cur, err := tx.currentConsentText(ctx)
	if err != nil {
		return Consent{}, err
	}
	if version != cur.Version {
		return Consent{}, ketacare.Errorf(ketacare.ECONFLICT, "The consent text has changed: the current version is %d. Read it and sign again.", cur.Version)
	}
	c := Consent{PatientID: p.ID, TextVersion: version, SignedName: signedName, SignedAt: tx.Now, Via: via, RecordedBy: a.UserID}
	var link any
	if linkID != 0 {
		link = linkID
	}
	c.ID, err = tx.insert(ctx, `INSERT INTO consents (patient_id, text_version, signed_name, signed_at, via, recorded_by, link_id)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, c.PatientID, c.TextVersion, c.SignedName, c.SignedAt, c.Via, c.RecordedBy, link)
	if err != nil {
		return c, err
	}
	return c, tx.Audit(ctx, Event{Actor: a, Action: "consent.record", ClinicID: p.ClinicID, PatientID: p.ID,
		Detail: fmt.Sprintf("consent %d to text version %d, %s", c.ID, version, via)})
}

// Countersign records a prescriber's countersignature on a patient's
// consent.
func (db *DB) Countersign(ctx context.Context, a ketacare.Actor, patientID, consentID int64) (Consent, error) {
	if a.Role != ketacare.RolePrescriber {
		return Consent{}, ketacare.Errorf(ketacare.EFORBIDDEN, "Only a prescriber may countersign a consent.")
	}
	var c Consent
	err := db.Update(ctx, func(tx *Tx) error {
		p, err := tx.PatientFor(ctx, a, patientID, "consent.countersign")
		if err != nil {
			return err
		}
		list, err := tx.consents(ctx, p.ID, consentID)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return notFound("Consent")
		}
		c = list[0]
		if c.Countersigned() {
			return ketacare.Errorf(ketacare.ECONFLICT, "This consent is already countersigned.")
		}
		now := tx.Now
		c.CountersignedBy, c.CountersignedName, c.CountersignedAt = a.UserID, signerName(a), &now
		if _, err := tx.exec(ctx, "UPDATE consents SET countersigned_by = ?, countersigned_name = ?, countersigned_at = ? WHERE id = ? AND countersigned_at IS NULL",
			c.CountersignedBy, c.CountersignedName, now, c.ID); err != nil {
			return err
		}
		return tx.Audit(ctx, Event{Actor: a, Action: "consent.countersign", ClinicID: p.ClinicID, PatientID: p.ID,
			Detail: fmt.Sprintf("consent %d", c.ID)})
	})
	return c, db.recordDenied(ctx, err)
}

// Consents lists a patient's consents, newest first, audited as a read.
func (db *DB) Consents(ctx context.Context, a ketacare.Actor, patientID int64) ([]Consent, error) {
	var out []Consent
	err := db.Update(ctx, func(tx *Tx) error {
		if _, err := tx.PatientFor(ctx, a, patientID, "consent.list"); err != nil {
			return err
		}
		var err error
		out, err = tx.consents(ctx, patientID, 0)
		return err
	})
	return out, db.recordDenied(ctx, err)
}

// consents lists the patient's consents, newest first, or the one with id
// when id is not 0.
func (tx *Tx) consents(ctx context.Context, patientID, id int64) ([]Consent, error) {
	q := `SELECT id, patient_id, text_version, signed_name, signed_at, via, recorded_by, COALESCE(countersigned_by, 0), countersigned_name,
		countersigned_at FROM consents WHERE patient_id = ?`
	args := []any{patientID}
	if id != 0 {
		q += " AND id = ?"
		args = append(args, id)
	}
	rows, err := tx.query(ctx, q+" ORDER BY id DESC", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Consent
	for rows.Next() {
		var c Consent
		var cs sql.NullTime
		if err := rows.Scan(&c.ID, &c.PatientID, &c.TextVersion, &c.SignedName, &c.SignedAt, &c.Via, &c.RecordedBy, &c.CountersignedBy,
			&c.CountersignedName, &cs); err != nil {
			return nil, err
		}
		c.SignedAt = c.SignedAt.UTC()
		if cs.Valid {
			t := cs.Time.UTC()
			c.CountersignedAt = &t
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ConsentCurrent reports whether the patient has consented to the current
// consent text and a prescriber has countersigned; when not, reason says
// what is missing, in a sentence for staff. A new consent text version
// makes every earlier consent out of date. It reads without auditing.
func (tx *Tx) ConsentCurrent(ctx context.Context, patientID int64) (ok bool, reason string, err error) {
	cur, err := tx.latestConsentText(ctx)
	if err != nil {
		return false, "", err
	}
	list, err := tx.consents(ctx, patientID, 0)
	if err != nil {
		return false, "", err
	}
	if len(list) == 0 {
		return false, "The patient has not given consent.", nil
	}
	waiting := false
	for _, c := range list {
		if c.TextVersion != cur.Version {
			continue
		}
		if c.Countersigned() {
			return true, "", nil
		}
		waiting = true
	}
	if waiting {
		return false, "The patient's consent is waiting for a prescriber's countersignature.", nil
	}
	return false, fmt.Sprintf("The consent text has changed (now version %d): the patient must consent again.", cur.Version), nil
}
