// Package app wires ketacare together: it opens and migrates the database,
// builds the HTTP server and runs it (and its background work) until the
// context ends, then shuts down gracefully, draining requests.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/ketacare/ketacare/internal/live"
	"github.com/ketacare/ketacare/internal/monitoring"
	"github.com/ketacare/ketacare/internal/outbox"
	"github.com/ketacare/ketacare/internal/server"
	"github.com/ketacare/ketacare/internal/store"
)

// Config is what `ketacare serve` is given.
type Config struct {
	Addr          string // 127.0.0.1:8080 by default; :0 picks a free port
	DB            string // sqlite:PATH or postgres://...
	MLLPAddr      string // off when empty
	SessionIdle   time.Duration
	SessionMax    time.Duration
	SecureCookies bool
	// PublicRateLimit: public callback requests per minute per address (0 off).
	PublicRateLimit int
	Logger          *slog.Logger
	// Clock replaces the database's clock (tests); time.Now when nil.
	Clock func() time.Time
	// StreamRecheck is how often open event streams re-check their account
	// (30 s when zero).
	StreamRecheck time.Duration
	// SMTPURL (smtp://user:pass@host:port) and MailFrom send the follow-up
	// emails; without SMTPURL they wait in the outbox. BaseURL starts the
	// links in them (http://Addr when empty).
	SMTPURL, MailFrom, BaseURL string
	// SMSURL is the HTTP gateway for text messages (escalations to
	// prescribers' mobiles, check-in links to patients' mobiles), with
	// SMSToken as its bearer token; without SMSURL they wait in the outbox.
	SMSURL, SMSToken string
}

// App is a running ketacare.
type App struct {
	cfg    Config
	DB     *store.DB
	Server *server.Server
	// Monitoring is the dosing-session monitoring service (live events,
	// background checks, the HL7 v2 listener).
	Monitoring *monitoring.Service
	http       *http.Server
	ln         net.Listener
	log        *slog.Logger
}

// Open prepares the database (migrating it, creating the default clinic and
// the first protocol version) and binds the listener. The server refuses to
// start on a schema it does not know exactly.
func Open(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	// A mistyped address of a message channel stops the start, rather than
	// leaving escalations and check-in links unsent.
	if cfg.SMTPURL != "" {
		if _, err := outbox.ParseSMTPURL(cfg.SMTPURL, cfg.MailFrom); err != nil {
			return nil, fmt.Errorf("--smtp-url: %w", err)
		}
	}
	if cfg.SMSURL != "" {
		if _, err := outbox.ParseSMSURL(cfg.SMSURL, cfg.SMSToken); err != nil {
			return nil, fmt.Errorf("--sms-url: %w", err)
		}
	}
	db, err := Prepare(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	if cfg.Clock != nil {
		db.Now = cfg.Clock
	}
	mon := monitoring.New(db, live.NewBroker(cfg.Logger), monitoring.Config{Logger: cfg.Logger, BaseURL: cfg.BaseURL})
	if cfg.MLLPAddr != "" {
		if err := mon.ListenMLLP(cfg.MLLPAddr); err != nil {
			db.Close()
			return nil, err
		}
	}
	srv, err := server.New(server.Config{SessionIdle: cfg.SessionIdle, SessionMax: cfg.SessionMax,
		SecureCookies: cfg.SecureCookies, PublicRateLimit: cfg.PublicRateLimit, Logger: cfg.Logger, Monitoring: mon, BaseURL: cfg.BaseURL, StreamRecheck: cfg.StreamRecheck}, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	a := &App{cfg: cfg, DB: db, Server: srv, Monitoring: mon, ln: ln, log: cfg.Logger}
	a.http = &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn)}
	a.http.RegisterOnShutdown(mon.Broker().Close) // ends live event streams, so shutdown drains
	return a, nil
}

// Prepare opens the database, applies migrations and seeds what every
// database needs: the default clinic and the shipped protocol.
func Prepare(ctx context.Context, dsn string) (*store.DB, error) {
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("database schema: %w", err)
	}
	if _, err := db.EnsureDefaultClinic(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.EnsureProtocol(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Addr is the address the server listens on.
func (a *App) Addr() string { return a.ln.Addr().String() }

// URL is the server's base URL.
func (a *App) URL() string { return "http://" + a.Addr() }

// Run serves until ctx ends, then stops accepting, drains requests and
// background work (up to 15 s) and returns.
func (a *App) Run(ctx context.Context) error {
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); a.Server.Housekeeping(bg) }()
	wg.Add(1)
	go func() { defer wg.Done(); a.Monitoring.Run(bg) }()
	wg.Add(1)
	go func() { defer wg.Done(); a.Server.CallbackChecks(bg) }()
	wg.Add(1)
	go func() { defer wg.Done(); a.runFollowup(bg) }()
	wg.Add(1)
	go func() { defer wg.Done(); a.watchAuth(bg) }()

	errc := make(chan error, 1)
	go func() { errc <- a.http.Serve(a.ln) }()
	a.log.Info("ketacare listening", "addr", a.URL())

	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	a.log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if serr := a.http.Shutdown(shutCtx); serr != nil && err == nil {
		err = serr
	}
	stopBG()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Close releases the database.
func (a *App) Close() error { return a.DB.Close() }

// watchAuth makes this process forget the API tokens it remembers as soon
// as another process sharing the PostgreSQL database revokes a token or
// changes an account, rather than up to store.TokenCacheTTL later. On
// SQLite there is one process and nothing to watch.
func (a *App) watchAuth(ctx context.Context) {
	t, err := a.DB.AuthTransport(ctx)
	if err != nil {
		a.log.Error("account changes in other processes are seen within the token cache's lifetime only", "err", err)
		return
	}
	if t == nil {
		return
	}
	delay := 100 * time.Millisecond
	for ctx.Err() == nil {
		a.DB.ForgetTokens() // changes made while not listening
		err := t.Listen(ctx, func([]byte) { a.DB.ForgetTokens() })
		if ctx.Err() != nil {
			return
		}
		a.log.Warn("listening for account changes failed; retrying", "err", err, "delay", delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, 10*time.Second)
	}
}
