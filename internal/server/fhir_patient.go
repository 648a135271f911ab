package server

import (
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/store"
)

// fhirPatient is a FHIR R4 Patient.
type fhirPatient struct {
	ResourceType string             `json:"resourceType"`
	ID           string             `json:"id"`
	Meta         *fhirMeta          `json:"meta,omitempty"`
	Identifier   []fhirIdentifier   `json:"identifier,omitempty"`
	Active       bool               `json:"active"`
	Name         []fhirHumanName    `json:"name"`
	Telecom      []fhirContactPoint `json:"telecom,omitempty"`
	Gender       string             `json:"gender"`
	BirthDate    string             `json:"birthDate"`
}

func (p fhirPatient) fhirPath() string { return "Patient/" + p.ID }

func toFHIRPatient(p ketacare.Patient) fhirPatient {
	out := fhirPatient{ResourceType: "Patient", ID: itoa(p.ID), Meta: &fhirMeta{LastUpdated: fhirInstant(p.CreatedAt)}, Active: true,
		Name: []fhirHumanName{{Use: "official", Family: p.FamilyName, Given: []string{p.GivenName}}}, Gender: p.Sex, BirthDate: p.BirthDate}
	if p.NHSNumber != "" {
		out.Identifier = []fhirIdentifier{{System: fhirNHS, Value: p.NHSNumber}}
	}
	if p.Phone != "" {
		out.Telecom = append(out.Telecom, fhirContactPoint{System: "phone", Value: p.Phone})
	}
	if p.Email != "" {
		out.Telecom = append(out.Telecom, fhirContactPoint{System: "email", Value: p.Email})
	}
	return out
}

func (s *Server) fhirPatientRead(w http.ResponseWriter, r *http.Request) error {
	id, err := fhirID(r, "Patient")
	if err != nil {
		return err
	}
	p, err := s.db.Patient(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	writeFHIR(w, http.StatusOK, toFHIRPatient(p))
	return nil
}

// fhirID reads the numeric id of a read; anything else is "not found".
func fhirID(r *http.Request, resourceType string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, notFoundError(resourceType)
	}
	return id, nil
}

func (s *Server) fhirPatientSearch(w http.ResponseWriter, r *http.Request) error {
	p, err := parseFHIRParams(r, "_id", "identifier", "name", "birthdate", "gender")
	if err != nil {
		return err
	}
	q := store.PatientSearch{Limit: p.count, Offset: p.offset}
	for _, v := range p.list("_id") {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return invalidSearch("_id must be a patient id, a whole number.")
		}
		q.IDs = append(q.IDs, id)
	}
	for _, v := range p.list("identifier") {
		t := parseFHIRToken(v)
		if t.system != "*" && t.system != fhirNHS {
			return invalidSearch("identifier: patients are found by NHS number only (system %s).", fhirNHS)
		}
		n := strings.NewReplacer(" ", "", "-", "").Replace(t.code)
		if !ketacare.ValidNHSNumber(n) {
			return invalidSearch("identifier: %q is not a valid NHS number.", t.code)
		}
		q.NHSNumbers = append(q.NHSNumbers, n)
	}
	// Each name parameter must match; its comma-separated values are
	// alternatives, which a single prefix per parameter cannot express,
	// so they are refused.
	for _, v := range p.values["name"] {
		if strings.Contains(v, ",") {
			return invalidSearch("name: give one name per parameter.")
		}
		q.Names = append(q.Names, strings.TrimSpace(v))
	}
	for _, v := range p.values["birthdate"] {
		d, err := parseFHIRDate("birthdate", v)
		if err != nil {
			return err
		}
		q.BirthDate = append(q.BirthDate, birthDateConds(d)...)
	}
	for _, v := range p.list("gender") {
		t := parseFHIRToken(v)
		if (t.system != "*" && t.system != "http://hl7.org/fhir/administrative-gender") || !validGender(t.code) {
			return invalidSearch("gender must be male, female, other or unknown (system http://hl7.org/fhir/administrative-gender).")
		}
		q.Genders = append(q.Genders, t.code)
	}
	page, err := s.db.SearchPatients(r.Context(), mustActor(r), q)
	if err != nil {
		return err
	}
	res := make([]fhirResource, len(page.Patients))
	for i, x := range page.Patients {
		res[i] = toFHIRPatient(x)
	}
	writeFHIR(w, http.StatusOK, s.bundle(r, p, "Patient", page.Total, res))
	return nil
}

