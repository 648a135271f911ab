package server_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/apptest"
	"github.com/ketacare/ketacare/internal/store"
)

var idParam = regexp.MustCompile(`\{[a-zA-Z]+\}`)

// TestEveryRouteDeclaresAPolicy walks the route table: every route has a
// policy, and every route that is not public refuses a caller who has not
// signed in and a signed-in role its policy does not name.
func TestEveryRouteDeclaresAPolicy(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	routes := env.App.Server.Routes()
	if len(routes) < 20 {
		t.Fatalf("only %d routes", len(routes))
	}
	for _, rt := range routes {
		if !rt.Policy.Defined() {
			t.Errorf("%s %s has no policy", rt.Method, rt.Path)
			continue
		}
		if rt.Policy.IsPublic() {
			continue
		}
		path := strings.TrimSuffix(idParam.ReplaceAllString(rt.Path, "1"), "{$}")
		r := env.Do(rt.Method, path, "", nil)
		if r.Status != http.StatusUnauthorized && r.Status != http.StatusSeeOther && r.Status != http.StatusForbidden {
			t.Errorf("%s %s without sign-in answered %d", rt.Method, path, r.Status)
		}
		for _, role := range []ketacare.Role{ketacare.RoleAdmin, ketacare.RolePrescriber, ketacare.RoleNurse, ketacare.RoleCounsellor} {
			if rt.Policy.Allows(role) {
				continue
			}
			r := env.As(role, rt.Method, path, nil)
			if r.Status != http.StatusForbidden {
				t.Errorf("%s %s as %s (policy %s) answered %d, want 403", rt.Method, path, role, rt.Policy, r.Status)
			}
		}
	}
	entries, err := env.DB.ListAudit(context.Background(), store.AuditFilter{Action: "http.forbidden", Outcome: "denied"})
	if err != nil || len(entries) == 0 {
		t.Fatalf("denied requests not audited: %d entries, %v", len(entries), err)
	}
}

func TestSecurityHeaders(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	id := env.CreatePatient("Ada", "Lovelace")
	for _, path := range []string{"/login", "/api/v1/patients/" + itoa(id)} {
		r := env.As(ketacare.RoleNurse, "GET", path, nil)
		h := r.Header
		csp := h.Get("Content-Security-Policy")
		if csp == "" || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s CSP = %q", path, csp)
		}
		for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Frame-Options": "DENY"} {
			if h.Get(k) != want {
				t.Errorf("%s %s = %q, want %q", path, k, h.Get(k), want)
			}
		}
		if h.Get("X-Request-Id") == "" {
			t.Errorf("%s has no request id", path)
		}
		api := strings.HasPrefix(path, "/api/")
		if api != strings.HasPrefix(csp, "default-src 'none'") {
			t.Errorf("%s CSP = %q: an API answer loads nothing, a page its own resources", path, csp)
		}
		if pp := h.Get("Permissions-Policy"); api != (pp == "") {
			t.Errorf("%s Permissions-Policy = %q: pages only", path, pp)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestPatientAPI(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	body := map[string]any{"givenName": "Ada", "familyName": "Lovelace", "birthDate": "1990-02-03", "sex": "female", "nhsNumber": "943 476 5919", "email": "ada@example.com"}
	r := env.As(ketacare.RoleNurse, "POST", "/api/v1/patients", body, "Idempotency-Key", "reg-1")
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	p := r.Map(t)
	if p["nhsNumber"] != "9434765919" || p["id"] == nil || p["clinicId"] != float64(env.Users[ketacare.RoleNurse].ClinicIDs[0]) {
		t.Errorf("created %v", p)
	}
	again := env.As(ketacare.RoleNurse, "POST", "/api/v1/patients", body, "Idempotency-Key", "reg-1")
	if again.Status != http.StatusCreated || string(again.Body) != string(r.Body) || again.Header.Get("Location") != r.Header.Get("Location") || r.Header.Get("Location") == "" {
		t.Errorf("retry: %d %s, want the first response", again.Status, again.Body)
	}
	body["givenName"] = "Augusta"
	if r := env.As(ketacare.RoleNurse, "POST", "/api/v1/patients", body, "Idempotency-Key", "reg-1"); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("same key, other body: %d", r.Status)
	}
	list := env.As(ketacare.RoleNurse, "GET", "/api/v1/patients?limit=10", nil)
	var page struct {
		Items []map[string]any
		Total int
	}
	list.JSON(t, &page)
	if page.Total != 1 || len(page.Items) != 1 {
		t.Errorf("list after retries holds %d patients, want 1", page.Total)
	}
	for _, tc := range []struct {
		body string
		want string
	}{
		{`{"givenName":"A"`, "ends too soon"},
		{`{"givenName":"A","familyName":"B","birthDate":"1990-01-01","sex":"male","nhsNumber":"1234567890"}`, "check digit"},
		{`{"givenName":1}`, `"givenName" must be a string`},
		{`{"givenName":"A","clinicId":2}`, `unknown field "clinicId"`},
		{`[]`, "JSON object"},
		{``, "empty"},
	} {
		r := env.As(ketacare.RoleNurse, "POST", "/api/v1/patients", tc.body)
		prob := r.Map(t)
		detail := fmt.Sprint(prob["detail"], prob["errors"])
		if r.Status != http.StatusBadRequest || !strings.Contains(detail, tc.want) || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("body %s: %d %s, want 400 mentioning %q", tc.body, r.Status, r.Body, tc.want)
		}
	}
	if r := env.As(ketacare.RoleNurse, "GET", "/api/v1/patients?limit=abc", nil); r.Status != http.StatusBadRequest {
		t.Errorf("bad limit: %d", r.Status)
	}
}

