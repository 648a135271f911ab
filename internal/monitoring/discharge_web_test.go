package monitoring_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/apptest"
	"github.com/ketacare/ketacare/internal/clinical"
)

// TestWebDischargeShowsFirstCheckinLink: a nurse signs the discharge in the
// web UI and is shown the link of the patient's first check-in, which opens
// the check-in page.
func TestWebDischargeShowsFirstCheckinLink(t *testing.T) {
	env, clock := startMonitoring(t, apptest.Options{})
	p := readyPatient(t, env, "Leaving", "", clinical.RouteIV, "ketamine", 35)
	s := openDosed(t, env, p, map[string]any{"systolic": 120, "diastolic": 75, "anxiety": 2, "moaas": 5})
	if r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/sessions/%d/dose", s), map[string]any{"endAt": clock.Now()}); r.Status != http.StatusOK {
		t.Fatalf("mark the end of the infusion: %d %s", r.Status, r.Body)
	}
	pv, _ := env.DB.CurrentProtocol(context.Background())
	for m := 15; m <= pv.Protocol.Discharge.MinMinutesAfterDose[clinical.RouteIV]; m += 15 {
		clock.Add(15 * time.Minute)
		postObs(t, env, s, map[string]any{"systolic": 125, "diastolic": 78, "anxiety": 2, "moaas": 5,
			"pulse": 72, "spo2": 98, "respRate": 14, "tempC": 36.8, "consciousness": "A", "onOxygen": false})
	}

	do, csrf := nurseBrowser(t, env)
	_, form := do(fmt.Sprintf("/sessions/%d/discharge", s), nil)
	code, body := do(fmt.Sprintf("/sessions/%d/discharge", s), url.Values{"csrf_token": {csrf(form)}, "escort": {"yes"}, "driving": {"yes"}})
	if code != http.StatusOK || !strings.Contains(body, "The patient is discharged") {
		t.Fatalf("discharge: %d\n%.3000s", code, body)
	}
	m := regexp.MustCompile(`value="(http://[^"]+/checkin/[^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no check-in link on the discharge answer:\n%.3000s", body)
	}
	link, _ := url.Parse(m[1])
	resp, err := http.Get(env.URL + link.Path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusConflict {
		t.Fatalf("check-in link answers %d", resp.StatusCode)
	}

	// Read hours later, the finished session shows the NEWS2 of its last
	// observation, not "not computed" for want of readings since.
	clock.Add(3 * time.Hour)
	do, _ = nurseBrowser(t, env) // signed in again: the first sign-in has expired
	_, page := do(fmt.Sprintf("/sessions/%d", s), nil)
	if !regexp.MustCompile(`<strong>0</strong> \(low response\), at the last observation \(`).MatchString(page) ||
		!strings.Contains(page, "<li>Respiration rate: 0</li>") {
		t.Errorf("the finished session's NEWS2 and its sub-scores:\n%.4000s", page)
	}
}

// TestWebCloseWithoutADose: the session page closes a session without a
// dose; a missing reason shows the form again with its error.
func TestWebCloseWithoutADose(t *testing.T) {
	env, _ := startMonitoring(t, apptest.Options{})
	p := readyPatient(t, env, "Opened", "", clinical.RouteIM, "ketamine", 35)
	s := openSession(t, env, p)

	do, csrf := nurseBrowser(t, env)
	page := fmt.Sprintf("/sessions/%d", s)
	_, body := do(page, nil)
	if !strings.Contains(body, "Close the session without a dose") {
		t.Fatal("the session page offers no way to close it without a dose")
	}
	tok := csrf(body)
	if code, body := do(page+"/close", url.Values{"csrf_token": {tok}, "reason": {""}}); code != http.StatusBadRequest || !strings.Contains(body, "Give the reason the session closes without a dose") {
		t.Fatalf("no reason: %d", code)
	}
	if code, _ := do(page+"/close", url.Values{"csrf_token": {tok}, "reason": {"Opened for the wrong patient."}}); code != http.StatusSeeOther {
		t.Fatalf("close: %d", code)
	}
	if _, body := do(page, nil); !strings.Contains(body, "Closed without a dose") || !strings.Contains(body, "Opened for the wrong patient.") || strings.Contains(body, "Mark the dose given") {
		t.Error("the closed session's page does not say so")
	}
}

// nurseBrowser signs the nurse in to the web UI: do gets a page (nil form)
// or posts a form, without following redirects; csrf finds a page's token.
func nurseBrowser(t *testing.T, env *apptest.Env) (do func(path string, form url.Values) (int, string), csrf func(page string) string) {
	return staffBrowser(t, env, "nurse@test.example")
}

// staffBrowser is nurseBrowser for another account.
func staffBrowser(t *testing.T, env *apptest.Env, email string) (do func(path string, form url.Values) (int, string), csrf func(page string) string) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	field := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	csrf = func(page string) string {
		m := field.FindStringSubmatch(page)
		if m == nil {
			t.Fatal("no CSRF token on the page")
		}
		return m[1]
	}
	do = func(path string, form url.Values) (int, string) {
		var resp *http.Response
		var err error
		if form == nil {
			resp, err = c.Get(env.URL + path)
		} else {
			resp, err = c.PostForm(env.URL+path, form)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	_, login := do("/login", nil)
	if code, _ := do("/login", url.Values{"csrf_token": {csrf(login)}, "email": {email}, "password": {apptest.Password}}); code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", code)
	}
	return do, csrf
}

// TestWebDoseWithoutBaseline: before a complete baseline the session page
// asks the nurse to confirm dosing without one.
func TestWebDoseWithoutBaseline(t *testing.T) {
	env, _ := startMonitoring(t, apptest.Options{})
	p := readyPatient(t, env, "Hurried", "", clinical.RouteIM, "ketamine", 35)
	s := openSession(t, env, p)
	do, csrf := nurseBrowser(t, env)
	page := fmt.Sprintf("/sessions/%d", s)
	_, body := do(page, nil)
	if !strings.Contains(body, "The pre-dose baseline is not complete") || !strings.Contains(body, `id="withoutBaseline"`) {
		t.Fatal("the session page does not say the baseline is missing")
	}
	tok := csrf(body)
	if code, body := do(page+"/dose", url.Values{"csrf_token": {tok}}); code != http.StatusConflict || !strings.Contains(body, `href="#withoutBaseline"`) {
		t.Fatalf("dose without confirming: %d", code)
	}
	if code, _ := do(page+"/dose", url.Values{"csrf_token": {tok}, "withoutBaseline": {"yes"}}); code != http.StatusSeeOther {
		t.Fatalf("dose confirmed: %d", code)
	}
	postObs(t, env, s, map[string]any{"systolic": 120, "diastolic": 80, "anxiety": 2, "moaas": 5})
	if _, body := do(page, nil); strings.Contains(body, "The pre-dose baseline is not complete") {
		t.Error("a dosed session still asks for the baseline")
	}
}

// The board says who is on duty; a prescriber goes on and off duty from it.
func TestWebBoardDuty(t *testing.T) {
	env, _ := startMonitoring(t, apptest.Options{})
	clinic := env.Users[ketacare.RolePrescriber].ClinicIDs[0]
	rx, csrf := staffBrowser(t, env, "prescriber@test.example")
	nurse, _ := nurseBrowser(t, env)
	_, body := rx("/board", nil)
	if !strings.Contains(body, "No prescriber is on duty") || !strings.Contains(body, "Go on duty") {
		t.Fatal("the board does not say that no prescriber is on duty, or offers the prescriber no way on")
	}
	if _, body := nurse("/board", nil); strings.Contains(body, "Go on duty") {
		t.Error("a nurse is offered to go on duty")
	}
	form := url.Values{"csrf_token": {csrf(body)}, "clinic": {fmt.Sprint(clinic)}, "on": {"1"}}
	if code, _ := rx("/board/duty", form); code != http.StatusSeeOther {
		t.Fatalf("going on duty: %d", code)
	}
	_, body = rx("/board", nil)
	if !strings.Contains(body, "Test prescriber, on duty since") || !strings.Contains(body, "End duty") || strings.Contains(body, "Go on duty") {
		t.Fatal("the board does not show the prescriber on duty with a way off")
	}
	if _, body := nurse("/board", nil); !strings.Contains(body, "Test prescriber, on duty since") || strings.Contains(body, "End duty") {
		t.Error("the nurse's board does not show who is on duty, or lets the nurse end it")
	}
	form.Set("on", "0")
	form.Set("csrf_token", csrf(body))
	if code, _ := rx("/board/duty", form); code != http.StatusSeeOther {
		t.Fatalf("going off duty: %d", code)
	}
	if _, body := rx("/board", nil); !strings.Contains(body, "No prescriber is on duty") {
		t.Error("still on duty after going off")
	}
}
