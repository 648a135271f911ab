package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
)

// callbackClaimable is the condition of a request a counsellor may take: queued
// and due, or claimed under a lease that has run out.
const callbackClaimable = `((status = 'queued' AND next_attempt_at <= ?) OR (status = 'claimed' AND lease_expires_at <= ?))`

// ClaimNextCallback gives the counsellor the next request due (urgent
// first, then oldest) under a lease of the protocol's length. It reports
// false when nothing is due. Two counsellors never hold the same request:
// the claim is one conditional UPDATE of the chosen row; on PostgreSQL the
// row is chosen with FOR UPDATE SKIP LOCKED so concurrent claimers (in any
// process) each take a different row, and on SQLite the single writer runs
// one claim at a time.
func (db *DB) ClaimNextCallback(ctx context.Context, a ketacare.Actor) (Callback, bool, error) {
	var c Callback
	var ok bool
	err := db.Update(ctx, func(tx *Tx) error {
		c, ok = Callback{}, false
		pv, err := tx.CurrentProtocol(ctx)
		if err != nil {
			return err
		}
		lease := tx.Now.Add(time.Duration(pv.Protocol.Callback.LeaseMinutes) * time.Minute)
		skip := ""
		if tx.dialect == Postgres {
			skip = " FOR UPDATE SKIP LOCKED"
		}
		var id int64
		err = tx.queryRow(ctx, `UPDATE callback_requests SET status = 'claimed', claimed_by = ?, claimed_by_email = ?, lease_expires_at = ?,
			claims = claims + 1, updated_at = ?
			WHERE id = (SELECT id FROM callback_requests WHERE `+callbackClaimable+` AND `+callbackScope(a)+` ORDER BY priority_rank, created_at, id LIMIT 1`+skip+`)
			AND `+callbackClaimable+` RETURNING id`,
			a.UserID, a.Email, lease, tx.Now, tx.Now, tx.Now, tx.Now, tx.Now).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("claiming a callback request: %w", err)
		}
		ok = true
		if err := tx.callbackEvent(ctx, id, a, "claimed", "lease until "+ukTime(lease)); err != nil {
			return err
		}
		if c, err = tx.callbackByID(ctx, id, false); err != nil {
			return err
		}
		return tx.Audit(ctx, Event{Actor: a, Action: "callback.claim", PatientID: c.PatientID, Detail: fmt.Sprintf("request %d", id)})
	})
	return c, ok, err
}

// holdCallback locks a request the actor must hold: claimed by them and not
// closed. A lease that ran out still counts while nobody else has taken the
// request, so a long call can still be recorded.
func (tx *Tx) holdCallback(ctx context.Context, a ketacare.Actor, id int64, action string) (Callback, error) {
	c, err := tx.callbackFor(ctx, a, id, true)
	if err != nil {
		return c, deny(Event{Actor: a, Action: action, Detail: fmt.Sprintf("request %d: not found", id)}, err)
	}
	switch {
	case c.Status == CallbackClosed:
		return c, ketacare.Errorf(ketacare.ECONFLICT, "This request is already closed (%s).", OutcomeLabel(c.Outcome))
	case c.Status == CallbackClaimed && c.ClaimedBy == a.UserID:
		return c, nil
	case c.Status == CallbackClaimed && tx.Now.Before(c.LeaseExpiresAt):
		return c, deny(Event{Actor: a, Action: action, PatientID: c.PatientID, Detail: fmt.Sprintf("request %d held by another", id)},
			ketacare.Errorf(ketacare.ECONFLICT, "Another counsellor is working on this request."))
	default:
		return c, deny(Event{Actor: a, Action: action, PatientID: c.PatientID, Detail: fmt.Sprintf("request %d not held", id)},
			ketacare.Errorf(ketacare.ECONFLICT, "You do not hold this request (your claim may have expired). Take it from the queue first."))
	}
}

