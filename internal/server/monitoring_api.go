package server

import (
	"net/http"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/monitoring"
	"github.com/ketacare/ketacare/internal/store"
)

// sessionInput opens a dosing session.
type sessionInput struct {
	Drug       string  `json:"drug" doc:"ketamine or esketamine; the plan's when empty"`
	Route      string  `json:"route" doc:"iv, im, intranasal, oral or sublingual; the plan's when empty"`
	DoseMg     float64 `json:"doseMg" doc:"the plan's when 0"`
	SpO2Scale2 bool    `json:"spo2Scale2,omitempty" doc:"target SpO2 88-92 %: NEWS2 uses SpO2 scale 2"`
}

// sessionJSON is a dosing session.
type sessionJSON struct {
	ID                 int64      `json:"id"`
	PatientID          int64      `json:"patientId"`
	Status             string     `json:"status"`
	Drug               string     `json:"drug"`
	Route              string     `json:"route"`
	DoseMg             float64    `json:"doseMg"`
	SpO2Scale2         bool       `json:"spo2Scale2"`
	OpenedAt           time.Time  `json:"openedAt"`
	DoseAt             *time.Time `json:"doseAt"`
	DoseEndAt          *time.Time `json:"doseEndAt"`
	EscortConfirmed    bool       `json:"escortConfirmed"`
	DrivingAdviceGiven bool       `json:"drivingAdviceGiven"`
	DischargedAt       *time.Time `json:"dischargedAt"`
	DischargedBy       string     `json:"dischargedBy,omitempty"`
	DischargeInGate    *bool      `json:"dischargeWithinGate"`
	DischargeReason    string     `json:"dischargeReason,omitempty"`
	DischargeProtocol  int        `json:"dischargeProtocolVersion,omitempty"`
	OpenProtocol       int        `json:"protocolVersion"`
}

func toSessionJSON(s store.DosingSession) sessionJSON {
	return sessionJSON{ID: s.ID, PatientID: s.PatientID, Status: s.Status, Drug: s.Drug, Route: string(s.Route), DoseMg: s.DoseMg,
		SpO2Scale2: s.SpO2Scale2, OpenedAt: s.OpenedAt, DoseAt: s.DoseAt, DoseEndAt: s.DoseEndAt, EscortConfirmed: s.EscortConfirmed,
		DrivingAdviceGiven: s.DrivingAdviceGiven, DischargedAt: s.DischargedAt, DischargedBy: s.DischargedByName,
		DischargeInGate: s.DischargeInGate, DischargeReason: s.DischargeReason, DischargeProtocol: s.DischargeProtocol, OpenProtocol: s.OpenProtocol}
}

// news2JSON is a NEWS2 score.
type news2JSON struct {
	Total     int            `json:"total"`
	Subscores map[string]int `json:"subscores"`
	Response  string         `json:"response" doc:"low, urgent or emergency"`
	Scale2    bool           `json:"scale2"`
}

func toNEWS2JSON(n *clinical.NEWS2Result) *news2JSON {
	if n == nil || !n.Complete {
		return nil
	}
	return &news2JSON{Total: n.Total, Subscores: n.Subscores, Response: n.Response, Scale2: n.Scale2}
}

// alertJSON is an alert.
type alertJSON = store.Alert

// observationInput is an observation; every reading is optional, but at
// least one is needed.
type observationInput struct {
	At            *time.Time `json:"at,omitempty" doc:"when the readings were taken; now when absent"`
	Systolic      *int       `json:"systolic,omitempty"`
	Diastolic     *int       `json:"diastolic,omitempty"`
	Pulse         *int       `json:"pulse,omitempty"`
	SpO2          *int       `json:"spo2,omitempty"`
	RespRate      *int       `json:"respRate,omitempty"`
	TempC         *float64   `json:"tempC,omitempty"`
	Consciousness string     `json:"consciousness,omitempty" doc:"ACVPU: A, C, V, P or U"`
	OnOxygen      *bool      `json:"onOxygen,omitempty"`
	Anxiety       *int       `json:"anxiety,omitempty" doc:"0-10"`
	MOAAS         *int       `json:"moaas,omitempty" doc:"0-5"`
	CADSS         []int      `json:"cadss,omitempty" doc:"the six CADSS-6 item scores, 0-4 each"`
	Signs         []string   `json:"signs,omitempty"`
	Measures      []string   `json:"measures,omitempty"`
	Confirmed     bool       `json:"confirmed,omitempty" doc:"readings outside the plausible ranges are real"`
}

