package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/apptest"
	"github.com/ketacare/ketacare/internal/store"
	"github.com/ketacare/ketacare/internal/testutil"
)

// A valid NHS number (modulus 11) and another one.
const (
	fhirNHSNumber      = "9434765919"
	fhirOtherNHSNumber = "9434765870"
	nhsSystem          = "https://fhir.nhs.uk/Id/nhs-number"
)

// fhirResp checks the content type of a FHIR answer and decodes it.
func fhirResp(t *testing.T, r apptest.Response, status int) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/fhir+json" {
		t.Fatalf("Content-Type %q, want application/fhir+json", ct)
	}
	return r.Map(t)
}

// fhirOutcome checks an OperationOutcome answer and returns its issues.
func fhirOutcome(t *testing.T, r apptest.Response, status int, code string) []map[string]any {
	t.Helper()
	m := fhirResp(t, r, status)
	if m["resourceType"] != "OperationOutcome" {
		t.Fatalf("not an OperationOutcome: %s", r.Body)
	}
	var issues []map[string]any
	for _, x := range m["issue"].([]any) {
		issues = append(issues, x.(map[string]any))
	}
	if len(issues) == 0 || issues[0]["code"] != code || issues[0]["severity"] != "error" || issues[0]["diagnostics"] == "" {
		t.Fatalf("issue %v, want code %s", issues, code)
	}
	return issues
}

// get reads a nested value of a decoded resource: keys are map keys,
// ints are list indexes.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// entries are the resources of a Bundle.
func entries(t *testing.T, bundle map[string]any) []map[string]any {
	t.Helper()
	if bundle["resourceType"] != "Bundle" || bundle["type"] != "searchset" {
		t.Fatalf("not a searchset: %v", bundle)
	}
	var out []map[string]any
	list, _ := get(bundle, "entry").([]any)
	for _, e := range list {
		out = append(out, get(e, "resource").(map[string]any))
	}
	return out
}

// link is a Bundle link's path and query (without the host), or "".
func link(bundle map[string]any, relation string) string {
	links, _ := bundle["link"].([]any)
	for _, l := range links {
		if get(l, "relation") == relation {
			u, _ := url.Parse(get(l, "url").(string))
			return u.RequestURI()
		}
	}
	return ""
}

// fhirEachDB runs a test on SQLite and, when configured, PostgreSQL.
func fhirEachDB(t *testing.T, fn func(*testing.T, apptest.Options)) {
	for _, target := range testutil.Targets(t) {
		t.Run(target.Name, func(t *testing.T) { fn(t, apptest.Options{DSN: target.DSN}) })
	}
}

func fhirPatientBody(given, family, nhs string) map[string]any {
	p := map[string]any{
		"resourceType": "Patient",
		"name":         []any{map[string]any{"use": "official", "family": family, "given": []string{given}}},
		"gender":       "female",
		"birthDate":    "1980-05-06",
		"telecom":      []any{map[string]any{"system": "phone", "value": "020 7946 0000"}, map[string]any{"system": "email", "value": "ada@example.com"}},
	}
	if nhs != "" {
		p["identifier"] = []any{map[string]any{"system": nhsSystem, "value": nhs}}
	}
	return p
}

func patientTotal(t *testing.T, env *apptest.Env) int {
	t.Helper()
	page, err := env.DB.SearchPatients(context.Background(), env.Actor(ketacare.RoleNurse), store.PatientSearch{})
	if err != nil {
		t.Fatal(err)
	}
	return page.Total
}

func TestFHIRMetadata(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	m := fhirResp(t, env.Do("GET", "/fhir/R4/metadata", "", nil), http.StatusOK)
	if m["resourceType"] != "CapabilityStatement" || m["fhirVersion"] != "4.0.1" || m["kind"] != "instance" {
		t.Fatalf("capability statement: %v", m)
	}
	want := map[string][]string{
		"Patient":     {"read", "search-type", "create", "identifier", "name", "birthdate"},
		"Observation": {"read", "search-type", "create", "patient", "category", "code"},
		"Encounter":   {"read", "search-type", "patient"},
	}
	found := map[string]bool{}
	for _, res := range get(m, "rest", 0, "resource").([]any) {
		typ := get(res, "type").(string)
		have := map[string]bool{}
		for _, i := range get(res, "interaction").([]any) {
			have[get(i, "code").(string)] = true
		}
		for _, sp := range get(res, "searchParam").([]any) {
			have[get(sp, "name").(string)] = true
		}
		for _, w := range want[typ] {
			if !have[w] {
				t.Errorf("%s does not list %s", typ, w)
			}
		}
		found[typ] = true
	}
	for typ := range want {
		if !found[typ] {
			t.Errorf("%s missing from the CapabilityStatement", typ)
		}
	}
}

