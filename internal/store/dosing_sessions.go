package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
)

// The states of a dosing session.
const (
	SessionOpen       = "open"       // opened; baseline being taken
	SessionDosed      = "dosed"      // the dose was given: the clock runs
	SessionDischarged = "discharged" // signed off by a clinician
	SessionClosed     = "closed"     // closed before any dose was marked (opened in error, or no dose given), with the reason
)

// DosingSession is one dosing session of a patient: the dose given and the
// monitoring until discharge.
type DosingSession struct {
	ID        int64
	PatientID int64
	ClinicID  int64
	Drug      string
	Route     clinical.Route
	DoseMg    float64
	Status    string
	// SpO2Scale2 marks a patient whose target SpO2 is 88–92 %: NEWS2 uses
	// SpO2 scale 2.
	SpO2Scale2 bool
	OpenedAt   time.Time
	OpenedBy   int64
	// DoseAt is the first dose, when the clock starts; DoseEndAt the end
	// of the dose (end of infusion, last device) when it was marked.
	DoseAt    *time.Time
	DoseEndAt *time.Time
	DoseBy    int64

	EscortConfirmed    bool
	DrivingAdviceGiven bool

	DischargedAt      *time.Time
	DischargedBy      int64
	DischargedByName  string
	DischargeInGate   *bool
	DischargeReason   string
	DischargeGate     *clinical.GateResult
	DischargeProtocol int
	// OpenProtocol is the protocol version in force when it was opened.
	OpenProtocol int
}

// Live reports whether the session is being monitored (not discharged).
func (s DosingSession) Live() bool { return s.Status != SessionDischarged && s.Status != SessionClosed }

// DoseEnd is the end of the dose for the discharge gate: the marked end;
// for a route whose dose is given at once (an injection, a nasal spray,
// a tablet) the dose time when no end was marked. An intravenous infusion
// has no end until one is marked, so the gate's wait cannot start from the
// infusion's start. Zero before dosing.
func (s DosingSession) DoseEnd() time.Time {
	switch {
	case s.DoseEndAt != nil:
		return *s.DoseEndAt
	case s.DoseAt != nil && s.Route != clinical.RouteIV:
		return *s.DoseAt
	}
	return time.Time{}
}

const dosingSessionColumns = `id, patient_id, clinic_id, drug, route, dose_mg, status, spo2_scale2, opened_at, opened_by,
	dose_at, dose_end_at, dose_by, escort_confirmed, driving_advice, discharged_at, discharged_by, discharged_by_name,
	discharge_in_gate, discharge_reason, discharge_gate, discharge_protocol, open_protocol`

func scanDosingSession(s interface{ Scan(...any) error }) (DosingSession, error) {
	var d DosingSession
	var route, gate string
	var doseAt, doseEnd, discharged sql.NullTime
	var doseBy, dischargedBy, dischargeProtocol sql.NullInt64
	var inGate sql.NullBool
	err := s.Scan(&d.ID, &d.PatientID, &d.ClinicID, &d.Drug, &route, &d.DoseMg, &d.Status, &d.SpO2Scale2, &d.OpenedAt, &d.OpenedBy,
		&doseAt, &doseEnd, &doseBy, &d.EscortConfirmed, &d.DrivingAdviceGiven, &discharged, &dischargedBy, &d.DischargedByName,
		&inGate, &d.DischargeReason, &gate, &dischargeProtocol, &d.OpenProtocol)
	if err != nil {
		return d, err
	}
	d.Route = clinical.Route(route)
	d.OpenedAt = d.OpenedAt.UTC()
	d.DoseAt, d.DoseEndAt, d.DischargedAt = nullTime(doseAt), nullTime(doseEnd), nullTime(discharged)
	d.DoseBy, d.DischargedBy, d.DischargeProtocol = doseBy.Int64, dischargedBy.Int64, int(dischargeProtocol.Int64)
	if inGate.Valid {
		d.DischargeInGate = &inGate.Bool
	}
	if gate != "" {
		var g clinical.GateResult
		if err := json.Unmarshal([]byte(gate), &g); err != nil {
			return d, fmt.Errorf("session %d: discharge gate: %w", d.ID, err)
		}
		d.DischargeGate = &g
	}
	return d, nil
}

