package server

import "github.com/ketacare/ketacare/internal/auth"

// monitoringRoutes are the routes of the monitoring capability: dosing
// sessions, observations, alerts, the discharge gate, the live board and
// the server-sent event streams that keep boards and session pages live.
func (s *Server) monitoringRoutes() []Route {
	return []Route{
		// Web UI.
		{Method: "GET", Path: "/board", Policy: auth.Clinical, Surface: Web, Handle: s.webBoard},
		{Method: "GET", Path: "/patients/{id}/sessions", Policy: auth.Clinical, Surface: Web, Handle: s.webPatientSessions},
		{Method: "POST", Path: "/patients/{id}/sessions", Policy: auth.Clinical, Surface: Web, Handle: s.webSessionOpen},
		{Method: "GET", Path: "/sessions/{id}", Policy: auth.Clinical, Surface: Web, Handle: s.webSession},
		{Method: "POST", Path: "/sessions/{id}/dose", Policy: auth.Clinical, Surface: Web, Handle: s.webSessionDose},
		{Method: "GET", Path: "/sessions/{id}/observe", Policy: auth.Clinical, Surface: Web, Handle: s.webObservationForm},
		{Method: "POST", Path: "/sessions/{id}/observations", Policy: auth.Clinical, Surface: Web, Handle: s.webObservationCreate},
		{Method: "POST", Path: "/alerts/{id}/ack", Policy: auth.Clinical, Surface: Web, Handle: s.webAlertAck},
		{Method: "POST", Path: "/board/duty", Policy: auth.Clinical, Surface: Web, Handle: s.webDuty},
		{Method: "GET", Path: "/sessions/{id}/discharge", Policy: auth.Clinical, Surface: Web, Handle: s.webDischargeForm},
		{Method: "POST", Path: "/sessions/{id}/discharge", Policy: auth.Clinical, Surface: Web, Handle: s.webDischarge},
		{Method: "POST", Path: "/sessions/{id}/close", Policy: auth.Clinical, Surface: Web, Handle: s.webSessionClose},

		// JSON API.
		{Method: "GET", Path: "/api/v1/patients/{id}/sessions", Policy: auth.Clinical, Surface: API, Handle: s.apiSessionList,
			Doc: &OpDoc{Summary: "A patient's dosing sessions, newest first", Response: []sessionJSON{}}},
		{Method: "POST", Path: "/api/v1/patients/{id}/sessions", Policy: auth.Clinical, Surface: API, Handle: s.apiSessionOpen, Idempotent: true,
			Doc: &OpDoc{Summary: "Open a dosing session (drug, route and dose from the plan); 409 with the reason while dosing is blocked", Request: sessionInput{}, Response: sessionJSON{}, Status: 201}},
		{Method: "GET", Path: "/api/v1/sessions/{id}", Policy: auth.Clinical, Surface: API, Handle: s.apiSessionGet,
			Doc: &OpDoc{Summary: "A dosing session with its NEWS2, next observation due and discharge gate", Response: sessionDetailJSON{}}},
		{Method: "POST", Path: "/api/v1/sessions/{id}/dose", Policy: auth.Clinical, Surface: API, Handle: s.apiSessionDose,
			Doc: &OpDoc{Summary: "Mark the dose given (the session clock starts); with endAt, the end of the dose", Request: doseInput{}, Response: sessionJSON{}}},
		{Method: "POST", Path: "/api/v1/sessions/{id}/observations", Policy: auth.Clinical, Surface: API, Handle: s.apiObservationCreate, Idempotent: true,
			Doc: &OpDoc{Summary: "Record an observation; every field optional but at least one; implausible readings answer 422 unless confirmed", Request: observationInput{}, Response: observationCreated{}, Status: 201}},
		{Method: "GET", Path: "/api/v1/sessions/{id}/observations", Policy: auth.Clinical, Surface: API, Handle: s.apiObservationList,
			Doc: &OpDoc{Summary: "A session's observations in time order", Response: []observationJSON{}}},
		{Method: "GET", Path: "/api/v1/sessions/{id}/alerts", Policy: auth.Clinical, Surface: API, Handle: s.apiAlertList,
			Doc: &OpDoc{Summary: "Every alert of a session, oldest first", Response: []alertJSON{}}},
		{Method: "POST", Path: "/api/v1/alerts/{id}/ack", Policy: auth.Clinical, Surface: API, Handle: s.apiAlertAck,
			Doc: &OpDoc{Summary: "Acknowledge an alert as the signed-in user", Response: alertJSON{}}},
		{Method: "GET", Path: "/api/v1/sessions/{id}/gate", Policy: auth.Clinical, Surface: API, Handle: s.apiSessionGate,
			Doc: &OpDoc{Summary: "The discharge gate of a session now", Response: gateJSON{}}},
		{Method: "POST", Path: "/api/v1/sessions/{id}/discharge", Policy: auth.Clinical, Surface: API, Handle: s.apiSessionDischarge, Idempotent: true,
			Doc: &OpDoc{Summary: "Sign the discharge; outside the gate a reason is required", Request: dischargeInput{}, Response: dischargeJSON{}}},
		{Method: "POST", Path: "/api/v1/sessions/{id}/close", Policy: auth.Clinical, Surface: API, Handle: s.apiSessionClose, Idempotent: true,
			Doc: &OpDoc{Summary: "Close a session in which no dose was marked (opened in error, or the dose not given), with the reason", Request: closeInput{}, Response: sessionJSON{}}},
		{Method: "GET", Path: "/api/v1/clinics/{id}/board", Policy: auth.Clinical, Surface: API, Handle: s.apiBoard,
			Doc: &OpDoc{Summary: "The clinic's live board: every session in progress, and the prescribers on duty", Response: boardJSON{}}},
		{Method: "GET", Path: "/api/v1/clinics/{id}/duty", Policy: auth.Clinical, Surface: API, Handle: s.apiDutyList,
			Doc: &OpDoc{Summary: "The prescribers on duty: unacknowledged alerts are escalated to them, or to every prescriber of the clinic when none is", Response: dutyJSON{}}},
		{Method: "PUT", Path: "/api/v1/clinics/{id}/duty", Policy: auth.Clinical, Surface: API, Handle: s.apiDutySet,
			Doc: &OpDoc{Summary: "Go on or off duty (a prescriber, for themself); an administrator may take anyone off duty", Request: dutyInput{}, Response: dutyJSON{}}},
		{Method: "GET", Path: "/api/v1/sessions/{id}/events", Policy: auth.Clinical, Surface: API, Handle: s.apiSessionEvents,
			Doc: &OpDoc{Summary: "Server-sent events (text/event-stream) of one session"}},
		{Method: "GET", Path: "/api/v1/clinics/{id}/events", Policy: auth.Clinical, Surface: API, Handle: s.apiClinicEvents,
			Doc: &OpDoc{Summary: "Server-sent events (text/event-stream) of every session of a clinic"}},
	}
}
