package server

import (
	"fmt"
	"net/http"
	"time"

	"github.com/ketacare/ketacare/internal/auth"
	"github.com/ketacare/ketacare/internal/store"
)

// linkRoutes list and withdraw the single-use links made for patients
// (screening, consent, check-ins).
func (s *Server) linkRoutes() []Route {
	return []Route{
		{Method: "POST", Path: "/links/{id}/revoke", Policy: auth.Clinical, Surface: Web, Handle: s.webLinkRevoke},
		{Method: "GET", Path: "/api/v1/patients/{id}/links", Policy: auth.Clinical, Surface: API, Handle: s.apiLinkList,
			Doc: &OpDoc{Summary: "The links made for a patient, newest first, with their state (never their addresses, shown only when made)", Response: []linkStateJSON{}}},
		{Method: "POST", Path: "/api/v1/links/{id}/revoke", Policy: auth.Clinical, Surface: API, Handle: s.apiLinkRevoke,
			Doc: &OpDoc{Summary: "Withdraw a link that was not used yet (sent to the wrong address, say): it then opens nothing and its page says the clinic withdrew it. " +
				"Withdrawing it again changes nothing; a used link answers 409", Response: linkStateJSON{}}},
	}
}

// linkStateJSON is a link as listed: what it is for and whether it can
// still be used.
type linkStateJSON struct {
	ID        int64      `json:"id"`
	Purpose   string     `json:"purpose"`
	CreatedAt time.Time  `json:"createdAt"`
	ExpiresAt time.Time  `json:"expiresAt"`
	UsedAt    *time.Time `json:"usedAt,omitempty"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
	State     string     `json:"state" doc:"open, used, withdrawn or expired"`
}

// linkState names a link's state at now.
func linkState(l store.PatientLink, now time.Time) string {
	switch {
	case l.UsedAt != nil:
		return "used"
	case l.RevokedAt != nil:
		return "withdrawn"
	case !now.Before(l.ExpiresAt):
		return "expired"
	}
	return "open"
}

func linkStateOut(l store.PatientLink, now time.Time) linkStateJSON {
	return linkStateJSON{ID: l.ID, Purpose: l.Purpose, CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt, UsedAt: l.UsedAt, RevokedAt: l.RevokedAt,
		State: linkState(l, now)}
}

func (s *Server) apiLinkList(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	links, err := s.db.PatientLinks(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	now := s.db.Now()
	out := []linkStateJSON{}
	for _, l := range links {
		out = append(out, linkStateOut(l, now))
	}
	writeJSON(w, http.StatusOK, out, "")
	return nil
}

// revokeLink withdraws the link the path names.
func (s *Server) revokeLink(r *http.Request) (store.PatientLink, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return store.PatientLink{}, err
	}
	return s.db.RevokePatientLink(r.Context(), mustActor(r), id)
}

func (s *Server) apiLinkRevoke(w http.ResponseWriter, r *http.Request) error {
	l, err := s.revokeLink(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, linkStateOut(l, s.db.Now()), "")
	return nil
}

// webLinkRevoke withdraws a link from the screening page's list and goes
// back to it.
func (s *Server) webLinkRevoke(w http.ResponseWriter, r *http.Request) error {
	l, err := s.revokeLink(r)
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/patients/%d/screening#links", l.PatientID), http.StatusSeeOther)
	return nil
}
