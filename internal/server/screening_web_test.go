package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/apptest"
	"github.com/ketacare/ketacare/internal/store"
)

func signIn(t *testing.T, env *apptest.Env, role ketacare.Role) *browser {
	t.Helper()
	b := newBrowser(t, env.URL)
	resp, _ := b.post("/login", url.Values{"csrf_token": {b.csrf("/login")}, "email": {string(role) + "@test.example"}, "password": {apptest.Password}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %d", role, resp.StatusCode)
	}
	return b
}

// TestStaffScreeningConsentAndPlanPages goes through the staff pages: the
// in-clinic questionnaires, the summary with an override, consent in person
// with countersignature, and the plan.
func TestStaffScreeningConsentAndPlanPages(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	p := env.CreatePatient("Alex", "Morgan")
	base := fmt.Sprintf("/patients/%d", p)
	nurse := signIn(t, env, ketacare.RoleNurse)
	pr := signIn(t, env, ketacare.RolePrescriber)

	// The nurse fills in the questionnaires with the patient.
	csrf := nurse.csrf(base + "/screening/form")
	form := scForm(csrf, 1)
	for _, s := range []string{"gad7", "phq9", "auditc", "history"} {
		form.Add("sections", s)
	}
	form.Set("history-systolic", "182")
	form.Set("history-diastolic", "96")
	resp, body := nurse.post(base+"/screening/form", form)
	if resp.StatusCode != 200 || !strings.Contains(body, "C-SSRS screener") || !strings.Contains(body, "116 123") {
		t.Fatalf("after PHQ-9 item 9 = 1: %d %.300s", resp.StatusCode, body)
	}
	resp, body = nurse.post(base+"/screening/form", url.Values{"csrf_token": {csrf}, "sections": {"cssrs"}, "cssrs-1": {"0"}, "cssrs-2": {"1"}, "cssrs-6": {"0"}})
	if resp.StatusCode != 400 || !strings.Contains(body, "Answer question 3") {
		t.Fatalf("C-SSRS with Q2 yes and Q3 unanswered: %d", resp.StatusCode)
	}
	resp, _ = nurse.post(base+"/screening/form", url.Values{"csrf_token": {csrf}, "sections": {"cssrs"}, "cssrs-1": {"0"}, "cssrs-2": {"0"}, "cssrs-6": {"0"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("C-SSRS: %d", resp.StatusCode)
	}

	code, page := pr.get(base + "/screening")
	for _, want := range []string{"Blocks dosing", "Baseline blood pressure 182/96", "GAD-7 total 14", "Feeling nervous, anxious or on edge",
		"More than half the days (2)", "protocol version 1", "moderate"} {
		if code != 200 || !strings.Contains(page, want) {
			t.Errorf("screening summary lacks %q", want)
		}
	}
	if code, page := nurse.get(base + "/screening"); code != 200 || strings.Contains(page, "Override the contraindication") {
		t.Errorf("nurse sees the override form")
	}
	pcsrf := pr.csrf(base + "/screening")
	resp, body = pr.post(base+"/screening/overrides", url.Values{"csrf_token": {pcsrf}, "code": {"baseline-bp-very-high"}, "reason": {""}})
	if resp.StatusCode != 400 || !strings.Contains(body, "Write why dosing may go ahead") {
		t.Fatalf("override without a reason: %d", resp.StatusCode)
	}
	resp, _ = pr.post(base+"/screening/overrides", url.Values{"csrf_token": {pcsrf}, "code": {"baseline-bp-very-high"}, "reason": {"Repeat 150/90"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("override: %d", resp.StatusCode)
	}
	if _, page := pr.get(base + "/screening"); !strings.Contains(page, "Overridden") || !strings.Contains(page, "Repeat 150/90") {
		t.Errorf("override not shown")
	}

	// Consent in person, countersigned.
	resp, body = nurse.post(base+"/consent", url.Values{"csrf_token": {csrf}, "version": {"1"}, "signedName": {""}})
	if resp.StatusCode != 400 {
		t.Fatalf("consent without a name: %d", resp.StatusCode)
	}
	resp, _ = nurse.post(base+"/consent", url.Values{"csrf_token": {csrf}, "version": {"1"}, "signedName": {"Alex Morgan"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("consent: %d", resp.StatusCode)
	}
	_, page = pr.get(base + "/consent")
	if !strings.Contains(page, "waiting for a prescriber") || !strings.Contains(page, "Bladder problems") {
		t.Fatalf("consent page before countersigning: %.500s", page)
	}
	consents, err := env.DB.Consents(t.Context(), env.Actor(ketacare.RoleNurse), p)
	if err != nil || len(consents) != 1 {
		t.Fatal(err)
	}
	resp, _ = pr.post(fmt.Sprintf("%s/consent/%d/countersign", base, consents[0].ID), url.Values{"csrf_token": {pcsrf}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("countersign: %d", resp.StatusCode)
	}

	// The plan.
	resp, body = pr.post(base+"/plan", url.Values{"csrf_token": {pcsrf}, "drug": {"esketamine"}, "route": {"intranasal"}, "doseMg": {"50"},
		"sessions": {"8"}, "intervalDays": {"3"}, "reason": {"start"}})
	if resp.StatusCode != 400 || !strings.Contains(body, "multiple of 28") {
		t.Fatalf("esketamine 50 mg: %d", resp.StatusCode)
	}
	resp, _ = pr.post(base+"/plan", url.Values{"csrf_token": {pcsrf}, "drug": {"esketamine"}, "route": {"intranasal"}, "doseMg": {"56"},
		"sessions": {"8"}, "intervalDays": {"3"}, "reason": {"Start of course"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("plan: %d", resp.StatusCode)
	}
	if resp, _ := nurse.post(base+"/plan", url.Values{"csrf_token": {csrf}, "drug": {"ketamine"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("nurse plan: %d", resp.StatusCode)
	}
	_, page = nurse.get(base + "/plan")
	if !strings.Contains(page, "56 mg (2 devices of 28 mg)") || !strings.Contains(page, "Start of course") || strings.Contains(page, "Save the plan") {
		t.Fatalf("plan page for the nurse: %.800s", page)
	}
	if _, page = pr.get(base + "/screening"); !strings.Contains(page, "Nothing in screening, consent or the plan blocks dosing") {
		t.Errorf("dosing still blocked after override, consent and plan")
	}

	// Links from the staff pages; the admin's consent text page.
	resp, body = nurse.post(base+"/links", url.Values{"csrf_token": {csrf}, "purpose": {"consent"}})
	if resp.StatusCode != 201 || !strings.Contains(body, "/consent/") {
		t.Fatalf("consent link: %d", resp.StatusCode)
	}
	admin := signIn(t, env, ketacare.RoleAdmin)
	acsrf := admin.csrf("/admin/consent")
	resp, _ = admin.post("/admin/consent", url.Values{"csrf_token": {acsrf}, "text": {store.DefaultConsentText + "\nNew."}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("new consent text: %d", resp.StatusCode)
	}
	if _, page = pr.get(base + "/consent"); !strings.Contains(page, "now version 2") {
		t.Errorf("consent page does not ask again after a new version")
	}
	if code, _ := nurse.get("/admin/consent"); code != http.StatusForbidden {
		t.Errorf("nurse opens the consent text page: %d", code)
	}
}
