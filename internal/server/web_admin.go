package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/auth"
	"github.com/ketacare/ketacare/internal/store"
	"github.com/ketacare/ketacare/internal/web"
)

func (s *Server) clinicsPage(r *http.Request, name string, err error) (web.ClinicsPage, error) {
	cs, cerr := s.db.Clinics(r.Context())
	p := web.ClinicsPage{Base: s.base(r, "Clinics"), Clinics: cs, Name: name, Errors: web.ErrorSummary{Fields: ketacare.ErrorFields(err)}}
	p.Nav = "clinics"
	return p, cerr
}

func (s *Server) webClinics(w http.ResponseWriter, r *http.Request) error {
	p, err := s.clinicsPage(r, "", nil)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "admin_clinics", p)
}

func (s *Server) webClinicCreate(w http.ResponseWriter, r *http.Request) error {
	name := r.PostFormValue("name")
	_, err := s.db.CreateClinic(r.Context(), mustActor(r), name)
	if code := ketacare.ErrorCode(err); code == ketacare.EINVALID || code == ketacare.ECONFLICT {
		p, perr := s.clinicsPage(r, name, err)
		if perr != nil {
			return perr
		}
		return s.render(w, statusByCode[code], "admin_clinics", p)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/clinics", http.StatusSeeOther)
	return nil
}

func (s *Server) usersPage(r *http.Request, form web.UserForm, err error) (web.UsersPage, error) {
	ctx := r.Context()
	users, err1 := s.db.Users(ctx)
	clinics, err2 := s.db.Clinics(ctx)
	p := web.UsersPage{Base: s.base(r, "Staff accounts"), Users: users, Clinics: clinics, ClinicNames: map[int64]string{},
		Roles: ketacare.Roles, Form: form, Errors: web.ErrorSummary{Fields: ketacare.ErrorFields(err)}}
	if err != nil && len(p.Errors.Fields) == 0 {
		p.Errors.Message = ketacare.ErrorMessage(err)
	}
	for _, c := range clinics {
		p.ClinicNames[c.ID] = c.Name
	}
	p.Nav = "users"
	if err1 != nil {
		return p, err1
	}
	return p, err2
}

func (s *Server) webUsers(w http.ResponseWriter, r *http.Request) error {
	p, err := s.usersPage(r, web.UserForm{Role: "nurse"}, nil)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "admin_users", p)
}

func (s *Server) webUserCreate(w http.ResponseWriter, r *http.Request) error {
	clinicID, _ := strconv.ParseInt(r.PostFormValue("clinic"), 10, 64)
	form := web.UserForm{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Role: r.PostFormValue("role"), ClinicID: clinicID}
	password := r.PostFormValue("password")
	err := auth.CheckPassword(password, form.Email)
	if err == nil && ketacare.Role(form.Role) == ketacare.RolePatient {
		err = &ketacare.Error{Code: ketacare.EINVALID, Message: "Patient accounts are created from the patient's record.",
			Fields: map[string]string{"role": "Choose a staff role."}}
	}
	if err == nil {
		var hash string
		if hash, err = auth.HashPassword(password); err != nil {
			return err
		}
		var clinics []int64
		if clinicID > 0 {
			clinics = []int64{clinicID}
		}
		_, err = s.db.CreateUser(r.Context(), mustActor(r), store.NewUser{Email: form.Email, Name: form.Name,
			Role: ketacare.Role(form.Role), ClinicIDs: clinics, PasswordHash: hash})
	}
	if code := ketacare.ErrorCode(err); code == ketacare.EINVALID || code == ketacare.ECONFLICT {
		p, perr := s.usersPage(r, form, err)
		if perr != nil {
			return perr
		}
		return s.render(w, statusByCode[code], "admin_users", p)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
	return nil
}

func (s *Server) webUserDisable(w http.ResponseWriter, r *http.Request) error {
	return s.setDisabled(w, r, true)
}
func (s *Server) webUserEnable(w http.ResponseWriter, r *http.Request) error {
	return s.setDisabled(w, r, false)
}

func (s *Server) setDisabled(w http.ResponseWriter, r *http.Request, disabled bool) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a := mustActor(r)
	if disabled && id == a.UserID {
		return ketacare.Errorf(ketacare.ECONFLICT, "You cannot disable your own account.")
	}
	if err := s.db.SetUserDisabled(r.Context(), a, id, disabled); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
	return nil
}