// CallbackAttempt is one recorded call attempt or closing decision.
type CallbackAttempt struct {
	ID              int64     `json:"id"`
	AttemptNo       int       `json:"attemptNo"`
	Outcome         string    `json:"outcome"`
	Note            string    `json:"note"`
	CounsellorID    int64     `json:"counsellorId"`
	CounsellorEmail string    `json:"counsellorEmail"`
	At              time.Time `json:"at"`
}

// RecordCallbackAttempt records what happened on a call by the counsellor
// holding the request. An unanswered call (no answer, busy, failed) puts
// the request back in the queue, offered again after the protocol's retry
// spacing, or closes it as "no answer after maximum attempts" after the
// last one; any other outcome closes it.
func (db *DB) RecordCallbackAttempt(ctx context.Context, a ketacare.Actor, id int64, outcome, note string) (Callback, error) {
	o, ok := callbackOutcomeByCode(strings.TrimSpace(outcome))
	note = callbackCleanText(note)
	f := map[string]string{}
	if !ok {
		f["outcome"] = "Choose the outcome of the call."
	}
	if len([]rune(note)) > callbackNoteMax {
		f["note"] = fmt.Sprintf("Keep the note to %d characters or fewer.", callbackNoteMax)
	}
	if len(f) > 0 {
		codes := make([]string, len(CallbackOutcomes))
		for i, x := range CallbackOutcomes {
			codes[i] = x.Code
		}
		return Callback{}, &ketacare.Error{Code: ketacare.EINVALID, Fields: f,
			Message: "Some fields need correcting (the outcome is one of " + strings.Join(codes, ", ") + ")."}
	}
	var c Callback
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		if c, err = tx.holdCallback(ctx, a, id, "callback.attempt"); err != nil {
			return err
		}
		p, err := tx.callbackProtocolOf(ctx, c)
		if err != nil {
			return err
		}
		n := c.Attempts + 1
		if _, err := tx.exec(ctx, `INSERT INTO callback_attempts (request_id, attempt_no, outcome, note, counsellor_id, counsellor_email, at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, n, o.Code, note, a.UserID, a.Email, tx.Now); err != nil {
			return fmt.Errorf("recording attempt: %w", err)
		}
		first := any(c.FirstAttemptAt)
		if c.FirstAttemptAt.IsZero() {
			first = tx.Now
		}
		final, kind := o.Code, "closed"
		if o.Retry && n < p.MaxAttempts {
			next := tx.Now.Add(time.Duration(p.RetrySpacingMinutes) * time.Minute)
			if _, err := tx.exec(ctx, `UPDATE callback_requests SET status = 'queued', attempts = ?, first_attempt_at = ?, last_attempt_at = ?,
				next_attempt_at = ?, claimed_by = NULL, claimed_by_email = '', lease_expires_at = NULL, updated_at = ? WHERE id = ?`,
				n, first, tx.Now, next, tx.Now, id); err != nil {
				return err
			}
			final, kind = "", "retry"
			if err := tx.callbackEvent(ctx, id, a, "attempt", fmt.Sprintf("attempt %d of %d: %s; next from %s", n, p.MaxAttempts,
				OutcomeLabel(o.Code), ukTime(next))); err != nil {
				return err
			}
		} else {
			if o.Retry {
				final = OutcomeNoAnswerMaxAttempts
			}
			if _, err := tx.exec(ctx, `UPDATE callback_requests SET status = 'closed', open_phone = NULL, attempts = ?, first_attempt_at = ?,
				last_attempt_at = ?, outcome = ?, closed_at = ?, claimed_by = NULL, claimed_by_email = '', lease_expires_at = NULL, updated_at = ?
				WHERE id = ?`, n, first, tx.Now, final, tx.Now, tx.Now, id); err != nil {
				return err
			}
			if err := tx.callbackEvent(ctx, id, a, "attempt", fmt.Sprintf("attempt %d: %s", n, OutcomeLabel(o.Code))); err != nil {
				return err
			}
			if err := tx.callbackEvent(ctx, id, a, "closed", OutcomeLabel(final)); err != nil {
				return err
			}
		}
		if c, err = tx.callbackByID(ctx, id, false); err != nil {
			return err
		}
		return tx.Audit(ctx, Event{Actor: a, Action: "callback.attempt", PatientID: c.PatientID,
			Detail: fmt.Sprintf("request %d attempt %d %s (%s)", id, n, o.Code, kind)})
	})
	return c, db.recordDenied(ctx, err)
}

// callbackProtocolOf returns the protocol version recorded on the request,
// whose numbers (attempts, spacing) it follows to its end.
func (tx *Tx) callbackProtocolOf(ctx context.Context, c Callback) (clinical.CallbackProtocol, error) {
	v, err := scanProtocol(tx.queryRow(ctx, protocolQuery+" WHERE p.version = ?", c.ProtocolVersion))
	if err != nil {
		return clinical.CallbackProtocol{}, fmt.Errorf("protocol version %d of callback %d: %w", c.ProtocolVersion, c.ID, err)
	}
	return v.Protocol.Callback, nil
}

// ReleaseCallback hands a request the counsellor holds back to the queue,
// due at once.
func (db *DB) ReleaseCallback(ctx context.Context, a ketacare.Actor, id int64) (Callback, error) {
	var c Callback
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		if c, err = tx.holdCallback(ctx, a, id, "callback.release"); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE callback_requests SET status = 'queued', claimed_by = NULL, claimed_by_email = '',
			lease_expires_at = NULL, updated_at = ? WHERE id = ?`, tx.Now, id); err != nil {
			return err
		}
		if err := tx.callbackEvent(ctx, id, a, "released", ""); err != nil {
			return err
		}
		if c, err = tx.callbackByID(ctx, id, false); err != nil {
			return err
		}
		return tx.Audit(ctx, Event{Actor: a, Action: "callback.release", PatientID: c.PatientID, Detail: fmt.Sprintf("request %d", id)})
	})
	return c, db.recordDenied(ctx, err)
}

