package server

import (
	"net/http"
	"time"
)

// The FHIR surface speaks FHIR R4 (4.0.1) in JSON.
const (
	fhirVersion     = "4.0.1"
	fhirContentType = "application/fhir+json"
	fhirBasePath    = "/fhir/R4"
)

// Code systems and identifier systems used by the FHIR surface.
const (
	fhirLOINC    = "http://loinc.org"
	fhirSNOMED   = "http://snomed.info/sct"
	fhirUCUM     = "http://unitsofmeasure.org"
	fhirCategory = "http://terminology.hl7.org/CodeSystem/observation-category"
	fhirActCode  = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	fhirAbsent   = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
	fhirNHS      = "https://fhir.nhs.uk/Id/nhs-number"
	// fhirKetacare is ketacare's own code system, for what has no public
	// code; its codes are listed in docs/fhir.md.
	fhirKetacare = "https://ketacare.org/fhir/CodeSystem/ketacare"
	// fhirQuestionnaireURL is the canonical URL prefix of the built-in
	// instruments' Questionnaire resources.
	fhirQuestionnaireURL = "https://ketacare.org/fhir/Questionnaire/"
	fhirOrdinalValue     = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
)

// fhirResource is a resource that can be an entry of a Bundle.
type fhirResource interface {
	// fhirPath is the resource's type and id, as in "Patient/12".
	fhirPath() string
}

type fhirCoding struct {
	Extension []fhirExtension `json:"extension,omitempty"`
	System    string          `json:"system,omitempty"`
	Code      string          `json:"code,omitempty"`
	Display   string          `json:"display,omitempty"`
}

type fhirExtension struct {
	URL          string   `json:"url"`
	ValueDecimal *float64 `json:"valueDecimal,omitempty"`
}

type fhirCodeableConcept struct {
	Coding []fhirCoding `json:"coding,omitempty"`
	Text   string       `json:"text,omitempty"`
}

// has reports whether the concept holds a coding of code (in system, when
// system is not "*").
func (c fhirCodeableConcept) has(system, code string) bool {
	for _, x := range c.Coding {
		if x.Code == code && (system == "*" || x.System == system) {
			return true
		}
	}
	return false
}

type fhirReference struct {
	Reference string `json:"reference,omitempty"`
	Display   string `json:"display,omitempty"`
}

type fhirQuantity struct {
	Value  float64 `json:"value"`
	Unit   string  `json:"unit,omitempty"`
	System string  `json:"system,omitempty"`
	Code   string  `json:"code,omitempty"`
}

type fhirPeriod struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

type fhirMeta struct {
	LastUpdated string   `json:"lastUpdated,omitempty"`
	Profile     []string `json:"profile,omitempty"`
}

type fhirIdentifier struct {
	Use    string `json:"use,omitempty"`
	System string `json:"system,omitempty"`
	Value  string `json:"value,omitempty"`
}

type fhirHumanName struct {
	Use    string   `json:"use,omitempty"`
	Text   string   `json:"text,omitempty"`
	Family string   `json:"family,omitempty"`
	Given  []string `json:"given,omitempty"`
}

type fhirContactPoint struct {
	System string `json:"system,omitempty"`
	Value  string `json:"value,omitempty"`
	Use    string `json:"use,omitempty"`
}

type fhirBundle struct {
	ResourceType string        `json:"resourceType"`
	Type         string        `json:"type"`
	Total        int           `json:"total"`
	Link         []fhirLink    `json:"link"`
	Entry        []fhirEntry   `json:"entry,omitempty"`
	Meta         *fhirMetaTime `json:"meta,omitempty"`
}

type fhirMetaTime struct {
	LastUpdated string `json:"lastUpdated"`
}

type fhirLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

type fhirEntry struct {
	FullURL  string       `json:"fullUrl"`
	Resource fhirResource `json:"resource"`
	Search   fhirSearch   `json:"search"`
}

type fhirSearch struct {
	Mode string `json:"mode"`
}

// fhirInstant formats a time as a FHIR instant (UTC).
func fhirInstant(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.999999Z07:00") }

// writeFHIR writes a resource as FHIR JSON.
func writeFHIR(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v, fhirContentType) }

// fhirBase is the absolute base URL of the FHIR surface.
func (s *Server) fhirBase(r *http.Request) string { return s.followupBaseURL(r) + fhirBasePath }