func (s *Server) webAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	form := web.AuditFilterForm{UserID: q.Get("user"), PatientID: q.Get("patient"), Action: q.Get("action"),
		Outcome: q.Get("outcome"), From: q.Get("from"), To: q.Get("to")}
	f := store.AuditFilter{Action: form.Action, Outcome: form.Outcome, Limit: 100}
	bad := map[string]string{}
	parseID := func(field, v string) int64 {
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			bad[field] = "Enter a number."
		}
		return n
	}
	parseDay := func(field, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation("2006-01-02", v, web.London)
		if err != nil {
			bad[field] = "Enter a date as YYYY-MM-DD."
		}
		return t
	}
	f.UserID = parseID("user", form.UserID)
	f.PatientID = parseID("patient", form.PatientID)
	f.From = parseDay("from", form.From)
	if to := parseDay("to", form.To); !to.IsZero() {
		f.To = to.AddDate(0, 0, 1)
	}
	f.BeforeSeq = int64(parseID("before", q.Get("before")))
	page := web.AuditPage{Base: s.base(r, "Audit log"), Filter: form}
	page.Nav = "audit"
	if len(bad) > 0 {
		page.Errors = web.ErrorSummary{Fields: bad}
		return s.render(w, http.StatusBadRequest, "admin_audit", page)
	}
	entries, err := s.db.ListAudit(r.Context(), f)
	if err != nil {
		return err
	}
	page.Entries = entries
	if len(entries) == f.Limit {
		q.Set("before", strconv.FormatInt(entries[len(entries)-1].Seq, 10))
		page.NextURL = "/admin/audit?" + q.Encode()
	}
	return s.render(w, http.StatusOK, "admin_audit", page)
}

func summary(v store.ProtocolVersion) web.ProtocolVersionSummary {
	return web.ProtocolVersionSummary{Version: v.Version, Author: v.Author, Reason: v.Reason,
		CreatedAt: v.CreatedAt.In(web.London).Format("2 Jan 2006 15:04")}
}

func (s *Server) protocolPage(r *http.Request) (web.ProtocolPage, error) {
	ctx := r.Context()
	hist, err := s.db.ProtocolHistory(ctx)
	if err != nil {
		return web.ProtocolPage{}, err
	}
	if len(hist) == 0 {
		return web.ProtocolPage{}, fmt.Errorf("no protocol version stored")
	}
	p := web.ProtocolPage{Base: s.base(r, "Clinical protocol"), Current: summary(hist[0]), Document: hist[0].Document}
	p.Nav = "protocol"
	for _, v := range hist {
		p.History = append(p.History, summary(v))
	}
	q := r.URL.Query()
	p.FromText, p.ToText = strings.TrimSpace(q.Get("from")), strings.TrimSpace(q.Get("to"))
	if p.FromText != "" || p.ToText != "" {
		// A version that is not a number, or not stored, is shown as the
		// form's error, with what was typed.
		version := func(field, text string) (store.ProtocolVersion, bool) {
			n, err := strconv.Atoi(text)
			if err != nil || n < 1 {
				p.Errors.Fields[field] = "Enter a version number, like 1."
				return store.ProtocolVersion{}, false
			}
			v, err := s.db.ProtocolVersionByNumber(ctx, n)
			if err != nil {
				p.Errors.Fields[field] = fmt.Sprintf("There is no version %d: the latest is %d.", n, hist[0].Version)
				return v, false
			}
			return v, true
		}
		p.Errors.Fields = map[string]string{}
		a, okA := version("from", p.FromText)
		b, okB := version("to", p.ToText)
		if !okA || !okB {
			return p, nil
		}
		p.From, p.To = a.Version, b.Version
		for _, c := range diffJSON(a.Document, b.Document) {
			p.Changes = append(p.Changes, web.ProtocolChange{Path: c.Path, Old: c.Old, New: c.New})
		}
	}
	return p, nil
}

func (s *Server) webProtocol(w http.ResponseWriter, r *http.Request) error {
	p, err := s.protocolPage(r)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if p.Errors.Has() {
		status = http.StatusBadRequest
	}
	return s.render(w, status, "admin_protocol", p)
}

func (s *Server) webProtocolSave(w http.ResponseWriter, r *http.Request) error {
	doc, reason := r.PostFormValue("document"), r.PostFormValue("reason")
	p, err := decodeProtocol(doc)
	if err == nil {
		var v store.ProtocolVersion
		v, err = s.db.SaveProtocol(r.Context(), mustActor(r), p, reason)
		if err == nil {
			http.Redirect(w, r, "/admin/protocol?from="+strconv.Itoa(v.Version-1)+"&to="+strconv.Itoa(v.Version), http.StatusSeeOther)
			return nil
		}
	}
	if ketacare.ErrorCode(err) != ketacare.EINVALID {
		return err
	}
	r.URL.RawQuery = url.Values{}.Encode()
	page, perr := s.protocolPage(r)
	if perr != nil {
		return perr
	}
	page.Document, page.Reason = doc, reason
	page.Errors = web.ErrorSummary{Fields: ketacare.ErrorFields(err)}
	if len(page.Errors.Fields) == 0 {
		page.Errors.Message = strings.TrimSpace(ketacare.ErrorMessage(err))
	}
	return s.render(w, http.StatusBadRequest, "admin_protocol", page)
}
