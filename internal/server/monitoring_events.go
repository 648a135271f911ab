package server

import (
	"net/http"

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
	if err := live.Stream(r.Context(), w, sub, live.DefaultHeartbeat); err != nil {
		s.log.Debug("event stream ended", "request_id", requestID(r), "err", err)
	}
	return nil
}
