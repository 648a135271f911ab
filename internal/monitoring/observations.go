package monitoring

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/live"
	"github.com/ketacare/ketacare/internal/store"
)

// The sources of an observation.
const (
	SourceWeb  = "web"  // the observation form
	SourceAPI  = "api"  // the JSON API
	SourceHL7  = "hl7"  // a bedside monitor over HL7 v2
	SourceFHIR = "fhir" // another system, as a FHIR Observation
)

// MaxFutureSkew is how far ahead of the server's clock an observation's
// time may be (a tablet's or monitor's clock running fast): such a time is
// recorded as the server's time. Further ahead it is refused.
const MaxFutureSkew = 5 * time.Minute

// MaxBeforeOpening is how long before its session was opened an
// observation may have been taken (a blood pressure measured in the waiting
// room): an older time belongs to another visit, or to a wrong clock, and
// is refused.
const MaxBeforeOpening = time.Hour

// ObservationInput is an observation to record.
type ObservationInput struct {
	clinical.Observation
	// Confirmed: the recorder confirms that readings outside the plausible
	// ranges are real.
	Confirmed bool
	Source    string
	Device    string // the sending device or application, for SourceHL7
	MessageID string // the device's message id (HL7 MSH-10), for SourceHL7
}

// ObservationResult is what recording an observation gives back.
type ObservationResult struct {
	Observation store.ObservationRecord
	// NEWS2 is the score of the latest values within the window; nil when
	// a parameter is missing.
	NEWS2 *clinical.NEWS2Result
	// Alerts are the session's outstanding alerts after the observation:
	// open, or not yet acknowledged.
	Alerts []store.Alert
	// Raised and Cleared are the alerts this observation raised and
	// cleared.
	Raised  []store.Alert
	Cleared []store.Alert
}

// ObservationEvent is the data of an "observation" live event.
type ObservationEvent struct {
	SessionID     int64                 `json:"sessionId"`
	PatientID     int64                 `json:"patientId"`
	ObservationID int64                 `json:"observationId"`
	At            time.Time             `json:"at"`
	Observation   clinical.Observation  `json:"observation"`
	NEWS2         *clinical.NEWS2Result `json:"news2"`
}

// AlertEvent is the data of the "alert.*" live events.
type AlertEvent struct {
	Alert       store.Alert `json:"alert"`
	PatientName string      `json:"patientName"`
}

// The live event types.
const (
	EventObservation       = "observation"
	EventAlertRaised       = "alert.raised"
	EventAlertCleared      = "alert.cleared"
	EventAlertAcknowledged = "alert.acknowledged"
	EventAlertEscalated    = "alert.escalated"
	EventSessionOpened     = "session.opened"
	EventSessionDosed      = "session.dosed"
	EventSessionDischarged = "session.discharged"
	EventSessionClosed     = "session.closed" // closed without a dose
	EventDuty              = "duty.changed"   // a prescriber went on or off duty
)

// RecordObservation records an observation of a session by a signed-in
// user: validated, checked for plausibility against the protocol (refused
// with EUNPROCESSABLE naming each field unless confirmed), stored with its
// NEWS2 and the protocol version, audited, and evaluated by the alert rules;
// alerts are raised and cleared in the same transaction. It returns once
// the observation is durably stored, then publishes the live events.
// ErrDuplicateReading is returned for a device message already recorded
// (same session, device and message id): nothing is stored again.
var ErrDuplicateReading = errors.New("monitoring: this device message is already recorded")

func (s *Service) RecordObservation(ctx context.Context, a ketacare.Actor, sessionID int64, in ObservationInput) (ObservationResult, error) {
	return s.record(ctx, &access{actor: a}, sessionID, &in)
}

// RecordDeviceObservation records an observation sent by a bedside device
// for a session it was matched to (see HL7Handler), through the same path.
func (s *Service) RecordDeviceObservation(ctx context.Context, device ketacare.Actor, sessionID int64, in ObservationInput) (ObservationResult, error) {
	return s.record(ctx, &access{actor: device, device: true}, sessionID, &in)
}

