package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/ketacare/ketacare/internal/app"
	"github.com/ketacare/ketacare/internal/apptest"
	"github.com/ketacare/ketacare/internal/testutil"
)

// TestLimitsHoldAcrossServers: two servers on one database (two processes
// of a clinic network) share the sign-in and public callback limits, so an
// attacker gains nothing by spreading attempts over them.
func TestLimitsHoldAcrossServers(t *testing.T) {
	for _, target := range testutil.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			limit := func(c *app.Config) { c.PublicRateLimit = 3 }
			a := apptest.Start(t, apptest.Options{DSN: target.DSN, Config: limit})
			b := apptest.Start(t, apptest.Options{DSN: target.DSN, Config: limit, SkipAccounts: true})

			// Five failed sign-ins spread over both servers: the sixth is
			// refused on either, even with the right password.
			ba, bb := newBrowser(t, a.URL), newBrowser(t, b.URL)
			ta, tb := ba.csrf("/login"), bb.csrf("/login")
			for i := 0; i < 5; i++ {
				br, tok := ba, ta
				if i%2 == 1 {
					br, tok = bb, tb
				}
				if resp, _ := br.post("/login", url.Values{"csrf_token": {tok}, "email": {"nurse@test.example"}, "password": {"not the password"}}); resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("failed sign-in %d: %d", i, resp.StatusCode)
				}
			}
			for name, br := range map[string]*browser{"first": ba, "second": bb} {
				tok := ta
				if br == bb {
					tok = tb
				}
				if resp, _ := br.post("/login", url.Values{"csrf_token": {tok}, "email": {"nurse@test.example"}, "password": {apptest.Password}}); resp.StatusCode != http.StatusTooManyRequests {
					t.Errorf("sixth sign-in on the %s server: %d", name, resp.StatusCode)
				}
			}
			// Another account is not held up by it.
			if resp, _ := bb.post("/login", url.Values{"csrf_token": {tb}, "email": {"prescriber@test.example"}, "password": {apptest.Password}}); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("another account's sign-in: %d", resp.StatusCode)
			}

			// Three public callback requests a minute from one address,
			// whichever server takes them.
			for i := 0; i < 3; i++ {
				env := a
				if i%2 == 1 {
					env = b
				}
				if r, _ := cbPost(t, env, cbRequest(fmt.Sprintf("020 7946 05%02d", i), "", true)); r.Status != http.StatusCreated {
					t.Fatalf("callback %d: %d %s", i, r.Status, r.Body)
				}
			}
			for name, env := range map[string]*apptest.Env{"first": a, "second": b} {
				if r, _ := cbPost(t, env, cbRequest("020 7946 0599", "", true)); r.Status != http.StatusTooManyRequests {
					t.Errorf("fourth callback on the %s server: %d %s", name, r.Status, r.Body)
				}
			}
		})
	}
}
