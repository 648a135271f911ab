package server

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/auth"
	"github.com/ketacare/ketacare/internal/web"
)

// Surface is where a route belongs; it decides how errors are shown.
type Surface int

// The surfaces.
const (
	Web  Surface = iota // HTML pages: errors as pages, sign-in redirects, CSRF on forms
	API                 // JSON: errors as application/problem+json
	Bare                // health, metrics, static files: plain text errors
	FHIR                // FHIR R4: errors as OperationOutcome (fhir_*.go)
)

// HandlerFunc is a handler that returns its error instead of writing it.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Route is one entry of the route table.
type Route struct {
	Method  string
	Path    string
	Policy  auth.Policy
	Surface Surface
	Handle  HandlerFunc
	// Idempotent routes replay their first response to a retry carrying
	// the same Idempotency-Key.
	Idempotent bool
	// Doc describes an API route in the OpenAPI description.
	Doc *OpDoc
}

// routeTable is every route of the server, in one place: who may use each
// route is written beside it. Capabilities add their routes from their own
// files through the functions listed here.
func (s *Server) routeTable() []Route {
	rs := []Route{
		{Method: "GET", Path: "/healthz", Policy: auth.Public, Surface: Bare, Handle: s.healthz},
		{Method: "GET", Path: "/readyz", Policy: auth.Public, Surface: Bare, Handle: s.readyz},
		{Method: "GET", Path: "/metrics", Policy: auth.Public, Surface: Bare, Handle: s.metricsHandler},
		{Method: "GET", Path: "/static/", Policy: auth.Public, Surface: Bare, Handle: adapt(web.StaticHandler())},

		// Web UI.
		{Method: "GET", Path: "/{$}", Policy: auth.SignedIn, Surface: Web, Handle: s.webHome},
		{Method: "GET", Path: "/login", Policy: auth.Public, Surface: Web, Handle: s.webLoginForm},
		{Method: "POST", Path: "/login", Policy: auth.Public, Surface: Web, Handle: s.webLogin},
		{Method: "POST", Path: "/logout", Policy: auth.SignedIn, Surface: Web, Handle: s.webLogout},
		{Method: "GET", Path: "/patients", Policy: auth.Clinical, Surface: Web, Handle: s.webPatients},
		{Method: "GET", Path: "/patients/new", Policy: auth.Clinical, Surface: Web, Handle: s.webPatientForm},
		{Method: "POST", Path: "/patients", Policy: auth.Clinical, Surface: Web, Handle: s.webPatientCreate},
		{Method: "GET", Path: "/patients/{id}", Policy: auth.Clinical, Surface: Web, Handle: s.webPatient},
		{Method: "GET", Path: "/admin/clinics", Policy: auth.Admin, Surface: Web, Handle: s.webClinics},
		{Method: "POST", Path: "/admin/clinics", Policy: auth.Admin, Surface: Web, Handle: s.webClinicCreate},
		{Method: "GET", Path: "/admin/users", Policy: auth.Admin, Surface: Web, Handle: s.webUsers},
		{Method: "POST", Path: "/admin/users", Policy: auth.Admin, Surface: Web, Handle: s.webUserCreate},
		{Method: "GET", Path: "/admin/users/{id}", Policy: auth.Admin, Surface: Web, Handle: s.webUserEdit},
		{Method: "POST", Path: "/admin/users/{id}", Policy: auth.Admin, Surface: Web, Handle: s.webUserUpdate},
		{Method: "POST", Path: "/admin/users/{id}/password", Policy: auth.Admin, Surface: Web, Handle: s.webUserPassword},
		{Method: "POST", Path: "/admin/users/{id}/disable", Policy: auth.Admin, Surface: Web, Handle: s.webUserDisable},
		{Method: "POST", Path: "/admin/users/{id}/enable", Policy: auth.Admin, Surface: Web, Handle: s.webUserEnable},
		{Method: "GET", Path: "/admin/audit", Policy: auth.Admin, Surface: Web, Handle: s.webAudit},
		{Method: "GET", Path: "/admin/protocol", Policy: auth.Clinical, Surface: Web, Handle: s.webProtocol},
		{Method: "POST", Path: "/admin/protocol", Policy: auth.Admin, Surface: Web, Handle: s.webProtocolSave},

		// JSON API.
		{Method: "GET", Path: "/api/v1/openapi.json", Policy: auth.Public, Surface: API, Handle: s.apiOpenAPI},
		{Method: "GET", Path: "/api/v1/me", Policy: auth.SignedIn, Surface: API, Handle: s.apiMe,
			Doc: &OpDoc{Summary: "The signed-in account", Response: meResponse{}}},
		{Method: "GET", Path: "/api/v1/patients", Policy: auth.Clinical, Surface: API, Handle: s.apiPatientList,
			Doc: &OpDoc{Summary: "List the patients of your clinics (paged: limit, offset; search: q)", Response: patientList{}}},
		{Method: "POST", Path: "/api/v1/patients", Policy: auth.Clinical, Surface: API, Handle: s.apiPatientCreate, Idempotent: true,
			Doc: &OpDoc{Summary: "Register a patient in your clinic", Request: patientInput{}, Response: patientJSON{}, Status: 201}},
		{Method: "GET", Path: "/api/v1/patients/{id}", Policy: auth.Clinical, Surface: API, Handle: s.apiPatientGet,
			Doc: &OpDoc{Summary: "One patient", Response: patientJSON{}}},
		{Method: "GET", Path: "/api/v1/protocol", Policy: auth.Staff, Surface: API, Handle: s.apiProtocolCurrent,
			Doc: &OpDoc{Summary: "The current clinical protocol version", Response: protocolJSON{}}},
		{Method: "GET", Path: "/api/v1/protocol/versions", Policy: auth.Staff, Surface: API, Handle: s.apiProtocolHistory,
			Doc: &OpDoc{Summary: "Every protocol version, newest first", Response: []protocolJSON{}}},
		{Method: "PUT", Path: "/api/v1/protocol", Policy: auth.Admin, Surface: API, Handle: s.apiProtocolSave,
			Doc: &OpDoc{Summary: "Save a new protocol version (with the reason)", Request: protocolInput{}, Response: protocolJSON{}}},
		{Method: "GET", Path: "/api/v1/tokens", Policy: auth.SignedIn, Surface: API, Handle: s.apiTokens,
			Doc: &OpDoc{Summary: "API tokens: your own, or everyone's for an admin", Response: []tokenJSON{}}},
		{Method: "DELETE", Path: "/api/v1/tokens/{id}", Policy: auth.SignedIn, Surface: API, Handle: s.apiTokenRevoke,
			Doc: &OpDoc{Summary: "Revoke an API token (your own, or any for an admin)", Status: 204}},
	}
	for _, extra := range s.capabilityRoutes() {
		rs = append(rs, extra...)
	}
	return rs
}

