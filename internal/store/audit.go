package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/audit"
)

// Event is an action to audit: who did it comes from the actor.
type Event struct {
	Actor     ketacare.Actor
	Action    string
	ClinicID  int64
	PatientID int64
	Outcome   string // audit.OutcomeSuccess when empty
	Detail    string
}

// Audit appends an entry in its own transaction: for logins, failed logins,
// logouts and denied requests, which have no other change to ride on.
func (db *DB) Audit(ctx context.Context, ev Event) error {
	return db.Update(ctx, func(tx *Tx) error { return tx.Audit(ctx, ev) })
}

// Audit appends an entry to the hash chain inside this transaction. The
// chain head row is locked, so concurrent writers (several PostgreSQL
// processes) append one at a time and the chain stays linear.
//
// In a group-commit batch (UpdateGrouped on SQLite) the head is read once
// per batch and kept in memory; the batch writes it back before committing.
func (tx *Tx) Audit(ctx context.Context, ev Event) error {
	var seq int64
	var prev string
	if tx.batch != nil && tx.batch.head.loaded {
		seq, prev = tx.batch.head.seq, tx.batch.head.hash
	} else {
		lock := ""
		if tx.dialect == Postgres {
			lock = " FOR UPDATE"
		}
		if err := tx.queryRow(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1"+lock).Scan(&seq, &prev); err != nil {
			return fmt.Errorf("audit: reading chain head: %w", err)
		}
	}
	if ev.Outcome == "" {
		ev.Outcome = audit.OutcomeSuccess
	}
	e := audit.Entry{
		Seq: seq + 1, At: tx.Now, UserID: ev.Actor.UserID, Email: ev.Actor.Email, Role: string(ev.Actor.Role),
		ClinicID: ev.ClinicID, PatientID: ev.PatientID, Action: ev.Action, Outcome: ev.Outcome,
		ClientAddr: ev.Actor.ClientAddr, RequestID: ev.Actor.RequestID, Detail: ev.Detail, PrevHash: prev,
	}
	e.Hash = audit.ComputeHash(e)
	if _, err := tx.exec(ctx, `INSERT INTO audit_log (seq, at, user_id, email, role, clinic_id, patient_id, action,
		outcome, client_addr, request_id, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, e.At, e.UserID, e.Email, e.Role, e.ClinicID, e.PatientID, e.Action, e.Outcome, e.ClientAddr,
		e.RequestID, e.Detail, e.PrevHash, e.Hash); err != nil {
		return fmt.Errorf("audit: appending entry: %w", err)
	}
	if tx.batch != nil {
		tx.batch.head = auditHead{loaded: true, moved: true, seq: e.Seq, hash: e.Hash}
		return nil
	}
	if _, err := tx.exec(ctx, "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", e.Seq, e.Hash); err != nil {
		return fmt.Errorf("audit: moving chain head: %w", err)
	}
	return nil
}

// auditHead is the audit chain head as a group-commit batch has moved it:
// loaded once read from audit_head, moved once an entry was appended (and
// audit_head must be written before the commit).
type auditHead struct {
	loaded, moved bool
	seq           int64
	hash          string
}

// deniedError carries the audit entry of a refused request out of a
// transaction that is rolled back; Update records it in a transaction of
// its own and returns the inner error.
type deniedError struct {
	ev  Event
	err error
}

func (e *deniedError) Error() string { return e.err.Error() }
func (e *deniedError) Unwrap() error { return e.err }

// deny returns err, and has the refusal audited once the transaction that
// noticed it has been rolled back.
func deny(ev Event, err error) error {
	ev.Outcome = audit.OutcomeDenied
	return &deniedError{ev: ev, err: err}
}

// NotFoundAs names, in a not-found answer, the record that was asked for
// ("Review not found.") instead of the patient it belongs to: a record of
// another clinic's patient then answers exactly as one that does not
// exist. A refusal stays audited as it was.
func NotFoundAs(err error, what string) error {
	if ketacare.ErrorCode(err) != ketacare.ENOTFOUND {
		return err
	}
	var d *deniedError
	if errors.As(err, &d) {
		return &deniedError{ev: d.ev, err: notFound(what)}
	}
	return notFound(what)
}

// recordDenied audits a refusal found by deny; if that audit fails, the
// request fails too.
func (db *DB) recordDenied(ctx context.Context, err error) error {
	var d *deniedError
	if !errors.As(err, &d) {
		return err
	}
	if aerr := db.Audit(ctx, d.ev); aerr != nil {
		return aerr
	}
	return d.err
}

// AuditFilter selects audit entries; zero fields match everything.
type AuditFilter struct {
	UserID    int64
	PatientID int64
	Action    string // prefix, e.g. "patient." or "login"
	Outcome   string
	From, To  time.Time
	BeforeSeq int64 // for paging backwards
	Limit     int
}

// ListAudit returns matching entries, newest first.
func (db *DB) ListAudit(ctx context.Context, f AuditFilter) ([]audit.Entry, error) {
	q, args := auditQuery(f)
	var out []audit.Entry
	err := db.View(ctx, func(tx *Tx) error {
		var err error
		out, err = queryList(ctx, tx, scanAudit, q, args...)
		return err
	})
	return out, err
}

// auditQuery is the query ListAudit runs for f, with its arguments.
func auditQuery(f AuditFilter) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, arg any) { where = append(where, cond); args = append(args, arg) }
	q := "SELECT " + auditColumns + " FROM audit_log"
	if f.PatientID != 0 {
		// The patient's entries through the index keyed by block (blocks.go).
		q = withBlocks("audit_log", "seq") + "SELECT " + auditColumns + " FROM block CROSS JOIN audit_log"
		add("seq_block = block.n AND patient_id = ?", f.PatientID)
	}
	if f.UserID != 0 {
		add("user_id = ?", f.UserID)
	}
	if f.Action != "" {
		add("action LIKE ?", strings.ReplaceAll(f.Action, "%", "")+"%")
	}
	if f.Outcome != "" {
		add("outcome = ?", f.Outcome)
	}
	if !f.From.IsZero() {
		add("at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		add("at < ?", f.To.UTC())
	}
	if f.BeforeSeq > 0 {
		add("seq < ?", f.BeforeSeq)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return q + fmt.Sprintf(" ORDER BY seq DESC LIMIT %d", f.Limit), args
}

const auditColumns = "seq, at, user_id, email, role, clinic_id, patient_id, action, outcome, client_addr, request_id, detail, prev_hash, hash"

func scanAudit(s interface{ Scan(...any) error }) (audit.Entry, error) {
	var e audit.Entry
	err := s.Scan(&e.Seq, &e.At, &e.UserID, &e.Email, &e.Role, &e.ClinicID, &e.PatientID, &e.Action, &e.Outcome,
		&e.ClientAddr, &e.RequestID, &e.Detail, &e.PrevHash, &e.Hash)
	e.At = e.At.UTC()
	return e, err
}

// VerifyAudit walks the whole chain in order and returns how many entries
// are intact and an error naming the first broken entry, if any. It also
// checks that the chain head matches the last entry, so a truncated tail is
// found too.
func (db *DB) VerifyAudit(ctx context.Context) (int64, error) {
	c := audit.NewChain()
	rows, err := db.read.QueryContext(ctx, "SELECT "+auditColumns+" FROM audit_log ORDER BY seq")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var last audit.Entry
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return c.Checked(), err
		}
		if err := c.Next(e); err != nil {
			return c.Checked(), err
		}
		last = e
	}
	if err := rows.Err(); err != nil {
		return c.Checked(), err
	}
	var seq int64
	var hash string
	if err := db.read.QueryRowContext(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&seq, &hash); err != nil {
		return c.Checked(), err
	}
	if seq != last.Seq || (seq > 0 && hash != last.Hash) {
		return c.Checked(), fmt.Errorf("entry %d: the chain head names entry %d, so entries after %d are missing", last.Seq+1, seq, last.Seq)
	}
	return c.Checked(), nil
}