func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

// NewDosingSession is what opening a session records.
type NewDosingSession struct {
	PatientID  int64
	ClinicID   int64
	Drug       string
	Route      clinical.Route
	DoseMg     float64
	SpO2Scale2 bool
	Protocol   int
}

// InsertDosingSession stores a new open session. The caller has checked the
// patient (PatientFor) and the dosing gate.
func (tx *Tx) InsertDosingSession(ctx context.Context, a ketacare.Actor, n NewDosingSession) (DosingSession, error) {
	id, err := tx.insert(ctx, `INSERT INTO dosing_sessions (patient_id, clinic_id, drug, route, dose_mg, status, spo2_scale2,
		opened_at, opened_by, open_protocol) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.PatientID, n.ClinicID, n.Drug, string(n.Route), n.DoseMg, SessionOpen, n.SpO2Scale2, tx.Now, a.UserID, n.Protocol)
	if err != nil {
		return DosingSession{}, fmt.Errorf("inserting dosing session: %w", err)
	}
	if err := tx.Audit(ctx, Event{Actor: a, Action: "session.open", ClinicID: n.ClinicID, PatientID: n.PatientID,
		Detail: fmt.Sprintf("session %d: %s %s %g mg", id, n.Drug, n.Route, n.DoseMg)}); err != nil {
		return DosingSession{}, err
	}
	return DosingSession{ID: id, PatientID: n.PatientID, ClinicID: n.ClinicID, Drug: n.Drug, Route: n.Route, DoseMg: n.DoseMg,
		Status: SessionOpen, SpO2Scale2: n.SpO2Scale2, OpenedAt: tx.Now, OpenedBy: a.UserID, OpenProtocol: n.Protocol}, nil
}

// LiveSessionOfPatient returns the patient's session that is not yet
// discharged, if any (ok false otherwise).
func (tx *Tx) LiveSessionOfPatient(ctx context.Context, patientID int64) (DosingSession, bool, error) {
	s, err := scanDosingSession(tx.queryRow(ctx, "SELECT "+dosingSessionColumns+" FROM dosing_sessions WHERE patient_id = ? AND status NOT IN (?, ?) ORDER BY id DESC LIMIT 1",
		patientID, SessionDischarged, SessionClosed))
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	return s, err == nil, err
}

// DosingSessionFor loads a session the actor may see, with its patient,
// and audits the access under action (see PatientFor). A session of
// another clinic is not found.
func (tx *Tx) DosingSessionFor(ctx context.Context, a ketacare.Actor, id int64, action string) (DosingSession, ketacare.Patient, error) {
	s, err := scanDosingSession(tx.queryRow(ctx, "SELECT "+dosingSessionColumns+" FROM dosing_sessions WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, ketacare.Patient{}, deny(Event{Actor: a, Action: action, Detail: fmt.Sprintf("no session %d", id)}, notFound("Session"))
	}
	if err != nil {
		return s, ketacare.Patient{}, err
	}
	p, err := tx.PatientFor(ctx, a, s.PatientID, action)
	if err != nil {
		if ketacare.ErrorCode(err) == ketacare.ENOTFOUND {
			err = deny(Event{Actor: a, Action: action, PatientID: s.PatientID, ClinicID: s.ClinicID,
				Detail: fmt.Sprintf("session %d outside the actor's clinics", id)}, notFound("Session"))
		}
		return DosingSession{}, ketacare.Patient{}, err
	}
	return s, p, nil
}

// DosingSessionForDevice loads a session for a bedside device, which has
// no clinic membership of its own: the device was matched to the session
// by the patient's identifier. The access is audited under the device's
// actor.
func (tx *Tx) DosingSessionForDevice(ctx context.Context, device ketacare.Actor, id int64, action string) (DosingSession, ketacare.Patient, error) {
	s, err := scanDosingSession(tx.queryRow(ctx, "SELECT "+dosingSessionColumns+" FROM dosing_sessions WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, ketacare.Patient{}, notFound("Session")
	}
	if err != nil {
		return s, ketacare.Patient{}, err
	}
	p, err := scanPatient(tx.queryRow(ctx, "SELECT "+patientColumns+" FROM patients WHERE id = ?", s.PatientID))
	if err != nil {
		return s, p, err
	}
	return s, p, tx.Audit(ctx, Event{Actor: device, Action: action, ClinicID: p.ClinicID, PatientID: p.ID,
		Detail: fmt.Sprintf("session %d", id)})
}

// SessionByID loads a session without authorisation or audit, for
// background work of the system itself (escalation, overdue reminders).
func (tx *Tx) SessionByID(ctx context.Context, id int64) (DosingSession, error) {
	s, err := scanDosingSession(tx.queryRow(ctx, "SELECT "+dosingSessionColumns+" FROM dosing_sessions WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, notFound("Session")
	}
	return s, err
}

// MarkDose records the dose: the first call sets the dose time (the
// clock starts) and moves the session to dosed; endAt, when given, records
// the end of the dose.
func (tx *Tx) MarkDose(ctx context.Context, a ketacare.Actor, s *DosingSession, at time.Time, endAt *time.Time) error {
	if !s.Live() {
		return ketacare.Errorf(ketacare.ECONFLICT, "The session is closed.")
	}
	if s.DoseAt == nil {
		at = at.UTC()
		s.DoseAt, s.DoseBy, s.Status = &at, a.UserID, SessionDosed
	}
	if endAt != nil {
		e := endAt.UTC()
		if e.Before(*s.DoseAt) {
			return &ketacare.Error{Code: ketacare.EINVALID, Message: "The end of the dose cannot be before its start.",
				Fields: map[string]string{"endAt": "The end of the dose cannot be before its start."}}
		}
		s.DoseEndAt = &e
	}
	if _, err := tx.exec(ctx, "UPDATE dosing_sessions SET status = ?, dose_at = ?, dose_end_at = ?, dose_by = ? WHERE id = ?",
		s.Status, s.DoseAt, s.DoseEndAt, s.DoseBy, s.ID); err != nil {
		return err
	}
	detail := fmt.Sprintf("session %d: dose at %s", s.ID, s.DoseAt.Format(time.RFC3339))
	if s.DoseEndAt != nil {
		detail += ", ended " + s.DoseEndAt.Format(time.RFC3339)
	}
	return tx.Audit(ctx, Event{Actor: a, Action: "session.dose", ClinicID: s.ClinicID, PatientID: s.PatientID, Detail: detail})
}

// SetDischargeChecks records the escort and driving-advice items of the
// discharge checklist.
func (tx *Tx) SetDischargeChecks(ctx context.Context, a ketacare.Actor, s *DosingSession, escort, driving bool) error {
	s.EscortConfirmed, s.DrivingAdviceGiven = escort, driving
	if _, err := tx.exec(ctx, "UPDATE dosing_sessions SET escort_confirmed = ?, driving_advice = ? WHERE id = ?", escort, driving, s.ID); err != nil {
		return err
	}
	return tx.Audit(ctx, Event{Actor: a, Action: "session.discharge-checks", ClinicID: s.ClinicID, PatientID: s.PatientID,
		Detail: fmt.Sprintf("session %d: escort %t, driving advice %t", s.ID, escort, driving)})
}

// RecordDischarge signs the discharge by the named clinician, with the
// gate as it stood and, outside the gate, the reason.
func (tx *Tx) RecordDischarge(ctx context.Context, a ketacare.Actor, s *DosingSession, gate clinical.GateResult, protocol int, reason string) error {
	doc, err := json.Marshal(gate)
	if err != nil {
		return err
	}
	now := tx.Now
	name := a.Name
	if name == "" {
		name = a.Email
	}
	s.Status, s.DischargedAt, s.DischargedBy, s.DischargedByName = SessionDischarged, &now, a.UserID, name
	s.DischargeInGate, s.DischargeReason, s.DischargeGate, s.DischargeProtocol = &gate.Pass, reason, &gate, protocol
	if _, err := tx.exec(ctx, `UPDATE dosing_sessions SET status = ?, discharged_at = ?, discharged_by = ?, discharged_by_name = ?,
		discharge_in_gate = ?, discharge_reason = ?, discharge_gate = ?, discharge_protocol = ? WHERE id = ?`,
		s.Status, now, a.UserID, name, gate.Pass, reason, string(doc), protocol, s.ID); err != nil {
		return err
	}
	detail := fmt.Sprintf("session %d: discharged within the gate (protocol %d)", s.ID, protocol)
	if !gate.Pass {
		var failed []string
		for _, it := range gate.Items {
			if !it.Pass {
				failed = append(failed, it.Code)
			}
		}
		detail = fmt.Sprintf("session %d: discharged outside the gate (protocol %d; %s): %s", s.ID, protocol, strings.Join(failed, ", "), reason)
	}
	return tx.Audit(ctx, Event{Actor: a, Action: "session.discharge", ClinicID: s.ClinicID, PatientID: s.PatientID, Detail: detail})
}

// CloseUndosed closes a session in which no dose was marked, signed by the
// named clinician with the reason (the session was opened in error, or the
// dose was not given). It is then no longer live; it has no discharge, no
// follow-up and no place in the reports.
func (tx *Tx) CloseUndosed(ctx context.Context, a ketacare.Actor, s *DosingSession, reason string) error {
	now := tx.Now
	name := a.Name
	if name == "" {
		name = a.Email
	}
	s.Status, s.DischargedAt, s.DischargedBy, s.DischargedByName, s.DischargeReason = SessionClosed, &now, a.UserID, name, reason
	if _, err := tx.exec(ctx, `UPDATE dosing_sessions SET status = ?, discharged_at = ?, discharged_by = ?, discharged_by_name = ?,
		discharge_reason = ? WHERE id = ? AND dose_at IS NULL`, s.Status, now, a.UserID, name, reason, s.ID); err != nil {
		return err
	}
	return tx.Audit(ctx, Event{Actor: a, Action: "session.close", ClinicID: s.ClinicID, PatientID: s.PatientID,
		Detail: fmt.Sprintf("session %d: closed without a dose: %s", s.ID, reason)})
}

// LiveSessionIDs lists the sessions not yet discharged, of every clinic
// (clinicID 0) or of one, oldest first.
func (tx *Tx) LiveSessionIDs(ctx context.Context, clinicID int64) ([]int64, error) {
	q := "SELECT id FROM dosing_sessions WHERE status NOT IN (?, ?)"
	args := []any{SessionDischarged, SessionClosed}
	if clinicID != 0 {
		q += " AND clinic_id = ?"
		args = append(args, clinicID)
	}
	return tx.queryIDs(ctx, q+" ORDER BY id", args...)
}

// LiveSessionsOfClinic lists the clinic's sessions not yet discharged, with
// their patients, oldest first; the listing is audited once for the actor,
// who must work in the clinic.
func (tx *Tx) LiveSessionsOfClinic(ctx context.Context, a ketacare.Actor, clinicID int64) ([]DosingSession, map[int64]ketacare.Patient, error) {
	if !a.Role.Clinical() || !a.InClinic(clinicID) {
		return nil, nil, deny(Event{Actor: a, Action: "board.read", ClinicID: clinicID, Detail: "outside the actor's clinics"}, notFound("Clinic"))
	}
	rows, err := tx.query(ctx, "SELECT "+dosingSessionColumns+" FROM dosing_sessions WHERE clinic_id = ? AND status NOT IN (?, ?) ORDER BY opened_at, id",
		clinicID, SessionDischarged, SessionClosed)
	if err != nil {
		return nil, nil, err
	}
	var out []DosingSession
	for rows.Next() {
		s, err := scanDosingSession(rows)
		if err != nil {
			rows.Close()
			return nil, nil, err
		}
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	patients := map[int64]ketacare.Patient{}
	for _, s := range out {
		if _, ok := patients[s.PatientID]; ok {
			continue
		}
		p, err := scanPatient(tx.queryRow(ctx, "SELECT "+patientColumns+" FROM patients WHERE id = ?", s.PatientID))
		if err != nil {
			return nil, nil, err
		}
		patients[p.ID] = p
	}
	return out, patients, tx.Audit(ctx, Event{Actor: a, Action: "board.read", ClinicID: clinicID,
		Detail: fmt.Sprintf("%d sessions in progress", len(out))})
}

// SessionsOfPatient lists a patient's sessions, newest first. The caller
// has authorised and audited the access (PatientFor).
func (tx *Tx) SessionsOfPatient(ctx context.Context, patientID int64) ([]DosingSession, error) {
	return queryList(ctx, tx, scanDosingSession, "SELECT "+dosingSessionColumns+" FROM dosing_sessions WHERE patient_id = ? ORDER BY opened_at DESC, id DESC", patientID)
}

// PatientsByIdentifier finds the patients a bedside device names: by NHS
// number, or by ketacare patient id.
func (tx *Tx) PatientsByIdentifier(ctx context.Context, nhsNumber string, patientID int64) ([]int64, error) {
	return tx.queryIDs(ctx, "SELECT id FROM patients WHERE (nhs_number <> '' AND nhs_number = ?) OR id = ?", nhsNumber, patientID)
}

// Prescriber is an enabled prescriber of a clinic: who an unacknowledged
// alert is escalated to.
type Prescriber struct {
	Name   string // the email when the account has no name
	Email  string
	Mobile string // E.164, empty when none
	OnDuty bool   // on duty in the clinic listed for
}

// ClinicPrescribers lists the clinic's enabled prescribers by name.
func (tx *Tx) ClinicPrescribers(ctx context.Context, clinicID int64) ([]Prescriber, error) {
	return queryList(ctx, tx, func(s interface{ Scan(...any) error }) (Prescriber, error) {
		var p Prescriber
		err := s.Scan(&p.Name, &p.Email, &p.Mobile, &p.OnDuty)
		if p.Name == "" {
			p.Name = p.Email
		}
		return p, err
	}, `SELECT u.name, u.email, u.mobile, c.on_duty_since IS NOT NULL FROM users u JOIN user_clinics c ON c.user_id = u.id
		WHERE c.clinic_id = ? AND u.role = ? AND u.disabled = ? ORDER BY u.name, u.id`, clinicID, string(ketacare.RolePrescriber), false)
}

// EscalationTargets are whom an unacknowledged alert goes to: the
// prescribers on duty, or every prescriber when none is (onDuty false).
func EscalationTargets(prescribers []Prescriber) (to []Prescriber, onDuty bool) {
	for _, p := range prescribers {
		if p.OnDuty {
			to = append(to, p)
		}
	}
	if len(to) == 0 {
		return prescribers, false
	}
	return to, true
}

// LockSession serialises changes to one session between processes sharing
// a PostgreSQL database (SELECT ... FOR UPDATE); SQLite has one writer, so
// it does nothing there.
func (tx *Tx) LockSession(ctx context.Context, id int64) error {
	if tx.dialect != Postgres {
		return nil
	}
	var x int64
	err := tx.queryRow(ctx, "SELECT id FROM dosing_sessions WHERE id = ? FOR UPDATE", id).Scan(&x)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("Session")
	}
	return err
}

// RecordDenied audits a refusal that a transaction noticed (through
// PatientFor, DosingSessionFor or AlertFor) and rolled back, and returns
// the error to show; other errors are returned unchanged. Callers of
// Update and UpdateGrouped outside this package use it as DB methods use
// recordDenied.
func (db *DB) RecordDenied(ctx context.Context, err error) error { return db.recordDenied(ctx, err) }

// SessionForSystem loads a session and its patient for the system's own
// background work (overdue reminders), without authorisation or audit:
// what the work changes is audited where it is changed.
func (tx *Tx) SessionForSystem(ctx context.Context, id int64) (DosingSession, ketacare.Patient, error) {
	s, err := tx.SessionByID(ctx, id)
	if err != nil {
		return s, ketacare.Patient{}, err
	}
	p, err := scanPatient(tx.queryRow(ctx, "SELECT "+patientColumns+" FROM patients WHERE id = ?", s.PatientID))
	return s, p, err
}

// CompletedDosingSessions counts the patient's discharged sessions (for the
// screening's review of the first sessions). It reads without auditing.
func (tx *Tx) CompletedDosingSessions(ctx context.Context, patientID int64) (int, error) {
	var n int
	err := tx.queryRow(ctx, "SELECT COUNT(*) FROM dosing_sessions WHERE patient_id = ? AND status = ?", patientID, SessionDischarged).Scan(&n)
	return n, err
}
