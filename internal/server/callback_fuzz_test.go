package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/apptest"
	"github.com/ketacare/ketacare/internal/server"
)

// For is a copy of the environment reporting to t (inside a fuzz target,
// where the fuzz test's own F must not be used).
func (e cbEnv) For(t *testing.T) *apptest.Env {
	c := *e.Env
	c.T = t
	return &c
}

// cbEnv wraps an environment shared by a fuzz target's inputs.
type cbEnv struct{ *apptest.Env }

// cbAccepted counts accepted submissions: every request, open or closed,
// plus the later ones merged into it.
func cbAccepted(t *testing.T, env *apptest.Env) int {
	t.Helper()
	n := 0
	for _, status := range []string{"open", "closed"} {
		cs, err := env.DB.ListCallbacks(context.Background(), env.Actor(ketacare.RoleCounsellor), status, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			n += 1 + c.Merged
		}
	}
	return n
}

// FuzzCallbackJSON posts arbitrary bodies to the public JSON endpoint: never
// a 500, and a submission is either wholly stored (201, readable by staff)
// or not at all.
func FuzzCallbackJSON(f *testing.F) {
	for _, s := range []string{
		`{"name":"Robin","phone":"020 7946 0123","reason":"talk","safeNow":true,"consent":true}`,
		`{"name":"Robin","phone":"+44 20 7946 0123","reason":"I overdosed","safeNow":false,"consent":true,"consentVoicemail":true}`,
		`{"name":"A","phone":"999","safeNow":true,"consent":true}`,
		`{"name":"A","phone":"020 7946 0124","safeNow":true,"consent":true,"preferredFrom":"2030-01-01T18:00","preferredTo":"2030-01-01T17:00"}`,
		`{"name":"A","phone":"020 7946 0125","safeNow":true,"consent":true,"patientId":1}`,
		`{"name":"` + strings.Repeat("x", 300) + `","phone":"0","safeNow":1}`,
		`[]`, `null`, `{"safeNow":"yes"}`, `{}{}`, "\x00\xff",
	} {
		f.Add([]byte(s))
	}
	env := cbEnv{apptest.Start(f, apptest.Options{})}
	f.Fuzz(func(t *testing.T, body []byte) {
		env := env.For(t)
		before := cbAccepted(t, env)
		r := env.Do("POST", "/api/v1/callbacks", "", body)
		after := cbAccepted(t, env)
		if r.Status >= 500 {
			t.Fatalf("%d for %q: %s", r.Status, body, r.Body)
		}
		switch {
		case r.Status == http.StatusCreated:
			var c cbCreated
			r.JSON(t, &c)
			if after != before+1 || c.Reference == "" {
				t.Fatalf("201 but %d → %d accepted submissions: %s", before, after, r.Body)
			}
			d := env.As(ketacare.RoleCounsellor, "GET", "/api/v1/callbacks/"+strconv.FormatInt(c.ID, 10), nil)
			if d.Status != 200 || !strings.Contains(string(d.Body), c.Reference) {
				t.Fatalf("stored request unreadable: %d %s", d.Status, d.Body)
			}
		case after != before:
			t.Fatalf("refused with %d but stored something: %s", r.Status, r.Body)
		}
	})
}

// FuzzCallbackForm posts arbitrary field values through the public HTML
// form, with a valid CSRF cookie and start time: never a 500, and nothing
// stored unless the confirmation page was shown.
func FuzzCallbackForm(f *testing.F) {
	f.Add("Sam", "020 7946 0601", "I took too much", "yes", "", "", true, false, "")
	f.Add("Sam", "07700 900123", "", "no", "09:00", "10:00", true, true, "")
	f.Add("", "999", "suicide", "", "25:00", "x", false, false, "bot")
	f.Add(strings.Repeat("é", 120), "+1 202 555 0143", "\x00\r\n", "maybe", "23:00", "01:00", true, false, "")
	env := cbEnv{apptest.Start(f, apptest.Options{})}
	c := &cbWebClient{env: env.Env}
	key, err := env.DB.CallbackFormKey(context.Background())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name, phoneNo, reason, safe, from, to string, consent, voicemail bool, website string) {
		env := env.For(t)
		c.env = env
		if c.cookie == "" {
			c.get(t, "/callback")
		}
		form := url.Values{"name": {name}, "phone": {phoneNo}, "reason": {reason}, "safeNow": {safe}, "from": {from}, "to": {to},
			"website": {website}, "started": {server.SignFormStartForTest(key, time.Now().Add(-time.Minute))}}
		if consent {
			form.Set("consent", "yes")
		}
		if voicemail {
			form.Set("voicemail", "yes")
		}
		before := cbAccepted(t, env)
		status, body := c.post(t, "/callback", form)
		after := cbAccepted(t, env)
		if status >= 500 {
			t.Fatalf("%d for %v", status, form)
		}
		if status == http.StatusOK && strings.Contains(body, "We have your request") {
			if after != before+1 {
				t.Fatalf("confirmed but %d → %d accepted", before, after)
			}
		} else if after != before {
			t.Fatalf("refused with %d but stored something", status)
		}
	})
}
