package server_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ketacare/ketacare/internal/apptest"
	bt "github.com/ketacare/ketacare/internal/browsertest"
)

// TestBrowserAdminRegistersAPatient: an admin signs in on a tablet-sized
// window, registers a patient (first with a mistake), and finds the record.
// Every page visited is checked with axe-core.
func TestBrowserAdminRegistersAPatient(t *testing.T) {
	ctx := bt.New(t, 1024, 768)
	env := apptest.Start(t, apptest.Options{})
	bt.Login(t, ctx, env.URL, "admin@test.example", apptest.Password)
	bt.CheckAccessibility(t, ctx)

	bt.Run(t, ctx,
		chromedp.Navigate(env.URL+"/patients/new"),
		chromedp.WaitVisible(chromedp.ID("givenName")),
	)
	bt.CheckAccessibility(t, ctx)
	bt.Run(t, ctx,
		chromedp.SendKeys(chromedp.ID("givenName"), "Mary"),
		chromedp.SendKeys(chromedp.ID("familyName"), "Seacole"),
		chromedp.SetValue(chromedp.ID("birthDate"), "1975-11-23"), // the date picker's value
		chromedp.SetValue(chromedp.ID("sex"), "female"),
		chromedp.SendKeys(chromedp.ID("nhsNumber"), "943 476 5918"),
	)
	bt.Submit(t, ctx, chromedp.CSS("main button[type=submit]"))
	summary := bt.Get(t, ctx, chromedp.Text(chromedp.CSS(".nhsuk-error-summary")))
	if !strings.Contains(summary, "NHS number must be 10 digits with a valid check digit") {
		t.Fatalf("error summary = %q", summary)
	}
	bt.CheckAccessibility(t, ctx)
	bt.Run(t, ctx,
		chromedp.Clear(chromedp.ID("nhsNumber")),
		chromedp.SendKeys(chromedp.ID("nhsNumber"), "943 476 5919"),
	)
	bt.Submit(t, ctx, chromedp.CSS("main button[type=submit]"))
	h1 := bt.Get(t, ctx, chromedp.Text(chromedp.CSS("h1")))
	nhs := bt.Get(t, ctx, chromedp.Text(chromedp.CSS(".nhsuk-summary-list")))
	if h1 != "Mary Seacole" || !strings.Contains(nhs, "9434765919") {
		t.Fatalf("patient page shows %q / %q", h1, nhs)
	}
	bt.CheckAccessibility(t, ctx)
	bt.Run(t, ctx, chromedp.Navigate(env.URL+"/patients?q=seac"), chromedp.WaitVisible(chromedp.CSS("table")))
	if list := bt.Get(t, ctx, chromedp.Text(chromedp.CSS("table"))); !strings.Contains(list, "Seacole, Mary") {
		t.Fatalf("search result %q", list)
	}
	bt.CheckAccessibility(t, ctx)
}
