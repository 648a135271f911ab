package server

import (
	"net/http"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/auth"
	"github.com/ketacare/ketacare/internal/store"
)

// callbackStaff may work the callback queue: counsellors, and staff with a
// clinical role who answer calls too.
var callbackStaff = auth.Staff

// callbackRoutes are the routes of the callback capability.
func (s *Server) callbackRoutes() []Route {
	holder := func(do func(*Server, *http.Request, ketacare.Actor, int64) error) HandlerFunc {
		return s.webCallbackAction(func(r *http.Request, a ketacare.Actor, id int64) error { return do(s, r, a, id) })
	}
	return []Route{
		// Public: anyone, no sign-in.
		{Method: "GET", Path: "/callback", Policy: auth.Public, Surface: Web, Handle: s.webCallbackForm},
		{Method: "POST", Path: "/callback", Policy: auth.Public, Surface: Web, Handle: s.webCallbackSubmit},
		// Public, or staff with a token or session; idempotency is handled
		// by the handler, as anonymous callers have no account to key it on.
		{Method: "POST", Path: "/api/v1/callbacks", Policy: auth.Public, Surface: API, Handle: s.callbackCreateJSON,
			Doc: &OpDoc{Summary: "Ask for a callback (public, or staff with a token logging a request for a caller; an Idempotency-Key header makes retries safe)",
				Request: callbackInputJSON{}, Response: callbackCreated{}, Status: 201}},
		{Method: "GET", Path: "/api/v1/callbacks/crisis-contacts", Policy: auth.Public, Surface: API, Handle: s.apiCrisisContacts,
			Doc: &OpDoc{Summary: "Crisis lines shown with the callback form, with where they apply and when each was last verified", Response: []crisisJSON{}}},

		// Callback staff: web.
		{Method: "GET", Path: "/callbacks/queue", Policy: callbackStaff, Surface: Web, Handle: s.webCallbackQueue},
		{Method: "POST", Path: "/callbacks/claim", Policy: callbackStaff, Surface: Web, Handle: s.webCallbackClaim},
		{Method: "GET", Path: "/callbacks/new", Policy: callbackStaff, Surface: Web, Handle: s.webCallbackStaffForm},
		{Method: "POST", Path: "/callbacks", Policy: callbackStaff, Surface: Web, Handle: s.webCallbackStaffCreate},
		{Method: "GET", Path: "/callbacks/supervisor", Policy: callbackStaff, Surface: Web, Handle: s.webCallbackSupervisor},
		{Method: "POST", Path: "/callbacks/escalations/{id}/acknowledge", Policy: callbackStaff, Surface: Web, Handle: s.webEscalationAck},
		{Method: "GET", Path: "/callbacks/{id}", Policy: callbackStaff, Surface: Web, Handle: s.webCallbackDetail},
		{Method: "POST", Path: "/callbacks/{id}/attempts", Policy: callbackStaff, Surface: Web, Handle: holder(func(s *Server, r *http.Request, a ketacare.Actor, id int64) error {
			_, err := s.db.RecordCallbackAttempt(r.Context(), a, id, r.PostFormValue("outcome"), r.PostFormValue("note"))
			return err
		})},
		{Method: "POST", Path: "/callbacks/{id}/release", Policy: callbackStaff, Surface: Web, Handle: holder(func(s *Server, r *http.Request, a ketacare.Actor, id int64) error {
			_, err := s.db.ReleaseCallback(r.Context(), a, id)
			return err
		})},
		{Method: "POST", Path: "/callbacks/{id}/renew", Policy: callbackStaff, Surface: Web, Handle: holder(func(s *Server, r *http.Request, a ketacare.Actor, id int64) error {
			_, err := s.db.RenewCallbackLease(r.Context(), a, id)
			return err
		})},

		// Callback staff: JSON API.
		{Method: "GET", Path: "/api/v1/callbacks", Policy: callbackStaff, Surface: API, Handle: s.apiCallbackList,
			Doc: &OpDoc{Summary: "Callback requests: status=open (default; urgent first, then oldest) or status=closed", Response: callbackList{}}},
		{Method: "POST", Path: "/api/v1/callbacks/claim", Policy: callbackStaff, Surface: API, Handle: s.apiCallbackClaim,
			Doc: &OpDoc{Summary: "Take the next request due under a lease (200), or 204 when nothing is due", Response: callbackJSON{}}},
		{Method: "GET", Path: "/api/v1/callbacks/stats", Policy: callbackStaff, Surface: API, Handle: s.apiCallbackStats,
			Doc: &OpDoc{Summary: "Supervisor view: queue, time to first attempt by priority (24 h, 7 days), missed targets, outcomes", Response: store.CallbackStats{}}},
		{Method: "POST", Path: "/api/v1/callbacks/escalations/{id}/acknowledge", Policy: callbackStaff, Surface: API, Handle: s.apiEscalationAck,
			Doc: &OpDoc{Summary: "Acknowledge a missed target on the on-call lead's board", Status: 204}},
		{Method: "GET", Path: "/api/v1/callbacks/{id}", Policy: callbackStaff, Surface: API, Handle: s.apiCallbackGet,
			Doc: &OpDoc{Summary: "One request with its attempts, timeline and linked patient's name and contact", Response: callbackDetailJSON{}}},
		{Method: "POST", Path: "/api/v1/callbacks/{id}/attempts", Policy: callbackStaff, Surface: API, Handle: s.apiCallbackAttempt, Idempotent: true,
			Doc: &OpDoc{Summary: "Record a call attempt or close the request (you must hold it)", Request: attemptInput{}, Response: callbackJSON{}}},
		{Method: "POST", Path: "/api/v1/callbacks/{id}/release", Policy: callbackStaff, Surface: API, Handle: s.apiCallbackRelease,
			Doc: &OpDoc{Summary: "Hand a request you hold back to the queue", Response: callbackJSON{}}},
		{Method: "POST", Path: "/api/v1/callbacks/{id}/renew", Policy: callbackStaff, Surface: API, Handle: s.apiCallbackRenew,
			Doc: &OpDoc{Summary: "Renew the lease on a request you hold", Response: callbackJSON{}}},
	}
}
