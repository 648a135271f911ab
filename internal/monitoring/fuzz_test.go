package monitoring_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/apptest"
	"github.com/ketacare/ketacare/internal/clinical"
)

// FuzzObservationJSON posts arbitrary bodies as observations: the answer
// is never a server error, and an observation is stored exactly when the
// answer is 201.
func FuzzObservationJSON(f *testing.F) {
	for _, seed := range []string{
		`{"systolic":120,"diastolic":80,"pulse":70}`,
		`{"systolic":400,"confirmed":true}`,
		`{"systolic":400}`,
		`{"anxiety":11}`,
		`{"consciousness":"Z"}`,
		`{"signs":["panic","unknown"]}`,
		`{"tempC":"hot"}`,
		`{"at":"yesterday"}`,
		`{}`,
		`[]`,
		`null`,
		`{"spo2":-1,"respRate":1e309}`,
		`{"cadss":[0,1,2,3,4,5]}`,
	} {
		f.Add(seed)
	}
	env, _ := startMonitoring(f, apptest.Options{})
	p := readyPatient(f, env, "Fuzz", "", clinical.RouteIV, "ketamine", 35)
	s := openDosed(f, env, p, nil)
	path := fmt.Sprintf("/api/v1/sessions/%d/observations", s)
	f.Fuzz(func(t *testing.T, body string) {
		env := env.For(t)
		count := func() int {
			var list []any
			env.As(ketacare.RoleNurse, "GET", path, nil).JSON(t, &list)
			return len(list)
		}
		before := count()
		r := env.As(ketacare.RoleNurse, "POST", path, body)
		after := count()
		switch {
		case r.Status >= 500:
			t.Fatalf("%q: %d %s", body, r.Status, r.Body)
		case r.Status == http.StatusCreated && after != before+1:
			t.Fatalf("%q: 201 but %d observations stored", body, after-before)
		case r.Status != http.StatusCreated && after != before:
			t.Fatalf("%q: %d but the observation was stored", body, r.Status)
		}
	})
}

// FuzzObservationForm posts arbitrary form values to the tablet form: no
// server error.
func FuzzObservationForm(f *testing.F) {
	f.Add("120", "80", "A", "panic", "yes")
	f.Add("", "", "", "", "")
	f.Add("abc", "-5", "ZZ", "nonsense", "maybe")
	env, _ := startMonitoring(f, apptest.Options{})
	p := readyPatient(f, env, "FuzzForm", "", clinical.RouteIV, "ketamine", 35)
	s := openDosed(f, env, p, nil)
	f.Fuzz(func(t *testing.T, sys, dia, acvpu, sign, confirmed string) {
		env := env.For(t)
		form := url.Values{"systolic": {sys}, "diastolic": {dia}, "consciousness": {acvpu}, "signs": {sign}, "confirmed": {confirmed}}
		r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/sessions/%d/observations", s), form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
		if r.Status >= 500 {
			t.Fatalf("%v: %d %s", form, r.Status, r.Body)
		}
	})
}