// record takes its arguments by pointer to keep the stack of the request
// small: a request whose stack outgrows the first 8 KiB copies it.
func (s *Service) record(ctx context.Context, acc *access, sessionID int64, in *ObservationInput) (ObservationResult, error) {
	var res ObservationResult
	o := in.Observation
	at := o.At
	if at.IsZero() {
		o.At = s.db.Now() // provisional, for validation: the time of receipt is taken below
	}
	if err := clinical.ValidateObservation(o); err != nil {
		var oe *clinical.ObservationError
		if errors.As(err, &oe) {
			return res, &ketacare.Error{Code: ketacare.EINVALID, Message: "The observation is not valid: " + describeFields(oe.Fields) + ".", Fields: oe.Fields}
		}
		return res, err
	}
	e := s.entry(sessionID)
	e.mu.Lock()
	defer e.mu.Unlock()

	// The observation's clock: after the session's lock, so after any
	// change made to the session before it.
	now := s.db.Now().UTC().Truncate(time.Microsecond)
	// What the observation does to the session (NEWS2, the rules, which
	// alerts to raise and clear) needs no database: on the state kept in
	// memory it is worked out here, outside the single writer, and the
	// transaction uses it when it finds the same state and protocol
	// version (else it works it out again).
	var ev *evaluation
	if st := e.state.Load(); st != nil && s.useCache {
		if pv, ok := s.latestProtocol(); ok {
			ev = s.evaluate(st, pv, in, at, now)
		}
	}
	var raised, cleared []store.Alert
	var rec store.ObservationRecord
	err := s.db.UpdateGrouped(ctx, func(tx *store.Tx) error {
		raised, cleared = nil, nil
		pv, err := s.protocol(ctx, tx)
		if err != nil {
			return err
		}
		st, err := s.state(ctx, tx, e, *acc, sessionID, "observation.create")
		if err != nil {
			return err
		}
		if !st.session.Live() {
			return ketacare.Errorf(ketacare.ECONFLICT, "The session was discharged; no more observations can be recorded.")
		}
		if in.Source == SourceHL7 && in.MessageID != "" {
			// A monitor that missed our acknowledgement sends the same
			// message again: keep the first.
			dup, err := tx.DeviceMessageRecorded(ctx, sessionID, in.Device, in.MessageID)
			if err != nil {
				return err
			}
			if dup {
				return ErrDuplicateReading
			}
		}
		if ev == nil || ev.base != st || ev.version != pv.Version {
			ev = s.evaluate(st, pv, in, at, now)
		}
		if ev.err != nil {
			return ev.err
		}
		rec = store.ObservationRecord{SessionID: sessionID, Observation: ev.obs, Confirmed: in.Confirmed, Source: in.Source,
			Device: in.Device, MessageID: in.MessageID, RecordedBy: acc.actor.UserID, NEWS2: ev.cs.NEWS2, ProtocolVersion: pv.Version}
		if err := tx.InsertObservation(ctx, &rec); err != nil {
			return err
		}
		raised, cleared, err = s.writeAlerts(ctx, tx, acc.actor, st.session, ev.raise, ev.clear, rec.ID, pv.Version)
		return err
	})
	if err != nil {
		return res, s.denied(ctx, err)
	}
	next := ev.next
	next.applyAlerts(raised, cleared)
	s.keep(e, next)
	res = ObservationResult{Observation: rec, NEWS2: ev.cs.NEWS2, Alerts: next.outstanding(), Raised: raised, Cleared: cleared}
	events := append([]live.Event{s.event(EventObservation, next.session.ClinicID, sessionID, ObservationEvent{
		SessionID: sessionID, PatientID: next.session.PatientID, ObservationID: rec.ID, At: ev.obs.At, Observation: ev.obs, NEWS2: ev.cs.NEWS2})},
		s.alertEvents(next, raised, cleared)...)
	s.publish(events)
	return res, nil
}

// evaluation is what an observation does to a session, worked out without
// the database from the session's state and a protocol version: the
// observation with its time, the next state (alerts not yet changed), the
// clinical state with NEWS2, and which alerts to raise and clear; or why
// the observation is refused.
type evaluation struct {
	base    *sessionState // the state it was worked out on
	version int           // the protocol version it used
	err     error

	obs   clinical.Observation
	next  *sessionState
	cs    clinical.SessionState
	raise []clinical.Firing
	clear []store.Alert
}

