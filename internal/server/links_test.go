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

// A link sent to the wrong address is withdrawn: it then opens nothing and
// its page says so, the list shows it withdrawn, withdrawing again changes
// nothing, a used link cannot be withdrawn, another clinic's staff cannot
// reach it, and each withdrawal is audited.
func TestLinkWithdrawal(t *testing.T) { fhirEachDB(t, testLinkWithdrawal) }

func testLinkWithdrawal(t *testing.T, opts apptest.Options) {
	env := apptest.Start(t, opts)
	ctx := context.Background()
	alex := env.CreatePatient("Alex", "Morgan")
	makeLink := func(purpose string) (int64, string) {
		t.Helper()
		r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/patients/%d/links", alex), map[string]any{"purpose": purpose})
		if r.Status != http.StatusCreated {
			t.Fatalf("link: %d %s", r.Status, r.Body)
		}
		var l struct {
			ID  int64
			URL string
		}
		r.JSON(t, &l)
		return l.ID, l.URL
	}
	id, path := makeLink("screening")
	revoke := func(id int64) apptest.Response {
		return env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/links/%d/revoke", id), nil)
	}
	r := revoke(id)
	var got struct {
		ID        int64
		State     string
		RevokedAt *string
	}
	r.JSON(t, &got)
	if r.Status != http.StatusOK || got.ID != id || got.State != "withdrawn" || got.RevokedAt == nil {
		t.Fatalf("withdraw: %d %s", r.Status, r.Body)
	}
	b := newLinkBrowser(t)
	if st, body := b.get(env.URL + path); st != http.StatusGone || !strings.Contains(body, "withdrawn") {
		t.Errorf("the withdrawn link: %d %s", st, body)
	}
	if r := revoke(id); r.Status != http.StatusOK {
		t.Errorf("withdrawing twice: %d %s", r.Status, r.Body)
	}

	// A used link stays as it is.
	used, usedPath := makeLink("screening")
	st, page := b.get(env.URL + usedPath)
	if st != http.StatusOK {
		t.Fatalf("open link: %d", st)
	}
	if st, _ := b.post(env.URL+usedPath, scForm(scCSRF.FindStringSubmatch(page)[1], 0)); st != http.StatusOK {
		t.Fatalf("answering: %d", st)
	}
	if r := revoke(used); r.Status != http.StatusConflict {
		t.Errorf("withdrawing a used link: %d %s", r.Status, r.Body)
	}

	// The list shows each link's state.
	var list []struct {
		ID    int64
		State string
	}
	env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/patients/%d/links", alex), nil).JSON(t, &list)
	states := map[int64]string{}
	for _, l := range list {
		states[l.ID] = l.State
	}
	if states[id] != "withdrawn" || states[used] != "used" {
		t.Errorf("states: %v", states)
	}

	// Another clinic's staff: not found, and the attempt audited.
	east := otherClinicToken(t, env, ketacare.RoleNurse, "East clinic", "east@test.example")
	third, thirdPath := makeLink("consent")
	if r := env.Do("POST", fmt.Sprintf("/api/v1/links/%d/revoke", third), east, nil); r.Status != http.StatusNotFound {
		t.Errorf("another clinic's nurse: %d %s", r.Status, r.Body)
	}
	if r := revoke(99999); r.Status != http.StatusNotFound {
		t.Errorf("no such link: %d", r.Status)
	}

	// From the screening page, with the button.
	br := newBrowser(t, env.URL)
	tok := br.csrf("/login")
	br.post("/login", url.Values{"csrf_token": {tok}, "email": {"nurse@test.example"}, "password": {apptest.Password}})
	csrf := br.csrf(fmt.Sprintf("/patients/%d/screening", alex))
	if resp, _ := br.post(fmt.Sprintf("/links/%d/revoke", third), url.Values{"csrf_token": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("withdraw from the page: %d", resp.StatusCode)
	}
	if st, body := b.get(env.URL + thirdPath); st != http.StatusGone || !strings.Contains(body, "withdrawn") {
		t.Errorf("the link withdrawn from the page: %d", st)
	}
	if _, body := br.get(fmt.Sprintf("/patients/%d/screening", alex)); strings.Count(body, "withdrawn ") != 2 {
		t.Errorf("the page lists %d withdrawn links, want 2", strings.Count(body, "withdrawn "))
	}

	audited, denied := 0, 0
	entries, err := env.DB.ListAudit(ctx, store.AuditFilter{PatientID: alex})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Action == "link.revoke" {
			if e.Outcome == "denied" {
				denied++
			} else {
				audited++
			}
		}
	}
	if audited != 2 || denied != 1 {
		t.Errorf("audited withdrawals: %d, denied: %d; want 2 and 1", audited, denied)
	}
}

// otherClinicToken makes a clinic besides the test's own, with an account
// of the role in it, and returns that account's API token.
func otherClinicToken(t *testing.T, env *apptest.Env, role ketacare.Role, clinic, email string) string {
	t.Helper()
	ctx := context.Background()
	c, err := env.DB.CreateClinic(ctx, env.Actor(ketacare.RoleAdmin), clinic)
	if err != nil {
		t.Fatal(err)
	}
	u, err := env.DB.CreateUser(ctx, env.Actor(ketacare.RoleAdmin), store.NewUser{Email: email, Role: role, ClinicIDs: []int64{c.ID}, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return env.NewToken(u)
}
