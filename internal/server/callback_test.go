package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/app"
	"github.com/ketacare/ketacare/internal/apptest"
	"github.com/ketacare/ketacare/internal/server"
	"github.com/ketacare/ketacare/internal/testutil"
	"github.com/ketacare/ketacare/internal/web"
)

const cbCounsellor = ketacare.RoleCounsellor

func cbRequest(phoneNo, reason string, safe bool) map[string]any {
	return map[string]any{"name": "Robin", "phone": phoneNo, "reason": reason, "safeNow": safe, "consent": true}
}

type cbCreated struct {
	ID              int64  `json:"id"`
	Reference       string `json:"reference"`
	Priority        string `json:"priority"`
	ImmediateDanger bool   `json:"immediateDanger"`
	Expectation     string `json:"expectation"`
	CrisisContacts  []struct {
		Number, LastVerified string
	} `json:"crisisContacts"`
}

type cbListed struct {
	Items []struct {
		ID             int64     `json:"id"`
		Phone          string    `json:"phone"`
		Priority       string    `json:"priority"`
		Status         string    `json:"status"`
		Merged         int       `json:"merged"`
		Attempts       int       `json:"attempts"`
		Outcome        string    `json:"outcome"`
		LeaseExpiresAt time.Time `json:"leaseExpiresAt"`
	} `json:"items"`
}

func cbPost(t *testing.T, env *apptest.Env, body any, headers ...string) (apptest.Response, cbCreated) {
	t.Helper()
	r := env.Do("POST", "/api/v1/callbacks", "", body, headers...)
	var c cbCreated
	if r.Status == http.StatusCreated {
		r.JSON(t, &c)
	}
	return r, c
}

