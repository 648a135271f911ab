package server

import (
	"net/http"

	"github.com/ketacare/ketacare"
)

// fhirRoutes are the routes of the FHIR R4 surface.
func (s *Server) fhirRoutes() []Route {
	return nil
}

// renderFHIRError writes an error as a FHIR OperationOutcome.
func (s *Server) renderFHIRError(w http.ResponseWriter, r *http.Request, status int, err error) {
	code := map[int]string{400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 409: "conflict", 422: "processing", 429: "throttled"}[status]
	if code == "" {
		code = "exception"
	}
	writeJSON(w, status, map[string]any{
		"resourceType": "OperationOutcome",
		"issue": []any{map[string]any{"severity": "error", "code": code, "diagnostics": ketacare.ErrorMessage(err)}},
	}, "application/fhir+json")
}
