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
)

// A patient's account made without a password cannot sign in until the
// patient chooses one through the link; the link works once; a new link
// withdraws the one before, and setting a password through it ends the
// account's signed-in sessions; each step is audited.
func TestPatientChoosesOwnPassword(t *testing.T) { fhirEachDB(t, testPatientChoosesOwnPassword) }

func testPatientChoosesOwnPassword(t *testing.T, opts apptest.Options) {
	env := apptest.Start(t, opts)
	ctx := context.Background()
	alex := env.CreatePatient("Alex", "Morgan")
	r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/patients/%d/account", alex), map[string]any{"email": "alex.morgan@example.com"})
	var created struct {
		UserID       int64
		PasswordLink *struct{ URL string }
	}
	r.JSON(t, &created)
	if r.Status != http.StatusCreated || created.PasswordLink == nil || !strings.HasPrefix(created.PasswordLink.URL, "/account/") {
		t.Fatalf("account: %d %s", r.Status, r.Body)
	}
	const password = "quiet harbour lantern 42"
	signIn := func(pw string) (*browser, int) {
		b := newBrowser(t, env.URL)
		tok := b.csrf("/login")
		resp, _ := b.post("/login", url.Values{"csrf_token": {tok}, "email": {"alex.morgan@example.com"}, "password": {pw}})
		return b, resp.StatusCode
	}
	if _, st := signIn(""); st != http.StatusUnauthorized {
		t.Fatalf("signing in before a password was chosen: %d", st)
	}

	p := newBrowser(t, env.URL)
	link := created.PasswordLink.URL
	csrf := p.csrf(link)
	// Opening the page shows the account's email: audited against the patient.
	if opened, err := env.DB.ListAudit(ctx, store.AuditFilter{PatientID: alex, Action: "link.open"}); err != nil || len(opened) != 1 {
		t.Errorf("opening the link audited %d times (%v)", len(opened), err)
	}
	for _, bad := range []url.Values{
		{"password": {"short"}, "confirm": {"short"}},
		{"password": {password}, "confirm": {password + "x"}},
	} {
		bad.Set("csrf_token", csrf)
		if resp, body := p.post(link, bad); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "There is a problem") {
			t.Errorf("bad password %v: %d", bad, resp.StatusCode)
		}
	}
	if resp, body := p.post(link, url.Values{"csrf_token": {csrf}, "password": {password}, "confirm": {password}}); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Your password is set") {
		t.Fatalf("choosing the password: %d %s", resp.StatusCode, body)
	}
	if code, body := p.get(link); code != http.StatusGone || !strings.Contains(body, "already been used") {
		t.Errorf("the link again: %d", code)
	}
	patient, st := signIn(password)
	if st != http.StatusSeeOther {
		t.Fatalf("signing in with the chosen password: %d", st)
	}
	if code, _ := patient.get("/me/timeline"); code != http.StatusOK {
		t.Fatalf("own timeline: %d", code)
	}
	// The start page and the menu lead there.
	if code, body := patient.get("/"); code != http.StatusOK || strings.Count(body, `href="/me/timeline"`) < 2 {
		t.Errorf("the patient's start page does not lead to their records: %d", code)
	}

	// Forgotten: a new link; the one before it is withdrawn.
	newLink := func() string {
		t.Helper()
		r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/patients/%d/account/link", alex), nil)
		var l struct{ URL string }
		r.JSON(t, &l)
		if r.Status != http.StatusCreated || l.URL == "" {
			t.Fatalf("new link: %d %s", r.Status, r.Body)
		}
		return l.URL
	}
	first, second := newLink(), newLink()
	if code, body := p.get(first); code != http.StatusGone || !strings.Contains(body, "withdrawn") {
		t.Errorf("the earlier link: %d", code)
	}
	csrf = p.csrf(second)
	if resp, _ := p.post(second, url.Values{"csrf_token": {csrf}, "password": {"another quiet lantern 7"}, "confirm": {"another quiet lantern 7"}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("new password: %d", resp.StatusCode)
	}
	if code, _ := patient.get("/me/timeline"); code != http.StatusSeeOther {
		t.Errorf("the session from before the new password still works: %d", code)
	}
	if _, st := signIn(password); st != http.StatusUnauthorized {
		t.Errorf("the old password still works: %d", st)
	}

	// No account yet: no link. Another clinic: not found.
	sam := env.CreatePatient("Sam", "Okafor")
	if r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/patients/%d/account/link", sam), nil); r.Status != http.StatusConflict {
		t.Errorf("link without an account: %d %s", r.Status, r.Body)
	}
	north := otherClinicToken(t, env, ketacare.RoleNurse, "North clinic", "north@test.example")
	if r := env.Do("POST", fmt.Sprintf("/api/v1/patients/%d/account/link", alex), north, nil); r.Status != http.StatusNotFound {
		t.Errorf("another clinic's nurse: %d", r.Status)
	}

	entries, err := env.DB.ListAudit(ctx, store.AuditFilter{PatientID: alex, Action: "patient-account.password"})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("%d password choices audited, want 2", len(entries))
	}
	withdrawn, err := env.DB.ListAudit(ctx, store.AuditFilter{PatientID: alex, Action: "link.revoke"})
	if err != nil {
		t.Fatal(err)
	}
	if len(withdrawn) != 1 {
		t.Errorf("%d withdrawals of earlier account links audited, want 1 (the second new link replaced the first)", len(withdrawn))
	}
}