func cbList(t *testing.T, env *apptest.Env, status string) cbListed {
	t.Helper()
	r := env.As(cbCounsellor, "GET", "/api/v1/callbacks?status="+status, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	var l cbListed
	r.JSON(t, &l)
	return l
}

func TestCallbackPublicAPI(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	r, c := cbPost(t, env, cbRequest("020 7946 0101", "I want to talk about my drinking", true))
	if r.Status != http.StatusCreated || c.ID == 0 || !regexp.MustCompile(`^KC-[A-Z0-9]{4}-[A-Z0-9]{4}$`).MatchString(c.Reference) || c.Priority != "standard" {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	if !strings.Contains(c.Expectation, "within 2 hours") || len(c.CrisisContacts) == 0 || c.CrisisContacts[0].LastVerified == "" {
		t.Fatalf("what to expect / crisis lines missing: %s", r.Body)
	}
	_, urgent := cbPost(t, env, cbRequest("020 7946 0102", "thinking about self harm", true))
	if urgent.Priority != "urgent" || urgent.ImmediateDanger || !strings.Contains(urgent.Expectation, "within 15 minutes") {
		t.Fatalf("risk wording: %+v", urgent)
	}
	_, danger := cbPost(t, env, cbRequest("020 7946 0103", "", false))
	if danger.Priority != "urgent" || !danger.ImmediateDanger || !strings.Contains(danger.Expectation, "999") {
		t.Fatalf("not safe now: %+v", danger)
	}
	// The same number again: merged, not queued twice; the answer has the
	// same shape as a new request's.
	r2, again := cbPost(t, env, cbRequest("+44 20 7946 0101", "still need to talk", true))
	if r2.Status != http.StatusCreated || again.ID != c.ID || again.Reference != c.Reference {
		t.Fatalf("duplicate: %d %s", r2.Status, r2.Body)
	}
	l := cbList(t, env, "open")
	if len(l.Items) != 3 {
		t.Fatalf("%d open, want 3", len(l.Items))
	}
	if l.Items[0].Priority != "urgent" || l.Items[2].Phone != "+442079460101" || l.Items[2].Merged != 1 {
		t.Fatalf("open list order / merge: %+v", l.Items)
	}
	// Refusals: clear messages naming the field.
	for _, tc := range []struct {
		body  any
		field string
		want  string
	}{
		{cbRequest("999", "", true), "phone", "emergency number"},
		{cbRequest("0906 123 4567", "", true), "phone", "premium-rate"},
		{cbRequest("12345", "", true), "phone", "correct format"},
		{map[string]any{"name": "A", "phone": "020 7946 0104", "safeNow": true, "consent": false}, "consent", "agree"},
		{map[string]any{"name": "A", "phone": "020 7946 0104", "consent": true}, "safeNow", "safe"},
	} {
		r := env.Do("POST", "/api/v1/callbacks", "", tc.body)
		p := r.Map(t)
		errs, _ := p["errors"].(map[string]any)
		msg, _ := errs[tc.field].(string)
		if r.Status != http.StatusBadRequest || !strings.Contains(msg, tc.want) {
			t.Errorf("%v: %d %s", tc.body, r.Status, r.Body)
		}
	}
	if n := len(cbList(t, env, "open").Items); n != 3 {
		t.Fatalf("refusals stored something: %d open", n)
	}
	// Anyone may read the crisis lines.
	if r := env.Do("GET", "/api/v1/callbacks/crisis-contacts", "", nil); r.Status != 200 || !strings.Contains(string(r.Body), "116 123") {
		t.Fatalf("crisis contacts: %d %s", r.Status, r.Body)
	}
	// Staff can log a cbRequest for a caller; counsellors see the queue, patients and strangers do not.
	if r := env.As(ketacare.RoleNurse, "POST", "/api/v1/callbacks", cbRequest("020 7946 0105", "", true)); r.Status != http.StatusCreated {
		t.Fatalf("staff create: %d %s", r.Status, r.Body)
	}
	if r := env.Do("GET", "/api/v1/callbacks?status=open", "", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("anonymous list: %d", r.Status)
	}
}

func TestCallbackPublicAbuseProtection(t *testing.T) {
	env := apptest.Start(t, apptest.Options{Config: func(c *app.Config) { c.PublicRateLimit = 4 }})
	// Origin of another site.
	if r, _ := cbPost(t, env, cbRequest("020 7946 0201", "", true), "Origin", "https://evil.example"); r.Status != http.StatusForbidden {
		t.Fatalf("foreign origin: %d %s", r.Status, r.Body)
	}
	if r, _ := cbPost(t, env, cbRequest("020 7946 0201", "", true), "Origin", env.URL); r.Status != http.StatusCreated {
		t.Fatalf("own origin: %d %s", r.Status, r.Body)
	}
	// Idempotency key: a retry replays, another body with the key is refused.
	body := cbRequest("020 7946 0202", "", true)
	r1, c1 := cbPost(t, env, body, "Idempotency-Key", "abc-123")
	r2, c2 := cbPost(t, env, body, "Idempotency-Key", "abc-123")
	if r1.Status != 201 || r2.Status != 201 || c1.ID != c2.ID || r2.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %d %s", r1.Status, r2.Status, r2.Body)
	}
	if l := cbList(t, env, "open"); len(l.Items) != 2 || l.Items[1].Merged != 0 {
		t.Fatalf("replay stored twice: %+v", l.Items)
	}
	// Per-address limit: 4 a minute (the refusal and the replay counted too).
	r3, _ := cbPost(t, env, cbRequest("020 7946 0203", "", true))
	if r3.Status != http.StatusTooManyRequests || !strings.Contains(string(r3.Body), "too many requests") {
		t.Fatalf("over the address limit: %d %s", r3.Status, r3.Body)
	}
	// Staff are not subject to the public limits.
	for i := 0; i < 5; i++ {
		if r := env.As(cbCounsellor, "POST", "/api/v1/callbacks", cbRequest(fmt.Sprintf("020 7946 03%02d", i), "", true)); r.Status != 201 {
			t.Fatalf("staff cbRequest %d: %d %s", i, r.Status, r.Body)
		}
	}
}

func TestCallbackPerNumberLimitRevealsNothing(t *testing.T) {
	env := apptest.Start(t, apptest.Options{Config: func(c *app.Config) { c.PublicRateLimit = 1000 }})
	var last apptest.Response
	for i := 0; i < 6; i++ {
		last, _ = cbPost(t, env, cbRequest("020 7946 0401", "", true))
	}
	if last.Status != http.StatusTooManyRequests {
		t.Fatalf("sixth cbRequest for one number: %d", last.Status)
	}
	// The number is closed now; its limit answer is word for word the same.
	c := env.As(cbCounsellor, "POST", "/api/v1/callbacks/claim", nil)
	var got struct{ ID int64 }
	c.JSON(t, &got)
	if r := env.As(cbCounsellor, "POST", fmt.Sprintf("/api/v1/callbacks/%d/attempts", got.ID), map[string]any{"outcome": "spam"}); r.Status != 200 {
		t.Fatalf("close: %d %s", r.Status, r.Body)
	}
	closed, _ := cbPost(t, env, cbRequest("020 7946 0401", "", true))
	detail := func(r apptest.Response) string { return r.Map(t)["detail"].(string) }
	if closed.Status != last.Status || detail(closed) != detail(last) {
		t.Fatalf("limit answers differ by queue state: %s vs %s", closed.Body, last.Body)
	}
}

func TestCallbackCounsellorAPI(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	_, c := cbPost(t, env, cbRequest("020 7946 0501", "", true))
	claim := env.As(cbCounsellor, "POST", "/api/v1/callbacks/claim", nil)
	var got struct {
		ID             int64     `json:"id"`
		LeaseExpiresAt time.Time `json:"leaseExpiresAt"`
	}
	claim.JSON(t, &got)
	if claim.Status != 200 || got.ID != c.ID || got.LeaseExpiresAt.Before(time.Now().Add(9*time.Minute)) {
		t.Fatalf("claim: %d %s", claim.Status, claim.Body)
	}
	if r := env.As(cbCounsellor, "POST", "/api/v1/callbacks/claim", nil); r.Status != http.StatusNoContent {
		t.Fatalf("claim with nothing due: %d %s", r.Status, r.Body)
	}
	path := fmt.Sprintf("/api/v1/callbacks/%d", c.ID)
	if r := env.As(cbCounsellor, "POST", path+"/attempts", map[string]any{"outcome": "maybe"}); r.Status != 400 {
		t.Fatalf("bad outcome: %d", r.Status)
	}
	// Another staff member does not hold it.
	if r := env.As(ketacare.RoleNurse, "POST", path+"/attempts", map[string]any{"outcome": "advice_given"}); r.Status != http.StatusConflict {
		t.Fatalf("non-holder attempt: %d %s", r.Status, r.Body)
	}
	if r := env.As(cbCounsellor, "POST", path+"/renew", nil); r.Status != 200 {
		t.Fatalf("renew: %d %s", r.Status, r.Body)
	}
	r := env.As(cbCounsellor, "POST", path+"/attempts", map[string]any{"outcome": "no_answer", "note": "voicemail left"}, "Idempotency-Key", "att-1")
	if r.Status != 200 || !strings.Contains(string(r.Body), `"status":"queued"`) || !strings.Contains(string(r.Body), `"attempts":1`) {
		t.Fatalf("no answer: %d %s", r.Status, r.Body)
	}
	if r := env.As(cbCounsellor, "POST", path+"/attempts", map[string]any{"outcome": "no_answer", "note": "voicemail left"}, "Idempotency-Key", "att-1"); r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("attempt retry was not replayed: %d %s", r.Status, r.Body)
	}
	// The retry waits for the protocol's spacing.
	if r := env.As(cbCounsellor, "POST", "/api/v1/callbacks/claim", nil); r.Status != http.StatusNoContent {
		t.Fatalf("retry offered at once: %d", r.Status)
	}
	d := env.As(cbCounsellor, "GET", path, nil)
	if d.Status != 200 || !strings.Contains(string(d.Body), "voicemail left") || !strings.Contains(string(d.Body), `"kind":"claimed"`) {
		t.Fatalf("detail: %d %s", d.Status, d.Body)
	}
	// Release: hand a cbRequest back.
	_, c2 := cbPost(t, env, cbRequest("020 7946 0502", "", true))
	env.As(cbCounsellor, "POST", "/api/v1/callbacks/claim", nil)
	if r := env.As(cbCounsellor, "POST", fmt.Sprintf("/api/v1/callbacks/%d/release", c2.ID), nil); r.Status != 200 || !strings.Contains(string(r.Body), `"status":"queued"`) {
		t.Fatalf("release: %d %s", r.Status, r.Body)
	}
	if r := env.As(cbCounsellor, "POST", "/api/v1/callbacks/claim", nil); r.Status != 200 {
		t.Fatalf("claim after release: %d", r.Status)
	}
	if r := env.As(cbCounsellor, "POST", fmt.Sprintf("/api/v1/callbacks/%d/attempts", c2.ID), map[string]any{"outcome": "appointment_booked"}); r.Status != 200 {
		t.Fatalf("close: %d %s", r.Status, r.Body)
	}
	closed := cbList(t, env, "closed")
	if len(closed.Items) != 1 || closed.Items[0].Outcome != "appointment_booked" {
		t.Fatalf("closed list: %+v", closed.Items)
	}
	if r := env.As(cbCounsellor, "GET", "/api/v1/callbacks?status=maybe", nil); r.Status != 400 {
		t.Fatalf("bad status filter: %d", r.Status)
	}
	st := env.As(cbCounsellor, "GET", "/api/v1/callbacks/stats", nil)
	if st.Status != 200 || !strings.Contains(string(st.Body), `"windows"`) {
		t.Fatalf("stats: %d %s", st.Status, st.Body)
	}
	// Counsellors see a linked patient's name and phone, not the record.
	pid := env.CreatePatient("Ada", "Lovelace")
	if r := env.As(ketacare.RoleNurse, "POST", "/api/v1/callbacks", map[string]any{"name": "Ada", "phone": "020 7946 0503", "safeNow": true, "consent": true, "patientId": pid}); r.Status != 201 {
		t.Fatalf("linked: %d %s", r.Status, r.Body)
	}
	if r := env.Do("POST", "/api/v1/callbacks", "", map[string]any{"name": "Ada", "phone": "020 7946 0504", "safeNow": true, "consent": true, "patientId": pid}); r.Status != 400 {
		t.Fatalf("public link to a patient: %d %s", r.Status, r.Body)
	}
	l := cbList(t, env, "open")
	var linked int64
	for _, it := range l.Items {
		if it.Phone == "+442079460503" {
			linked = it.ID
		}
	}
	dr := env.As(cbCounsellor, "GET", fmt.Sprintf("/api/v1/callbacks/%d", linked), nil)
	if !strings.Contains(string(dr.Body), `"name":"Ada Lovelace"`) {
		t.Fatalf("linked patient not shown: %s", dr.Body)
	}
	if r := env.As(cbCounsellor, "GET", fmt.Sprintf("/api/v1/patients/%d", pid), nil); r.Status != http.StatusForbidden {
		t.Fatalf("counsellor read the clinical record: %d", r.Status)
	}
	page := env.As(cbCounsellor, "GET", fmt.Sprintf("/callbacks/%d", linked), nil)
	if page.Status != 200 || !strings.Contains(string(page.Body), "Ada Lovelace") || strings.Contains(string(page.Body), "Clinical record") {
		t.Fatalf("detail page for a counsellor: %d", page.Status)
	}
	if !regexp.MustCompile(`href="tel:(\+|&#43;)44\d{10}"`).Match(page.Body) {
		t.Errorf("the caller's number cannot be tapped to call it: %s", page.Body)
	}
	if page := env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/callbacks/%d", linked), nil); !strings.Contains(string(page.Body), "Clinical record") {
		t.Fatal("a nurse gets no link to the clinical record")
	}
	for _, p := range []string{"/callbacks/queue", "/callbacks/queue?status=closed", "/callbacks/supervisor", "/callbacks/new"} {
		if r := env.As(cbCounsellor, "GET", p, nil); r.Status != 200 {
			t.Errorf("%s: %d %s", p, r.Status, r.Body)
		}
	}
}

