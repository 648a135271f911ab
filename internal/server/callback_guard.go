package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/store"
)

// Abuse protection of the public callback form and its JSON endpoint. These
// are settings of the service, not clinical numbers: the form's minimum and
// maximum age, and the per-number limit that applies whenever the public
// limits are on.
const (
	callbackMinFill      = 3 * time.Second
	callbackMaxFormAge   = 24 * time.Hour
	callbackNumberLimit  = 5
	callbackNumberWindow = time.Hour
	callbackCheckEvery   = 30 * time.Second
)

// callbackGuard holds the per-address limit of public submissions and the
// form-signing key (read once from the database, shared by every process).
type callbackGuard struct {
	perMinute int
	byAddr    limit

	mu  sync.Mutex
	key []byte
}

func newCallbackGuard(db *store.DB, perMinute int) *callbackGuard {
	return &callbackGuard{perMinute: perMinute, byAddr: limit{db: db, name: "callback-address", max: perMinute, window: time.Minute}}
}

// limited reports whether the public limits are on.
func (g *callbackGuard) limited() bool { return g.perMinute > 0 }

// allowAddr counts a public submission from addr and reports whether it is
// within the per-address limit.
func (g *callbackGuard) allowAddr(ctx context.Context, addr string, now time.Time) (bool, error) {
	if !g.limited() {
		return true, nil
	}
	ok, err := g.byAddr.allowed(ctx, addr, now)
	if err != nil || !ok {
		return false, err
	}
	return true, g.byAddr.record(ctx, addr, now)
}

func (s *Server) callbackKey(ctx context.Context) ([]byte, error) {
	g := s.callbacks
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.key != nil {
		return g.key, nil
	}
	k, err := s.db.CallbackFormKey(ctx)
	if err != nil {
		return nil, err
	}
	g.key = k
	return k, nil
}

// signFormStart returns the hidden "started" value of a public form shown
// at t: the time and its HMAC.
func signFormStart(key []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, key)
	m.Write([]byte("callback-form|" + ts))
	return ts + "." + hex.EncodeToString(m.Sum(nil))
}

// formAge checks a "started" value and returns how long ago the form was
// shown; ok is false when it is missing, forged or from the future.
func formAge(key []byte, v string, now time.Time) (time.Duration, bool) {
	ts, sig, found := strings.Cut(v, ".")
	if !found || len(ts) > 20 {
		return 0, false
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, false
	}
	want := signFormStart(key, time.Unix(sec, 0))
	if !hmac.Equal([]byte(want), []byte(ts+"."+sig)) {
		return 0, false
	}
	age := now.Sub(time.Unix(sec, 0))
	if age < -time.Minute {
		return 0, false
	}
	return age, true
}

// checkOrigin refuses a public submission whose Origin (or, without one,
// Referer) names another site. A request with neither, or with the opaque
// "null" origin and no Referer, is let through to the other checks.
func checkOrigin(r *http.Request) error {
	host := strings.ToLower(r.Host)
	fwd := strings.ToLower(strings.TrimSpace(strings.Split(r.Header.Get("X-Forwarded-Host"), ",")[0]))
	same := func(raw string) bool {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return false
		}
		h := strings.ToLower(u.Host)
		return h == host || (fwd != "" && h == fwd)
	}
	refuse := ketacare.Errorf(ketacare.EFORBIDDEN, "This request did not come from the ketacare callback page. "+
		"Open the callback page on this site and send your request from there.")
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		if !same(o) {
			return refuse
		}
		return nil
	}
	if ref := r.Header.Get("Referer"); ref != "" && !same(ref) {
		return refuse
	}
	return nil
}

// CallbackChecks runs the callback service's background check until ctx
// ends: expired leases return to the queue and missed first-attempt
// targets are escalated to the on-call lead's board. Every process runs
// it; the changes are conditional, so running it twice changes nothing.
func (s *Server) CallbackChecks(ctx context.Context) {
	t := time.NewTicker(callbackCheckEvery)
	defer t.Stop()
	for {
		s.callbackCheck(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) callbackCheck(ctx context.Context) {
	sw, err := s.db.SweepCallbacks(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("callback check", "err", err)
		}
		return
	}
	if len(sw.Breached) > 0 {
		s.log.Warn("callback first-attempt targets missed; on-call lead alerted", "requests", len(sw.Breached))
	}
	if sw.LeasesExpired > 0 {
		s.log.Info("callback leases expired", "requests", sw.LeasesExpired)
	}
}

// callbackNumberGuard is the per-number limit of a public submission.
func (s *Server) callbackNumberGuard(g *store.SubmitGuard) {
	if s.callbacks.limited() {
		g.NumberLimit, g.NumberWindow = callbackNumberLimit, callbackNumberWindow
	}
}
