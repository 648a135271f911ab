package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/apptest"
	"github.com/ketacare/ketacare/internal/browsertest"
	"github.com/ketacare/ketacare/internal/store"
)

// TestPatientCompletesScreeningLinkOnAPhone follows a patient who opens
// their screening link on a phone, answers PHQ-9 item 9 above 0, is shown
// the crisis contacts and the C-SSRS in the same sitting, and finishes.
func TestPatientCompletesScreeningLinkOnAPhone(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	ctx := browsertest.New(t, 390, 844)
	p := env.CreatePatient("Alex", "Morgan")
	r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/patients/%d/links", p), map[string]any{"purpose": "screening"})
	if r.Status != 201 {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	link := env.URL + r.Map(t)["url"].(string)

	choose := func(id string) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.CSS(`label[for="` + id + `"]`))
	}
	noHorizontalScroll := func() {
		t.Helper()
		if browsertest.SidewaysOverflow(t, ctx) > 0 {
			t.Error("the page scrolls sideways on a 390 px wide screen")
		}
	}

	browsertest.Run(t, ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("h1")))
	browsertest.CheckAccessibility(t, ctx)
	noHorizontalScroll()

	var actions []chromedp.Action[chromedp.Void]
	for i := 1; i <= 7; i++ {
		actions = append(actions, choose(fmt.Sprintf("gad7-%d-1", i))) // several days
	}
	for i := 1; i <= 8; i++ {
		actions = append(actions, choose(fmt.Sprintf("phq9-%d", i))) // not at all
	}
	actions = append(actions, choose("phq9-9-1")) // item 9: several days
	for i := 1; i <= 3; i++ {
		actions = append(actions, choose(fmt.Sprintf("auditc-%d", i)))
	}
	for _, q := range store.HistoryQuestions {
		actions = append(actions, choose("history-"+q.Name+"-1")) // no
	}
	browsertest.Run(t, ctx, actions...)
	browsertest.Submit(t, ctx, chromedp.CSS("main button[type=submit]"))

	text := browsertest.Get(t, ctx, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(text, "cssrs") && !strings.Contains(text, "thoughts of killing yourself") {
		t.Fatalf("PHQ-9 item 9 above 0 did not open the C-SSRS: %s", text)
	}
	if !strings.Contains(text, "Samaritans") || !strings.Contains(text, "116 123") || !strings.Contains(text, "999") {
		t.Fatalf("the C-SSRS step does not show the crisis contacts: %s", text)
	}
	browsertest.CheckAccessibility(t, ctx)
	noHorizontalScroll()

	browsertest.Run(t, ctx,
		choose("cssrs-1-1"), // yes
		choose("cssrs-2"),   // no: questions 3 to 5 are not asked
		choose("cssrs-6"),   // no
	)
	browsertest.Submit(t, ctx, chromedp.CSS("main button[type=submit]"))
	if h1 := browsertest.Get(t, ctx, chromedp.Text(chromedp.CSS("h1"))); h1 != "Thank you" {
		t.Fatalf("after the C-SSRS: %q", h1)
	}
	browsertest.CheckAccessibility(t, ctx)

	var list []scAssessment
	env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/patients/%d/assessments", p), nil).JSON(t, &list)
	got := map[string]string{}
	for _, a := range list {
		band := ""
		if a.Band != nil {
			band = *a.Band
		}
		got[a.Instrument] = band
	}
	want := map[string]string{"gad7": "mild", "phq9": "minimal", "auditc": "negative", "cssrs": "low", "history": ""}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("recorded %v, want %v", got, want)
	}

	// The link works once.
	browsertest.Run(t, ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("h1")))
	if h1 := browsertest.Get(t, ctx, chromedp.Text(chromedp.CSS("h1"))); h1 != "This link has already been used" {
		t.Fatalf("reopened link: %q", h1)
	}
}