// cbWebClient is a browser without JavaScript: it keeps cookies.
type cbWebClient struct {
	env    *apptest.Env
	cookie string
}

func (c *cbWebClient) get(t *testing.T, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", c.env.URL+path, nil)
	resp, err := c.env.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == "kc_csrf" {
			c.cookie = ck.Value
		}
	}
	var b strings.Builder
	_, _ = fmt.Fprint(&b, cbReadAll(resp))
	return resp.StatusCode, b.String()
}

func (c *cbWebClient) post(t *testing.T, path string, form url.Values) (int, string) {
	t.Helper()
	form.Set("csrf_token", c.cookie)
	req, _ := http.NewRequest("POST", c.env.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.env.URL)
	req.AddCookie(&http.Cookie{Name: "kc_csrf", Value: c.cookie})
	resp, err := c.env.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, cbReadAll(resp)
}

func cbReadAll(resp *http.Response) string {
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

func cbFormKey(t testing.TB, env *apptest.Env) []byte {
	k, err := env.DB.CallbackFormKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestCallbackPublicForm(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	c := &cbWebClient{env: env}
	status, page := c.get(t, "/callback")
	if status != 200 || !strings.Contains(page, "116 123") || !strings.Contains(page, "Number last checked") || !strings.Contains(page, "within 15 minutes") ||
		!strings.Contains(page, `name="website"`) || !strings.Contains(page, `name="started"`) || strings.Contains(page, "<script") {
		t.Fatalf("form page: %d", status)
	}
	started := regexp.MustCompile(`name="started" value="([^"]+)"`).FindStringSubmatch(page)[1]
	good := func() url.Values {
		return url.Values{"name": {"Sam"}, "phone": {"020 7946 0601"}, "safeNow": {"yes"}, "reason": {"I took too much and my chest hurts"},
			"consent": {"yes"}, "submission": {"form-1"}, "started": {server.SignFormStartForTest(cbFormKey(t, env), time.Now().Add(-time.Minute))}}
	}
	// Too fast: the form was shown a moment ago.
	f := good()
	f.Set("started", started)
	if st, body := c.post(t, "/callback", f); st != 400 || !strings.Contains(body, "quicker than we expected") {
		t.Fatalf("too fast: %d", st)
	}
	f = good()
	f.Set("website", "http://spam.example")
	if st, _ := c.post(t, "/callback", f); st != 400 {
		t.Fatalf("honeypot: %d", st)
	}
	f = good()
	f.Set("started", "123.abc")
	if st, _ := c.post(t, "/callback", f); st != 400 {
		t.Fatalf("forged start: %d", st)
	}
	f = good()
	f.Set("phone", "999")
	f.Del("consent")
	if st, body := c.post(t, "/callback", f); st != 400 || !strings.Contains(body, "emergency number") || !strings.Contains(body, "agree that a counsellor may call") || !strings.Contains(body, "Sam") {
		t.Fatalf("field errors: %d", st)
	}
	if n := len(cbList(t, env, "open").Items); n != 0 {
		t.Fatalf("refused forms stored %d requests", n)
	}
	st, body := c.post(t, "/callback", good())
	if st != 200 || !strings.Contains(body, "Call 999 now") || !regexp.MustCompile(`KC-[A-Z0-9]{4}-[A-Z0-9]{4}`).MatchString(body) || !strings.Contains(body, "116 123") {
		t.Fatalf("sent page: %d", st)
	}
	// Every crisis line can be tapped to call or text it.
	for _, href := range []string{`href="tel:116123"`, `href="sms:85258"`, `href="tel:03001236600"`} {
		if !strings.Contains(body, href) {
			t.Errorf("sent page lacks %s", href)
		}
	}
	if strings.Contains(body, "ZgotmplZ") {
		t.Error("a link on the sent page was filtered out as unsafe")
	}
	// Pressing the button twice shows the same reference and stores one request.
	_, body2 := c.post(t, "/callback", good())
	ref := regexp.MustCompile(`KC-[A-Z0-9]{4}-[A-Z0-9]{4}`)
	if ref.FindString(body) != ref.FindString(body2) {
		t.Fatal("double submission gave another reference")
	}
	l := cbList(t, env, "open")
	if len(l.Items) != 1 || l.Items[0].Merged != 0 || l.Items[0].Priority != "urgent" {
		t.Fatalf("after the form: %+v", l.Items)
	}
	// Without the CSRF cookie the cbPost is refused.
	req, _ := http.NewRequest("POST", env.URL+"/callback", strings.NewReader(good().Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := env.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("no CSRF cookie: %d", resp.StatusCode)
	}
	// The preferred window becomes the target for a standard request; it
	// starts three hours from now, so it has not begun at any time of day.
	f = good()
	f.Set("phone", "020 7946 0602")
	f.Set("reason", "")
	f.Set("submission", "form-2")
	start := time.Now().In(web.London).Add(3 * time.Hour)
	f.Set("from", start.Format("15:00"))
	f.Set("to", start.Add(time.Hour).Format("15:00"))
	if st, body := c.post(t, "/callback", f); st != 200 || !strings.Contains(body, "UK time") {
		t.Fatalf("window: %d %s", st, body)
	}
}

// TestCallbackTwoServersConcurrentClaims runs two ketacare processes' worth
// of servers on one PostgreSQL schema; 50 claimers hit both at once.
func TestCallbackTwoServersConcurrentClaims(t *testing.T) {
	dsn := testutil.PostgresDSN(t)
	a := apptest.Start(t, apptest.Options{DSN: dsn})
	b := apptest.Start(t, apptest.Options{DSN: dsn, SkipAccounts: true})
	token := a.Tokens[cbCounsellor]
	for round := 0; round < 3; round++ {
		for i := 0; i < 20; i++ {
			if r, _ := cbPost(t, a, cbRequest(fmt.Sprintf("020 7946 %04d", 700+round*20+i), "", true)); r.Status != 201 {
				t.Fatalf("create: %d %s", r.Status, r.Body)
			}
		}
		var mu sync.Mutex
		seen := map[int64]int{}
		none := 0
		var wg sync.WaitGroup
		for c := 0; c < 50; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				env := a
				if c%2 == 1 {
					env = b
				}
				r := env.Do("POST", "/api/v1/callbacks/claim", token, nil)
				mu.Lock()
				defer mu.Unlock()
				switch r.Status {
				case 200:
					var got struct{ ID int64 }
					r.JSON(t, &got)
					seen[got.ID]++
				case 204:
					none++
				default:
					t.Errorf("claim: %d %s", r.Status, r.Body)
				}
			}()
		}
		wg.Wait()
		if len(seen) != 20 || none != 30 {
			t.Fatalf("round %d: %d distinct claimed, %d empty; want 20 and 30", round, len(seen), none)
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("request %d claimed %d times", id, n)
			}
			if r := b.Do("POST", fmt.Sprintf("/api/v1/callbacks/%d/attempts", id), token, map[string]any{"outcome": "advice_given"}); r.Status != 200 {
				t.Fatalf("close: %d %s", r.Status, r.Body)
			}
		}
	}
}

