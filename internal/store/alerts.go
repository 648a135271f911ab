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

// Alert is an alert raised in a dosing session. It is open while its
// condition holds (ClearedAt nil); one open alert at most exists per session
// and rule. An alert that needs acknowledgement (every tier but info) stays
// on the record as unacknowledged until a named user acknowledges it, even
// after its condition cleared.
type Alert struct {
	ID               int64              `json:"id"`
	SessionID        int64              `json:"sessionId"`
	ClinicID         int64              `json:"clinicId"`
	PatientID        int64              `json:"patientId"`
	Rule             clinical.AlertRule `json:"rule"`
	Tier             clinical.AlertTier `json:"tier"`
	Message          string             `json:"message"`
	Value            string             `json:"value"`
	ReadingAt        time.Time          `json:"readingAt"`
	RaisedAt         time.Time          `json:"raisedAt"`
	ObservationID    int64              `json:"observationId,omitempty"`
	ClearedAt        *time.Time         `json:"clearedAt"`
	AcknowledgedAt   *time.Time         `json:"acknowledgedAt"`
	AcknowledgedBy   int64              `json:"acknowledgedBy,omitempty"`
	AcknowledgedName string             `json:"acknowledgedByName,omitempty"`
	EscalatedAt      *time.Time         `json:"escalatedAt"`
	EscalatedTo      string             `json:"escalatedTo,omitempty"`
	ProtocolVersion  int                `json:"protocolVersion"`
}

// NeedsAcknowledgement reports whether the alert still waits for a named
// user to acknowledge it.
// An overdue-observation reminder resolves itself when the observation is
// recorded, and needs no acknowledgement after that.
func (a Alert) NeedsAcknowledgement() bool {
	if a.Rule == clinical.RuleObservationOverdue && a.ClearedAt != nil {
		return false
	}
	return a.Tier.NeedsAcknowledgement() && a.AcknowledgedAt == nil
}

// Open reports whether the alert's condition still holds.
func (a Alert) Open() bool { return a.ClearedAt == nil }

// Outstanding reports whether the alert is still shown as needing
// attention: open, or unacknowledged.
func (a Alert) Outstanding() bool { return a.Open() || a.NeedsAcknowledgement() }

const alertColumns = `id, session_id, clinic_id, patient_id, rule, tier, message, value, reading_at, raised_at, observation_id,
	cleared_at, acknowledged_at, acknowledged_by, acknowledged_name, escalated_at, escalated_to, protocol_version`

func scanAlert(s interface{ Scan(...any) error }) (Alert, error) {
	var a Alert
	var rule, tier string
	var obs, ackBy sql.NullInt64
	var cleared, acked, escalated sql.NullTime
	err := s.Scan(&a.ID, &a.SessionID, &a.ClinicID, &a.PatientID, &rule, &tier, &a.Message, &a.Value, &a.ReadingAt, &a.RaisedAt, &obs,
		&cleared, &acked, &ackBy, &a.AcknowledgedName, &escalated, &a.EscalatedTo, &a.ProtocolVersion)
	a.Rule, a.Tier = clinical.AlertRule(rule), clinical.AlertTier(tier)
	a.ReadingAt, a.RaisedAt = a.ReadingAt.UTC(), a.RaisedAt.UTC()
	a.ObservationID, a.AcknowledgedBy = obs.Int64, ackBy.Int64
	a.ClearedAt, a.AcknowledgedAt, a.EscalatedAt = nullTime(cleared), nullTime(acked), nullTime(escalated)
	return a, err
}

