package monitoring

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/live"
	"github.com/ketacare/ketacare/internal/store"
)

// The drugs a session may give.
const (
	DrugKetamine   = "ketamine"
	DrugEsketamine = "esketamine"
)

// OpenInput is what opening a session asks for. Drug, route and dose
// default to the patient's treatment plan; given, they must match it.
type OpenInput struct {
	Drug   string
	Route  clinical.Route
	DoseMg float64
	// SpO2Scale2: a clinician marked the patient's target SpO2 as 88–92 %.
	SpO2Scale2 bool
}

// SessionEvent is the data of the "session.*" live events.
type SessionEvent struct {
	SessionID   int64      `json:"sessionId"`
	PatientID   int64      `json:"patientId"`
	PatientName string     `json:"patientName"`
	Status      string     `json:"status"`
	DoseAt      *time.Time `json:"doseAt"`
}

func (s *Service) sessionEvent(typ string, sess store.DosingSession, p ketacare.Patient) live.Event {
	return s.event(typ, sess.ClinicID, sess.ID, SessionEvent{SessionID: sess.ID, PatientID: sess.PatientID,
		PatientName: p.GivenName + " " + p.FamilyName, Status: sess.Status, DoseAt: sess.DoseAt})
}

// OpenSession opens a dosing session for a patient. It is refused with
// ECONFLICT, giving every reason, while the dosing gate blocks (a
// contraindication, consent missing, no plan), and while the patient has a
// session not yet discharged.
func (s *Service) OpenSession(ctx context.Context, a ketacare.Actor, patientID int64, in OpenInput) (store.DosingSession, error) {
	var sess store.DosingSession
	var p ketacare.Patient
	err := s.db.UpdateGrouped(ctx, func(tx *store.Tx) error {
		var err error
		p, err = tx.PatientFor(ctx, a, patientID, "session.open")
		if err != nil {
			return err
		}
		pv, err := s.protocol(ctx, tx)
		if err != nil {
			return err
		}
		if live, ok, err := tx.LiveSessionOfPatient(ctx, patientID); err != nil {
			return err
		} else if ok {
			return ketacare.Errorf(ketacare.ECONFLICT, "The patient already has a session in progress (session %d); discharge it first.", live.ID)
		}
		gate, err := tx.DosingGateFor(ctx, patientID)
		if err != nil {
			return err
		}
		if len(gate.Blocked) > 0 {
			return ketacare.Errorf(ketacare.ECONFLICT, "The patient cannot be dosed: %s", strings.Join(gate.Blocked, " "))
		}
		n, err := sessionFromPlan(gate.Plan, in)
		if err != nil {
			return err
		}
		n.PatientID, n.ClinicID, n.Protocol, n.SpO2Scale2 = p.ID, p.ClinicID, pv.Version, in.SpO2Scale2
		sess, err = tx.InsertDosingSession(ctx, a, n)
		return err
	})
	if err != nil {
		return sess, s.denied(ctx, err)
	}
	s.publish([]live.Event{s.sessionEvent(EventSessionOpened, sess, p)})
	return sess, nil
}

// sessionFromPlan checks the requested drug, route and dose against the
// plan, filling in what was not given.
func sessionFromPlan(plan *store.DosingPlan, in OpenInput) (store.NewDosingSession, error) {
	f := map[string]string{}
	n := store.NewDosingSession{Drug: strings.ToLower(strings.TrimSpace(in.Drug)), Route: clinical.Route(strings.ToLower(string(in.Route))), DoseMg: in.DoseMg}
	if plan != nil {
		if n.Drug == "" {
			n.Drug = plan.Drug
		} else if n.Drug != plan.Drug {
			f["drug"] = fmt.Sprintf("The plan prescribes %s.", plan.Drug)
		}
		if n.Route == "" {
			n.Route = plan.Route
		} else if n.Route != plan.Route {
			f["route"] = fmt.Sprintf("The plan prescribes route %s.", plan.Route)
		}
		if n.DoseMg == 0 {
			n.DoseMg = plan.DoseMg
		} else if math.Abs(n.DoseMg-plan.DoseMg) > 0.001 {
			f["doseMg"] = fmt.Sprintf("The plan prescribes %g mg.", plan.DoseMg)
		}
		if len(f) > 0 {
			return n, &ketacare.Error{Code: ketacare.ECONFLICT, Message: "The session must follow the treatment plan; a prescriber changes the plan.", Fields: f}
		}
	}
	switch n.Drug {
	case DrugKetamine, DrugEsketamine:
	case "":
		f["drug"] = "Give the drug: ketamine or esketamine."
	default:
		f["drug"] = "The drug must be ketamine or esketamine."
	}
	if !n.Route.Valid() {
		f["route"] = "The route must be iv, im, intranasal, oral or sublingual."
	} else if n.Drug == DrugEsketamine && n.Route != clinical.RouteIntranasal {
		f["route"] = "Esketamine is given intranasally."
	}
	// No ceiling here: the dose is the plan's, which a prescriber wrote and
	// the protocol sets no maximum for.
	if !(n.DoseMg > 0) || math.IsInf(n.DoseMg, 0) {
		f["doseMg"] = "Give the dose in mg (more than 0)."
	}
	return n, ketacare.FieldErrors(f)
}

