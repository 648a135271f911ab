package server

import "net/http"

// fhirCapabilityDate is when the CapabilityStatement last changed.
const fhirCapabilityDate = "2026-11-25"

type capabilityStatement struct {
	ResourceType   string            `json:"resourceType"`
	ID             string            `json:"id"`
	URL            string            `json:"url"`
	Name           string            `json:"name"`
	Title          string            `json:"title"`
	Status         string            `json:"status"`
	Date           string            `json:"date"`
	Publisher      string            `json:"publisher"`
	Description    string            `json:"description"`
	Kind           string            `json:"kind"`
	Software       capSoftware       `json:"software"`
	Implementation capImplementation `json:"implementation"`
	FHIRVersion    string            `json:"fhirVersion"`
	Format         []string          `json:"format"`
	Rest           []capRest         `json:"rest"`
}

type capSoftware struct {
	Name string `json:"name"`
}

type capImplementation struct {
	Description string `json:"description"`
	URL         string `json:"url"`
}

type capRest struct {
	Mode          string        `json:"mode"`
	Documentation string        `json:"documentation"`
	Security      capSecurity   `json:"security"`
	Resource      []capResource `json:"resource"`
}

type capSecurity struct {
	CORS        bool   `json:"cors"`
	Description string `json:"description"`
}

type capResource struct {
	Type        string           `json:"type"`
	Profile     string           `json:"profile,omitempty"`
	Interaction []capInteraction `json:"interaction"`
	SearchParam []capSearchParam `json:"searchParam,omitempty"`
}

type capInteraction struct {
	Code string `json:"code"`
}

type capSearchParam struct {
	Name          string `json:"name"`
	Definition    string `json:"definition,omitempty"`
	Type          string `json:"type"`
	Documentation string `json:"documentation,omitempty"`
}

func interactions(codes ...string) []capInteraction {
	out := make([]capInteraction, len(codes))
	for i, c := range codes {
		out[i] = capInteraction{Code: c}
	}
	return out
}

const spDef = "http://hl7.org/fhir/SearchParameter/"

func (s *Server) fhirMetadata(w http.ResponseWriter, r *http.Request) error {
	if _, err := parseFHIRParams(r, "mode"); err != nil {
		return err
	}
	base := s.fhirBase(r)
	patientParam := capSearchParam{Name: "patient", Type: "reference", Documentation: "Required (or subject): the patient, as 123 or Patient/123."}
	cs := capabilityStatement{
		ResourceType: "CapabilityStatement", ID: "ketacare", URL: base + "/metadata", Name: "KetacareFHIR", Title: "ketacare FHIR R4 API",
		Status: "active", Date: fhirCapabilityDate, Publisher: "ketacare",
		Description: "Patients, vital signs, NEWS2 and questionnaire scores of dosing sessions, dosing sessions as encounters, and the built-in instruments. See docs/fhir.md.",
		Kind:        "instance", Software: capSoftware{Name: "ketacare"},
		Implementation: capImplementation{Description: "ketacare", URL: base},
		FHIRVersion:    fhirVersion, Format: []string{fhirContentType, "json"},
		Rest: []capRest{{
			Mode: "server",
			Documentation: "Searches page with _count (default 20, at most 100) and _offset; Bundles carry self, next and previous links. " +
				"Unknown search parameters and modifiers are refused with 400. Errors are OperationOutcome resources.",
			Security: capSecurity{Description: "Authorization: Bearer <API token> (ketacare token create). Every request except metadata and " +
				"Questionnaire needs a token of a clinical account (admin, prescriber or nurse); only patients of the account's clinics are visible, and every read is audited."},
			Resource: []capResource{
				{Type: "Patient", Profile: "http://hl7.org/fhir/StructureDefinition/Patient", Interaction: interactions("read", "search-type", "create"),
					SearchParam: []capSearchParam{
						{Name: "_id", Type: "token", Documentation: "Patient id; comma-separated ids match any."},
						{Name: "identifier", Definition: spDef + "Patient-identifier", Type: "token", Documentation: "NHS number: " + fhirNHS + "|9434765919 or the number alone."},
						{Name: "name", Definition: spDef + "Patient-name", Type: "string", Documentation: "Start of the family name or of a given name, case-insensitive."},
						{Name: "birthdate", Definition: spDef + "individual-birthdate", Type: "date", Documentation: "YYYY, YYYY-MM or YYYY-MM-DD, with prefix eq, lt, le, gt or ge."},
						{Name: "gender", Definition: spDef + "individual-gender", Type: "token", Documentation: "male, female, other or unknown."},
					}},
				{Type: "Observation", Profile: "http://hl7.org/fhir/StructureDefinition/Observation", Interaction: interactions("read", "search-type", "create"),
					SearchParam: []capSearchParam{
						patientParam,
						{Name: "subject", Type: "reference", Documentation: "Patient/123, as patient."},
						{Name: "category", Definition: spDef + "Observation-category", Type: "token", Documentation: "vital-signs, survey or exam."},
						{Name: "code", Definition: spDef + "clinical-code", Type: "token", Documentation: "[system|]code of Observation.code, e.g. http://loinc.org|8867-4."},
						{Name: "date", Definition: spDef + "clinical-date", Type: "date", Documentation: "Effective time, with prefix eq, lt, le, gt or ge."},
						{Name: "encounter", Definition: spDef + "clinical-encounter", Type: "reference", Documentation: "Encounter/123: the observations of one dosing session."},
					}},
				{Type: "Encounter", Profile: "http://hl7.org/fhir/StructureDefinition/Encounter", Interaction: interactions("read", "search-type"),
					SearchParam: []capSearchParam{patientParam, {Name: "subject", Type: "reference", Documentation: "Patient/123, as patient."}}},
				{Type: "Questionnaire", Profile: "http://hl7.org/fhir/StructureDefinition/Questionnaire", Interaction: interactions("read", "search-type"),
					SearchParam: []capSearchParam{
						{Name: "_id", Type: "token", Documentation: "Instrument id, e.g. gad-7."},
						{Name: "url", Definition: spDef + "Questionnaire-url", Type: "uri", Documentation: "Canonical URL, " + fhirQuestionnaireURL + "gad-7."},
					}},
			},
		}},
	}
	writeFHIR(w, http.StatusOK, cs)
	return nil
}