func TestFHIRPatientCreateReadSearch(t *testing.T) { fhirEachDB(t, testFHIRPatientCreateReadSearch) }

func testFHIRPatientCreateReadSearch(t *testing.T, opts apptest.Options) {
	env := apptest.Start(t, opts)
	r := env.As(ketacare.RoleNurse, "POST", "/fhir/R4/Patient", fhirPatientBody("Ada", "Lovelace", fhirNHSNumber),
		"Content-Type", "application/fhir+json", "Idempotency-Key", "ada-1")
	created := fhirResp(t, r, http.StatusCreated)
	id, _ := created["id"].(string)
	loc, err := url.Parse(r.Header.Get("Location"))
	if err != nil || id == "" || loc.Path != "/fhir/R4/Patient/"+id || loc.Host == "" {
		t.Fatalf("Location %q for id %q", r.Header.Get("Location"), id)
	}
	// A retry gets the first answer, Location included.
	again := env.As(ketacare.RoleNurse, "POST", "/fhir/R4/Patient", fhirPatientBody("Ada", "Lovelace", fhirNHSNumber),
		"Content-Type", "application/fhir+json", "Idempotency-Key", "ada-1")
	if again.Status != http.StatusCreated || string(again.Body) != string(r.Body) || again.Header.Get("Location") != r.Header.Get("Location") ||
		again.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry: %d %s, Location %q", again.Status, again.Body, again.Header.Get("Location"))
	}

	p := fhirResp(t, env.As(ketacare.RoleNurse, "GET", loc.Path, nil), http.StatusOK)
	checks := []struct {
		path []any
		want any
	}{
		{[]any{"resourceType"}, "Patient"},
		{[]any{"id"}, id},
		{[]any{"name", 0, "family"}, "Lovelace"},
		{[]any{"name", 0, "given", 0}, "Ada"},
		{[]any{"gender"}, "female"},
		{[]any{"birthDate"}, "1980-05-06"},
		{[]any{"identifier", 0, "system"}, nhsSystem},
		{[]any{"identifier", 0, "value"}, fhirNHSNumber},
		{[]any{"telecom", 0, "system"}, "phone"},
		{[]any{"telecom", 1, "value"}, "ada@example.com"},
	}
	for _, c := range checks {
		if got := get(p, c.path...); got != c.want {
			t.Errorf("%v = %v, want %v", c.path, got, c.want)
		}
	}
	// The API sees the same patient.
	if r := env.As(ketacare.RoleNurse, "GET", "/api/v1/patients/"+id, nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), fhirNHSNumber) {
		t.Errorf("API read of the FHIR-created patient: %d %s", r.Status, r.Body)
	}
	env.CreatePatient("Grace", "Hopper")

	search := func(query string) (map[string]any, []map[string]any) {
		t.Helper()
		b := fhirResp(t, env.As(ketacare.RoleNurse, "GET", "/fhir/R4/Patient?"+query, nil), http.StatusOK)
		return b, entries(t, b)
	}
	b, es := search("identifier=" + url.QueryEscape(nhsSystem+"|"+fhirNHSNumber))
	if get(b, "total") != 1.0 || len(es) != 1 || es[0]["id"] != id {
		t.Fatalf("search by NHS number: %v", b)
	}
	if full := get(b, "entry", 0, "fullUrl").(string); !strings.HasSuffix(full, "/fhir/R4/Patient/"+id) || !strings.HasPrefix(full, "http") {
		t.Errorf("fullUrl %q", full)
	}
	for query, want := range map[string]int{
		"identifier=" + fhirOtherNHSNumber:              0,
		"identifier=" + fhirNHSNumber:                   1,
		"name=love":                                     1,
		"name=ada&name=lovelace":                        1,
		"name=ada&name=hopper":                          0,
		"birthdate=1980":                                2,
		"birthdate=1980-05-06&name=grace":               1,
		"birthdate=lt1980-05-06":                        0,
		"birthdate=ge1980-05-06&birthdate=le1980-05-06": 2,
		"gender=male":                                   0,
		"name=%25":                                      0,
		"name=_":                                        0,
		"name=a_a":                                      0,
		"_id=" + id:                                     1,
	} {
		if b, _ := search(query); get(b, "total") != float64(want) {
			t.Errorf("%s: total %v, want %d", query, get(b, "total"), want)
		}
	}

	// Paging: _count entries and a next link to the rest.
	for i := range 3 {
		env.CreatePatient(fmt.Sprintf("P%d", i), "Pager")
	}
	b, es = search("name=pager&_count=2")
	if get(b, "total") != 3.0 || len(es) != 2 || link(b, "next") == "" || link(b, "previous") != "" {
		t.Fatalf("first page: %v", b)
	}
	b2 := fhirResp(t, env.As(ketacare.RoleNurse, "GET", link(b, "next"), nil), http.StatusOK)
	es2 := entries(t, b2)
	if len(es2) != 1 || link(b2, "next") != "" || es2[0]["id"] == es[0]["id"] || es2[0]["id"] == es[1]["id"] {
		t.Fatalf("second page: %v", b2)
	}
}

