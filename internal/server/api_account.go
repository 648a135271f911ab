package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/store"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

type meResponse struct {
	ID        int64   `json:"id"`
	Email     string  `json:"email"`
	Name      string  `json:"name"`
	Role      string  `json:"role"`
	ClinicIDs []int64 `json:"clinicIds"`
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	a := mustActor(r)
	writeJSON(w, http.StatusOK, meResponse{ID: a.UserID, Email: a.Email, Name: a.Name, Role: string(a.Role), ClinicIDs: a.ClinicIDs}, "")
	return nil
}

type tokenJSON struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"userId"`
	Email      string     `json:"email"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
}

func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request) error {
	a := mustActor(r)
	userID := a.UserID
	if a.Role == ketacare.RoleAdmin {
		userID = 0
	}
	ts, err := s.db.Tokens(r.Context(), userID)
	if err != nil {
		return err
	}
	out := []tokenJSON{}
	for _, t := range ts {
		out = append(out, tokenJSON(t))
	}
	writeJSON(w, http.StatusOK, out, "")
	return nil
}

func (s *Server) apiTokenRevoke(w http.ResponseWriter, r *http.Request) error {
	a := mustActor(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if a.Role != ketacare.RoleAdmin {
		ts, err := s.db.Tokens(r.Context(), a.UserID)
		if err != nil {
			return err
		}
		if !ownsToken(ts, id) {
			return notFoundError("Token")
		}
	}
	if err := s.db.RevokeToken(r.Context(), a, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func ownsToken(ts []store.APIToken, id int64) bool {
	for _, t := range ts {
		if t.ID == id {
			return true
		}
	}
	return false
}