// DoseInput marks a dose.
type DoseInput struct {
	At    *time.Time // when the dose was given; now when nil
	EndAt *time.Time // the end of the dose (end of an infusion), from which the discharge wait counts
	// WithoutBaseline confirms marking the dose although the pre-dose
	// baseline (blood pressure, anxiety rating, MOAA/S) is not complete.
	WithoutBaseline bool
}

// MarkDose records the dose given: the session clock starts. The pre-dose
// baseline must be complete first (the rise and sedation alerts compare
// with it), unless the nurse confirms going without. in.EndAt, when given,
// records the end of the dose.
func (s *Service) MarkDose(ctx context.Context, a ketacare.Actor, sessionID int64, in DoseInput) (store.DosingSession, error) {
	at, endAt := in.At, in.EndAt
	e := s.entry(sessionID)
	e.mu.Lock()
	defer e.mu.Unlock()
	var sess store.DosingSession
	var p ketacare.Patient
	err := s.db.UpdateGrouped(ctx, func(tx *store.Tx) error {
		var err error
		if sess, p, err = lockedSession(ctx, tx, a, sessionID, "session.dose"); err != nil {
			return err
		}
		when := tx.Now
		if at != nil {
			if at.After(tx.Now.Add(MaxFutureSkew)) {
				return &ketacare.Error{Code: ketacare.EINVALID, Message: "The dose time is in the future.", Fields: map[string]string{"at": "The dose time is in the future."}}
			}
			when = *at
		}
		if sess.DoseAt != nil && endAt == nil {
			return ketacare.Errorf(ketacare.ECONFLICT, "The dose was already marked at %s.", sess.DoseAt.Format(time.RFC3339))
		}
		first := sess.DoseAt == nil
		if first {
			complete, err := baselineComplete(ctx, tx, sessionID, when)
			if err != nil {
				return err
			}
			if !complete && !in.WithoutBaseline {
				return &ketacare.Error{Code: ketacare.ECONFLICT, Message: "Record the pre-dose baseline first: a blood pressure, the anxiety rating and MOAA/S. " +
					"Without it the rise and sedation alerts have nothing to compare with. To mark the dose anyway, confirm that no baseline was taken.",
					Fields: map[string]string{"withoutBaseline": "Record the pre-dose baseline first, or confirm that no baseline was taken."}}
			}
			if !complete {
				if err := tx.Audit(ctx, store.Event{Actor: a, Action: "session.dose", ClinicID: sess.ClinicID, PatientID: sess.PatientID,
					Detail: fmt.Sprintf("session %d: dose marked without a complete pre-dose baseline, confirmed", sess.ID)}); err != nil {
					return err
				}
			}
		}
		return tx.MarkDose(ctx, a, &sess, when, endAt)
	})
	if err != nil {
		return sess, s.denied(ctx, err)
	}
	e.state.Store(nil) // the baseline may have changed: rebuilt on next use
	s.publish([]live.Event{s.sessionEvent(EventSessionDosed, sess, p)})
	return sess, nil
}

// Session returns a session with its patient, audited as a read.
func (s *Service) Session(ctx context.Context, a ketacare.Actor, sessionID int64) (store.DosingSession, ketacare.Patient, error) {
	var sess store.DosingSession
	var p ketacare.Patient
	// An audited read: a request's Idempotency-Key is claimed with the
	// request's work, not here.
	err := s.db.Update(store.WithoutIdempotencyKey(ctx), func(tx *store.Tx) error {
		var err error
		sess, p, err = tx.DosingSessionFor(ctx, a, sessionID, "session.read")
		return err
	})
	return sess, p, s.denied(ctx, err)
}

