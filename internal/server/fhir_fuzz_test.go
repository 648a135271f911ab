package server_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/apptest"
)

// FuzzFHIRPatientCreate posts arbitrary bodies as FHIR Patients: never a
// 500, and a patient is either wholly stored (201, readable at its
// Location) or not at all. Seeds are in testdata/fuzz.
func FuzzFHIRPatientCreate(f *testing.F) {
	f.Add([]byte(`{"resourceType":"Patient","name":[{"family":"Seed","given":["Sam"]}],"gender":"male","birthDate":"1990-01-02"}`))
	f.Add([]byte(`{"resourceType":"Patient","name":[{"family":"Seed"}],"gender":"x","birthDate":"1990-02-30","identifier":[{"system":"urn:x","value":""}]}`))
	f.Add([]byte(`{"resourceType":"Patient","name":"Sam","gender":1}`))
	shared := apptest.Start(f, apptest.Options{})
	f.Fuzz(func(t *testing.T, body []byte) {
		env := *shared
		env.T = t
		before := patientTotal(t, &env)
		r := env.As(ketacare.RoleNurse, "POST", "/fhir/R4/Patient", body, "Content-Type", "application/fhir+json")
		after := patientTotal(t, &env)
		if r.Status >= 500 {
			t.Fatalf("%d for %q: %s", r.Status, body, r.Body)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/fhir+json" {
			t.Fatalf("Content-Type %q for %q", ct, body)
		}
		if r.Status != http.StatusCreated {
			if after != before {
				t.Fatalf("refused with %d but stored a patient: %s", r.Status, r.Body)
			}
			if r.Map(t)["resourceType"] != "OperationOutcome" {
				t.Fatalf("refusal %d is not an OperationOutcome: %s", r.Status, r.Body)
			}
			return
		}
		if after != before+1 {
			t.Fatalf("201 but %d → %d patients: %s", before, after, r.Body)
		}
		loc, err := url.Parse(r.Header.Get("Location"))
		if err != nil {
			t.Fatalf("Location %q", r.Header.Get("Location"))
		}
		created := r.Map(t)
		read := env.As(ketacare.RoleNurse, "GET", loc.Path, nil)
		if read.Status != http.StatusOK || read.Map(t)["id"] != created["id"] {
			t.Fatalf("stored patient unreadable at %s: %d %s", loc.Path, read.Status, read.Body)
		}
	})
}
