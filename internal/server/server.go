// Package server is ketacare's HTTP surface: the web UI for staff and
// patients, the JSON API under /api/v1, and health and metrics endpoints.
// Every route is declared once in the route table (routes.go) with the
// policy saying who may use it; handlers return errors, and one function
// per surface turns an error into a response.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/ketacare/ketacare/internal/live"
	"github.com/ketacare/ketacare/internal/monitoring"
	"github.com/ketacare/ketacare/internal/store"
	"github.com/ketacare/ketacare/internal/web"
)

// Config is the server's configuration.
type Config struct {
	// SessionIdle and SessionMax end a browser session after inactivity and
	// after its absolute lifetime.
	SessionIdle time.Duration
	SessionMax  time.Duration
	// SecureCookies marks cookies Secure even when the request did not
	// arrive over TLS (ketacare behind a TLS-terminating proxy).
	SecureCookies bool
	// PublicRateLimit is how many public callback requests one address may
	// send per minute; 0 turns the public limits off.
	PublicRateLimit int
	Logger          *slog.Logger
	// BaseURL is the address patients reach ketacare at, for the check-in
	// links shown to staff; the request's host when empty.
	BaseURL string
	// Monitoring is the dosing-session monitoring service; one publishing
	// on a broker of its own is made when nil.
	Monitoring *monitoring.Service
	// StreamRecheck is how often an open event stream checks that its
	// account is still enabled (30 s when zero): disabling an account ends
	// its live boards too.
	StreamRecheck time.Duration
}

// Server handles every HTTP request.
type Server struct {
	cfg     Config
	db      *store.DB
	log     *slog.Logger
	pages   *web.Templates
	routes  []Route
	handler http.Handler
	metrics *metrics
	mon     *monitoring.Service

	// Failed sign-ins, per account (unknown ones too, so a refusal says
	// nothing about whether an account exists) and per client address.
	loginByAccount limit
	loginByAddr    limit
	linkMisses     limit // unknown patient-link tokens per address

	callbacks *callbackGuard
}

// New builds the server and checks its route table.
func New(cfg Config, db *store.DB) (*Server, error) {
	if cfg.SessionIdle == 0 {
		cfg.SessionIdle = 30 * time.Minute
	}
	if cfg.SessionMax == 0 {
		cfg.SessionMax = 12 * time.Hour
	}
	if cfg.StreamRecheck == 0 {
		cfg.StreamRecheck = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	pages, err := web.ParseTemplates()
	if err != nil {
		return nil, err
	}
	if cfg.Monitoring == nil {
		cfg.Monitoring = monitoring.New(db, live.NewBroker(cfg.Logger), monitoring.Config{Logger: cfg.Logger})
	}
	s := &Server{
		cfg: cfg, db: db, log: cfg.Logger, pages: pages, metrics: newMetrics(), mon: cfg.Monitoring,
		loginByAccount: limit{db: db, name: "login-account", max: 5, window: 15 * time.Minute},
		loginByAddr:    limit{db: db, name: "login-address", max: 50, window: 15 * time.Minute},
		// Unknown patient-link tokens an address may try a minute (the
		// public limits' switch turns it off too): the tokens cannot be
		// guessed, and the limit keeps anyone from trying.
		linkMisses: limit{db: db, name: "link-address", max: 3 * cfg.PublicRateLimit, window: time.Minute},
	}
	s.callbacks = newCallbackGuard(db, cfg.PublicRateLimit)
	s.routes = s.routeTable()
	mux, err := s.buildMux(s.routes)
	if err != nil {
		return nil, err
	}
	s.handler = s.recoverPanics(s.withRequestID(s.observe(securityHeaders(mux))))
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Routes returns the route table (for tests and documentation).
func (s *Server) Routes() []Route { return s.routes }

// Housekeeping runs Housekeep every five minutes until ctx ends.
func (s *Server) Housekeeping(ctx context.Context) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Housekeep(ctx)
		}
	}
}

// Housekeep removes expired sign-in sessions, and idempotency keys older
// than a day with the responses kept for them.
func (s *Server) Housekeep(ctx context.Context) {
	if err := s.db.DeleteExpiredSessions(ctx, s.cfg.SessionIdle, s.cfg.SessionMax); err != nil && ctx.Err() == nil {
		s.log.Error("removing expired sessions", "err", err)
	}
	if err := s.db.DeleteOldIdempotencyKeys(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("removing old idempotency keys", "err", err)
	}
}
