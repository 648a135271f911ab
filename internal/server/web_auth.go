package server

import (
	"net/http"
	"strings"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/auth"
	"github.com/ketacare/ketacare/internal/store"
	"github.com/ketacare/ketacare/internal/web"
)

// preCSRFCookie holds the CSRF token of forms shown before sign-in.
const preCSRFCookie = "kc_csrf"

// base fills the part every page shares.
func (s *Server) base(r *http.Request, title string) web.Base {
	b := web.Base{Title: title, User: actorFrom(r)}
	if sess := sessionFrom(r); sess != nil {
		b.CSRF = sess.CSRFToken
	} else if c, err := r.Cookie(preCSRFCookie); err == nil {
		b.CSRF = c.Value
	}
	return b
}

// render writes a page with status 200, or the given status.
func (s *Server) render(w http.ResponseWriter, status int, name string, page any) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	return s.pages.Render(w, name, page)
}

func (s *Server) secure(r *http.Request) bool { return r.TLS != nil || s.cfg.SecureCookies }

// absoluteURL is a path of this server at the address patients reach it
// (see followupBaseURL), for a link staff give a patient.
func (s *Server) absoluteURL(r *http.Request, path string) string { return s.followupBaseURL(r) + path }

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
}

// ensurePreCSRF gives a signed-out browser a CSRF token for the forms it
// may post before signing in.
func (s *Server) ensurePreCSRF(w http.ResponseWriter, r *http.Request) *http.Request {
	if c, err := r.Cookie(preCSRFCookie); err == nil && len(c.Value) >= 16 {
		return r
	}
	tok := auth.RandomToken(16)
	s.setCookie(w, r, preCSRFCookie, tok)
	r2 := r.Clone(r.Context())
	r2.AddCookie(&http.Cookie{Name: preCSRFCookie, Value: tok})
	return r2
}

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	// Browsers drop tabs and newlines from a URL and read a backslash as a
	// slash, so "/\t/evil.example" or "/\\evil.example" would leave the site:
	// only a path of printable characters, without backslashes, that does
	// not start with two slashes is kept.
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsRune(next, '\\') ||
		strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "/"
	}
	return next
}

func (s *Server) webLoginForm(w http.ResponseWriter, r *http.Request) error {
	if actorFrom(r) != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	r = s.ensurePreCSRF(w, r)
	return s.render(w, http.StatusOK, "login", web.LoginPage{Base: s.base(r, "Sign in"), Next: safeNext(r.URL.Query().Get("next"))})
}

// errBadLogin is the one answer to an unknown account, a wrong password
// and a disabled account alike.
const errBadLogin = "The email address or password is not correct."

func (s *Server) webLogin(w http.ResponseWriter, r *http.Request) error {
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	password := r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	page := web.LoginPage{Base: s.base(r, "Sign in"), Email: email, Next: next}
	ctx, now := r.Context(), s.db.Now()
	acctOK, err := s.loginByAccount.allowed(ctx, email, now)
	if err != nil {
		return err
	}
	addrOK, err := s.loginByAddr.allowed(ctx, clientAddr(r), now)
	if err != nil {
		return err
	}
	if !acctOK || !addrOK {
		_ = s.db.Audit(r.Context(), store.Event{Actor: anonymous(r), Action: "login.throttled", Outcome: "denied"})
		page.Errors = web.ErrorSummary{Message: "Too many failed sign-in attempts. Wait 15 minutes and try again."}
		return s.render(w, http.StatusTooManyRequests, "login", page)
	}
	user, hash, err := s.db.UserByEmail(r.Context(), email)
	if err != nil && ketacare.ErrorCode(err) != ketacare.ENOTFOUND {
		return err
	}
	ok := auth.VerifyPassword(password, hash) // a dummy hash when the account is unknown: same work, same time
	if !ok || user.ID == 0 || user.Disabled {
		if err := s.loginByAccount.record(ctx, email, now); err != nil {
			return err
		}
		if err := s.loginByAddr.record(ctx, clientAddr(r), now); err != nil {
			return err
		}
		a := anonymous(r)
		a.UserID, a.Email = user.ID, user.Email
		if err := s.db.Audit(r.Context(), store.Event{Actor: a, Action: "login.failed", Outcome: "denied"}); err != nil {
			return err
		}
		page.Errors = web.ErrorSummary{Message: errBadLogin}
		return s.render(w, http.StatusUnauthorized, "login", page)
	}
	if err := s.loginByAccount.reset(ctx, email); err != nil {
		return err
	}
	// A new session id at every sign-in: a session fixed before it is useless.
	if c, err := r.Cookie(sessionCookie); err == nil {
		_ = s.db.DeleteSession(r.Context(), auth.HashToken(c.Value))
	}
	id := auth.NewSessionID()
	if err := s.db.CreateSession(r.Context(), store.AuthSession{IDHash: auth.HashToken(id), UserID: user.ID, CSRFToken: auth.RandomToken(16)}); err != nil {
		return err
	}
	a := anonymous(r)
	a.UserID, a.Email, a.Role = user.ID, user.Email, user.Role
	if err := s.db.Audit(r.Context(), store.Event{Actor: a, Action: "login"}); err != nil {
		return err
	}
	s.setCookie(w, r, sessionCookie, id)
	s.clearCookie(w, r, preCSRFCookie)
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Server) webLogout(w http.ResponseWriter, r *http.Request) error {
	if sess := sessionFrom(r); sess != nil {
		if err := s.db.DeleteSession(r.Context(), sess.IDHash); err != nil {
			return err
		}
	}
	if err := s.db.Audit(r.Context(), store.Event{Actor: mustActor(r), Action: "logout"}); err != nil {
		return err
	}
	s.clearCookie(w, r, sessionCookie)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func (s *Server) webHome(w http.ResponseWriter, r *http.Request) error {
	a := mustActor(r)
	clinics, err := s.db.Clinics(r.Context())
	if err != nil {
		return err
	}
	var names []string
	for _, c := range clinics {
		if a.InClinic(c.ID) {
			names = append(names, c.Name)
		}
	}
	return s.render(w, http.StatusOK, "home", web.HomePage{Base: s.base(r, "Start"), ClinicNames: names})
}