// capabilityRoutes collects the routes of each clinical capability.
func (s *Server) capabilityRoutes() [][]Route {
	return [][]Route{
		s.screeningRoutes(),
		s.monitoringRoutes(),
		s.followupRoutes(),
		s.callbackRoutes(),
		s.reportRoutes(),
		s.linkRoutes(),
		s.accountLinkRoutes(),
		s.fhirRoutes(),
	}
}

// buildMux registers every route behind its policy. A route without a
// policy stops the server from starting.
func (s *Server) buildMux(rs []Route) (*http.ServeMux, error) {
	mux := http.NewServeMux()
	for _, rt := range rs {
		if !rt.Policy.Defined() {
			return nil, fmt.Errorf("route %s %s has no access policy", rt.Method, rt.Path)
		}
		pattern := rt.Method + " " + rt.Path
		mux.Handle(pattern, s.wrap(rt))
	}
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		surface := Web
		switch {
		case strings.HasPrefix(r.URL.Path, "/api/"):
			surface = API
		case strings.HasPrefix(r.URL.Path, fhirBasePath+"/"):
			surface = FHIR
		}
		if allow := otherMethods(mux, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			s.renderError(w, r, surface, ketacare.Errorf(ketacare.EMETHOD, "%s is not supported at this address; it takes %s.",
				r.Method, strings.Join(allow, ", ")))
			return
		}
		s.renderError(w, r, surface, notFoundError("Page"))
	}))
	return mux, nil
}

// otherMethods lists the methods that a route of mux takes at r's address,
// when r's own method has none there: such a request is answered 405 with
// an Allow header rather than "not found". Prefix routes (a path ending in
// "/") do not count: under them an unknown address is not found.
func otherMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" && !strings.HasSuffix(pattern, "/") {
			allow = append(allow, m)
		}
	}
	return allow
}

// adapt turns a plain http.Handler into a HandlerFunc.
func adapt(h http.Handler) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error { h.ServeHTTP(w, r); return nil }
}
