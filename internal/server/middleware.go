package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/auth"
	"github.com/ketacare/ketacare/internal/store"
)

type ctxKey int

const requestInfoKey ctxKey = 0

// requestInfo is what the middleware learns of a request: its id, then who
// is calling. It is put in the request's context once (withRequestID) and
// filled in by authenticate, before the handler runs.
type requestInfo struct {
	id      string
	actor   *ketacare.Actor
	session *store.AuthSession
}

func infoFrom(r *http.Request) *requestInfo {
	info, _ := r.Context().Value(requestInfoKey).(*requestInfo)
	return info
}

// withInfo returns r with a requestInfo in its context, and the info.
func withInfo(r *http.Request) (*http.Request, *requestInfo) {
	if info := infoFrom(r); info != nil {
		return r, info
	}
	info := &requestInfo{}
	return r.WithContext(context.WithValue(r.Context(), requestInfoKey, info)), info
}

// actorFrom returns the signed-in actor, or nil.
func actorFrom(r *http.Request) *ketacare.Actor {
	if info := infoFrom(r); info != nil {
		return info.actor
	}
	return nil
}

// mustActor returns the signed-in actor of a route whose policy requires
// one.
func mustActor(r *http.Request) ketacare.Actor {
	if a := actorFrom(r); a != nil {
		return *a
	}
	panic("server: route without a signed-in actor reached a handler that needs one")
}

func sessionFrom(r *http.Request) *store.AuthSession {
	if info := infoFrom(r); info != nil {
		return info.session
	}
	return nil
}

func requestID(r *http.Request) string {
	if info := infoFrom(r); info != nil {
		return info.id
	}
	return ""
}

// clientAddr is the client's IP address.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// anonymous is the actor for audit entries of requests without a sign-in.
func anonymous(r *http.Request) ketacare.Actor {
	return ketacare.Actor{ClientAddr: clientAddr(r), RequestID: requestID(r)}
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !requestIDPattern.MatchString(id) {
			id = auth.RandomToken(9)
		}
		w.Header().Set("X-Request-Id", id)
		r, info := withInfo(r)
		info.id = id
		next.ServeHTTP(w, r)
	})
}

// statusWriter records the status code and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	size   int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.size += n
	return n, err
}

// Flush lets server-sent events through.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe logs each request and records its metrics by route pattern. Logs
// carry the request id, the route pattern (never the path with its ids or
// the query), status and duration: no patient data, no secrets.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		d := time.Since(start)
		pattern := r.Pattern
		if pattern == "" || pattern == "/" {
			pattern = "unmatched"
		}
		s.metrics.observe(pattern, sw.status, d)
		if strings.HasPrefix(pattern, "GET /static/") || pattern == "GET /healthz" || pattern == "GET /metrics" {
			return
		}
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelError
		}
		s.log.LogAttrs(r.Context(), level, "request", slog.String("request_id", requestID(r)), slog.String("route", pattern),
			slog.Int("status", sw.status), slog.Int("bytes", sw.size), slog.Duration("duration", d))
	})
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "request_id", requestID(r), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				http.Error(w, "Internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// securityHeaders are set on every response. Nothing is cached unless a
// handler says otherwise (static files do): pages and API answers carry
// patient data. API and FHIR answers, which are never documents, get the
// headers that matter for an API (OWASP's REST guidance): a policy that
// loads nothing and cannot be framed, no sniffing, no caching, no referrer.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		values := pageSecurityHeaders
		if p := r.URL.Path; strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/fhir/") {
			values = apiSecurityHeaders
		}
		h := w.Header()
		for _, sh := range values {
			h[sh.key] = sh.value
		}
		next.ServeHTTP(w, r)
	})
}

// sharedHeader is a header set on every response of a kind. Its value is
// shared between responses, as a one-element slice of capacity one: a
// handler that sets or adds to it gets a new slice, so the shared one is
// never written to.
type sharedHeader struct {
	key   string
	value []string
}

func sharedHeaders(headers ...[2]string) []sharedHeader {
	out := make([]sharedHeader, len(headers))
	for i, h := range headers {
		out[i] = sharedHeader{key: http.CanonicalHeaderKey(h[0]), value: []string{h[1]}[:1:1]}
	}
	return out
}