func TestFHIRPatientCreateRefused(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	if r := env.As(ketacare.RoleNurse, "POST", "/fhir/R4/Patient", fhirPatientBody("Ada", "Lovelace", fhirNHSNumber)); r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	before := patientTotal(t, env)
	with := func(k string, v any) map[string]any {
		b := fhirPatientBody("Bo", "Refused", "")
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	for _, c := range []struct {
		name   string
		body   any
		status int
		code   string
		expr   string
	}{
		{"duplicate NHS number", fhirPatientBody("Ada", "Again", fhirNHSNumber), 409, "conflict", "Patient.identifier"},
		{"bad NHS number", fhirPatientBody("Ada", "Bad", "1234567890"), 400, "invalid", "Patient.identifier"},
		{"other identifier system", with("identifier", []any{map[string]any{"system": "urn:other", "value": "x"}}), 400, "invalid", "Patient.identifier"},
		{"an old NHS number", with("identifier", []any{map[string]any{"use": "old", "system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9434765870"}}), 400, "invalid", "Patient.identifier"},
		{"no gender", with("gender", nil), 400, "invalid", "Patient.gender"},
		{"bad gender", with("gender", "f"), 400, "invalid", "Patient.gender"},
		{"no name", with("name", nil), 400, "invalid", "Patient.name"},
		{"no given name", with("name", []any{map[string]any{"family": "Only"}}), 400, "invalid", "Patient.name.given"},
		{"future birth", with("birthDate", "2999-01-01"), 400, "invalid", "Patient.birthDate"},
		{"fax", with("telecom", []any{map[string]any{"system": "fax", "value": "1"}}), 400, "invalid", "Patient.telecom"},
		{"bad email", with("telecom", []any{map[string]any{"system": "email", "value": "nope"}}), 400, "invalid", "Patient.telecom"},
		{"unknown element", with("deceasedBoolean", true), 400, "invalid", ""},
		{"not a Patient", with("resourceType", "Observation"), 400, "invalid", ""},
		{"not JSON", "<Patient/>", 400, "invalid", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			issues := fhirOutcome(t, env.As(ketacare.RoleNurse, "POST", "/fhir/R4/Patient", c.body), c.status, c.code)
			if c.expr == "" {
				return
			}
			for _, is := range issues[1:] {
				if get(is, "expression", 0) == c.expr {
					return
				}
			}
			t.Errorf("no issue at %s: %v", c.expr, issues)
		})
	}
	fhirOutcome(t, env.As(ketacare.RoleNurse, "POST", "/fhir/R4/Patient", fhirPatientBody("X", "Y", ""), "Content-Type", "application/xml"),
		http.StatusUnsupportedMediaType, "not-supported")
	if after := patientTotal(t, env); after != before {
		t.Fatalf("refused creates stored patients: %d → %d", before, after)
	}
}

