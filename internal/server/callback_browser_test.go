package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ketacare/ketacare/internal/apptest"
	bt "github.com/ketacare/ketacare/internal/browsertest"
)

// TestBrowserPublicCallbackRequest: someone on a phone asks for a call,
// saying they are not safe; they are told to call 999 now, get a reference,
// and the crisis lines are on the page before and after.
func TestBrowserPublicCallbackRequest(t *testing.T) {
	ctx := bt.New(t, 390, 844)
	env := apptest.Start(t, apptest.Options{})
	bt.Run(t, ctx, chromedp.Navigate(env.URL+"/callback"), chromedp.WaitVisible(chromedp.ID("phone")))
	if crisis := bt.Get(t, ctx, chromedp.Text(chromedp.CSS(".app-crisis"))); !strings.Contains(crisis, "116 123") || !strings.Contains(crisis, "999") {
		t.Fatalf("crisis lines before the form: %q", crisis)
	}
	bt.CheckAccessibility(t, ctx)
	bt.Run(t, ctx,
		chromedp.SendKeys(chromedp.ID("name"), "Robin"),
		chromedp.SendKeys(chromedp.ID("phone"), "020 7946 0123"),
		chromedp.Click(chromedp.ID("safeNow-no")),
		chromedp.SendKeys(chromedp.ID("reason"), "I relapsed last night and I am scared"),
		chromedp.Click(chromedp.ID("consent")),
		chromedp.Sleep(3500*time.Millisecond), // a person takes longer than the minimum fill time
	)
	bt.Submit(t, ctx, chromedp.CSS("main button[type=submit]"))
	page := bt.Get(t, ctx, chromedp.Text(chromedp.CSS("main")))
	for _, want := range []string{"999", "KC-", "116 123"} {
		if !strings.Contains(page, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, page)
		}
	}
	if over := bt.SidewaysOverflow(t, ctx); over > 0 {
		t.Errorf("page scrolls sideways on a phone: %.0f px too wide", over)
	}
	bt.CheckAccessibility(t, ctx)
	r := env.As("counsellor", "GET", "/api/v1/callbacks?status=open", nil)
	if !strings.Contains(string(r.Body), `"priority":"urgent"`) || !strings.Contains(string(r.Body), "+442079460123") {
		t.Fatalf("queued request: %s", r.Body)
	}
}

// TestBrowserQueueUpdatesCanBePaused: the callback queue reloads itself
// every 30 seconds (WCAG 2.2.2: with a way to pause it), and a paused queue
// stays paused when the counsellor reloads it.
func TestBrowserQueueUpdatesCanBePaused(t *testing.T) {
	ctx := bt.New(t, 1024, 768)
	env := apptest.Start(t, apptest.Options{})
	bt.Login(t, ctx, env.URL, "counsellor@test.example", apptest.Password)
	bt.Run(t, ctx, chromedp.Navigate(env.URL+"/callbacks/queue"), chromedp.WaitVisible(chromedp.CSS(".app-live-status button")))
	status := func() string { return bt.Get(t, ctx, chromedp.Text(chromedp.CSS(".app-live-status"))) }
	if s := status(); !strings.Contains(s, "updates every 30 seconds") || !strings.Contains(s, "Pause updates") {
		t.Fatalf("queue status = %q", s)
	}
	bt.Run(t, ctx, chromedp.Click(chromedp.CSS(".app-live-status button")))
	if s := status(); !strings.Contains(s, "Updates are paused") || !strings.Contains(s, "Resume updates") {
		t.Fatalf("after pausing: %q", s)
	}
	bt.Run(t, ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(".app-live-status button")))
	if s := status(); !strings.Contains(s, "Updates are paused") {
		t.Fatalf("after reloading a paused queue: %q", s)
	}
	bt.CheckAccessibility(t, ctx)
}