var (
	pageSecurityHeaders = sharedHeaders(
		[2]string{"Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
			"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"},
		[2]string{"X-Content-Type-Options", "nosniff"},
		[2]string{"Referrer-Policy", "no-referrer"},
		[2]string{"X-Frame-Options", "DENY"},
		[2]string{"Cross-Origin-Opener-Policy", "same-origin"},
		[2]string{"Permissions-Policy", "camera=(), microphone=(), geolocation=()"},
		[2]string{"Cache-Control", "no-store"},
	)
	// apiSecurityHeaders are five, so that with the request id, the
	// content type and length an answer's header map stays within one
	// group of eight entries.
	apiSecurityHeaders = sharedHeaders(
		[2]string{"Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"},
		[2]string{"X-Content-Type-Options", "nosniff"},
		[2]string{"Referrer-Policy", "no-referrer"},
		[2]string{"X-Frame-Options", "DENY"},
		[2]string{"Cache-Control", "no-store"},
	)
)

const sessionCookie = "kc_session"

// wrap puts one route behind its policy: who the caller is (session cookie
// or bearer token), whether the policy lets them in (denials audited), the
// CSRF check on unsafe methods, and idempotency for create endpoints.
func (s *Server) wrap(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, err := s.authenticate(w, r, rt)
		if err == nil {
			err = s.authorize(r, rt)
		}
		if err == nil && rt.Surface != Bare && unsafeMethod(r.Method) {
			err = s.checkCSRF(r, rt)
		}
		var link *statusWriter
		if err == nil && linkRoute(rt) && s.linkMisses.max > 0 {
			// An address that tried too many unknown link tokens is refused
			// for a while; each answer "not found" counts.
			if ok, lerr := s.linkMisses.allowed(r.Context(), clientAddr(r), time.Now()); lerr == nil && !ok {
				err = ketacare.Errorf(ketacare.ETOOMANY, "Too many links that do not work were tried from here. Wait a minute, then check the link in your message.")
			}
			link = &statusWriter{ResponseWriter: w}
			w = link
		}
		if err == nil {
			if rt.Idempotent && r.Header.Get("Idempotency-Key") != "" {
				err = s.idempotent(w, r, rt.Handle)
			} else {
				err = rt.Handle(w, r)
			}
		}
		if link != nil && (link.status == http.StatusNotFound || ketacare.ErrorCode(err) == ketacare.ENOTFOUND) {
			_ = s.linkMisses.record(r.Context(), clientAddr(r), time.Now())
		}
		if err != nil {
			s.renderError(w, r, rt.Surface, err)
		}
	})
}

// linkRoute reports whether a route is opened by a patient link: public,
// with the link's token in its path.
func linkRoute(rt Route) bool {
	return rt.Policy.IsPublic() && strings.Contains(rt.Path, "{token}")
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// authenticate finds the caller from a bearer token or the session cookie
// and puts the actor in the request's context.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, rt Route) (*http.Request, error) {
	if rt.Policy.IsPublic() && rt.Surface == Bare {
		return r, nil
	}
	var user ketacare.User
	var sess *store.AuthSession
	if h := r.Header.Get("Authorization"); h != "" {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return r, ketacare.Errorf(ketacare.EUNAUTHORIZED, "Authorization must be a Bearer token.")
		}
		u, err := s.db.TokenUser(r.Context(), auth.HashToken(strings.TrimSpace(token)))
		if err != nil {
			if ketacare.ErrorCode(err) == ketacare.EUNAUTHORIZED {
				_ = s.db.Audit(r.Context(), store.Event{Actor: anonymous(r), Action: "token.refused", Outcome: "denied", Detail: rt.Method + " " + rt.Path})
			}
			return r, err
		}
		user = u
	} else if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		st, u, err := s.db.SessionUser(r.Context(), auth.HashToken(c.Value), s.cfg.SessionIdle, s.cfg.SessionMax)
		switch ketacare.ErrorCode(err) {
		case "":
			user, sess = u, &st
		case ketacare.EUNAUTHORIZED:
			s.clearCookie(w, r, sessionCookie)
			return r, nil // signed out: public routes still work
		default:
			return r, err
		}
	} else {
		return r, nil
	}
	r, info := withInfo(r)
	info.actor = &ketacare.Actor{UserID: user.ID, Email: user.Email, Name: user.Name, Role: user.Role, ClinicIDs: user.ClinicIDs,
		PatientID: user.PatientID, ClientAddr: clientAddr(r), RequestID: info.id}
	info.session = sess
	return r, nil
}

