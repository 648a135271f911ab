package server_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/apptest"
)

// Another system records vital signs in a dosing session as FHIR
// Observations: each goes through the session's alert rules and reads back
// as the same resource; readings ketacare cannot keep exactly, another
// patient, another clinic and implausible values are refused with the
// element named.
func TestFHIRObservationCreate(t *testing.T) { fhirEachDB(t, testFHIRObservationCreate) }

func testFHIRObservationCreate(t *testing.T, opts apptest.Options) {
	env := apptest.Start(t, opts)
	patient := fhirReadyPatient(t, env)
	r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/patients/%d/sessions", patient), map[string]any{})
	var sess struct{ ID int64 }
	r.JSON(t, &sess)
	if r.Status != http.StatusCreated {
		t.Fatalf("session: %d %s", r.Status, r.Body)
	}
	quantity := func(v float64, code string) map[string]any {
		return map[string]any{"value": v, "unit": code, "system": "http://unitsofmeasure.org", "code": code}
	}
	coded := func(code string) map[string]any {
		return map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": code}}}
	}
	taken := time.Now().UTC().Add(-time.Minute).Truncate(time.Second).Format(time.RFC3339)
	vital := func(code string, q map[string]any) map[string]any {
		return map[string]any{"resourceType": "Observation", "status": "final", "code": coded(code),
			"category": []any{map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}}}},
			"subject":  map[string]any{"reference": fmt.Sprintf("Patient/%d", patient)}, "encounter": map[string]any{"reference": fmt.Sprintf("Encounter/%d", sess.ID)},
			"effectiveDateTime": taken, "valueQuantity": q}
	}
	post := func(body map[string]any) apptest.Response {
		return env.As(ketacare.RoleNurse, "POST", "/fhir/R4/Observation", body)
	}

	bp := vital("85354-9", nil)
	delete(bp, "valueQuantity")
	bp["component"] = []any{
		map[string]any{"code": coded("8480-6"), "valueQuantity": quantity(182, "mm[Hg]")},
		map[string]any{"code": coded("8462-4"), "valueQuantity": quantity(96, "mm[Hg]")},
	}
	r = post(bp)
	created := fhirResp(t, r, http.StatusCreated)
	id := created["id"].(string)
	if get(created, "component", 0, "valueQuantity", "value") != 182.0 || get(created, "encounter", "reference") != fmt.Sprintf("Encounter/%d", sess.ID) ||
		r.Header.Get("Location") == "" {
		t.Fatalf("created %v (Location %q)", created, r.Header.Get("Location"))
	}
	read := fhirResp(t, env.As(ketacare.RoleNurse, "GET", "/fhir/R4/Observation/"+id, nil), http.StatusOK)
	if get(read, "component", 1, "valueQuantity", "value") != 96.0 {
		t.Errorf("read back %v", read)
	}
	// The session's alert rules saw it: systolic 182 raises a blood pressure alert.
	alerts := env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/sessions/%d/alerts", sess.ID), nil)
	var list []struct{ Rule string }
	alerts.JSON(t, &list)
	if len(list) == 0 {
		t.Errorf("no alert after a systolic of 182: %s", alerts.Body)
	}
	for _, c := range []struct {
		code string
		q    map[string]any
	}{{"8867-4", quantity(88, "/min")}, {"9279-1", quantity(16, "/min")}, {"59408-5", quantity(97, "%")}, {"8310-5", quantity(36.9, "Cel")}} {
		body := vital(c.code, c.q)
		if c.code == "8867-4" {
			body["device"] = map[string]any{"reference": "Device/123"} // kept, though it has no name
		}
		fhirResp(t, post(body), http.StatusCreated)
	}
	var obs []map[string]any
	env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/sessions/%d/observations", sess.ID), nil).JSON(t, &obs)
	if len(obs) != 5 || obs[4]["tempC"] != 36.9 || obs[1]["pulse"] != 88.0 || obs[1]["device"] != "Device/123" {
		t.Errorf("observations: %v", obs)
	}

	// With an Idempotency-Key, a retry gets the first answer and stores nothing more.
	pulse := vital("8867-4", quantity(91, "/min"))
	first := env.As(ketacare.RoleNurse, "POST", "/fhir/R4/Observation", pulse, "Idempotency-Key", "fhir-pulse-1")
	again := env.As(ketacare.RoleNurse, "POST", "/fhir/R4/Observation", pulse, "Idempotency-Key", "fhir-pulse-1")
	fhirResp(t, first, http.StatusCreated)
	if again.Status != http.StatusCreated || string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry: %d %s", again.Status, again.Body)
	}
	env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/sessions/%d/observations", sess.ID), nil).JSON(t, &obs)
	if len(obs) != 6 {
		t.Errorf("%d observations after a retried one, want 6", len(obs))
	}

	other := fhirReadyPatient(t, env)
	wrongPatient := vital("8867-4", quantity(80, "/min"))
	wrongPatient["subject"] = map[string]any{"reference": fmt.Sprintf("Patient/%d", other)}
	fahrenheit := vital("8310-5", quantity(98.6, "[degF]"))
	fraction := vital("8867-4", quantity(80.5, "/min"))
	unknown := vital("1234-5", quantity(1, "/min"))
	unknownElement := vital("8867-4", quantity(80, "/min"))
	unknownElement["bodySite"] = map[string]any{"text": "arm"}
	preliminary := vital("8867-4", quantity(80, "/min"))
	preliminary["status"] = "preliminary"
	longBefore := vital("8867-4", quantity(80, "/min"))
	longBefore["effectiveDateTime"] = "2020-11-26T05:10:00Z"
	twoReadings := vital("9279-1", quantity(24, "/min"))
	twoReadings["code"] = map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": "9279-1"},
		map[string]any{"system": "http://loinc.org", "code": "8867-4"}}}
	for name, c := range map[string]struct {
		body   map[string]any
		status int
		path   string
	}{
		"another patient":   {wrongPatient, http.StatusBadRequest, "Observation.subject"},
		"degrees F":         {fahrenheit, http.StatusBadRequest, "Observation.valueQuantity"},
		"a fraction":        {fraction, http.StatusBadRequest, "Observation.valueQuantity"},
		"an unknown code":   {unknown, http.StatusBadRequest, "Observation.code"},
		"preliminary":       {preliminary, http.StatusBadRequest, "Observation.status"},
		"implausible pulse": {vital("8867-4", quantity(400, "/min")), http.StatusUnprocessableEntity, "Observation.valueQuantity"},
		"two readings":      {twoReadings, http.StatusBadRequest, "Observation.code"},
		"years before":      {longBefore, http.StatusBadRequest, "Observation.effectiveDateTime"},
		"a huge value":      {vital("2708-6", quantity(1e19, "%")), http.StatusBadRequest, "Observation.valueQuantity"},
	} {
		code := "invalid"
		if c.status == http.StatusUnprocessableEntity {
			code = "processing"
		}
		issues := fhirOutcome(t, post(c.body), c.status, code)
		found := false
		for _, is := range issues {
			if ex, ok := is["expression"].([]any); ok && len(ex) > 0 && ex[0] == c.path {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no issue at %s: %v", name, c.path, issues)
		}
	}
	fhirOutcome(t, post(unknownElement), http.StatusBadRequest, "invalid")

	// Another clinic's nurse cannot record in the session.
	east := otherClinicToken(t, env, ketacare.RoleNurse, "East clinic", "east-fhir@test.example")
	fhirOutcome(t, env.Do("POST", "/fhir/R4/Observation", east, vital("8867-4", quantity(80, "/min"))), http.StatusNotFound, "not-found")
	env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/sessions/%d/observations", sess.ID), nil).JSON(t, &obs)
	if len(obs) != 6 {
		t.Errorf("%d observations after the refusals, want 6", len(obs))
	}
}
