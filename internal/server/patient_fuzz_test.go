package server_test

import (
	"net/http"
	"testing"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/apptest"
)

// FuzzPatientCreate posts arbitrary bodies to the patient API: the answer
// is 201 or a 4xx problem, never a server error, and a patient is stored
// exactly when the answer is 201.
func FuzzPatientCreate(f *testing.F) {
	for _, seed := range []string{
		`{"givenName":"Ada","familyName":"Lovelace","birthDate":"1990-02-03","sex":"female","nhsNumber":"9434765919"}`,
		`{"givenName":"Ada","familyName":"Lovelace","birthDate":"1990-02-30","sex":"female"}`,
		`{"givenName":"","familyName":"","birthDate":"","sex":""}`,
		`{"givenName":"A","familyName":"B","birthDate":"1990-01-01","sex":"x","email":"nope","phone":"abc"}`,
		`{"givenName":1}`,
		`[]`, `null`, ``, `{`, `{"a":1}`,
	} {
		f.Add(seed)
	}
	env := apptest.Start(f, apptest.Options{})
	total := func(e *apptest.Env) int {
		var page struct{ Total int }
		e.As(ketacare.RoleNurse, "GET", "/api/v1/patients?limit=1", nil).JSON(e.T, &page)
		return page.Total
	}
	f.Fuzz(func(t *testing.T, body string) {
		e := env.For(t)
		before := total(e)
		r := e.As(ketacare.RoleNurse, "POST", "/api/v1/patients", body)
		after := total(e)
		switch {
		case r.Status >= 500:
			t.Fatalf("%q: %d %s", body, r.Status, r.Body)
		case r.Status == http.StatusCreated && after != before+1:
			t.Fatalf("%q: 201 but %d patients added", body, after-before)
		case r.Status != http.StatusCreated && (after != before || r.Header.Get("Content-Type") != "application/problem+json"):
			t.Fatalf("%q: %d, %d patients added, content type %q", body, r.Status, after-before, r.Header.Get("Content-Type"))
		}
	})
}
