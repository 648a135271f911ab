package server

import (
	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/auth"
)

// screeningRoutes are the routes of the screening capability: screening
// questionnaires and the summary, consent, the treatment plan, and the
// patient's link pages.
func (s *Server) screeningRoutes() []Route {
	clinicalOrPatient := auth.Roles(ketacare.RoleAdmin, ketacare.RolePrescriber, ketacare.RoleNurse, ketacare.RolePatient)
	return []Route{
		// The patient's link pages: no account; the link is the credential.
		{Method: "GET", Path: "/screen/{token}", Policy: auth.Public, Surface: Web, Handle: s.webScreenLink},
		{Method: "POST", Path: "/screen/{token}", Policy: auth.Public, Surface: Web, Handle: s.webScreenLinkPost},
		{Method: "GET", Path: "/screen/{token}/cssrs", Policy: auth.Public, Surface: Web, Handle: s.webScreenCSSRS},
		{Method: "POST", Path: "/screen/{token}/cssrs", Policy: auth.Public, Surface: Web, Handle: s.webScreenCSSRSPost},
		{Method: "GET", Path: "/consent/{token}", Policy: auth.Public, Surface: Web, Handle: s.webConsentLink},
		{Method: "POST", Path: "/consent/{token}", Policy: auth.Public, Surface: Web, Handle: s.webConsentLinkPost},

		// Staff pages.
		{Method: "GET", Path: "/patients/{id}/screening", Policy: auth.Clinical, Surface: Web, Handle: s.webScreening},
		{Method: "GET", Path: "/patients/{id}/screening/form", Policy: auth.Clinical, Surface: Web, Handle: s.webScreeningForm},
		{Method: "POST", Path: "/patients/{id}/screening/form", Policy: auth.Clinical, Surface: Web, Handle: s.webScreeningFormPost},
		{Method: "POST", Path: "/patients/{id}/screening/overrides", Policy: auth.Prescriber, Surface: Web, Handle: s.webOverride},
		{Method: "POST", Path: "/patients/{id}/links", Policy: auth.Clinical, Surface: Web, Handle: s.webLinkCreate},
		{Method: "GET", Path: "/patients/{id}/consent", Policy: auth.Clinical, Surface: Web, Handle: s.webConsent},
		{Method: "POST", Path: "/patients/{id}/consent", Policy: auth.Clinical, Surface: Web, Handle: s.webConsentSign},
		{Method: "POST", Path: "/patients/{id}/consent/{cid}/countersign", Policy: auth.Prescriber, Surface: Web, Handle: s.webCountersign},
		{Method: "GET", Path: "/patients/{id}/plan", Policy: auth.Clinical, Surface: Web, Handle: s.webPlan},
		{Method: "POST", Path: "/patients/{id}/plan", Policy: auth.Prescriber, Surface: Web, Handle: s.webPlanSave},
		{Method: "GET", Path: "/admin/consent", Policy: auth.Admin, Surface: Web, Handle: s.webConsentText},
		{Method: "POST", Path: "/admin/consent", Policy: auth.Admin, Surface: Web, Handle: s.webConsentTextSave},

		// JSON API.
		{Method: "POST", Path: "/api/v1/patients/{id}/assessments", Policy: clinicalOrPatient, Surface: API, Handle: s.apiAssessmentCreate, Idempotent: true,
			Doc: &OpDoc{Summary: "Record a completed questionnaire (gad7, phq9, auditc, cssrs) or the screening history; bad answers answer 400 and nothing is stored",
				Request: assessmentInputDoc{}, Response: assessmentJSON{}, Status: 201}},
		{Method: "GET", Path: "/api/v1/patients/{id}/assessments", Policy: clinicalOrPatient, Surface: API, Handle: s.apiAssessmentList,
			Doc: &OpDoc{Summary: "Every recorded questionnaire, newest first, with item answers", Response: []assessmentJSON{}}},
		{Method: "GET", Path: "/api/v1/patients/{id}/screening", Policy: auth.Clinical, Surface: API, Handle: s.apiScreening,
			Doc: &OpDoc{Summary: "Susceptibility, contraindications and review items, computed from the latest assessment of each instrument with the current protocol", Response: screeningJSON{}}},
		{Method: "POST", Path: "/api/v1/patients/{id}/screening/overrides", Policy: auth.Prescriber, Surface: API, Handle: s.apiOverrideCreate, Idempotent: true,
			Doc: &OpDoc{Summary: "Override a contraindication that blocks dosing, with a written reason (audited)", Request: overrideInput{}, Response: overrideJSON{}, Status: 201}},
		{Method: "GET", Path: "/api/v1/patients/{id}/dosing-status", Policy: auth.Clinical, Surface: API, Handle: s.apiDosingStatus,
			Doc: &OpDoc{Summary: "Whether screening, consent or the plan blocks dosing now, and why", Response: dosingStatusJSON{}}},
		{Method: "POST", Path: "/api/v1/patients/{id}/links", Policy: auth.Clinical, Surface: API, Handle: s.apiLinkCreate, Idempotent: true,
			Doc: &OpDoc{Summary: "Create a single-use expiring link for the patient (screening or consent); the URL is returned only now", Request: linkInput{}, Response: linkJSON{}, Status: 201}},
		{Method: "GET", Path: "/api/v1/consent-text", Policy: auth.SignedIn, Surface: API, Handle: s.apiConsentText,
			Doc: &OpDoc{Summary: "The current consent text", Response: consentTextJSON{}}},
		{Method: "PUT", Path: "/api/v1/consent-text", Policy: auth.Admin, Surface: API, Handle: s.apiConsentTextSave,
			Doc: &OpDoc{Summary: "Save a new consent text version: every patient consents again before the next session", Request: consentTextInput{}, Response: consentTextJSON{}}},
		{Method: "POST", Path: "/api/v1/patients/{id}/consents", Policy: clinicalOrPatient, Surface: API, Handle: s.apiConsentCreate, Idempotent: true,
			Doc: &OpDoc{Summary: "Record the patient's typed-name signature on the current consent text", Request: consentInput{}, Response: consentJSON{}, Status: 201}},
		{Method: "GET", Path: "/api/v1/patients/{id}/consents", Policy: auth.Clinical, Surface: API, Handle: s.apiConsentList,
			Doc: &OpDoc{Summary: "The patient's consents, newest first", Response: []consentJSON{}}},
		{Method: "POST", Path: "/api/v1/patients/{id}/consents/{cid}/countersign", Policy: auth.Prescriber, Surface: API, Handle: s.apiConsentCountersign,
			Doc: &OpDoc{Summary: "Countersign a patient's consent", Response: consentJSON{}}},
		{Method: "GET", Path: "/api/v1/patients/{id}/plan", Policy: auth.Clinical, Surface: API, Handle: s.apiPlanGet,
			Doc: &OpDoc{Summary: "The treatment plan, every revision and the screening's suggestions", Response: planResponse{}}},
		{Method: "PUT", Path: "/api/v1/patients/{id}/plan", Policy: auth.Prescriber, Surface: API, Handle: s.apiPlanPut,
			Doc: &OpDoc{Summary: "Write a new revision of the treatment plan (who, when and why are kept)", Request: planInput{}, Response: planResponse{}}},
	}
}