// A method an address does not take is answered 405 with the methods it
// does, in the surface's format; an unknown address is not found.
func TestOtherMethodsAreNotAllowed(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	id := env.CreatePatient("Grace", "Hopper")
	r := env.As(ketacare.RoleAdmin, "DELETE", "/api/v1/patients/"+itoa(id), nil)
	if r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "GET, HEAD" ||
		r.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(r.Body), `"code":"method"`) {
		t.Errorf("API: %d %q %q %s", r.Status, r.Header.Get("Allow"), r.Header.Get("Content-Type"), r.Body)
	}
	if r := env.As(ketacare.RoleAdmin, "GET", "/api/v1/patients/"+itoa(id), nil); r.Status != http.StatusOK {
		t.Errorf("the patient after DELETE: %d", r.Status)
	}
	r = env.Do("PATCH", "/login", "", nil)
	if r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "GET, HEAD, POST" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Errorf("web: %d %q %q", r.Status, r.Header.Get("Allow"), r.Header.Get("Content-Type"))
	}
	for _, path := range []string{"/api/v1/nothing-here", "/static/nothing.css", "/nothing-here"} {
		if r := env.Do("DELETE", path, "", nil); r.Status != http.StatusNotFound || r.Header.Get("Allow") != "" {
			t.Errorf("%s: %d, Allow %q", path, r.Status, r.Header.Get("Allow"))
		}
	}
}

