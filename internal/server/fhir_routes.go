package server

import (
	"net/http"
	"sort"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/auth"
)

// fhirRoutes are the routes of the FHIR R4 surface (docs/fhir.md): the
// CapabilityStatement, patients, observations (vital signs, NEWS2 and
// questionnaire scores), dosing sessions as encounters, and the built-in
// instruments as questionnaires.
func (s *Server) fhirRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/fhir/R4/metadata", Policy: auth.Public, Surface: FHIR, Handle: s.fhirMetadata},

		{Method: "GET", Path: "/fhir/R4/Patient", Policy: auth.Clinical, Surface: FHIR, Handle: s.fhirPatientSearch},
		{Method: "POST", Path: "/fhir/R4/Patient", Policy: auth.Clinical, Surface: FHIR, Handle: s.fhirPatientCreate, Idempotent: true},
		{Method: "GET", Path: "/fhir/R4/Patient/{id}", Policy: auth.Clinical, Surface: FHIR, Handle: s.fhirPatientRead},

		{Method: "GET", Path: "/fhir/R4/Observation", Policy: auth.Clinical, Surface: FHIR, Handle: s.fhirObservationSearch},
		{Method: "POST", Path: "/fhir/R4/Observation", Policy: auth.Clinical, Surface: FHIR, Handle: s.fhirObservationCreate, Idempotent: true},
		{Method: "GET", Path: "/fhir/R4/Observation/{id}", Policy: auth.Clinical, Surface: FHIR, Handle: s.fhirObservationRead},

		{Method: "GET", Path: "/fhir/R4/Encounter", Policy: auth.Clinical, Surface: FHIR, Handle: s.fhirEncounterSearch},
		{Method: "GET", Path: "/fhir/R4/Encounter/{id}", Policy: auth.Clinical, Surface: FHIR, Handle: s.fhirEncounterRead},

		// The built-in instruments are published definitions without
		// patient data.
		{Method: "GET", Path: "/fhir/R4/Questionnaire", Policy: auth.Public, Surface: FHIR, Handle: s.fhirQuestionnaireSearch},
		{Method: "GET", Path: "/fhir/R4/Questionnaire/{id}", Policy: auth.Public, Surface: FHIR, Handle: s.fhirQuestionnaireRead},

		// Anything else under the base is an OperationOutcome, not a page.
		{Method: "GET", Path: "/fhir/R4/", Policy: auth.Public, Surface: FHIR, Handle: s.fhirUnknown},
	}
}

func (s *Server) fhirUnknown(w http.ResponseWriter, r *http.Request) error {
	return ketacare.Errorf(ketacare.ENOTFOUND, "This server has no FHIR endpoint at %s: see %s/metadata for what it supports.", r.URL.Path, fhirBasePath)
}

// renderFHIRError writes an error as a FHIR OperationOutcome: one issue
// with the message, then one per field that was wrong, with the field's
// FHIRPath expression.
func (s *Server) renderFHIRError(w http.ResponseWriter, r *http.Request, status int, err error) {
	code := map[int]string{400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported", 409: "conflict", 415: "not-supported",
		422: "processing", 429: "throttled"}[status]
	if code == "" {
		code = "exception"
	}
	issues := []any{map[string]any{"severity": "error", "code": code, "diagnostics": ketacare.ErrorMessage(err)}}
	fields := ketacare.ErrorFields(err)
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		issues = append(issues, map[string]any{"severity": "error", "code": code, "diagnostics": fields[name], "expression": []string{name}})
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ketacare"`)
	}
	writeJSON(w, status, map[string]any{"resourceType": "OperationOutcome", "issue": issues}, fhirContentType)
}