// SessionsOfPatient lists a patient's sessions, newest first.
func (s *Service) SessionsOfPatient(ctx context.Context, a ketacare.Actor, patientID int64) (ketacare.Patient, []store.DosingSession, error) {
	var out []store.DosingSession
	var p ketacare.Patient
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		if p, err = tx.PatientFor(ctx, a, patientID, "session.list"); err != nil {
			return err
		}
		out, err = tx.SessionsOfPatient(ctx, patientID)
		return err
	})
	return p, out, s.denied(ctx, err)
}

// Record is the whole record of a session: for its page, its print and
// follow-up.
type Record struct {
	Session      store.DosingSession
	Patient      ketacare.Patient
	Observations []store.ObservationRecord
	Alerts       []store.Alert
	// Protocol is the version current now, used for the gate, the next due
	// time and the plausible ranges of the form.
	Protocol store.ProtocolVersion
	// Gate is the discharge checklist now (for a discharged session, the
	// gate as signed is in Session.DischargeGate).
	Gate clinical.GateResult
	// NextDue is when the next observation is due; zero when none is.
	NextDue  time.Time
	CADSSDue bool
	Baseline clinical.Observation
	// NEWS2 is the score now, or for a finished session at its last
	// observation (NEWS2At).
	NEWS2     *clinical.NEWS2Result
	NEWS2At   time.Time
	Now       time.Time
	Completed bool
}

// SessionRecord returns a session's whole record, audited as a read.
func (s *Service) SessionRecord(ctx context.Context, a ketacare.Actor, sessionID int64) (Record, error) {
	var r Record
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		r.Session, r.Patient, err = tx.DosingSessionFor(ctx, a, sessionID, "session.read")
		if err != nil {
			return err
		}
		if r.Observations, err = tx.SessionObservations(ctx, sessionID); err != nil {
			return err
		}
		if r.Alerts, err = tx.SessionAlerts(ctx, sessionID); err != nil {
			return err
		}
		pv, err := s.protocol(ctx, tx)
		if err != nil {
			return err
		}
		r.Protocol = *pv
		r.Now = tx.Now
		st := newState(r.Session, r.Patient)
		all := make([]clinical.Observation, 0, len(r.Observations))
		for _, o := range r.Observations {
			st.add(o.Observation)
			all = append(all, o.Observation)
		}
		for _, al := range r.Alerts {
			if al.Outstanding() {
				st.alerts[al.ID] = al
			}
		}
		r.Baseline = st.baseline()
		mp := r.Protocol.Protocol.Monitoring
		r.NEWS2At = r.Now
		if !r.Session.Live() && len(all) > 0 {
			// A finished session's score is the one at its last observation.
			r.NEWS2At = all[0].At
			for _, o := range all[1:] {
				if o.At.After(r.NEWS2At) {
					r.NEWS2At = o.At
				}
			}
		}
		if n, ok := clinical.SessionNEWS2(mp, all, r.NEWS2At, r.Session.SpO2Scale2); ok {
			r.NEWS2 = &n
		}
		r.Gate = s.gate(r.Protocol.Protocol, st, r.Now)
		if r.Session.DoseAt != nil && r.Session.Live() {
			if due, ok := clinical.NextObservationDue(mp, r.Session.Route, *r.Session.DoseAt, st.lastScheduledAt(r.Now)); ok {
				r.NextDue = due
			}
			r.CADSSDue = clinical.CADSSDue(mp, *r.Session.DoseAt, all, r.Now)
		}
		r.Completed = !r.Session.Live()
		return nil
	})
	return r, s.denied(ctx, err)
}

// gate computes the discharge checklist of a state at now.
func (s *Service) gate(p clinical.Protocol, st *sessionState, now time.Time) clinical.GateResult {
	var unacked []string
	for _, a := range st.outstanding() {
		if a.NeedsAcknowledgement() {
			unacked = append(unacked, fmt.Sprintf("%s (%s)", a.Rule, a.Tier))
		}
	}
	return clinical.DischargeGate(p.Discharge, clinical.DischargeInput{
		Route: st.session.Route, DoseEndAt: st.session.DoseEnd(), Baseline: st.baseline(), Observations: plain(st.obs),
		UnacknowledgedAlerts: unacked, EscortConfirmed: st.session.EscortConfirmed, DrivingAdviceGiven: st.session.DrivingAdviceGiven, Now: now,
	})
}