// evaluate works out an observation received at now (its own time at, when
// given) on state st.
func (s *Service) evaluate(st *sessionState, pv *store.ProtocolVersion, in *ObservationInput, at, now time.Time) *evaluation {
	ev := &evaluation{base: st, version: pv.Version}
	mp := &pv.Protocol.Monitoring
	o := in.Observation
	switch {
	case at.IsZero():
		o.At = now
	case at.After(now.Add(MaxFutureSkew)):
		ev.err = &ketacare.Error{Code: ketacare.EINVALID, Message: "The observation's time is in the future.",
			Fields: map[string]string{"at": "The time is in the future; check the device's clock."}}
		return ev
	case at.After(now):
		o.At = now
	case at.Before(st.session.OpenedAt.Add(-MaxBeforeOpening)):
		ev.err = &ketacare.Error{Code: ketacare.EINVALID, Message: "The observation's time is long before the session was opened.",
			Fields: map[string]string{"at": "The time is more than an hour before the session was opened; check the time, or the device's clock."}}
		return ev
	default:
		o.At = at.UTC()
	}
	if bad := clinical.CheckPlausible(mp, o); len(bad) > 0 && !in.Confirmed {
		f := map[string]string{}
		for _, b := range bad {
			f[b.Field] = b.Message
		}
		ev.err = &ketacare.Error{Code: ketacare.EUNPROCESSABLE, Fields: f,
			Message: "Some readings are outside the plausible range: " + describeFields(f) + ". Check them, or confirm they are real."}
		return ev
	}
	ev.obs = o
	ev.next = st.clone()
	ev.next.add(o)
	ev.cs = ev.next.clinicalState(mp, now)
	ev.next.news2 = ev.cs.NEWS2
	ev.raise, ev.clear = ev.next.diff(clinical.EvaluateAlerts(mp, &ev.cs))
	return ev
}

// sync raises the alerts of rules that fire and have no open alert, and
// clears the open alerts whose rule no longer fires, updating st.
func (s *Service) sync(ctx context.Context, tx *store.Tx, actor ketacare.Actor, st *sessionState, firings []clinical.Firing,
	observationID int64, protocol int) (raised, cleared []store.Alert, err error) {
	raise, clear := st.diff(firings)
	raised, cleared, err = s.writeAlerts(ctx, tx, actor, st.session, raise, clear, observationID, protocol)
	if err != nil {
		return nil, nil, err
	}
	st.applyAlerts(raised, cleared)
	return raised, cleared, nil
}

// writeAlerts stores the clearing of the alerts in clear and raises an
// alert for each firing in raise, returning both as stored.
func (s *Service) writeAlerts(ctx context.Context, tx *store.Tx, actor ketacare.Actor, sess store.DosingSession, raise []clinical.Firing,
	clear []store.Alert, observationID int64, protocol int) (raised, cleared []store.Alert, err error) {
	for _, a := range clear {
		if err := tx.ClearAlert(ctx, a.ID); err != nil {
			return nil, nil, err
		}
		now := tx.Now
		a.ClearedAt = &now
		cleared = append(cleared, a)
	}
	for _, f := range raise {
		a, err := tx.RaiseAlert(ctx, actor, sess, f, observationID, protocol)
		if err != nil {
			return nil, nil, err
		}
		raised = append(raised, a)
	}
	return raised, cleared, nil
}

// applyAlerts takes in alerts raised and cleared: a cleared alert stays
// outstanding until acknowledged.
func (st *sessionState) applyAlerts(raised, cleared []store.Alert) {
	if len(raised)+len(cleared) == 0 {
		return
	}
	st.changeAlerts(func(m map[int64]store.Alert) {
		for _, a := range cleared {
			if a.NeedsAcknowledgement() {
				m[a.ID] = a
			} else {
				delete(m, a.ID)
			}
		}
		for _, a := range raised {
			m[a.ID] = a
		}
	})
}

func (s *Service) alertEvents(st *sessionState, raised, cleared []store.Alert) []live.Event {
	var out []live.Event
	name := st.patient.GivenName + " " + st.patient.FamilyName
	for _, a := range raised {
		out = append(out, s.event(EventAlertRaised, a.ClinicID, a.SessionID, AlertEvent{Alert: a, PatientName: name}))
	}
	for _, a := range cleared {
		out = append(out, s.event(EventAlertCleared, a.ClinicID, a.SessionID, AlertEvent{Alert: a, PatientName: name}))
	}
	return out
}

// outstanding lists the state's outstanding alerts, oldest first.
func (s *sessionState) outstanding() []store.Alert {
	out := make([]store.Alert, 0, len(s.alerts))
	for _, a := range s.alerts {
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y store.Alert) int {
		if c := x.RaisedAt.Compare(y.RaisedAt); c != 0 {
			return c
		}
		return int(x.ID - y.ID)
	})
	return out
}

// denied audits a refusal noticed inside a rolled-back transaction.
func (s *Service) denied(ctx context.Context, err error) error {
	return s.db.RecordDenied(ctx, err)
}

func describeFields(f map[string]string) string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := ""
	for i, k := range keys {
		if i > 0 {
			out += "; "
		}
		out += fmt.Sprintf("%s: %s", k, f[k])
	}
	return out
}
