package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ketacare/ketacare/internal/apptest"
	bt "github.com/ketacare/ketacare/internal/browsertest"
	"github.com/ketacare/ketacare/internal/demo"
)

// TestBrowserEveryPageOnAPhone: on the demo clinic, each role follows the
// links of the pages it can reach on a phone-sized window. No page is wider
// than the window (tables scroll in their own box) and none has a serious
// accessibility problem.
func TestBrowserEveryPageOnAPhone(t *testing.T) {
	ctx := bt.New(t, 375, 800)
	env := apptest.Start(t, apptest.Options{})
	if _, err := demo.Load(context.Background(), env.DB); err != nil {
		t.Fatal(err)
	}
	const pagesPerRole = 30
	for _, who := range []string{"admin", "nurse", "counsellor", demo.PatientAccountEmail} {
		email := who
		if !strings.Contains(who, "@") {
			email = who + "@demo.ketacare.test"
		}
		bt.Run(t, ctx, chromedp.Navigate(env.URL+"/"))
		if strings.Contains(bt.Get(t, ctx, chromedp.Location()), "/login") {
			bt.Login(t, ctx, env.URL, email, demo.Password)
		}
		seen := map[string]bool{}
		queue := []string{env.URL + "/"}
		for len(queue) > 0 && len(seen) < pagesPerRole {
			page := queue[0]
			queue = queue[1:]
			if seen[page] {
				continue
			}
			seen[page] = true
			bt.Run(t, ctx, chromedp.Navigate(page))
			if over := bt.SidewaysOverflow(t, ctx); over > 0 {
				t.Errorf("%s: %s is %.0f px wider than a phone", email, page, over)
			}
			bt.CheckAccessibility(t, ctx)
			links := bt.Get(t, ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("main a[href], header a[href]")).map(a => a.href)`))
			for _, l := range links {
				u, err := url.Parse(l)
				// Same site, a page rather than a download, not signing out.
				if err != nil || u.Host != strings.TrimPrefix(env.URL, "http://") || u.Fragment != "" ||
					strings.Contains(u.Path, "export") || strings.HasSuffix(u.Path, ".csv") || strings.HasSuffix(u.Path, ".json") {
					continue
				}
				queue = append(queue, l)
			}
		}
		if len(seen) < 2 {
			t.Errorf("%s reached only %d pages", email, len(seen))
		}
		// Sign out for the next role.
		bt.Submit(t, ctx, chromedp.CSS(`form[action="/logout"] button`))
	}
}