// birthDateConds turns a date comparison into comparisons of the stored
// YYYY-MM-DD birth date.
func birthDateConds(d fhirDateRange) []store.DateCond {
	lo := d.lo.Format("2006-01-02")
	// Birth dates are whole days: hi is the day after the range.
	hi := d.hi.Format("2006-01-02")
	if !d.hi.Equal(d.hi.Truncate(24 * time.Hour)) {
		hi = d.hi.Truncate(24*time.Hour).AddDate(0, 0, 1).Format("2006-01-02")
	}
	switch d.prefix {
	case "lt":
		return []store.DateCond{{Op: "<", Date: lo}}
	case "le":
		return []store.DateCond{{Op: "<", Date: hi}}
	case "gt":
		return []store.DateCond{{Op: ">=", Date: hi}}
	case "ge":
		return []store.DateCond{{Op: ">=", Date: lo}}
	}
	return []store.DateCond{{Op: ">=", Date: lo}, {Op: "<", Date: hi}}
}

func validGender(g string) bool {
	for _, x := range ketacare.Sexes {
		if g == x {
			return true
		}
	}
	return false
}

// fhirPatientInput is the Patient a client creates. Only what ketacare
// keeps is accepted: any other element is refused, so nothing a client
// sends is silently dropped.
type fhirPatientInput struct {
	ResourceType string               `json:"resourceType"`
	ID           string               `json:"id"`   // ignored: the server assigns ids
	Meta         json.RawMessage      `json:"meta"` // ignored
	Text         json.RawMessage      `json:"text"` // narrative, ignored
	Active       *bool                `json:"active"`
	Identifier   []fhirIdentifierIn   `json:"identifier"`
	Name         []fhirHumanNameIn    `json:"name"`
	Telecom      []fhirContactPointIn `json:"telecom"`
	Gender       string               `json:"gender"`
	BirthDate    string               `json:"birthDate"`
}

type fhirIdentifierIn struct {
	Use    string `json:"use"`
	System string `json:"system"`
	Value  string `json:"value"`
}

type fhirHumanNameIn struct {
	Use    string   `json:"use"`
	Text   string   `json:"text"`
	Family string   `json:"family"`
	Given  []string `json:"given"`
}

type fhirContactPointIn struct {
	System string `json:"system"`
	Value  string `json:"value"`
	Use    string `json:"use"`
}

// patientFieldPaths are the FHIRPath expressions of the patient's fields.
var patientFieldPaths = map[string]string{
	"givenName": "Patient.name.given", "familyName": "Patient.name.family", "birthDate": "Patient.birthDate",
	"sex": "Patient.gender", "nhsNumber": "Patient.identifier", "phone": "Patient.telecom", "email": "Patient.telecom",
}