// DischargeInput is the clinician's part of the discharge checklist.
type DischargeInput struct {
	EscortConfirmed    bool
	DrivingAdviceGiven bool
	// Reason is required when the gate does not pass.
	Reason string
}

// DischargeResult is the signed discharge.
type DischargeResult struct {
	Session         store.DosingSession
	Gate            clinical.GateResult
	ProtocolVersion int
}

// Discharge signs the discharge of a session by the actor. The gate is
// checked by the current protocol; a discharge outside the gate needs a
// written reason (EINVALID naming "reason" otherwise). The gate, the
// protocol version and the reason are stored with the session.
func (s *Service) Discharge(ctx context.Context, a ketacare.Actor, sessionID int64, in DischargeInput) (DischargeResult, error) {
	e := s.entry(sessionID)
	e.mu.Lock()
	defer e.mu.Unlock()
	var res DischargeResult
	var p ketacare.Patient
	in.Reason = strings.TrimSpace(in.Reason)
	err := s.db.UpdateGrouped(ctx, func(tx *store.Tx) error {
		pv, err := s.protocol(ctx, tx)
		if err != nil {
			return err
		}
		st, err := s.state(ctx, tx, e, access{actor: a}, sessionID, "session.discharge")
		if err != nil {
			return err
		}
		if !st.session.Live() {
			return ketacare.Errorf(ketacare.ECONFLICT, "The session was already discharged.")
		}
		if st.session.DoseAt == nil {
			return ketacare.Errorf(ketacare.ECONFLICT, "The dose has not been marked: a session without a dose is not discharged; close it instead, with the reason no dose was given.")
		}
		p = st.patient
		st = st.clone()
		if err := tx.SetDischargeChecks(ctx, a, &st.session, in.EscortConfirmed, in.DrivingAdviceGiven); err != nil {
			return err
		}
		g := s.gate(pv.Protocol, st, tx.Now)
		if !g.Pass && in.Reason == "" {
			return &ketacare.Error{Code: ketacare.EINVALID, Message: "The discharge gate is not met: " + failedItems(g) + ". Give the reason for discharging outside the gate.",
				Fields: map[string]string{"reason": "Give the reason for discharging outside the gate."}}
		}
		if len(in.Reason) > 2000 {
			return &ketacare.Error{Code: ketacare.EINVALID, Message: "The reason is too long.", Fields: map[string]string{"reason": "Keep the reason to 2000 characters."}}
		}
		if err := tx.RecordDischarge(ctx, a, &st.session, g, pv.Version, in.Reason); err != nil {
			return err
		}
		res = DischargeResult{Session: st.session, Gate: g, ProtocolVersion: pv.Version}
		return nil
	})
	if err != nil {
		return res, s.denied(ctx, err)
	}
	e.state.Store(nil)
	s.forget(sessionID)
	s.publish([]live.Event{s.sessionEvent(EventSessionDischarged, res.Session, p)})
	return res, nil
}

// CloseUndosed closes a session in which no dose was marked (opened in
// error, or the dose not given), with the reason, so that the patient's
// next session can be opened. A dosed session is discharged instead.
func (s *Service) CloseUndosed(ctx context.Context, a ketacare.Actor, sessionID int64, reason string) (store.DosingSession, error) {
	e := s.entry(sessionID)
	e.mu.Lock()
	defer e.mu.Unlock()
	reason = strings.TrimSpace(reason)
	var sess store.DosingSession
	var p ketacare.Patient
	err := s.db.UpdateGrouped(ctx, func(tx *store.Tx) error {
		var err error
		if sess, p, err = lockedSession(ctx, tx, a, sessionID, "session.close"); err != nil {
			return err
		}
		switch {
		case !sess.Live():
			return ketacare.Errorf(ketacare.ECONFLICT, "The session is already closed.")
		case sess.DoseAt != nil:
			return ketacare.Errorf(ketacare.ECONFLICT, "The dose was given: discharge the session instead.")
		case reason == "":
			return &ketacare.Error{Code: ketacare.EINVALID, Message: "Give the reason the session closes without a dose.",
				Fields: map[string]string{"reason": "Give the reason the session closes without a dose."}}
		case len(reason) > 2000:
			return &ketacare.Error{Code: ketacare.EINVALID, Message: "The reason is too long.", Fields: map[string]string{"reason": "Keep the reason to 2000 characters."}}
		}
		return tx.CloseUndosed(ctx, a, &sess, reason)
	})
	if err != nil {
		return sess, s.denied(ctx, err)
	}
	e.state.Store(nil)
	s.forget(sessionID)
	s.publish([]live.Event{s.sessionEvent(EventSessionClosed, sess, p)})
	return sess, nil
}