// The counsellor's "record this call" form keeps what was typed when it
// is refused, and says what is wrong in words, not codes.
func TestCallbackAttemptFormKeepsInput(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	if r, _ := cbPost(t, env, cbRequest("020 7946 0701", "", true)); r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	b := newBrowser(t, env.URL)
	tok := b.csrf("/login")
	if resp, _ := b.post("/login", url.Values{"csrf_token": {tok}, "email": {string(cbCounsellor) + "@test.example"}, "password": {apptest.Password}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	tok = b.csrf("/callbacks/queue")
	resp, _ := b.post("/callbacks/claim", url.Values{"csrf_token": {tok}})
	detail := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(detail, "/callbacks/") {
		t.Fatalf("claim: %d %q", resp.StatusCode, detail)
	}
	resp, body := b.post(detail+"/attempts", url.Values{"csrf_token": {tok}, "note": {"Rang twice & <left> a message"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Choose the outcome of the call.") || strings.Contains(body, "advice_given,") ||
		!strings.Contains(body, "Rang twice &amp; &lt;left&gt; a message</textarea>") {
		t.Fatalf("no outcome: %d\n%s", resp.StatusCode, body)
	}
	resp, body = b.post(detail+"/attempts", url.Values{"csrf_token": {tok}, "outcome": {"referred"}, "note": {strings.Repeat("n", 2100)}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `value="referred" checked`) || !strings.Contains(body, strings.Repeat("n", 2100)) {
		t.Fatalf("long note: %d", resp.StatusCode)
	}
}
