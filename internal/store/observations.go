package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ketacare/ketacare/internal/clinical"
)

// ObservationRecord is a stored observation: the readings, who or what
// recorded them, and the NEWS2 computed when it was recorded.
type ObservationRecord struct {
	ID        int64
	SessionID int64
	clinical.Observation
	// Confirmed: the recorder confirmed readings outside the plausible
	// ranges as real.
	Confirmed  bool
	Source     string // "web", "api" or "hl7"
	Device     string // the sending device or application, for "hl7"
	MessageID  string // the device's message id, for "hl7"
	RecordedBy int64  // 0 for a device
	RecordedAt time.Time
	// NEWS2 is the score of the latest values within the window at this
	// observation; nil when a parameter was missing.
	NEWS2           *clinical.NEWS2Result
	ProtocolVersion int
}

const observationColumns = `id, session_id, at, systolic, diastolic, pulse, spo2, resp_rate, temp_c, consciousness, on_oxygen,
	anxiety, moaas, cadss, signs, measures, confirmed, source, device, recorded_by, recorded_at, news2_total, news2_response,
	news2_subscores, protocol_version`

// InsertObservation stores an observation. The caller has loaded the
// session through DosingSessionFor (which audits the access) and validated
// the readings.
func (tx *Tx) InsertObservation(ctx context.Context, r *ObservationRecord) error {
	o := r.Observation
	var total any
	var subs string
	var response string
	if r.NEWS2 != nil {
		total, response = r.NEWS2.Total, r.NEWS2.Response
		b, err := json.Marshal(r.NEWS2.Subscores)
		if err != nil {
			return err
		}
		subs = string(b)
	}
	r.RecordedAt = tx.Now
	id, err := tx.insert(ctx, `INSERT INTO observations (session_id, at, systolic, diastolic, pulse, spo2, resp_rate, temp_c,
		consciousness, on_oxygen, anxiety, moaas, cadss, signs, measures, confirmed, source, device, recorded_by, recorded_at,
		news2_total, news2_response, news2_subscores, protocol_version, message_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.SessionID, o.At.UTC(), intArg(o.Systolic), intArg(o.Diastolic), intArg(o.Pulse), intArg(o.SpO2), intArg(o.RespRate),
		floatArg(o.TempC), o.Consciousness, boolArg(o.OnOxygen), intArg(o.Anxiety), intArg(o.MOAAS), joinInts(o.CADSS), strings.Join(o.Signs, ","), strings.Join(o.Measures, ","), r.Confirmed,
		r.Source, r.Device, r.RecordedBy, r.RecordedAt, total, response, subs, r.ProtocolVersion, r.MessageID)
	if err != nil {
		return fmt.Errorf("inserting observation: %w", err)
	}
	r.ID = id
	return nil
}

// Readings returns the clinical observations of stored records, for the
// rules in package clinical.
func Readings(recs []ObservationRecord) []clinical.Observation {
	out := make([]clinical.Observation, len(recs))
	for i, r := range recs {
		out[i] = r.Observation
	}
	return out
}

// SessionObservations lists a session's observations in time order. The
// caller has authorised and audited the access.
func (tx *Tx) SessionObservations(ctx context.Context, sessionID int64) ([]ObservationRecord, error) {
	return queryList(ctx, tx, scanObservation, sessionObservationsQuery, sessionID)
}

// The observations of a session, and of a patient's sessions, through the
// index keyed by block (blocks.go).
var (
	sessionObservationsQuery = withBlocks("observations", "id") + "SELECT " + observationColumns +
		" FROM block CROSS JOIN observations WHERE id_block = block.n AND session_id = ? ORDER BY at, id"
	patientObservationsQuery = withBlocks("observations", "id") + "SELECT " + observationColumns +
		" FROM block CROSS JOIN observations WHERE id_block = block.n" +
		" AND session_id IN (SELECT id FROM dosing_sessions WHERE patient_id = ?) ORDER BY at, id"
)

func scanObservation(s interface{ Scan(...any) error }) (ObservationRecord, error) {
	var r ObservationRecord
	var sys, dia, pulse, spo2, resp, anx, moaas, total sql.NullInt64
	var temp sql.NullFloat64
	var oxygen sql.NullBool
	var cadss, signs, measures, subs, response string
	err := s.Scan(&r.ID, &r.SessionID, &r.At, &sys, &dia, &pulse, &spo2, &resp, &temp, &r.Consciousness, &oxygen,
		&anx, &moaas, &cadss, &signs, &measures, &r.Confirmed, &r.Source, &r.Device, &r.RecordedBy, &r.RecordedAt,
		&total, &response, &subs, &r.ProtocolVersion)
	if err != nil {
		return r, err
	}
	r.At, r.RecordedAt = r.At.UTC(), r.RecordedAt.UTC()
	r.Systolic, r.Diastolic, r.Pulse, r.SpO2, r.RespRate = nullInt(sys), nullInt(dia), nullInt(pulse), nullInt(spo2), nullInt(resp)
	r.Anxiety, r.MOAAS = nullInt(anx), nullInt(moaas)
	if temp.Valid {
		r.TempC = &temp.Float64
	}
	if oxygen.Valid {
		r.OnOxygen = &oxygen.Bool
	}
	if r.CADSS, err = splitInts(cadss); err != nil {
		return r, fmt.Errorf("observation %d: cadss: %w", r.ID, err)
	}
	r.Signs, r.Measures = splitCodes(signs), splitCodes(measures)
	if total.Valid {
		n := clinical.NEWS2Result{Total: int(total.Int64), Response: response, Complete: true}
		if err := json.Unmarshal([]byte(subs), &n.Subscores); err != nil {
			return r, fmt.Errorf("observation %d: news2 subscores: %w", r.ID, err)
		}
		r.NEWS2 = &n
	}
	return r, nil
}

func nullInt(v sql.NullInt64) *int {
	if !v.Valid {
		return nil
	}
	n := int(v.Int64)
	return &n
}

// intArg, floatArg and boolArg pass an optional value to the driver as the
// driver's own type, or NULL: database/sql would otherwise convert the
// pointer by reflection, allocating on every statement.
func intArg(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

func floatArg(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func boolArg(p *bool) any {
	if p == nil {
		return nil
	}
	return *p
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

func splitInts(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	out := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

func splitCodes(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// DeviceMessageRecorded reports whether a device's message was already
// recorded for the session.
func (tx *Tx) DeviceMessageRecorded(ctx context.Context, sessionID int64, device, messageID string) (bool, error) {
	var n int
	err := tx.queryRow(ctx, "SELECT COUNT(*) FROM observations WHERE session_id = ? AND device = ? AND message_id = ? AND message_id <> ''",
		sessionID, device, messageID).Scan(&n)
	return n > 0, err
}