// authorize applies the route's policy; every refusal is audited.
func (s *Server) authorize(r *http.Request, rt Route) error {
	if rt.Policy.IsPublic() {
		return nil
	}
	a := actorFrom(r)
	if a == nil {
		if rt.Surface == API || rt.Surface == FHIR {
			_ = s.db.Audit(r.Context(), store.Event{Actor: anonymous(r), Action: "http.unauthenticated", Outcome: "denied", Detail: rt.Method + " " + rt.Path})
		}
		return ketacare.Errorf(ketacare.EUNAUTHORIZED, "Please sign in.")
	}
	if !rt.Policy.Allows(a.Role) {
		if err := s.db.Audit(r.Context(), store.Event{Actor: *a, Action: "http.forbidden", Outcome: "denied", Detail: rt.Method + " " + rt.Path}); err != nil {
			return err
		}
		return ketacare.Errorf(ketacare.EFORBIDDEN, "Your role (%s) may not do this.", a.Role)
	}
	return nil
}

// checkCSRF requires the session's CSRF token on every unsafe request made
// with a session cookie: as the form field csrf_token or the X-CSRF-Token
// header. Before sign-in (the login form), a cookie holds the token. Bearer
// token requests and API requests without a session carry no ambient
// credentials and need none.
func (s *Server) checkCSRF(r *http.Request, rt Route) error {
	if r.Header.Get("Authorization") != "" {
		return nil
	}
	if rt.Surface == API && sessionFrom(r) == nil {
		return nil // no cookie session: no ambient credentials to forge a request with
	}
	want := ""
	if sess := sessionFrom(r); sess != nil {
		want = sess.CSRFToken
	} else if c, err := r.Cookie(preCSRFCookie); err == nil {
		want = c.Value
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" && rt.Surface == Web {
		r.Body = http.MaxBytesReader(nil, r.Body, maxFormBytes)
		got = r.PostFormValue("csrf_token")
	}
	if want == "" || !auth.EqualTokens(got, want) {
		a := anonymous(r)
		if x := actorFrom(r); x != nil {
			a = *x
		}
		_ = s.db.Audit(r.Context(), store.Event{Actor: a, Action: "http.csrf", Outcome: "denied", Detail: rt.Method + " " + rt.Path})
		return ketacare.Errorf(ketacare.EFORBIDDEN, "The form has expired or did not come from ketacare. Go back, reload the page and try again.")
	}
	return nil
}

const maxFormBytes = 1 << 20

// bufferedWriter holds a response so it can be stored before it is sent.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }
func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}
func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// idempotent runs a create handler once per Idempotency-Key: a retry with
// the same key and body gets the first response and creates nothing; the
// same key with another body is refused with 422. The key is claimed by
// the handler's first write transaction, together with what it writes
// (store.WithIdempotencyKey), and the response is recorded after it.
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, h HandlerFunc) error {
	a := mustActor(r)
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 200 {
		return ketacare.Errorf(ketacare.EINVALID, "Idempotency-Key must be 200 characters or fewer.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxFormBytes))
	if err != nil {
		return ketacare.Errorf(ketacare.EINVALID, "The request body is too large.")
	}
	sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))
	ctx, claim := store.WithIdempotencyKey(r.Context(), a.UserID, key, hex.EncodeToString(sum[:]))
	r2 := r.WithContext(ctx)
	r2.Body = io.NopCloser(bytes.NewReader(body))
	buf := &bufferedWriter{header: w.Header()}
	herr := h(buf, r2)
	if replay := (*store.Replayed)(nil); errors.As(herr, &replay) {
		stored := replay.Response
		w.Header().Set("Content-Type", stored.ContentType)
		if stored.Location != "" {
			w.Header().Set("Location", stored.Location)
		}
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(stored.Status)
		_, err := io.WriteString(w, stored.Body)
		return err
	}
	status := buf.status
	if herr != nil {
		status = 500 // frees the key; the error is rendered by the caller
	}
	// The response is recorded after the work is committed, without
	// holding the answer back. If recording fails, a retry is told that
	// the request is in progress (after ten minutes, that its answer was
	// lost) rather than repeating the work.
	done := s.db.FinishIdempotent(context.WithoutCancel(r.Context()), claim,
		store.StoredResponse{Status: status, ContentType: w.Header().Get("Content-Type"), Location: w.Header().Get("Location"), Body: buf.body.String()})
	rid := requestID(r)
	go func() {
		if err := <-done; err != nil {
			s.log.Error("recording idempotent response", "request_id", rid, "err", err)
		}
	}()
	if herr != nil {
		return herr
	}
	w.WriteHeader(buf.status)
	_, err = buf.body.WriteTo(w)
	return err
}
