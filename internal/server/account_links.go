package server

import (
	"fmt"
	"net/http"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/auth"
	"github.com/ketacare/ketacare/internal/store"
	"github.com/ketacare/ketacare/internal/web"
)

// accountLinkRoutes let a patient choose the password of their account
// through a link, so that staff never know it.
func (s *Server) accountLinkRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/account/{token}", Policy: auth.Public, Surface: Web, Handle: s.webAccountPasswordForm},
		{Method: "POST", Path: "/account/{token}", Policy: auth.Public, Surface: Web, Handle: s.webAccountPassword},
		{Method: "POST", Path: "/patients/{id}/account/link", Policy: auth.Clinical, Surface: Web, Handle: s.webAccountLinkCreate},
		{Method: "POST", Path: "/api/v1/patients/{id}/account/link", Policy: auth.Clinical, Surface: API, Handle: s.apiAccountLinkCreate,
			Doc: &OpDoc{Summary: "A new link with which the patient chooses the password of their account (a forgotten one, or a first link that expired); " +
				"earlier account links still open are withdrawn. The URL is returned only now", Response: linkJSON{}, Status: 201}},
	}
}

// accountLink is an account link just made: the path holds its token.
type accountLink struct {
	store.PatientLink
	URL string // the patient's page, a path
}

func accountPath(token string) string { return "/account/" + token }

func (s *Server) inviteAccount(r *http.Request, patientID int64) (*accountLink, error) {
	token, l, err := s.db.InvitePatientAccount(r.Context(), mustActor(r), patientID)
	if err != nil {
		return nil, err
	}
	return &accountLink{PatientLink: l, URL: accountPath(token)}, nil
}

// renderAccountLink shows staff the link to give the patient.
func (s *Server) renderAccountLink(w http.ResponseWriter, r *http.Request, patientID int64, link *accountLink) error {
	p, err := s.db.Patient(r.Context(), mustActor(r), patientID)
	if err != nil {
		return err
	}
	page := web.LinkCreatedPage{Base: s.base(r, "Link for the patient"), Patient: p, Purpose: store.PurposeAccount, URL: s.absoluteURL(r, link.URL),
		ExpiresAt: link.ExpiresAt, BackURL: fmt.Sprintf("/patients/%d/timeline", patientID)}
	page.Nav = "patients"
	return s.render(w, http.StatusCreated, "link_created", page)
}

// inviteFromPath makes an account link for the patient the path names.
func (s *Server) inviteFromPath(r *http.Request) (int64, *accountLink, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return 0, nil, err
	}
	link, err := s.inviteAccount(r, id)
	return id, link, err
}

func (s *Server) webAccountLinkCreate(w http.ResponseWriter, r *http.Request) error {
	id, link, err := s.inviteFromPath(r)
	if err != nil {
		return err
	}
	return s.renderAccountLink(w, r, id, link)
}

func (s *Server) apiAccountLinkCreate(w http.ResponseWriter, r *http.Request) error {
	_, link, err := s.inviteFromPath(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, linkJSON{ID: link.ID, Purpose: link.Purpose, URL: link.URL, ExpiresAt: link.ExpiresAt}, "")
	return nil
}

// accountLinkAccount checks an account link without using it and returns
// the account's email.
func (s *Server) accountLinkAccount(r *http.Request) (string, error) {
	l, err := s.db.OpenPatientLink(r.Context(), r.PathValue("token"), store.PurposeAccount, clientAddr(r), requestID(r))
	if err != nil {
		return "", err
	}
	u, ok, err := s.db.PatientAccount(r.Context(), l.PatientID)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", &store.LinkGoneError{Revoked: true} // the account was removed since
	}
	return u.Email, nil
}

func (s *Server) webAccountPasswordForm(w http.ResponseWriter, r *http.Request) error {
	email, err := s.accountLinkAccount(r)
	if err != nil {
		return s.linkProblem(w, r, err)
	}
	r = s.ensurePreCSRF(w, r)
	return s.render(w, http.StatusOK, "account_password", web.AccountPasswordPage{Base: s.base(r, "Choose your password"), Email: email})
}

func (s *Server) webAccountPassword(w http.ResponseWriter, r *http.Request) error {
	email, err := s.accountLinkAccount(r)
	if err != nil {
		return s.linkProblem(w, r, err)
	}
	page := web.AccountPasswordPage{Base: s.base(r, "Choose your password"), Email: email}
	password := r.PostFormValue("password")
	fields := map[string]string{}
	if err := auth.CheckPassword(password, email); err != nil {
		fields["password"] = ketacare.ErrorMessage(err)
	} else if r.PostFormValue("confirm") != password {
		fields["confirm"] = "Type the same password twice."
	}
	if len(fields) > 0 {
		page.Errors = web.ErrorSummary{Fields: fields}
		return s.render(w, http.StatusBadRequest, "account_password", page)
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	if _, err := s.db.SetPatientPassword(r.Context(), r.PathValue("token"), hash, clientAddr(r), requestID(r)); err != nil {
		return s.linkProblem(w, r, err)
	}
	page.Done = true
	page.Title = "Your password is set"
	return s.render(w, http.StatusOK, "account_password", page)
}