// RaiseAlert stores a new open alert for a firing rule, audited under the
// actor whose observation (or the system job whose clock) raised it.
func (tx *Tx) RaiseAlert(ctx context.Context, actor ketacare.Actor, s DosingSession, f clinical.Firing, observationID int64, protocol int) (Alert, error) {
	a := Alert{SessionID: s.ID, ClinicID: s.ClinicID, PatientID: s.PatientID, Rule: f.Rule, Tier: f.Tier, Message: f.Message,
		Value: f.Value, ReadingAt: f.At.UTC(), RaisedAt: tx.Now, ObservationID: observationID, ProtocolVersion: protocol}
	var obs any
	if observationID != 0 {
		obs = observationID
	}
	id, err := tx.insert(ctx, `INSERT INTO session_alerts (session_id, clinic_id, patient_id, rule, tier, message, value, reading_at,
		raised_at, observation_id, protocol_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.SessionID, a.ClinicID, a.PatientID, string(a.Rule), string(a.Tier), a.Message, a.Value, a.ReadingAt, a.RaisedAt, obs, protocol)
	if err != nil {
		return a, fmt.Errorf("raising alert %s: %w", f.Rule, err)
	}
	a.ID = id
	return a, tx.Audit(ctx, Event{Actor: actor, Action: "alert.raise", ClinicID: s.ClinicID, PatientID: s.PatientID,
		Detail: fmt.Sprintf("session %d alert %d: %s (%s) %s; protocol %d", s.ID, id, f.Rule, f.Tier, f.Value, protocol)})
}

// ClearAlert marks an open alert's condition as gone.
func (tx *Tx) ClearAlert(ctx context.Context, id int64) error {
	_, err := tx.exec(ctx, "UPDATE session_alerts SET cleared_at = ? WHERE id = ? AND cleared_at IS NULL", tx.Now, id)
	return err
}

// OpenAlerts lists the session's alerts whose condition still holds.
func (tx *Tx) OpenAlerts(ctx context.Context, sessionID int64) ([]Alert, error) {
	return tx.listAlerts(ctx, "session_id = ? AND cleared_at IS NULL ORDER BY id", sessionID)
}

// SessionAlerts lists every alert of a session, oldest first. The caller
// has authorised and audited the access.
func (tx *Tx) SessionAlerts(ctx context.Context, sessionID int64) ([]Alert, error) {
	return queryList(ctx, tx, scanAlert, sessionAlertsQuery+" ORDER BY raised_at, id", sessionID)
}

// OutstandingAlerts lists the session's alerts that are open or still
// unacknowledged, oldest first.
func (tx *Tx) OutstandingAlerts(ctx context.Context, sessionID int64) ([]Alert, error) {
	return queryList(ctx, tx, scanAlert, outstandingAlertsQuery, sessionID, string(clinical.TierInfo), string(clinical.RuleObservationOverdue))
}

// A session's alerts, through the index keyed by block (blocks.go); the
// caller adds conditions and the order.
var (
	sessionAlertsQuery = withBlocks("session_alerts", "id") + "SELECT " + alertColumns +
		" FROM block CROSS JOIN session_alerts WHERE id_block = block.n AND session_id = ?"
	outstandingAlertsQuery = sessionAlertsQuery +
		" AND (cleared_at IS NULL OR (acknowledged_at IS NULL AND tier <> ? AND rule <> ?)) ORDER BY raised_at, id"
)

func (tx *Tx) listAlerts(ctx context.Context, where string, args ...any) ([]Alert, error) {
	return queryList(ctx, tx, scanAlert, "SELECT "+alertColumns+" FROM session_alerts WHERE "+where, args...)
}

// AlertFor loads an alert the actor may see, audited under action through
// its session's patient.
func (tx *Tx) AlertFor(ctx context.Context, a ketacare.Actor, id int64, action string) (Alert, DosingSession, error) {
	al, err := scanAlert(tx.queryRow(ctx, "SELECT "+alertColumns+" FROM session_alerts WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return al, DosingSession{}, deny(Event{Actor: a, Action: action, Detail: fmt.Sprintf("no alert %d", id)}, notFound("Alert"))
	}
	if err != nil {
		return al, DosingSession{}, err
	}
	s, _, err := tx.DosingSessionFor(ctx, a, al.SessionID, action)
	if err != nil {
		if ketacare.ErrorCode(err) == ketacare.ENOTFOUND {
			var d *deniedError
			if errors.As(err, &d) {
				d.err = notFound("Alert")
				return Alert{}, DosingSession{}, d
			}
			return Alert{}, DosingSession{}, notFound("Alert")
		}
		return Alert{}, DosingSession{}, err
	}
	return al, s, nil
}

// AcknowledgeAlert records that the named user saw the alert. An alert
// already acknowledged keeps its first acknowledgement.
func (tx *Tx) AcknowledgeAlert(ctx context.Context, a ketacare.Actor, al *Alert) error {
	if al.AcknowledgedAt != nil {
		return nil
	}
	name := a.Name
	if name == "" {
		name = a.Email
	}
	now := tx.Now
	if _, err := tx.exec(ctx, "UPDATE session_alerts SET acknowledged_at = ?, acknowledged_by = ?, acknowledged_name = ? WHERE id = ? AND acknowledged_at IS NULL",
		now, a.UserID, name, al.ID); err != nil {
		return err
	}
	al.AcknowledgedAt, al.AcknowledgedBy, al.AcknowledgedName = &now, a.UserID, name
	return tx.Audit(ctx, Event{Actor: a, Action: "alert.acknowledge", ClinicID: al.ClinicID, PatientID: al.PatientID,
		Detail: fmt.Sprintf("session %d alert %d: %s", al.SessionID, al.ID, al.Rule)})
}

// AlertsDueForEscalation lists unacknowledged, unescalated alerts that need
// acknowledgement and were raised at or before raisedBefore.
func (tx *Tx) AlertsDueForEscalation(ctx context.Context, raisedBefore time.Time) ([]Alert, error) {
	return tx.listAlerts(ctx, `acknowledged_at IS NULL AND escalated_at IS NULL AND tier <> ? AND raised_at <= ?
		AND NOT (rule = ? AND cleared_at IS NOT NULL) ORDER BY raised_at, id`,
		string(clinical.TierInfo), raisedBefore.UTC(), string(clinical.RuleObservationOverdue))
}

// EscalateAlert records that the alert was escalated to the named
// prescribers (those on duty, or when none was, every prescriber of the
// clinic), audited under the system actor. It reports false when the alert
// was acknowledged or escalated meanwhile (by another process).
func (tx *Tx) EscalateAlert(ctx context.Context, system ketacare.Actor, al *Alert, to []string, onDuty bool) (bool, error) {
	now := tx.Now
	who := strings.Join(to, ", ")
	switch {
	case who == "":
		who = "no prescriber found for the clinic"
	case !onDuty:
		who += " (no prescriber on duty)"
	}
	res, err := tx.exec(ctx, "UPDATE session_alerts SET escalated_at = ?, escalated_to = ? WHERE id = ? AND acknowledged_at IS NULL AND escalated_at IS NULL",
		now, who, al.ID)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	al.EscalatedAt, al.EscalatedTo = &now, who
	return true, tx.Audit(ctx, Event{Actor: system, Action: "alert.escalate", ClinicID: al.ClinicID, PatientID: al.PatientID,
		Detail: fmt.Sprintf("session %d alert %d: %s unacknowledged; escalated to %s", al.SessionID, al.ID, al.Rule, who)})
}

// AlertSessionID returns the session of an alert without auditing: it
// reveals no patient data, and only serves to find which session to lock
// before the audited change.
func (tx *Tx) AlertSessionID(ctx context.Context, id int64) (int64, error) {
	var sid int64
	err := tx.queryRow(ctx, "SELECT session_id FROM session_alerts WHERE id = ?", id).Scan(&sid)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, notFound("Alert")
	}
	return sid, err
}
