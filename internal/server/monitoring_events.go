package server

import (
	"context"
	"net/http"
	"time"

	"github.com/ketacare/ketacare"

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
	return s.streamEvents(w, r, live.ClinicTopic(id))
}

// apiSessionEvents streams the live events of one session.
func (s *Server) apiSessionEvents(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, _, err := s.mon.Session(r.Context(), mustActor(r), id); err != nil {
		return err
	}
	return s.streamEvents(w, r, live.SessionTopic(id))
}

func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request, t live.Topic) error {
	sub, err := s.mon.Broker().Subscribe(t, 0)
	if err != nil {
		return err
	}
	defer sub.Close()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go s.endStreamWhenDisabled(ctx, cancel, mustActor(r).UserID, requestID(r))
	if err := live.Stream(ctx, w, sub, live.DefaultHeartbeat); err != nil {
		s.log.Debug("event stream ended", "request_id", requestID(r), "err", err)
	}
	return nil
}

// endStreamWhenDisabled ends a long-lived stream once its account is
// disabled or gone: access ends for live boards as for every other request.
func (s *Server) endStreamWhenDisabled(ctx context.Context, cancel context.CancelFunc, userID int64, reqID string) {
	t := time.NewTicker(s.cfg.StreamRecheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			u, err := s.db.User(ctx, userID)
			if ctx.Err() != nil {
				return
			}
			if (err != nil && ketacare.ErrorCode(err) == ketacare.ENOTFOUND) || (err == nil && u.Disabled) {
				s.log.Info("event stream ended: account disabled", "request_id", reqID)
				cancel()
				return
			}
		}
	}
}
