package server_test

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/app"
	"github.com/ketacare/ketacare/internal/apptest"
	"github.com/ketacare/ketacare/internal/auth"
	"github.com/ketacare/ketacare/internal/store"
)

// openStream opens the clinic's event stream with the request's credential
// and returns a channel closed when the server ends it; it checks the
// stream stays open while access holds.
func openStream(t *testing.T, client *http.Client, req *http.Request) <-chan struct{} {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	ended := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
		}
		close(ended)
	}()
	select {
	case <-ended:
		t.Fatal("the stream ended while access held")
	case <-time.After(500 * time.Millisecond):
	}
	return ended
}

func waitEnded(t *testing.T, ended <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatalf("the stream is still open after %s", what)
	}
}

// An open live board ends soon after its access does, however it ends:
// the account disabled, the token revoked, the account moved to another
// clinic, or the browser session signed out.
func TestLiveBoardEndsWithItsAccess(t *testing.T) {
	env := apptest.Start(t, apptest.Options{Config: func(c *app.Config) { c.StreamRecheck = 100 * time.Millisecond }})
	ctx := context.Background()
	admin := env.Actor(ketacare.RoleAdmin)
	nurse := env.Users[ketacare.RoleNurse]
	events := env.URL + "/api/v1/clinics/" + itoa(nurse.ClinicIDs[0]) + "/events"
	bearer := func(token string) *http.Request {
		req, _ := http.NewRequest("GET", events, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		return req
	}
	newNurse := func(email string) ketacare.User {
		u, err := env.DB.CreateUser(ctx, admin, store.NewUser{Email: email, Role: ketacare.RoleNurse, PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}

	t.Run("account disabled", func(t *testing.T) {
		u := newNurse("disabled@test.example")
		ended := openStream(t, http.DefaultClient, bearer(env.NewToken(u)))
		if err := env.DB.SetUserDisabled(ctx, admin, u.ID, true); err != nil {
			t.Fatal(err)
		}
		waitEnded(t, ended, "the account was disabled")
	})
	t.Run("token revoked", func(t *testing.T) {
		u := newNurse("revoked@test.example")
		tok := env.NewToken(u)
		ended := openStream(t, http.DefaultClient, bearer(tok))
		list, err := env.DB.Tokens(ctx, u.ID)
		if err != nil || len(list) != 1 {
			t.Fatalf("tokens: %v %v", list, err)
		}
		if err := env.DB.RevokeToken(ctx, admin, list[0].ID); err != nil {
			t.Fatal(err)
		}
		waitEnded(t, ended, "the token was revoked")
	})
	t.Run("moved to another clinic", func(t *testing.T) {
		u := newNurse("moved@test.example")
		ended := openStream(t, http.DefaultClient, bearer(env.NewToken(u)))
		other, err := env.DB.CreateClinic(ctx, admin, "Other clinic")
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.UpdateStaffAccount(ctx, admin, u.ID, store.StaffAccount{Name: "Moved", Role: ketacare.RoleNurse, ClinicIDs: []int64{other.ID}}); err != nil {
			t.Fatal(err)
		}
		waitEnded(t, ended, "the account left the clinic")
	})
	t.Run("signed out", func(t *testing.T) {
		hash, err := auth.HashPassword(apptest.Password)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.CreateUser(ctx, admin, store.NewUser{Email: "browser@test.example", Role: ketacare.RoleNurse, PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, env.URL)
		tok := b.csrf("/login")
		if resp, _ := b.post("/login", url.Values{"csrf_token": {tok}, "email": {"browser@test.example"}, "password": {apptest.Password}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in: %d", resp.StatusCode)
		}
		req, _ := http.NewRequest("GET", events, nil)
		ended := openStream(t, b.client, req)
		csrf := b.csrf("/")
		if resp, _ := b.post("/logout", url.Values{"csrf_token": {csrf}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign out: %d", resp.StatusCode)
		}
		waitEnded(t, ended, "signing out")
	})
}
