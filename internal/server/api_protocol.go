package server

import (
	"net/http"
	"time"

	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/store"
)

type protocolJSON struct {
	Version   int               `json:"version"`
	Reason    string            `json:"reason"`
	Author    string            `json:"author"`
	CreatedAt time.Time         `json:"createdAt"`
	Protocol  clinical.Protocol `json:"protocol"`
}

type protocolInput struct {
	Protocol clinical.Protocol `json:"protocol"`
	Reason   string            `json:"reason"`
}

func toProtocolJSON(v store.ProtocolVersion) protocolJSON {
	return protocolJSON{Version: v.Version, Reason: v.Reason, Author: v.Author, CreatedAt: v.CreatedAt, Protocol: v.Protocol}
}

func (s *Server) apiProtocolCurrent(w http.ResponseWriter, r *http.Request) error {
	v, err := s.db.CurrentProtocol(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toProtocolJSON(v), "")
	return nil
}

func (s *Server) apiProtocolHistory(w http.ResponseWriter, r *http.Request) error {
	vs, err := s.db.ProtocolHistory(r.Context())
	if err != nil {
		return err
	}
	out := make([]protocolJSON, len(vs))
	for i, v := range vs {
		out[i] = toProtocolJSON(v)
	}
	writeJSON(w, http.StatusOK, out, "")
	return nil
}

func (s *Server) apiProtocolSave(w http.ResponseWriter, r *http.Request) error {
	var in protocolInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	v, err := s.db.SaveProtocol(r.Context(), mustActor(r), in.Protocol, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toProtocolJSON(v), "")
	return nil
}