// RenewCallbackLease extends the counsellor's lease on a request they hold
// by the protocol's lease length from now.
func (db *DB) RenewCallbackLease(ctx context.Context, a ketacare.Actor, id int64) (Callback, error) {
	var c Callback
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		if c, err = tx.holdCallback(ctx, a, id, "callback.renew"); err != nil {
			return err
		}
		pv, err := tx.CurrentProtocol(ctx)
		if err != nil {
			return err
		}
		lease := tx.Now.Add(time.Duration(pv.Protocol.Callback.LeaseMinutes) * time.Minute)
		if _, err := tx.exec(ctx, "UPDATE callback_requests SET lease_expires_at = ?, updated_at = ? WHERE id = ?", lease, tx.Now, id); err != nil {
			return err
		}
		if err := tx.callbackEvent(ctx, id, a, "renewed", "lease until "+ukTime(lease)); err != nil {
			return err
		}
		if c, err = tx.callbackByID(ctx, id, false); err != nil {
			return err
		}
		return tx.Audit(ctx, Event{Actor: a, Action: "callback.renew", PatientID: c.PatientID, Detail: fmt.Sprintf("request %d", id)})
	})
	return c, db.recordDenied(ctx, err)
}

// ListCallbacks lists open requests (queued or claimed; urgent first, then
// oldest) or closed ones (most recently closed first, at most limit),
// audited as one read.
func (db *DB) ListCallbacks(ctx context.Context, a ketacare.Actor, status string, limit int) ([]Callback, error) {
	if limit <= 0 || limit > 1000 {
		limit = 500
	}
	var where, order string
	switch status {
	case "", "open":
		status, where, order = "open", "status <> 'closed'", "priority_rank, created_at, id"
	case "closed":
		where, order = "status = 'closed'", "closed_at DESC, id DESC"
	default:
		return nil, ketacare.Errorf(ketacare.EINVALID, "Query parameter status must be open or closed.")
	}
	var out []Callback
	err := db.Update(ctx, func(tx *Tx) error {
		out = nil
		rows, err := tx.query(ctx, fmt.Sprintf("SELECT %s FROM callback_requests WHERE %s AND %s ORDER BY %s LIMIT %d", callbackColumns, where, callbackScope(a), order, limit))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanCallback(rows)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return tx.Audit(ctx, Event{Actor: a, Action: "callback.list", Detail: fmt.Sprintf("%s: %d shown", status, len(out))})
	})
	return out, err
}

