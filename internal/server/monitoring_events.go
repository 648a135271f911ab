package server

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ketacare/ketacare"

	"github.com/ketacare/ketacare/internal/auth"
	"github.com/ketacare/ketacare/internal/live"
	"github.com/ketacare/ketacare/internal/store"
)

// apiClinicEvents streams every live event of a clinic the actor works in
// as server-sent events: what a live board listens to.
func (s *Server) apiClinicEvents(w http.ResponseWriter, r *http.Request) error {
	a := mustActor(r)
	id, err := clinicOf(r, a)
	if err != nil {
		_ = s.db.Audit(r.Context(), store.Event{Actor: a, Action: "board.subscribe", Outcome: "denied", Detail: "clinic " + r.PathValue("id")})
		return err
	}
	if err := s.db.Audit(r.Context(), store.Event{Actor: a, Action: "board.subscribe", ClinicID: id}); err != nil {
		return err
	}
	return s.streamEvents(w, r, live.ClinicTopic(id), id)
}

// apiSessionEvents streams the live events of one session.
func (s *Server) apiSessionEvents(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	sess, _, err := s.mon.Session(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	return s.streamEvents(w, r, live.SessionTopic(id), sess.ClinicID)
}

func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request, t live.Topic, clinicID int64) error {
	sub, err := s.mon.Broker().Subscribe(t, 0)
	if err != nil {
		return err
	}
	defer sub.Close()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go s.endStreamWhenRefused(ctx, cancel, r, clinicID)
	if err := live.Stream(ctx, w, sub, live.DefaultHeartbeat); err != nil {
		s.log.Debug("event stream ended", "request_id", requestID(r), "err", err)
	}
	return nil
}

// endStreamWhenRefused ends a long-lived stream, at its next re-check, once
// the request would no longer be let in: the token revoked, the session
// signed out or expired, the account disabled or gone, or the account no
// longer working in the clinic the stream shows. Access ends for live
// boards as for every other request. A database that does not answer for a
// moment does not end it.
func (s *Server) endStreamWhenRefused(ctx context.Context, cancel context.CancelFunc, r *http.Request, clinicID int64) {
	t := time.NewTicker(s.cfg.StreamRecheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			u, err := s.credentialUser(ctx, r)
			if ctx.Err() != nil {
				return
			}
			why := ""
			switch code := ketacare.ErrorCode(err); {
			case err == nil && u.Disabled:
				why = "account disabled"
			case err == nil && !slices.Contains(u.ClinicIDs, clinicID):
				why = "no longer in the clinic"
			case code == ketacare.EUNAUTHORIZED || code == ketacare.ENOTFOUND:
				why = "signed out, token revoked or account gone"
			}
			if why != "" {
				s.log.Info("event stream ended: "+why, "request_id", requestID(r))
				cancel()
				return
			}
		}
	}
}

// credentialUser looks up again the account of the credential the request
// came with: its bearer token, or its session cookie.
func (s *Server) credentialUser(ctx context.Context, r *http.Request) (ketacare.User, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		token, _ := strings.CutPrefix(h, "Bearer ")
		return s.db.TokenUser(ctx, auth.HashToken(strings.TrimSpace(token)))
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return ketacare.User{}, ketacare.Errorf(ketacare.EUNAUTHORIZED, "Please sign in.")
	}
	_, u, err := s.db.SessionUser(ctx, auth.HashToken(c.Value), s.cfg.SessionIdle, s.cfg.SessionMax)
	return u, err
}