func failedItems(g clinical.GateResult) string {
	var out []string
	for _, it := range g.Items {
		if !it.Pass {
			out = append(out, strings.ToLower(it.Label)+" ("+it.Detail+")")
		}
	}
	return strings.Join(out, "; ")
}

// Observations lists a session's observations, audited as a read.
func (s *Service) Observations(ctx context.Context, a ketacare.Actor, sessionID int64) ([]store.ObservationRecord, error) {
	var out []store.ObservationRecord
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		if _, _, err := tx.DosingSessionFor(ctx, a, sessionID, "observation.list"); err != nil {
			return err
		}
		var err error
		out, err = tx.SessionObservations(ctx, sessionID)
		return err
	})
	return out, s.denied(ctx, err)
}

// Alerts lists every alert of a session, audited as a read.
func (s *Service) Alerts(ctx context.Context, a ketacare.Actor, sessionID int64) ([]store.Alert, error) {
	var out []store.Alert
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		if _, _, err := tx.DosingSessionFor(ctx, a, sessionID, "alert.list"); err != nil {
			return err
		}
		var err error
		out, err = tx.SessionAlerts(ctx, sessionID)
		return err
	})
	return out, s.denied(ctx, err)
}

// Acknowledge records that the actor, a named user, has seen an alert.
// Acknowledging an alert again changes nothing.
func (s *Service) Acknowledge(ctx context.Context, a ketacare.Actor, alertID int64) (store.Alert, error) {
	// The alert's session is found first, to take its lock; the audited
	// (and authorised) read follows in the change's transaction.
	var sessionID int64
	_ = s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		sessionID, err = tx.AlertSessionID(ctx, alertID)
		return err
	})
	e := s.entry(sessionID)
	e.mu.Lock()
	defer e.mu.Unlock()
	var al store.Alert
	var name string
	err := s.db.UpdateGrouped(ctx, func(tx *store.Tx) error {
		var err error
		al, _, err = tx.AlertFor(ctx, a, alertID, "alert.acknowledge")
		if err != nil {
			return err
		}
		return tx.AcknowledgeAlert(ctx, a, &al)
	})
	if err != nil {
		return al, s.denied(ctx, err)
	}
	if st := e.state.Load(); st != nil {
		next := st.clone()
		next.changeAlerts(func(m map[int64]store.Alert) {
			if al.Outstanding() {
				m[al.ID] = al
			} else {
				delete(m, al.ID)
			}
		})
		e.state.Store(next)
		name = st.patient.GivenName + " " + st.patient.FamilyName
	}
	s.publish([]live.Event{s.event(EventAlertAcknowledged, al.ClinicID, al.SessionID, AlertEvent{Alert: al, PatientName: name})})
	return al, nil
}

// baselineComplete reports whether the readings taken before the dose at
// doseAt, or at its very time, hold a blood pressure, the anxiety rating
// and MOAA/S.
func baselineComplete(ctx context.Context, tx *store.Tx, sessionID int64, doseAt time.Time) (bool, error) {
	recs, err := tx.SessionObservations(ctx, sessionID)
	if err != nil {
		return false, err
	}
	return !clinical.LastScheduledObservationAt(store.Readings(recs), doseAt).IsZero(), nil
}

// lockedSession locks a session row against other processes (PostgreSQL)
// and reads it for a change by a, authorised and audited under action. A
// session that does not exist is reported by the read, as not found.
func lockedSession(ctx context.Context, tx *store.Tx, a ketacare.Actor, id int64, action string) (store.DosingSession, ketacare.Patient, error) {
	if err := tx.LockSession(ctx, id); err != nil && ketacare.ErrorCode(err) != ketacare.ENOTFOUND {
		return store.DosingSession{}, ketacare.Patient{}, err
	}
	return tx.DosingSessionFor(ctx, a, id, action)
}