func (in observationInput) observation() clinical.Observation {
	o := clinical.Observation{Systolic: in.Systolic, Diastolic: in.Diastolic, Pulse: in.Pulse, SpO2: in.SpO2, RespRate: in.RespRate,
		TempC: in.TempC, Consciousness: in.Consciousness, OnOxygen: in.OnOxygen, Anxiety: in.Anxiety, MOAAS: in.MOAAS,
		CADSS: in.CADSS, Signs: in.Signs, Measures: in.Measures}
	if in.At != nil {
		o.At = *in.At
	}
	return o
}

// observationCreated answers a recorded observation.
type observationCreated struct {
	ID     int64       `json:"id"`
	NEWS2  *news2JSON  `json:"news2" doc:"null while a NEWS2 parameter has no value within the window"`
	Alerts []alertJSON `json:"alerts" doc:"the alerts outstanding on the session after this observation"`
}

// observationJSON is a stored observation.
type observationJSON struct {
	ID int64 `json:"id"`
	clinical.Observation
	Confirmed       bool       `json:"confirmed"`
	Source          string     `json:"source"`
	Device          string     `json:"device,omitempty"`
	RecordedBy      int64      `json:"recordedBy"`
	RecordedAt      time.Time  `json:"recordedAt"`
	NEWS2           *news2JSON `json:"news2"`
	ProtocolVersion int        `json:"protocolVersion"`
}

func toObservationJSON(r store.ObservationRecord) observationJSON {
	return observationJSON{ID: r.ID, Observation: r.Observation, Confirmed: r.Confirmed, Source: r.Source, Device: r.Device,
		RecordedBy: r.RecordedBy, RecordedAt: r.RecordedAt, NEWS2: toNEWS2JSON(r.NEWS2), ProtocolVersion: r.ProtocolVersion}
}

// doseInput marks the dose.
type doseInput struct {
	At    *time.Time `json:"at,omitempty" doc:"when the dose was given; now when absent"`
	EndAt *time.Time `json:"endAt,omitempty" doc:"the end of the dose (end of an infusion)"`
	// Without a complete pre-dose baseline the dose is refused (409) unless
	// this confirms that none was taken.
	WithoutBaseline bool `json:"withoutBaseline,omitempty" doc:"confirm marking the dose although the pre-dose baseline (blood pressure, anxiety rating, MOAA/S) is not complete"`
}

// gateJSON is the discharge gate.
type gateJSON struct {
	Pass            bool                `json:"pass"`
	Items           []clinical.GateItem `json:"items"`
	ProtocolVersion int                 `json:"protocolVersion"`
}

// sessionDetailJSON is a session with what is computed from it now.
type sessionDetailJSON struct {
	Session  sessionJSON `json:"session"`
	NEWS2    *news2JSON  `json:"news2"`
	NextDue  *time.Time  `json:"nextObservationDue"`
	CADSSDue bool        `json:"cadssDue"`
	Gate     gateJSON    `json:"gate"`
	Alerts   []alertJSON `json:"alerts" doc:"outstanding alerts"`
}

// dischargeInput signs a discharge.
type dischargeInput struct {
	EscortConfirmed    bool   `json:"escortConfirmed"`
	DrivingAdviceGiven bool   `json:"drivingAdviceGiven"`
	Reason             string `json:"reason,omitempty" doc:"required when the gate is not met"`
}

// dischargeJSON is a signed discharge.
type dischargeJSON struct {
	Session sessionJSON `json:"session"`
	Gate    gateJSON    `json:"gate"`
}

// boardJSON is a clinic's live board.
type boardJSON = monitoring.Board

func (s *Server) apiSessionList(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	_, sessions, err := s.mon.SessionsOfPatient(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	out := make([]sessionJSON, len(sessions))
	for i, x := range sessions {
		out[i] = toSessionJSON(x)
	}
	writeJSON(w, http.StatusOK, out, "")
	return nil
}

func (s *Server) apiSessionOpen(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in sessionInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	sess, err := s.mon.OpenSession(r.Context(), mustActor(r), id, monitoring.OpenInput{Drug: in.Drug, Route: clinical.Route(in.Route),
		DoseMg: in.DoseMg, SpO2Scale2: in.SpO2Scale2})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toSessionJSON(sess), "")
	return nil
}