// toPatient reads a FHIR Patient into a ketacare patient, naming each
// element that cannot be taken by its FHIRPath.
func (in fhirPatientInput) toPatient() (ketacare.Patient, error) {
	var p ketacare.Patient
	f := map[string]string{}
	add := func(path, msg string) {
		if _, ok := f[path]; !ok {
			f[path] = msg
		}
	}
	if in.ResourceType != "Patient" {
		return p, ketacare.Errorf(ketacare.EINVALID, "The body must be a Patient resource (resourceType \"Patient\").")
	}
	if in.Active != nil && !*in.Active {
		add("Patient.active", "A new patient record must be active.")
	}
	var name *fhirHumanNameIn
	for i := range in.Name {
		n := &in.Name[i]
		switch n.Use {
		case "", "official", "usual", "nickname", "anonymous", "old", "maiden", "temp":
		default:
			add("Patient.name.use", "Name use must be a FHIR name use such as official or usual.")
		}
		if name == nil || (n.Use == "official" && name.Use != "official") {
			name = n
		}
	}
	if name == nil {
		add("Patient.name", "Give the patient's name, with family and given names.")
	} else {
		p.FamilyName = name.Family
		p.GivenName = strings.Join(name.Given, " ")
	}
	switch {
	case in.Gender == "":
		add("Patient.gender", "Give the gender: male, female, other or unknown.")
	case !validGender(in.Gender):
		add("Patient.gender", "Gender must be male, female, other or unknown.")
	default:
		p.Sex = in.Gender
	}
	p.BirthDate = in.BirthDate
	for _, id := range in.Identifier {
		switch {
		case id.Use != "" && id.Use != "official" && id.Use != "usual":
			// An old, temporary or secondary number is not the patient's
			// NHS number; recording it as one would be wrong.
			add("Patient.identifier", "Only the patient's current NHS number (use official or usual) can be recorded.")
		case id.System != fhirNHS:
			add("Patient.identifier", "Only an NHS number identifier (system "+fhirNHS+") can be recorded.")
		case p.NHSNumber != "":
			add("Patient.identifier", "Give one NHS number.")
		case strings.TrimSpace(id.Value) == "":
			add("Patient.identifier", "The NHS number identifier has no value.")
		default:
			p.NHSNumber = id.Value
		}
	}
	for _, t := range in.Telecom {
		switch t.Use {
		case "", "home", "work", "temp", "mobile":
		default:
			add("Patient.telecom", "Telecom use must be home, work, temp or mobile.")
		}
		switch {
		case strings.TrimSpace(t.Value) == "":
			add("Patient.telecom", "A telecom entry has no value.")
		case t.System == "phone" && p.Phone == "":
			p.Phone = t.Value
		case t.System == "email" && p.Email == "":
			p.Email = t.Value
		case t.System == "phone" || t.System == "email":
			add("Patient.telecom", "Give at most one phone number and one email address.")
		default:
			add("Patient.telecom", "Only phone and email contacts can be recorded.")
		}
	}
	if len(f) > 0 {
		return p, ketacare.FieldErrors(f)
	}
	return p, nil
}

// fhirFields renames the fields of an application error to FHIRPath
// expressions.
func fhirFields(err error, paths map[string]string) error {
	var e *ketacare.Error
	fields := ketacare.ErrorFields(err)
	if len(fields) == 0 {
		return err
	}
	e = &ketacare.Error{Code: ketacare.ErrorCode(err), Message: ketacare.ErrorMessage(err), Fields: map[string]string{}}
	for k, v := range fields {
		if p, ok := paths[k]; ok {
			k = p
		}
		if prev, ok := e.Fields[k]; ok {
			v = prev + " " + v
		}
		e.Fields[k] = v
	}
	return e
}

// fhirBodyTypeOK answers 415 and false when a resource is sent as
// anything but JSON.
func (s *Server) fhirBodyTypeOK(w http.ResponseWriter, r *http.Request, resource string) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != fhirContentType && mt != "application/json" && mt != "application/json+fhir") {
			s.renderFHIRError(w, r, http.StatusUnsupportedMediaType,
				ketacare.Errorf(ketacare.EINVALID, "Send the %s as %s.", resource, fhirContentType))
			return false
		}
	}
	return true
}

func (s *Server) fhirPatientCreate(w http.ResponseWriter, r *http.Request) error {
	if !s.fhirBodyTypeOK(w, r, "Patient") {
		return nil
	}
	var in fhirPatientInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p, err := in.toPatient()
	if err != nil {
		return err
	}
	p, err = s.db.CreatePatient(r.Context(), mustActor(r), p)
	if err != nil {
		return fhirFields(err, patientFieldPaths)
	}
	w.Header().Set("Location", s.fhirBase(r)+"/Patient/"+itoa(p.ID))
	writeFHIR(w, http.StatusCreated, toFHIRPatient(p))
	return nil
}