// CallbackEvent is one line of a request's timeline.
type CallbackEvent struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Email  string    `json:"email,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// LinkedPatient is what callback staff see of the patient a request is
// linked to: a name and a contact number, never the clinical record.
type LinkedPatient struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Phone string `json:"phone,omitempty"`
	// Visible is false when the patient belongs to a clinic the reader does
	// not work in: only the link itself is shown.
	Visible bool `json:"visible"`
}

// CallbackDetail is one request with its attempts, timeline and linked
// patient.
type CallbackDetail struct {
	Callback Callback
	Attempts []CallbackAttempt
	Events   []CallbackEvent
	Patient  *LinkedPatient
}

// CallbackDetail reads one request for callback staff, audited as a read;
// reading the linked patient's name and contact is audited against that
// patient.
func (db *DB) CallbackDetail(ctx context.Context, a ketacare.Actor, id int64) (CallbackDetail, error) {
	var d CallbackDetail
	err := db.Update(ctx, func(tx *Tx) error {
		d = CallbackDetail{}
		var err error
		if d.Callback, err = tx.callbackFor(ctx, a, id, false); err != nil {
			return deny(Event{Actor: a, Action: "callback.read", Detail: fmt.Sprintf("request %d: not found", id)}, err)
		}
		rows, err := tx.query(ctx, `SELECT id, attempt_no, outcome, note, counsellor_id, counsellor_email, at FROM callback_attempts
			WHERE request_id = ? ORDER BY id`, id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var at CallbackAttempt
			if err := rows.Scan(&at.ID, &at.AttemptNo, &at.Outcome, &at.Note, &at.CounsellorID, &at.CounsellorEmail, &at.At); err != nil {
				rows.Close()
				return err
			}
			at.At = at.At.UTC()
			d.Attempts = append(d.Attempts, at)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.query(ctx, "SELECT at, kind, email, detail FROM callback_events WHERE request_id = ? ORDER BY id", id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var ev CallbackEvent
			if err := rows.Scan(&ev.At, &ev.Kind, &ev.Email, &ev.Detail); err != nil {
				rows.Close()
				return err
			}
			ev.At = ev.At.UTC()
			d.Events = append(d.Events, ev)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if err := tx.Audit(ctx, Event{Actor: a, Action: "callback.read", PatientID: d.Callback.PatientID, Detail: fmt.Sprintf("request %d", id)}); err != nil {
			return err
		}
		if d.Callback.PatientID != 0 {
			p, err := tx.linkedPatient(ctx, a, d.Callback.PatientID)
			if err != nil {
				return err
			}
			d.Patient = &p
		}
		return nil
	})
	return d, db.recordDenied(ctx, err)
}

// linkedPatient reads only the name and phone of a linked patient, and
// audits that read against the patient.
func (tx *Tx) linkedPatient(ctx context.Context, a ketacare.Actor, id int64) (LinkedPatient, error) {
	var given, family, phoneNo string
	var clinic int64
	if err := tx.queryRow(ctx, "SELECT clinic_id, given_name, family_name, phone FROM patients WHERE id = ?", id).
		Scan(&clinic, &given, &family, &phoneNo); err != nil {
		return LinkedPatient{}, fmt.Errorf("reading linked patient: %w", err)
	}
	lp := LinkedPatient{ID: id}
	if !a.InClinic(clinic) && !(a.Role == ketacare.RolePatient && a.PatientID == id) {
		return lp, nil
	}
	lp.Name, lp.Phone, lp.Visible = strings.TrimSpace(given+" "+family), phoneNo, true
	return lp, tx.Audit(ctx, Event{Actor: a, Action: "callback.patient_contact", ClinicID: clinic, PatientID: id, Detail: "name and phone"})
}