func (s *Server) apiSessionGet(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rec, err := s.mon.SessionRecord(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	out := sessionDetailJSON{Session: toSessionJSON(rec.Session), NEWS2: toNEWS2JSON(rec.NEWS2), CADSSDue: rec.CADSSDue,
		Gate: gateJSON{Pass: rec.Gate.Pass, Items: rec.Gate.Items, ProtocolVersion: rec.Protocol.Version}, Alerts: []alertJSON{}}
	if !rec.NextDue.IsZero() {
		out.NextDue = &rec.NextDue
	}
	for _, a := range rec.Alerts {
		if a.Outstanding() {
			out.Alerts = append(out.Alerts, a)
		}
	}
	writeJSON(w, http.StatusOK, out, "")
	return nil
}

func (s *Server) apiSessionGate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rec, err := s.mon.SessionRecord(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, gateJSON{Pass: rec.Gate.Pass, Items: rec.Gate.Items, ProtocolVersion: rec.Protocol.Version}, "")
	return nil
}

func (s *Server) apiSessionDose(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in doseInput
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
	}
	sess, err := s.mon.MarkDose(r.Context(), mustActor(r), id, monitoring.DoseInput{At: in.At, EndAt: in.EndAt, WithoutBaseline: in.WithoutBaseline})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toSessionJSON(sess), "")
	return nil
}

func (s *Server) apiObservationCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in observationInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	res, err := s.mon.RecordObservation(r.Context(), mustActor(r), id, monitoring.ObservationInput{Observation: in.observation(),
		Confirmed: in.Confirmed, Source: monitoring.SourceAPI})
	if err != nil {
		return err
	}
	out := observationCreated{ID: res.Observation.ID, NEWS2: toNEWS2JSON(res.NEWS2), Alerts: res.Alerts}
	if out.Alerts == nil {
		out.Alerts = []alertJSON{}
	}
	writeObservationCreated(w, out)
	return nil
}

func (s *Server) apiObservationList(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	obs, err := s.mon.Observations(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	out := make([]observationJSON, len(obs))
	for i, o := range obs {
		out[i] = toObservationJSON(o)
	}
	writeJSON(w, http.StatusOK, out, "")
	return nil
}

func (s *Server) apiAlertList(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	alerts, err := s.mon.Alerts(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	if alerts == nil {
		alerts = []store.Alert{}
	}
	writeJSON(w, http.StatusOK, alerts, "")
	return nil
}

func (s *Server) apiAlertAck(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	al, err := s.mon.Acknowledge(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, al, "")
	return nil
}

func (s *Server) apiSessionDischarge(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in dischargeInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	res, err := s.mon.Discharge(r.Context(), mustActor(r), id, monitoring.DischargeInput{EscortConfirmed: in.EscortConfirmed,
		DrivingAdviceGiven: in.DrivingAdviceGiven, Reason: in.Reason})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dischargeJSON{Session: toSessionJSON(res.Session),
		Gate: gateJSON{Pass: res.Gate.Pass, Items: res.Gate.Items, ProtocolVersion: res.ProtocolVersion}}, "")
	return nil
}

type closeInput struct {
	Reason string `json:"reason" doc:"why the session closes without a dose (required)"`
}

func (s *Server) apiSessionClose(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in closeInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	sess, err := s.mon.CloseUndosed(r.Context(), mustActor(r), id, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toSessionJSON(sess), "")
	return nil
}

func (s *Server) apiBoard(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	b, err := s.mon.Board(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b, "")
	return nil
}

// clinicOf returns the clinic a request is about: the path's, which the
// actor must work in (another clinic is not found).
func clinicOf(r *http.Request, a ketacare.Actor) (int64, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return 0, err
	}
	if !a.InClinic(id) {
		return 0, notFoundError("Clinic")
	}
	return id, nil
}

type dutyInput struct {
	OnDuty *bool `json:"onDuty" doc:"true to go on duty, false to go off it"`
	UserID int64 `json:"userId,omitempty" doc:"the prescriber to take off duty (an administrator); yourself when absent"`
}

type dutyJSON struct {
	OnDuty []store.OnDuty `json:"onDuty" doc:"the prescribers on duty, longest on duty first"`
}

func (s *Server) apiDutyList(w http.ResponseWriter, r *http.Request) error {
	a := mustActor(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	list, err := s.db.OnDutyIn(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dutyJSON{OnDuty: list}, "")
	return nil
}

func (s *Server) apiDutySet(w http.ResponseWriter, r *http.Request) error {
	a := mustActor(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in dutyInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.OnDuty == nil {
		return &ketacare.Error{Code: ketacare.EINVALID, Message: "Say whether to go on duty.", Fields: map[string]string{"onDuty": "Give true or false."}}
	}
	user := in.UserID
	if user == 0 {
		user = a.UserID
	}
	if err := s.mon.SetOnDuty(r.Context(), a, id, user, *in.OnDuty); err != nil {
		return err
	}
	return s.apiDutyList(w, r)
}
