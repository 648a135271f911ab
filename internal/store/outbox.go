package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/ketacare/ketacare/internal/auth"
)

// Outbox message kinds: how a message is delivered.
const (
	OutboxEmail = "email"
	OutboxText  = "sms" // a text message to a mobile number (E.164)
)

// Outbox message statuses.
const (
	OutboxPending = "pending"
	OutboxSent    = "sent"
	OutboxFailed  = "failed" // gave up: a permanent refusal or too many attempts
)

// OutboxMessage is one message waiting in (or delivered from) the durable
// outbox.
type OutboxMessage struct {
	ID            int64
	Kind          string // OutboxEmail or OutboxText
	Recipient     string // an email address, or a mobile number in E.164
	Subject       string // empty for a text message
	Body          string
	Ref           string // what it is about, e.g. "checkin:12"
	PatientID     int64
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	ClaimToken    string
	LastError     string
	CreatedAt     time.Time
	SentAt        *time.Time
}

// NewEmail is an email to put in the outbox.
type NewEmail struct {
	To, Subject, Body string
	Ref               string
	PatientID         int64
}

// EnqueueEmail adds an email to the outbox inside the caller's
// transaction, so the email is queued if and only if the change that
// caused it commits. It is due at once.
func (tx *Tx) EnqueueEmail(ctx context.Context, m NewEmail) (int64, error) {
	return tx.enqueue(ctx, OutboxEmail, m.To, m.Subject, m.Body, m.Ref, m.PatientID)
}

func (tx *Tx) enqueue(ctx context.Context, kind, to, subject, body, ref string, patientID int64) (int64, error) {
	var patient any
	if patientID != 0 {
		patient = patientID
	}
	id, err := tx.insert(ctx, `INSERT INTO outbox_messages (kind, recipient, subject, body, ref, patient_id, status, attempts,
		next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
		kind, to, subject, body, ref, patient, OutboxPending, tx.Now, tx.Now)
	if err != nil {
		return 0, fmt.Errorf("queueing %s message: %w", kind, err)
	}
	return id, nil
}

// NewText is a text message to put in the outbox: To is a mobile number in
// E.164. A text message is short and may be read by anyone who picks up
// the phone, so it carries no clinical detail.
type NewText struct {
	To, Body  string
	Ref       string
	PatientID int64
}

// EnqueueText adds a text message to the outbox inside the caller's
// transaction, like EnqueueEmail.
func (tx *Tx) EnqueueText(ctx context.Context, m NewText) (int64, error) {
	return tx.enqueue(ctx, OutboxText, m.To, "", m.Body, m.Ref, m.PatientID)
}

const outboxColumns = `id, kind, recipient, subject, body, ref, COALESCE(patient_id, 0), status, attempts, next_attempt_at,
	claim_token, last_error, created_at, sent_at`

func scanOutbox(s interface{ Scan(...any) error }) (OutboxMessage, error) {
	var m OutboxMessage
	var sent sql.NullTime
	err := s.Scan(&m.ID, &m.Kind, &m.Recipient, &m.Subject, &m.Body, &m.Ref, &m.PatientID, &m.Status, &m.Attempts,
		&m.NextAttemptAt, &m.ClaimToken, &m.LastError, &m.CreatedAt, &sent)
	m.NextAttemptAt, m.CreatedAt, m.SentAt = m.NextAttemptAt.UTC(), m.CreatedAt.UTC(), nullTime(sent)
	return m, err
}

// ClaimOutbox claims up to limit pending messages that are due and not
// held by another sender, for lease. Each claimed message gets a fresh
// claim token and one more attempt counted. On PostgreSQL the rows are
// chosen with FOR UPDATE SKIP LOCKED, so several processes never claim the
// same message; on SQLite the claim runs in an immediate transaction (the
// single writer). A sender that stops without marking its messages leaves
// them to be claimed again when the lease runs out. Only messages of the
// given kinds are claimed (those the sender can deliver); the others wait.
func (db *DB) ClaimOutbox(ctx context.Context, kinds []string, limit int, lease time.Duration) ([]OutboxMessage, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	var out []OutboxMessage
	err := db.Update(ctx, func(tx *Tx) error {
		out = nil
		args := []any{OutboxPending, tx.Now, tx.Now}
		marks := make([]string, len(kinds))
		for i, k := range kinds {
			marks[i] = "?"
			args = append(args, k)
		}
		q := "SELECT " + outboxColumns + ` FROM outbox_messages WHERE status = ? AND next_attempt_at <= ?
			AND (claimed_until IS NULL OR claimed_until <= ?) AND kind IN (` + strings.Join(marks, ", ") + `) ORDER BY next_attempt_at, id LIMIT ?`
		if tx.dialect == Postgres {
			q += " FOR UPDATE SKIP LOCKED"
		}
		rows, err := tx.query(ctx, q, append(args, limit)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			m, err := scanOutbox(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range out {
			out[i].ClaimToken = auth.RandomToken(12)
			out[i].Attempts++
			if _, err := tx.exec(ctx, "UPDATE outbox_messages SET claim_token = ?, claimed_until = ?, attempts = ? WHERE id = ?",
				out[i].ClaimToken, tx.Now.Add(lease), out[i].Attempts, out[i].ID); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// errOutboxLost is returned when a sender marks a message it no longer
// holds (its lease ran out and another sender claimed it).
var errOutboxLost = fmt.Errorf("outbox message claimed by another sender")

// MarkOutboxSent records that a claimed message was accepted for delivery
// and erases its body (the link it held). It fails when the claim was lost.
func (db *DB) MarkOutboxSent(ctx context.Context, id int64, claim string) error {
	return db.Update(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE outbox_messages SET status = ?, sent_at = ?, body = '', claimed_until = NULL, last_error = ''
			WHERE id = ? AND claim_token = ? AND status = ?`, OutboxSent, tx.Now, id, claim, OutboxPending)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errOutboxLost
		}
		return nil
	})
}

// MarkOutboxRetry records a failed delivery attempt: the message is tried
// again after delay, or given up (status failed) when permanent is set.
func (db *DB) MarkOutboxRetry(ctx context.Context, id int64, claim, reason string, delay time.Duration, permanent bool) error {
	if len(reason) > 500 {
		reason = reason[:500]
	}
	status := OutboxPending
	if permanent {
		status = OutboxFailed
	}
	return db.Update(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE outbox_messages SET status = ?, next_attempt_at = ?, claimed_until = NULL, last_error = ?
			WHERE id = ? AND claim_token = ? AND status = ?`, status, tx.Now.Add(delay), strings.ToValidUTF8(reason, ""), id, claim, OutboxPending)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errOutboxLost
		}
		return nil
	})
}

// OutboxMessages lists outbox messages by ref prefix (e.g. "checkin:"),
// newest first, for tests and the follow-up pages; bodies are included
// only while unsent.
func (db *DB) OutboxMessages(ctx context.Context, refPrefix string, limit int) ([]OutboxMessage, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var out []OutboxMessage
	err := db.View(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, "SELECT "+outboxColumns+" FROM outbox_messages WHERE ref LIKE ? ORDER BY id DESC LIMIT ?",
			strings.ReplaceAll(refPrefix, "%", "")+"%", limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			m, err := scanOutbox(rows)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, err
}