func TestAnotherClinicsPatientIsNotFound(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	ctx := context.Background()
	id := env.CreatePatient("Grace", "Hopper")
	other, err := env.DB.CreateClinic(ctx, env.Actor(ketacare.RoleAdmin), "North clinic")
	if err != nil {
		t.Fatal(err)
	}
	u, err := env.DB.CreateUser(ctx, env.Actor(ketacare.RoleAdmin), store.NewUser{Email: "north@test.example", Role: ketacare.RoleNurse, ClinicIDs: []int64{other.ID}, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	tok := env.NewToken(u)
	for _, path := range []string{"/api/v1/patients/" + itoa(id), "/patients/" + itoa(id), "/api/v1/patients/999999"} {
		r := env.Do("GET", path, tok, nil)
		if r.Status != http.StatusNotFound || strings.Contains(string(r.Body), "Hopper") || strings.Contains(string(r.Body), "Grace") {
			t.Errorf("%s from another clinic: %d %s", path, r.Status, r.Body)
		}
	}
	if r := env.Do("GET", "/api/v1/patients", tok, nil); strings.Contains(string(r.Body), "Hopper") {
		t.Errorf("list shows another clinic's patient: %s", r.Body)
	}
}

func TestProtocolAPI(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	cur := env.As(ketacare.RoleNurse, "GET", "/api/v1/protocol", nil)
	if cur.Status != http.StatusOK {
		t.Fatalf("current: %d", cur.Status)
	}
	var v struct {
		Version  int
		Protocol map[string]any
	}
	cur.JSON(t, &v)
	if v.Version != 1 || v.Protocol["monitoring"] == nil {
		t.Fatalf("current %+v", v)
	}
	if r := env.As(ketacare.RoleNurse, "PUT", "/api/v1/protocol", map[string]any{"protocol": v.Protocol, "reason": "x"}); r.Status != http.StatusForbidden {
		t.Errorf("nurse saved a protocol: %d", r.Status)
	}
	if r := env.As(ketacare.RoleAdmin, "PUT", "/api/v1/protocol", map[string]any{"protocol": v.Protocol}); r.Status != http.StatusBadRequest {
		t.Errorf("no reason: %d %s", r.Status, r.Body)
	}
	v.Protocol["screening"].(map[string]any)["highMin"] = 5
	r := env.As(ketacare.RoleAdmin, "PUT", "/api/v1/protocol", map[string]any{"protocol": v.Protocol, "reason": "Local audit 2026"})
	if r.Status != http.StatusOK {
		t.Fatalf("save: %d %s", r.Status, r.Body)
	}
	if got := r.Map(t); got["version"] != float64(2) || got["author"] != "admin@test.example" {
		t.Errorf("saved %v", got["version"])
	}
	hist := env.As(ketacare.RoleNurse, "GET", "/api/v1/protocol/versions", nil)
	var vs []map[string]any
	hist.JSON(t, &vs)
	if len(vs) != 2 || vs[0]["reason"] != "Local audit 2026" {
		t.Errorf("history has %d versions", len(vs))
	}
}

func TestOpenAPIDescribesTheAPI(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	r := env.Do("GET", "/api/v1/openapi.json", "", nil)
	if r.Status != http.StatusOK {
		t.Fatal(r.Status)
	}
	doc := r.Map(t)
	paths := doc["paths"].(map[string]any)
	for _, p := range []string{"/api/v1/patients", "/api/v1/patients/{id}", "/api/v1/protocol"} {
		if paths[p] == nil {
			t.Errorf("openapi lacks %s", p)
		}
	}
	post := paths["/api/v1/patients"].(map[string]any)["post"].(map[string]any)
	schema := post["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
	if req := schema["required"].([]any); len(req) != 4 {
		t.Errorf("patient create requires %v", req)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready"} {
		if r := env.Do("GET", path, "", nil); r.Status != 200 || !strings.Contains(string(r.Body), want) {
			t.Errorf("%s: %d %s", path, r.Status, r.Body)
		}
	}
	env.As(ketacare.RoleNurse, "GET", "/api/v1/patients", nil)
	r := env.Do("GET", "/metrics", "", nil)
	if !strings.Contains(string(r.Body), `ketacare_http_requests_total{code="200",route="GET /api/v1/patients"}`) ||
		!strings.Contains(string(r.Body), `ketacare_http_request_duration_seconds_bucket{route="GET /api/v1/patients"`) {
		t.Errorf("metrics lack the patients route:\n%.2000s", r.Body)
	}
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (b *browser) get(path string) (int, string) {
	resp, err := b.client.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (b *browser) csrf(path string) string {
	_, body := b.get(path)
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s", path)
	}
	return m[1]
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	resp, err := b.client.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestWebLoginLogoutAndCSRF(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	b := newBrowser(t, env.URL)
	if code, _ := b.get("/patients"); code != http.StatusSeeOther {
		t.Fatalf("signed-out /patients: %d, want a redirect to sign in", code)
	}
	tok := b.csrf("/login")
	resp, body := b.post("/login", url.Values{"csrf_token": {tok}, "email": {"nurse@test.example"}, "password": {"wrong password here"}})
	wrong := resp.StatusCode
	if wrong != http.StatusUnauthorized || !strings.Contains(body, "The email address or password is not correct.") {
		t.Fatalf("wrong password: %d", wrong)
	}
	resp, body2 := b.post("/login", url.Values{"csrf_token": {tok}, "email": {"nobody@test.example"}, "password": {"wrong password here"}})
	if resp.StatusCode != wrong || !strings.Contains(body2, "The email address or password is not correct.") {
		t.Fatalf("unknown account answers differently: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/login", url.Values{"email": {"nurse@test.example"}, "password": {apptest.Password}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("login without CSRF token: %d", resp.StatusCode)
	}
	resp, _ = b.post("/login", url.Values{"csrf_token": {tok}, "email": {"nurse@test.example"}, "password": {apptest.Password}, "next": {"/patients"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/patients" {
		t.Fatalf("login: %d to %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "kc_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || len(session.Value) < 22 {
		t.Fatalf("session cookie %+v", session)
	}
	if code, body := b.get("/patients"); code != 200 || !strings.Contains(body, "Register a patient") {
		t.Fatalf("signed in /patients: %d", code)
	}
	csrf := b.csrf("/patients/new")
	if resp, _ := b.post("/patients", url.Values{"givenName": {"No"}, "familyName": {"Token"}, "birthDate": {"1990-01-01"}, "sex": {"male"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("form post without CSRF: %d", resp.StatusCode)
	}
	resp, body = b.post("/patients", url.Values{"csrf_token": {csrf}, "givenName": {"Ada"}, "familyName": {""}, "birthDate": {"1990-02-30"}, "sex": {"female"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Enter the family name.") || !strings.Contains(body, `value="Ada"`) {
		t.Fatalf("bad form: %d, want the form again with its errors and values", resp.StatusCode)
	}
	resp, _ = b.post("/patients", url.Values{"csrf_token": {csrf}, "givenName": {"Ada"}, "familyName": {"Lovelace"}, "birthDate": {"1990-02-03"}, "sex": {"female"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/patients/") {
		t.Fatalf("register: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/logout", url.Values{"csrf_token": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	// The old session cookie is dead on the server, not just forgotten.
	req, _ := http.NewRequest("GET", env.URL+"/api/v1/me", nil)
	req.AddCookie(&http.Cookie{Name: "kc_session", Value: session.Value})
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("session after logout: %d", r.StatusCode)
	}
	entries, _ := env.DB.ListAudit(context.Background(), store.AuditFilter{Action: "log"})
	var got []string
	for _, e := range entries {
		got = append(got, e.Action)
	}
	if strings.Join(got, ",") != "logout,login,login.failed,login.failed" {
		t.Errorf("audited sign-ins: %v", got)
	}
}

func TestLoginThrottle(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	b := newBrowser(t, env.URL)
	tok := b.csrf("/login")
	for i := 0; i < 5; i++ {
		b.post("/login", url.Values{"csrf_token": {tok}, "email": {"nurse@test.example"}, "password": {"not the password"}})
	}
	resp, body := b.post("/login", url.Values{"csrf_token": {tok}, "email": {"nurse@test.example"}, "password": {apptest.Password}})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many") {
		t.Fatalf("sixth attempt: %d", resp.StatusCode)
	}
	for i := 0; i < 5; i++ {
		b.post("/login", url.Values{"csrf_token": {tok}, "email": {"ghost@test.example"}, "password": {"not the password"}})
	}
	if resp, _ := b.post("/login", url.Values{"csrf_token": {tok}, "email": {"ghost@test.example"}, "password": {"x"}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("unknown accounts are throttled alike: %d", resp.StatusCode)
	}
}

func TestDisablingAnAccountEndsItsAccess(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	b := newBrowser(t, env.URL)
	tok := b.csrf("/login")
	b.post("/login", url.Values{"csrf_token": {tok}, "email": {"nurse@test.example"}, "password": {apptest.Password}})
	if code, _ := b.get("/patients"); code != 200 {
		t.Fatal(code)
	}
	if err := env.DB.SetUserDisabled(context.Background(), env.Actor(ketacare.RoleAdmin), env.Users[ketacare.RoleNurse].ID, true); err != nil {
		t.Fatal(err)
	}
	if code, _ := b.get("/patients"); code != http.StatusSeeOther {
		t.Errorf("disabled account's session still works: %d", code)
	}
	if r := env.As(ketacare.RoleNurse, "GET", "/api/v1/patients", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("disabled account's token still works: %d", r.Status)
	}
}

func TestAdminPages(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	b := newBrowser(t, env.URL)
	tok := b.csrf("/login")
	b.post("/login", url.Values{"csrf_token": {tok}, "email": {"admin@test.example"}, "password": {apptest.Password}})
	csrf := b.csrf("/admin/clinics")
	if resp, _ := b.post("/admin/clinics", url.Values{"csrf_token": {csrf}, "name": {"Harbour clinic"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add clinic: %d", resp.StatusCode)
	}
	if _, body := b.get("/admin/clinics"); !strings.Contains(body, "Harbour clinic") {
		t.Error("new clinic not listed")
	}
	if resp, body := b.post("/admin/users", url.Values{"csrf_token": {csrf}, "email": {"long@test.example"}, "name": {strings.Repeat("n", 201)}, "role": {"nurse"}, "password": {"orchid lantern pebble"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "200 characters or fewer") {
		t.Fatalf("a 201-character name: %d", resp.StatusCode)
	}
	resp, body := b.post("/admin/users", url.Values{"csrf_token": {csrf}, "email": {"new@test.example"}, "name": {"New Nurse"}, "role": {"nurse"}, "password": {"password1234"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "too common") {
		t.Fatalf("common password: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/admin/users", url.Values{"csrf_token": {csrf}, "email": {"new@test.example"}, "name": {"New Nurse"}, "role": {"nurse"}, "password": {"orchid lantern pebble"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add user: %d", resp.StatusCode)
	}
	if _, body := b.get("/admin/audit?action=user.create"); !strings.Contains(body, "user.create") {
		t.Error("audit page does not list the new account")
	}
	if code, _ := b.get("/admin/audit?from=yesterday"); code != http.StatusBadRequest {
		t.Errorf("bad audit filter: %d", code)
	}
	code, body := b.get("/admin/protocol")
	if code != 200 || !strings.Contains(body, "Version <strong>1</strong>") {
		t.Fatalf("protocol page: %d", code)
	}
	doc := regexp.MustCompile(`(?s)<textarea[^>]*>(.*?)</textarea>`).FindStringSubmatch(body)[1]
	doc = strings.ReplaceAll(doc, "&#34;", `"`)
	changed := strings.Replace(doc, `"highMin": 4`, `"highMin": 5`, 1)
	if changed == doc {
		t.Fatal("protocol document lacks screening.highMin")
	}
	resp, _ = b.post("/admin/protocol", url.Values{"csrf_token": {csrf}, "document": {changed}, "reason": {"Raise the high band after local audit"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save protocol: %d", resp.StatusCode)
	}
	_, body = b.get(resp.Header.Get("Location"))
	if !strings.Contains(body, "screening.highMin") || !strings.Contains(body, "Raise the high band") {
		t.Error("diff between versions does not show the change")
	}
	// Versions that are not numbers, or not stored, are the form's errors,
	// shown with what was typed.
	if code, body := b.get("/admin/protocol?from=abc&to=99"); code != http.StatusBadRequest || !strings.Contains(body, "Enter a version number") ||
		!strings.Contains(body, "There is no version 99") || !strings.Contains(body, `value="abc"`) || !strings.Contains(body, `value="99"`) {
		t.Errorf("comparing bad versions: %d", code)
	}
	if resp, body := b.post("/admin/protocol", url.Values{"csrf_token": {csrf}, "document": {`{"screening": {"nope": 1}}`}, "reason": {"x"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "nope") {
		t.Errorf("bad protocol document: %d", resp.StatusCode)
	}
}

func TestAdminEditsAStaffAccount(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	ctx := context.Background()
	north, err := env.DB.CreateClinic(ctx, env.Actor(ketacare.RoleAdmin), "North clinic")
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, env.URL)
	tok := b.csrf("/login")
	b.post("/login", url.Values{"csrf_token": {tok}, "email": {"admin@test.example"}, "password": {apptest.Password}})
	nurse := env.Users[ketacare.RoleNurse]
	page := "/admin/users/" + itoa(nurse.ID)
	csrf := b.csrf(page)

	resp, body := b.post(page, url.Values{"csrf_token": {csrf}, "name": {"Nurse Lead"}, "role": {"prescriber"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Choose at least one clinic.") {
		t.Fatalf("no clinic: %d", resp.StatusCode)
	}
	// A landline cannot take text messages; the form keeps what was typed.
	resp, body = b.post(page, url.Values{"csrf_token": {csrf}, "name": {"Nurse Lead"}, "role": {"prescriber"}, "clinic": {itoa(north.ID)}, "mobile": {"020 7946 0123"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "not a mobile number") || !strings.Contains(body, `value="020 7946 0123"`) {
		t.Fatalf("landline as mobile: %d", resp.StatusCode)
	}
	if resp, body := b.post(page, url.Values{"csrf_token": {csrf}, "name": {"Nurse Lead"}, "role": {"prescriber"}, "clinic": {itoa(north.ID)}, "mobile": {"12"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Enter a mobile number") {
		t.Fatalf("not a number: %d", resp.StatusCode)
	}
	if resp, _ := b.post(page, url.Values{"csrf_token": {csrf}, "name": {"Nurse Lead"}, "role": {"prescriber"}, "clinic": {itoa(north.ID)}, "mobile": {"07911 123456"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("update: %d", resp.StatusCode)
	}
	if u, err := env.DB.User(ctx, nurse.ID); err != nil || u.Mobile != "+447911123456" {
		t.Fatalf("mobile stored as %q, %v", u.Mobile, err)
	}
	if _, body := b.get(page); !strings.Contains(body, `value="07911 123456"`) {
		t.Fatal("the account page does not show the mobile number")
	}
	var me struct {
		Role      string
		Name      string
		ClinicIDs []int64
	}
	env.As(ketacare.RoleNurse, "GET", "/api/v1/me", nil).JSON(t, &me)
	if me.Role != "prescriber" || me.Name != "Nurse Lead" || len(me.ClinicIDs) != 1 || me.ClinicIDs[0] != north.ID {
		t.Fatalf("account after the change: %+v", me)
	}
	admin := "/admin/users/" + itoa(env.Users[ketacare.RoleAdmin].ID)
	if resp, body := b.post(admin, url.Values{"csrf_token": {csrf}, "name": {"Me"}, "role": {"nurse"}, "clinic": {"1"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "own admin role") {
		t.Fatalf("self-demotion: %d", resp.StatusCode)
	}
	if resp, body := b.post(page+"/password", url.Values{"csrf_token": {csrf}, "password": {"password1234"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "too common") {
		t.Fatalf("common password: %d", resp.StatusCode)
	}
	if resp, _ := b.post(page+"/password", url.Values{"csrf_token": {csrf}, "password": {"granite meadow lantern"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("set password: %d", resp.StatusCode)
	}
	n := newBrowser(t, env.URL)
	tok = n.csrf("/login")
	if resp, _ := n.post("/login", url.Values{"csrf_token": {tok}, "email": {"nurse@test.example"}, "password": {apptest.Password}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("old password still works: %d", resp.StatusCode)
	}
	if resp, _ := n.post("/login", url.Values{"csrf_token": {tok}, "email": {"nurse@test.example"}, "password": {"granite meadow lantern"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("new password refused: %d", resp.StatusCode)
	}
	entries, _ := env.DB.ListAudit(ctx, store.AuditFilter{Action: "user."})
	var got []string
	for _, e := range entries {
		got = append(got, e.Action)
	}
	if !strings.Contains(strings.Join(got, ","), "user.password,user.update") {
		t.Errorf("account changes audited as %v", got)
	}
}

// TestCookieAPIRequestsNeedTheCSRFToken: a browser session calling the
// JSON API must send its CSRF token; anonymous and bearer calls need none.
func TestCookieAPIRequestsNeedTheCSRFToken(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	b := newBrowser(t, env.URL)
	tok := b.csrf("/login")
	b.post("/login", url.Values{"csrf_token": {tok}, "email": {"nurse@test.example"}, "password": {apptest.Password}})
	csrf := b.csrf("/patients/new")
	post := func(path, body, token string) int {
		req, _ := http.NewRequest("POST", env.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("X-CSRF-Token", token)
		}
		resp, err := b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	patient := `{"givenName":"Ada","familyName":"Lovelace","birthDate":"1990-02-03","sex":"female"}`
	if code := post("/api/v1/patients", patient, ""); code != http.StatusForbidden {
		t.Errorf("cookie POST without CSRF token: %d", code)
	}
	if code := post("/api/v1/patients", patient, csrf); code != http.StatusCreated {
		t.Errorf("cookie POST with CSRF token: %d", code)
	}
	callback := `{"name":"Sam","phone":"020 7946 0999","reason":"x","safeNow":true,"consent":true}`
	if code := post("/api/v1/callbacks", callback, ""); code != http.StatusForbidden {
		t.Errorf("cookie callback POST without CSRF token: %d", code)
	}
	if r := env.Do("POST", "/api/v1/callbacks", "", callback); r.Status != http.StatusCreated {
		t.Errorf("anonymous callback POST: %d %s", r.Status, r.Body)
	}
}

// The page to return to after signing in stays on this site, however the
// address is disguised.
func TestSignInReturnsOnlyWithinTheSite(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	for next, want := range map[string]string{
		"/patients?q=a":          "/patients?q=a",
		"//evil.example":         "/",
		"/\\evil.example":        "/",
		"/\t/evil.example":       "/",
		"/\n/evil.example":       "/",
		"https://evil.example/x": "/",
	} {
		r := env.Do("GET", "/login?next="+url.QueryEscape(next), "", nil)
		m := regexp.MustCompile(`name="next" value="([^"]*)"`).FindSubmatch(r.Body)
		if m == nil || html.UnescapeString(string(m[1])) != want {
			t.Errorf("next %q: kept as %q, want %q", next, m, want)
		}
	}
}
