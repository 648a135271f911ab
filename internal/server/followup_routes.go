package server

import (
	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/auth"
)

// followupClinicalOrPatient lets clinical staff and patients in; the store
// lets a patient see only their own records.
var followupClinicalOrPatient = auth.Roles(ketacare.RoleAdmin, ketacare.RolePrescriber, ketacare.RoleNurse, ketacare.RolePatient)

// followupRoutes are the routes of the followup capability.
func (s *Server) followupRoutes() []Route {
	return []Route{
		// The patient's check-in, through a signed single-use link.
		{Method: "GET", Path: "/checkin/{token}", Policy: auth.Public, Surface: Web, Handle: s.webCheckinForm},
		{Method: "POST", Path: "/checkin/{token}", Policy: auth.Public, Surface: Web, Handle: s.webCheckinSubmit},
		{Method: "GET", Path: "/checkin/cssrs/{token}", Policy: auth.Public, Surface: Web, Handle: s.webCheckinCSSRSForm},
		{Method: "POST", Path: "/checkin/cssrs/{token}", Policy: auth.Public, Surface: Web, Handle: s.webCheckinCSSRSSubmit},
		// The link is the credential: no cookie, so no CSRF check (Bare);
		// errors are written as problem documents by the handler.
		{Method: "POST", Path: "/api/v1/checkins/{token}", Policy: auth.Public, Surface: Bare, Handle: s.apiCheckinSubmit,
			Doc: &OpDoc{Summary: "Submit a check-in through its link token (no account: the token from the emailed link /checkin/{token} is the credential, and works once). " +
				"410 when the link was used or expired; 409 before the check-in is due.", Request: followupCheckinInput{}, Response: followupCheckinResult{}}},

		// Staff.
		{Method: "GET", Path: "/reviews", Policy: auth.Clinical, Surface: Web, Handle: s.webReviews},
		{Method: "GET", Path: "/reviews/{id}", Policy: auth.Clinical, Surface: Web, Handle: s.webReview},
		{Method: "POST", Path: "/reviews/{id}", Policy: auth.Clinical, Surface: Web, Handle: s.webReviewDecide},
		{Method: "POST", Path: "/followup/tasks/{id}/close", Policy: auth.Clinical, Surface: Web, Handle: s.webFollowupTaskClose},
		{Method: "GET", Path: "/patients/{id}/timeline", Policy: auth.Clinical, Surface: Web, Handle: s.webTimeline},
		{Method: "POST", Path: "/patients/{id}/account", Policy: auth.Clinical, Surface: Web, Handle: s.webPatientAccountCreate},
		{Method: "GET", Path: "/sessions/{id}/followup", Policy: auth.Clinical, Surface: Web, Handle: s.webSessionFollowup},
		{Method: "POST", Path: "/checkins/{id}/link", Policy: auth.Clinical, Surface: Web, Handle: s.webCheckinLink},
		{Method: "GET", Path: "/me/timeline", Policy: auth.Roles(ketacare.RolePatient), Surface: Web, Handle: s.webMyTimeline},

		{Method: "GET", Path: "/api/v1/sessions/{id}/classification", Policy: followupClinicalOrPatient, Surface: API, Handle: s.apiClassification,
			Doc: &OpDoc{Summary: "The session's anxiety classification (none, transient or persistent) with its evidence and protocol version", Response: followupClassificationJSON{}}},
		{Method: "GET", Path: "/api/v1/sessions/{id}/checkins", Policy: auth.Clinical, Surface: API, Handle: s.apiSessionCheckins,
			Doc: &OpDoc{Summary: "The session's check-ins (scheduled at discharge)", Response: []followupCheckinJSON{}}},
		{Method: "POST", Path: "/api/v1/checkins/{id}/links", Policy: auth.Clinical, Surface: API, Handle: s.apiCheckinLinkCreate,
			Doc: &OpDoc{Summary: "Make a new link for a check-in, to give the patient (the URL is shown once)", Response: followupLinkJSON{}, Status: 201}},
		{Method: "GET", Path: "/api/v1/reviews", Policy: auth.Clinical, Surface: API, Handle: s.apiReviews,
			Doc: &OpDoc{Summary: "Reviews of persistent anxiety in your clinics (status: open or decided; all when absent)", Response: []followupReviewJSON{}}},
		{Method: "GET", Path: "/api/v1/reviews/{id}", Policy: auth.Clinical, Surface: API, Handle: s.apiReview,
			Doc: &OpDoc{Summary: "One review", Response: followupReviewJSON{}}},
		{Method: "POST", Path: "/api/v1/reviews/{id}/decision", Policy: auth.Clinical, Surface: API, Handle: s.apiReviewDecide,
			Doc: &OpDoc{Summary: "Record the decision on an open review: one or more options (GET /api/v1/review-options) and a reason; lowering the dose or lengthening the interval revises the treatment plan (prescribers)",
				Request: followupDecisionInput{}, Response: followupReviewJSON{}}},
		{Method: "GET", Path: "/api/v1/review-options", Policy: auth.Clinical, Surface: API, Handle: s.apiReviewOptions,
			Doc: &OpDoc{Summary: "The options a review offers", Response: []followupOptionJSON{}}},
		{Method: "GET", Path: "/api/v1/followup/tasks", Policy: auth.Clinical, Surface: API, Handle: s.apiFollowupTasks,
			Doc: &OpDoc{Summary: "Open follow-up tasks: missed check-ins, urgent C-SSRS results, calls that could not be requested", Response: []followupTaskJSON{}}},
		{Method: "GET", Path: "/api/v1/patients/{id}/timeline", Policy: followupClinicalOrPatient, Surface: API, Handle: s.apiTimeline,
			Doc: &OpDoc{Summary: "A patient's follow-up timeline (a patient account: only their own)", Response: followupTimelineJSON{}}},
		{Method: "GET", Path: "/api/v1/me/timeline", Policy: auth.Roles(ketacare.RolePatient), Surface: API, Handle: s.apiMyTimeline,
			Doc: &OpDoc{Summary: "The signed-in patient's own timeline", Response: followupTimelineJSON{}}},
		{Method: "POST", Path: "/api/v1/patients/{id}/account", Policy: auth.Clinical, Surface: API, Handle: s.apiPatientAccountCreate,
			Doc: &OpDoc{Summary: "Give a patient an account that can read only their own timeline", Request: followupAccountInput{}, Response: followupAccountJSON{}, Status: 201}},
	}
}