func TestFHIRErrors(t *testing.T) { fhirEachDB(t, testFHIRErrors) }

func testFHIRErrors(t *testing.T, opts apptest.Options) {
	env := apptest.Start(t, opts)
	ctx := context.Background()
	id := env.CreatePatient("Ada", "Here")

	r := env.Do("GET", fmt.Sprintf("/fhir/R4/Patient/%d", id), "", nil)
	fhirOutcome(t, r, http.StatusUnauthorized, "login")
	if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
	}
	if refused, err := env.DB.ListAudit(ctx, store.AuditFilter{Action: "http.unauthenticated"}); err != nil || len(refused) != 1 ||
		!strings.Contains(refused[0].Detail, "/fhir/R4/Patient/{id}") {
		t.Errorf("the FHIR request without a token is not audited: %+v %v", refused, err)
	}
	fhirOutcome(t, env.Do("GET", "/fhir/R4/Patient?name=a", "not-a-token", nil), http.StatusUnauthorized, "login")
	fhirOutcome(t, env.As(ketacare.RoleCounsellor, "GET", fmt.Sprintf("/fhir/R4/Patient/%d", id), nil), http.StatusForbidden, "forbidden")
	// A repeated token parameter would AND two values one element cannot
	// both hold: refused, not read as an OR.
	for _, q := range []string{"Patient?gender=male&gender=female", fmt.Sprintf("Patient?_id=%d&_id=%d", id, id+1),
		fmt.Sprintf("Observation?patient=%d&code=8867-4&code=9279-1", id)} {
		fhirOutcome(t, env.As(ketacare.RoleNurse, "GET", "/fhir/R4/"+q, nil), http.StatusBadRequest, "invalid")
	}
	// A system with no code is refused; gender takes its system too.
	fhirOutcome(t, env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/fhir/R4/Observation?patient=%d&code=http://loinc.org|", id), nil), http.StatusBadRequest, "invalid")
	if b := fhirResp(t, env.As(ketacare.RoleNurse, "GET", "/fhir/R4/Patient?gender="+url.QueryEscape("http://hl7.org/fhir/administrative-gender|female"), nil), http.StatusOK); b["resourceType"] != "Bundle" {
		t.Errorf("gender with its system: %v", b)
	}

	for _, path := range []string{"/fhir/R4/Patient/999999", "/fhir/R4/Patient/abc", "/fhir/R4/Observation/obs-999999-pulse",
		"/fhir/R4/Observation/asmt-999999", "/fhir/R4/Observation/nonsense", "/fhir/R4/Encounter/999999", "/fhir/R4/Medication/1",
		"/fhir/R4/Questionnaire/no-such"} {
		fhirOutcome(t, env.As(ketacare.RoleNurse, "GET", path, nil), http.StatusNotFound, "not-found")
	}
	// A method the address does not take: 405 naming those it does; an
	// unknown address: not found, whatever the method.
	r = env.As(ketacare.RoleNurse, "DELETE", fmt.Sprintf("/fhir/R4/Patient/%d", id), nil)
	fhirOutcome(t, r, http.StatusMethodNotAllowed, "not-supported")
	if r.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("Allow %q", r.Header.Get("Allow"))
	}
	fhirOutcome(t, env.Do("PUT", "/fhir/R4/metadata", "", nil), http.StatusMethodNotAllowed, "not-supported")
	fhirOutcome(t, env.As(ketacare.RoleNurse, "POST", "/fhir/R4/Medication", nil), http.StatusNotFound, "not-found")
	if _, err := env.DB.Patient(ctx, env.Actor(ketacare.RoleNurse), id); err != nil {
		t.Errorf("the patient is gone after DELETE: %v", err)
	}
	for _, path := range []string{"/fhir/R4/Patient?colour=blue", "/fhir/R4/Patient?name:exact=Ada", "/fhir/R4/Patient?_count=x",
		"/fhir/R4/Patient?birthdate=yesterday", "/fhir/R4/Patient?identifier=123", "/fhir/R4/Observation", "/fhir/R4/Observation?patient=x",
		"/fhir/R4/Observation?patient=1&date=xx2026", "/fhir/R4/Patient?_format=xml", "/fhir/R4/Encounter"} {
		fhirOutcome(t, env.As(ketacare.RoleNurse, "GET", path, nil), http.StatusBadRequest, "invalid")
	}

	// Another clinic's nurse does not see the patient, by any way in.
	other, err := env.DB.CreateClinic(ctx, env.Actor(ketacare.RoleAdmin), "South clinic")
	if err != nil {
		t.Fatal(err)
	}
	u, err := env.DB.CreateUser(ctx, env.Actor(ketacare.RoleAdmin), store.NewUser{Email: "south@test.example", Role: ketacare.RoleNurse, ClinicIDs: []int64{other.ID}, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	tok := env.NewToken(u)
	asmt, err := env.DB.RecordAssessment(ctx, env.Actor(ketacare.RoleNurse), id, store.AssessmentInput{Instrument: "gad7", Answers: []int{1, 1, 1, 1, 1, 1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fmt.Sprintf("/fhir/R4/Patient/%d", id), fmt.Sprintf("/fhir/R4/Observation?patient=%d", id),
		fmt.Sprintf("/fhir/R4/Observation/asmt-%d", asmt.ID), fmt.Sprintf("/fhir/R4/Encounter?patient=%d", id)} {
		fhirOutcome(t, env.Do("GET", path, tok, nil), http.StatusNotFound, "not-found")
	}
	b := fhirResp(t, env.Do("GET", "/fhir/R4/Patient?name=ada", tok, nil), http.StatusOK)
	if get(b, "total") != 0.0 {
		t.Errorf("another clinic's search found %v", b)
	}
	// The clinic's own nurse does see it.
	if r := env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/fhir/R4/Observation/asmt-%d", asmt.ID), nil); r.Status != http.StatusOK {
		t.Errorf("own clinic: %d %s", r.Status, r.Body)
	}
	denied, err := env.DB.ListAudit(ctx, store.AuditFilter{UserID: u.ID, Outcome: "denied"})
	if err != nil || len(denied) < 3 {
		t.Errorf("denied reads audited: %d, %v", len(denied), err)
	}
}

// fhirReadyPatient registers a patient who may be dosed (screened,
// consented, countersigned, with a plan) and returns the id.
func fhirReadyPatient(t *testing.T, env *apptest.Env) int64 {
	t.Helper()
	ctx := context.Background()
	id := env.CreatePatient("Vera", "Vitals")
	nurse, pres := env.Actor(ketacare.RoleNurse), env.Actor(ketacare.RolePrescriber)
	sys, dia := 120, 80
	if _, err := env.DB.RecordAssessment(ctx, nurse, id, store.AssessmentInput{Instrument: "history", History: &store.HistoryAnswers{Systolic: &sys, Diastolic: &dia}}); err != nil {
		t.Fatalf("history: %v", err)
	}
	if _, err := env.DB.RecordAssessment(ctx, nurse, id, store.AssessmentInput{Instrument: "gad7", Answers: []int{0, 1, 0, 1, 0, 1, 0}}); err != nil {
		t.Fatalf("gad7: %v", err)
	}
	ct, err := env.DB.CurrentConsentText(ctx)
	if err != nil {
		if ct, err = env.DB.SaveConsentText(ctx, env.Actor(ketacare.RoleAdmin), "Consent to ketamine treatment, its risks of anxiety and of addiction explained."); err != nil {
			t.Fatalf("consent text: %v", err)
		}
	}
	c, err := env.DB.SignConsent(ctx, nurse, id, ct.Version, "Vera Vitals")
	if err != nil {
		t.Fatalf("consent: %v", err)
	}
	if _, err := env.DB.Countersign(ctx, pres, id, c.ID); err != nil {
		t.Fatalf("countersign: %v", err)
	}
	dose := 35.0
	if _, _, err := env.DB.SavePlan(ctx, pres, id, store.PlanInput{Drug: "ketamine", Route: "iv", DoseMg: &dose, Sessions: 6, IntervalDays: 7, Reason: "start"}); err != nil {
		t.Fatalf("plan: %v", err)
	}
	return id
}

func TestFHIRObservations(t *testing.T) { fhirEachDB(t, testFHIRObservations) }

func testFHIRObservations(t *testing.T, opts apptest.Options) {
	env := apptest.Start(t, opts)
	ctx := context.Background()
	patient := fhirReadyPatient(t, env)
	nurse := env.Actor(ketacare.RoleNurse)
	if _, err := env.DB.RecordAssessment(ctx, nurse, patient, store.AssessmentInput{Instrument: "phq9", Answers: []int{1, 1, 0, 0, 0, 0, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.RecordAssessment(ctx, nurse, patient, store.AssessmentInput{Instrument: "auditc", Answers: []int{1, 0, 0}}); err != nil {
		t.Fatal(err)
	}

	r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/patients/%d/sessions", patient), map[string]any{})
	if r.Status != http.StatusCreated {
		t.Fatalf("open session: %d %s", r.Status, r.Body)
	}
	var sess struct{ ID int64 }
	r.JSON(t, &sess)
	obs := func(body map[string]any) (int64, *int) {
		t.Helper()
		r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/sessions/%d/observations", sess.ID), body)
		if r.Status != http.StatusCreated {
			t.Fatalf("observation: %d %s", r.Status, r.Body)
		}
		var o struct {
			ID    int64
			NEWS2 *struct{ Total int }
		}
		r.JSON(t, &o)
		if o.NEWS2 == nil {
			return o.ID, nil
		}
		return o.ID, &o.NEWS2.Total
	}
	base, _ := obs(map[string]any{"systolic": 124, "diastolic": 78, "pulse": 72, "spo2": 98, "respRate": 14, "tempC": 36.8,
		"consciousness": "A", "onOxygen": false, "anxiety": 3, "moaas": 5})
	if r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/sessions/%d/dose", sess.ID), map[string]any{}); r.Status != http.StatusOK {
		t.Fatalf("dose: %d %s", r.Status, r.Body)
	}
	second, news2 := obs(map[string]any{"systolic": 141, "diastolic": 88, "pulse": 96, "spo2": 95, "respRate": 19, "tempC": 37.1,
		"consciousness": "A", "onOxygen": false, "anxiety": 5, "moaas": 4, "cadss": []int{1, 2, 0, 1, 0, 0}})
	if news2 == nil {
		t.Fatal("the observation has no NEWS2")
	}

	b := fhirResp(t, env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/fhir/R4/Observation?patient=%d&category=vital-signs&_count=100", patient), nil), http.StatusOK)
	vitals := entries(t, b)
	byID := map[string]map[string]any{}
	for _, v := range vitals {
		byID[v["id"].(string)] = v
		if get(v, "category", 0, "coding", 0, "code") != "vital-signs" || get(v, "status") != "final" ||
			get(v, "subject", "reference") != fmt.Sprintf("Patient/%d", patient) || get(v, "encounter", "reference") != fmt.Sprintf("Encounter/%d", sess.ID) {
			t.Errorf("vital sign %v", v)
		}
	}
	if len(vitals) != 10 || get(b, "total") != 10.0 {
		t.Fatalf("%d vital signs, want 5 for each of 2 observations: %v", len(vitals), byID)
	}
	pref := fmt.Sprintf("obs-%d-", second)
	for _, c := range []struct {
		kind, code, unit, profile string
		value                     float64
	}{
		{"pulse", "8867-4", "/min", "heartrate", 96},
		{"resp", "9279-1", "/min", "resprate", 19},
		{"spo2", "2708-6", "%", "oxygensat", 95},
		{"temp", "8310-5", "Cel", "bodytemp", 37.1},
	} {
		v := byID[pref+c.kind]
		if v == nil {
			t.Errorf("no %s%s", pref, c.kind)
			continue
		}
		if get(v, "code", "coding", 0, "system") != "http://loinc.org" || get(v, "code", "coding", 0, "code") != c.code ||
			get(v, "valueQuantity", "value") != c.value || get(v, "valueQuantity", "code") != c.unit ||
			get(v, "valueQuantity", "system") != "http://unitsofmeasure.org" ||
			get(v, "meta", "profile", 0) != "http://hl7.org/fhir/StructureDefinition/"+c.profile {
			t.Errorf("%s: %v", c.kind, v)
		}
	}
	if get(byID[pref+"spo2"], "code", "coding", 1, "code") != "59408-5" {
		t.Errorf("SpO2 without the pulse oximetry code: %v", byID[pref+"spo2"])
	}
	bp := byID[pref+"bp"]
	if get(bp, "code", "coding", 0, "code") != "85354-9" || get(bp, "component", 0, "code", "coding", 0, "code") != "8480-6" ||
		get(bp, "component", 0, "valueQuantity", "value") != 141.0 || get(bp, "component", 1, "code", "coding", 0, "code") != "8462-4" ||
		get(bp, "component", 1, "valueQuantity", "value") != 88.0 || get(bp, "component", 1, "valueQuantity", "code") != "mm[Hg]" {
		t.Errorf("blood pressure: %v", bp)
	}
	if byID[fmt.Sprintf("obs-%d-pulse", base)] == nil {
		t.Errorf("baseline pulse missing")
	}

	// Each resource reads back by its id.
	for _, id := range []string{pref + "pulse", pref + "bp", fmt.Sprintf("obs-%d-temp", base)} {
		one := fhirResp(t, env.As(ketacare.RoleNurse, "GET", "/fhir/R4/Observation/"+id, nil), http.StatusOK)
		if one["id"] != id || fmt.Sprint(get(one, "valueQuantity")) != fmt.Sprint(get(byID[id], "valueQuantity")) {
			t.Errorf("read %s: %v", id, one)
		}
	}
	n := fhirResp(t, env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/fhir/R4/Observation/news2-%d", second), nil), http.StatusOK)
	if get(n, "code", "coding", 0, "system") != "http://snomed.info/sct" || get(n, "code", "coding", 0, "code") != "1104051000000101" ||
		get(n, "code", "coding", 1, "code") != "88330-6" || get(n, "valueInteger") != float64(*news2) {
		t.Errorf("NEWS2: %v (want total %d)", n, *news2)
	}

	// code= selects by code, with or without the system.
	for query, want := range map[string]int{
		"code=" + url.QueryEscape("http://loinc.org|8867-4"): 2,
		"code=8867-4,9279-1": 4,
		"code=" + url.QueryEscape("http://snomed.info/sct|1104051000000101"): 2,
		"code=" + url.QueryEscape("http://snomed.info/sct|8867-4"):           0,
		"code=anxiety-nrs":              2,
		"code=moaas":                    2,
		"code=cadss-6":                  1,
		"code=70274-6":                  1,
		"code=44261-6":                  1,
		"code=75626-2":                  1,
		"date=ge2999":                   0,
		"date=lt2999-01-01&code=8867-4": 2,
		fmt.Sprintf("encounter=Encounter/%d&code=70274-6", sess.ID): 0,
		fmt.Sprintf("encounter=%d&category=vital-signs", sess.ID):   10,
	} {
		b := fhirResp(t, env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/fhir/R4/Observation?subject=Patient/%d&%s", patient, query), nil), http.StatusOK)
		if get(b, "total") != float64(want) {
			t.Errorf("%s: total %v, want %d", query, get(b, "total"), want)
		}
	}

	// Questionnaire scores: totals with their LOINC codes, PHQ-9 item 9.
	b = fhirResp(t, env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/fhir/R4/Observation?patient=%d&category=survey&code=44261-6,70274-6,75626-2", patient), nil), http.StatusOK)
	scores := map[string]map[string]any{}
	for _, e := range entries(t, b) {
		scores[get(e, "code", "coding", 0, "code").(string)] = e
		if get(e, "code", "coding", 0, "system") != "http://loinc.org" || get(e, "category", 0, "coding", 0, "code") != "survey" {
			t.Errorf("score %v", e)
		}
	}
	if get(scores["70274-6"], "valueInteger") != 3.0 || get(scores["44261-6"], "valueInteger") != 3.0 || get(scores["75626-2"], "valueInteger") != 1.0 {
		t.Errorf("score totals: %v", scores)
	}
	item9 := false
	for _, c := range get(scores["44261-6"], "component").([]any) {
		if get(c, "code", "coding", 0, "code") == "44260-8" {
			item9 = get(c, "valueInteger") == 1.0
		}
	}
	if !item9 {
		t.Errorf("PHQ-9 item 9 (44260-8) not 1: %v", scores["44261-6"])
	}
	cssrs, err := env.DB.RecordAssessment(ctx, nurse, patient, store.AssessmentInput{Instrument: "cssrs", Answers: []int{1, 0, -1, -1, -1, 0}})
	if err != nil {
		t.Fatal(err)
	}
	c := fhirResp(t, env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/fhir/R4/Observation/asmt-%d", cssrs.ID), nil), http.StatusOK)
	if get(c, "code", "coding", 0, "code") != "c-ssrs-screener" || get(c, "valueCodeableConcept", "coding", 0, "code") != "c-ssrs-screener-low" ||
		get(c, "component", 2, "dataAbsentReason", "coding", 0, "code") != "not-asked" {
		t.Errorf("C-SSRS: %v", c)
	}
	phqID := scores["44261-6"]["id"].(string)
	if one := fhirResp(t, env.As(ketacare.RoleNurse, "GET", "/fhir/R4/Observation/"+phqID, nil), http.StatusOK); one["id"] != phqID {
		t.Errorf("read %s: %v", phqID, one)
	}

	// The dosing session as an Encounter.
	e := fhirResp(t, env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/fhir/R4/Encounter/%d", sess.ID), nil), http.StatusOK)
	if e["resourceType"] != "Encounter" || e["status"] != "in-progress" || get(e, "subject", "reference") != fmt.Sprintf("Patient/%d", patient) {
		t.Errorf("encounter: %v", e)
	}
	b = fhirResp(t, env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/fhir/R4/Encounter?patient=%d", patient), nil), http.StatusOK)
	if get(b, "total") != 1.0 {
		t.Errorf("encounters: %v", b)
	}
}

func TestFHIRQuestionnaire(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	q := fhirResp(t, env.Do("GET", "/fhir/R4/Questionnaire/phq-9", "", nil), http.StatusOK)
	if q["resourceType"] != "Questionnaire" || get(q, "code", 0, "code") != "44249-1" || len(get(q, "item").([]any)) != 9 ||
		get(q, "item", 8, "code", 0, "code") != "44260-8" || get(q, "item", 8, "answerOption", 3, "valueCoding", "code") != "LA6571-9" {
		t.Errorf("PHQ-9: %v", q)
	}
	c := fhirResp(t, env.Do("GET", "/fhir/R4/Questionnaire/c-ssrs-screener", "", nil), http.StatusOK)
	if get(c, "item", 2, "enableWhen", 0, "question") != "2" || get(c, "item", 2, "enableWhen", 0, "operator") != "!=" {
		t.Errorf("C-SSRS skip rule: %v", get(c, "item", 2))
	}
	// A reverse-scored item publishes the score each answer adds: DAST-10's
	// item 3 "No" adds 1, item 1 "No" adds 0.
	d := fhirResp(t, env.Do("GET", "/fhir/R4/Questionnaire/dast-10", "", nil), http.StatusOK)
	ordinal := func(item int) any {
		return get(d, "item", item, "answerOption", 0, "valueCoding", "extension", 0, "valueDecimal")
	}
	if get(d, "item", 2, "answerOption", 0, "valueCoding", "display") != "No" || ordinal(2) != 1.0 || ordinal(0) != 0.0 {
		t.Errorf("DAST-10 scores: item 1 %v, item 3 %v", ordinal(0), ordinal(2))
	}
	b := fhirResp(t, env.Do("GET", "/fhir/R4/Questionnaire", "", nil), http.StatusOK)
	if len(entries(t, b)) < 5 {
		t.Errorf("questionnaires: %v", b)
	}
}
