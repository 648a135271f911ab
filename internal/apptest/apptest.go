// Package apptest boots the real ketacare server on 127.0.0.1:0 for
// end-to-end tests, with one account and API token per role, and offers
// small helpers to call its JSON API.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/app"
	"github.com/ketacare/ketacare/internal/auth"
	"github.com/ketacare/ketacare/internal/store"
	"github.com/ketacare/ketacare/internal/testutil"
)

// Password is every test account's password.
const Password = "plum violin copper kettle"

// Env is a running server with its accounts.
type Env struct {
	T      testing.TB
	App    *app.App
	URL    string
	DB     *store.DB
	Users  map[ketacare.Role]ketacare.User
	Tokens map[ketacare.Role]string
	Client *http.Client
}

// Options adjust the server a test boots.
type Options struct {
	DSN    string // a fresh SQLite database when empty
	Config func(*app.Config)
	// SkipAccounts starts a server on a database that another Env already
	// filled (a second process on the same PostgreSQL): no accounts are
	// created, so Users and Tokens stay empty; use the first Env's tokens.
	SkipAccounts bool
}

// Start boots a server for the test and stops it when the test ends.
func Start(t testing.TB, opts Options) *Env {
	t.Helper()
	if opts.DSN == "" {
		opts.DSN = testutil.SQLiteDSN(t)
	}
	cfg := app.Config{Addr: "127.0.0.1:0", DB: opts.DSN, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if testing.Verbose() {
		cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if opts.Config != nil {
		opts.Config(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("starting ketacare: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server stopped with %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("server did not shut down within 20 s")
		}
		a.Close()
	})
	e := &Env{T: t, App: a, URL: a.URL(), DB: a.DB, Users: map[ketacare.Role]ketacare.User{}, Tokens: map[ketacare.Role]string{},
		Client: &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	hash, err := auth.HashPassword(Password)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []ketacare.Role{ketacare.RoleAdmin, ketacare.RolePrescriber, ketacare.RoleNurse, ketacare.RoleCounsellor} {
		if opts.SkipAccounts {
			break
		}
		u, err := a.DB.CreateUser(ctx, ketacare.Actor{Email: "test"}, store.NewUser{Email: string(r) + "@test.example", Name: "Test " + string(r), Role: r, PasswordHash: hash})
		if err != nil {
			t.Fatal(err)
		}
		e.Users[r] = u
		e.Tokens[r] = e.NewToken(u)
	}
	return e
}

// For returns the environment reporting to another test, such as a fuzz
// target's (the server and accounts are shared).
func (e *Env) For(t testing.TB) *Env {
	c := *e
	c.T = t
	return &c
}

// NewToken creates an API token for a user.
func (e *Env) NewToken(u ketacare.User) string {
	tok := auth.NewAPIToken()
	if _, err := e.DB.CreateToken(context.Background(), ketacare.Actor{Email: "test"}, u.ID, "test", auth.HashToken(tok)); err != nil {
		e.T.Fatal(err)
	}
	return tok
}

// Actor is the actor of a role's test account, for calling the store directly.
func (e *Env) Actor(r ketacare.Role) ketacare.Actor {
	u := e.Users[r]
	return ketacare.Actor{UserID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, ClinicIDs: u.ClinicIDs, ClientAddr: "127.0.0.1"}
}

// Response is an API answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test when it cannot.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r Response) Map(t testing.TB) map[string]any {
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// Do calls the server with a bearer token (none when empty). body may be
// nil, a string (sent as is) or any value (sent as JSON). headers are
// name, value pairs.
func (e *Env) Do(method, path, token string, body any, headers ...string) Response {
	e.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.T.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		e.T.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.Client.Do(req)
	if err != nil {
		e.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.T.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// As calls the server as the test account of a role.
func (e *Env) As(r ketacare.Role, method, path string, body any, headers ...string) Response {
	e.T.Helper()
	return e.Do(method, path, e.Tokens[r], body, headers...)
}

// CreatePatient registers a patient through the API as the nurse and
// returns its id.
func (e *Env) CreatePatient(given, family string) int64 {
	e.T.Helper()
	r := e.As(ketacare.RoleNurse, "POST", "/api/v1/patients", map[string]any{"givenName": given, "familyName": family, "birthDate": "1980-05-06", "sex": "female"})
	if r.Status != http.StatusCreated {
		e.T.Fatalf("creating patient: %d %s", r.Status, r.Body)
	}
	var p struct{ ID int64 }
	r.JSON(e.T, &p)
	return p.ID
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
