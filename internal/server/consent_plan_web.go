package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/store"
	"github.com/ketacare/ketacare/internal/web"
)

// paragraphs splits a text into its paragraphs (blank-line or line
// separated), for display without markup.
func consentParagraphs(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// --- Consent -------------------------------------------------------------

func (s *Server) consentPage(r *http.Request, patientID int64) (web.ConsentPage, error) {
	ctx, a := r.Context(), mustActor(r)
	p, err := s.db.Patient(ctx, a, patientID)
	if err != nil {
		return web.ConsentPage{}, err
	}
	text, err := s.db.CurrentConsentText(ctx)
	if err != nil {
		return web.ConsentPage{}, err
	}
	list, err := s.db.Consents(ctx, a, patientID)
	if err != nil {
		return web.ConsentPage{}, err
	}
	page := web.ConsentPage{Base: s.base(r, "Consent"), Patient: p, Version: text.Version, Text: text.Text, Paragraphs: consentParagraphs(text.Text)}
	page.Nav = "patients"
	current := false
	waiting := false
	for _, c := range list {
		v := web.ConsentView{ID: c.ID, Version: c.TextVersion, SignedName: c.SignedName, SignedAt: c.SignedAt, Via: c.Via,
			Countersigned: c.Countersigned(), CountersignedBy: c.CountersignedName, Current: c.TextVersion == text.Version}
		if c.CountersignedAt != nil {
			v.CountersignedAt = *c.CountersignedAt
		}
		if v.Current && v.Countersigned {
			current = true
		} else if v.Current {
			waiting = true
		}
		page.Consents = append(page.Consents, v)
	}
	switch {
	case current:
	case waiting:
		page.Status = "The patient's consent is waiting for a prescriber's countersignature."
	case len(list) > 0:
		page.Status = fmt.Sprintf("The consent text has changed (now version %d): the patient must consent again before the next session.", text.Version)
	default:
		page.Status = "The patient has not given consent."
	}
	return page, nil
}

func (s *Server) webConsent(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	page, err := s.consentPage(r, id)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "consent", page)
}

func (s *Server) webConsentSign(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	name := r.PostFormValue("signedName")
	_, err = s.db.SignConsent(r.Context(), mustActor(r), id, version, name)
	if c := ketacare.ErrorCode(err); c == ketacare.EINVALID || c == ketacare.ECONFLICT {
		page, perr := s.consentPage(r, id)
		if perr != nil {
			return perr
		}
		page.SignedName = name
		page.Errors = web.ErrorSummary{Fields: ketacare.ErrorFields(err)}
		if len(page.Errors.Fields) == 0 {
			page.Errors.Message = ketacare.ErrorMessage(err)
		}
		return s.render(w, statusByCode[c], "consent", page)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/patients/%d/consent", id), http.StatusSeeOther)
	return nil
}

func (s *Server) webCountersign(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	cid, err := pathID(r, "cid")
	if err != nil {
		return err
	}
	if _, err := s.db.Countersign(r.Context(), mustActor(r), id, cid); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/patients/%d/consent", id), http.StatusSeeOther)
	return nil
}

func (s *Server) consentSignPage(r *http.Request, token string, text store.ConsentText) web.ConsentSignPage {
	return web.ConsentSignPage{Base: s.base(r, "Consent to treatment"), Action: "/consent/" + token, Version: text.Version,
		Paragraphs: consentParagraphs(text.Text)}
}

func (s *Server) webConsentLink(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	if _, err := s.db.OpenPatientLink(r.Context(), token, store.PurposeConsent, clientAddr(r), requestID(r)); err != nil {
		return s.linkProblem(w, r, err)
	}
	text, err := s.db.CurrentConsentText(r.Context())
	if err != nil {
		return err
	}
	r = s.ensurePreCSRF(w, r)
	return s.render(w, http.StatusOK, "consent_sign", s.consentSignPage(r, token, text))
}

func (s *Server) webConsentLinkPost(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	if _, err := s.db.OpenPatientLink(r.Context(), token, store.PurposeConsent, clientAddr(r), requestID(r)); err != nil {
		return s.linkProblem(w, r, err)
	}
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	name := r.PostFormValue("signedName")
	err := s.db.WithLink(r.Context(), token, store.PurposeConsent, clientAddr(r), requestID(r), func(tx *store.Tx, l store.PatientLink, a ketacare.Actor) error {
		_, err := tx.SignConsent(r.Context(), a, l.PatientID, version, name, "link", l.ID)
		return err
	})
	if c := ketacare.ErrorCode(err); c == ketacare.EINVALID || c == ketacare.ECONFLICT {
		text, terr := s.db.CurrentConsentText(r.Context())
		if terr != nil {
			return terr
		}
		page := s.consentSignPage(r, token, text)
		page.SignedName = name
		page.Errors = web.ErrorSummary{Fields: ketacare.ErrorFields(err)}
		if len(page.Errors.Fields) == 0 {
			page.Errors.Message = ketacare.ErrorMessage(err)
		}
		return s.render(w, statusByCode[c], "consent_sign", page)
	}
	if err != nil {
		return s.linkProblem(w, r, err)
	}
	return s.render(w, http.StatusOK, "link_message", web.LinkMessagePage{Base: s.base(r, "Thank you"), Heading: "Thank you",
		Paragraphs: []string{"Your consent has been recorded. A prescriber at the clinic will countersign it. You can close this page."}})
}

func (s *Server) consentTextPage(r *http.Request, text string, err error) (web.ConsentTextPage, error) {
	versions, verr := s.db.ConsentTexts(r.Context())
	if verr != nil {
		return web.ConsentTextPage{}, verr
	}
	page := web.ConsentTextPage{Base: s.base(r, "Consent text"), Text: text, Errors: web.ErrorSummary{Fields: ketacare.ErrorFields(err)}}
	for _, v := range versions {
		page.Versions = append(page.Versions, web.ConsentTextVersion{Version: v.Version, Author: v.Author, CreatedAt: v.CreatedAt})
	}
	if len(versions) > 0 {
		page.Current = page.Versions[0]
		if text == "" {
			page.Text = versions[0].Text
		}
	}
	return page, nil
}

func (s *Server) webConsentText(w http.ResponseWriter, r *http.Request) error {
	page, err := s.consentTextPage(r, "", nil)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "admin_consent", page)
}

func (s *Server) webConsentTextSave(w http.ResponseWriter, r *http.Request) error {
	text := r.PostFormValue("text")
	_, err := s.db.SaveConsentText(r.Context(), mustActor(r), text)
	if ketacare.ErrorCode(err) == ketacare.EINVALID {
		page, perr := s.consentTextPage(r, text, err)
		if perr != nil {
			return perr
		}
		return s.render(w, http.StatusBadRequest, "admin_consent", page)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/consent", http.StatusSeeOther)
	return nil
}

// --- Treatment plan ------------------------------------------------------

func planView(p store.Plan) web.PlanView {
	dose := strconv.FormatFloat(p.DoseMg, 'f', -1, 64) + " mg"
	if p.DoseMgPerKg != nil && p.WeightKg != nil {
		dose += fmt.Sprintf(" (%s mg/kg × %s kg)", strconv.FormatFloat(*p.DoseMgPerKg, 'f', -1, 64), strconv.FormatFloat(*p.WeightKg, 'f', -1, 64))
	}
	if n := p.Devices(); n > 0 {
		dose += fmt.Sprintf(" (%d devices of %d mg)", n, store.EsketamineDeviceMg)
	}
	return web.PlanView{Revision: p.Revision, Drug: p.Drug, Route: string(p.Route), Dose: dose, Sessions: p.Sessions, IntervalDays: p.IntervalDays,
		Reason: p.Reason, Susceptibility: p.Susceptibility, ProtocolVersion: p.ProtocolVersion, Author: p.Author, At: p.CreatedAt}
}

func (s *Server) planPage(r *http.Request, patientID int64, form web.PlanForm, err error) (web.PlanPage, error) {
	ctx, a := r.Context(), mustActor(r)
	p, perr := s.db.Patient(ctx, a, patientID)
	if perr != nil {
		return web.PlanPage{}, perr
	}
	history, perr := s.db.Plans(ctx, a, patientID)
	if perr != nil {
		return web.PlanPage{}, perr
	}
	sc, perr := s.db.ScreeningFor(ctx, a, patientID)
	if perr != nil {
		return web.PlanPage{}, perr
	}
	page := web.PlanPage{Base: s.base(r, "Treatment plan"), Patient: p, Drugs: []string{store.DrugKetamine, store.DrugEsketamine}, Form: form,
		Errors: web.ErrorSummary{Fields: ketacare.ErrorFields(err)}}
	page.Nav = "patients"
	if err != nil && len(page.Errors.Fields) == 0 {
		page.Errors.Message = ketacare.ErrorMessage(err)
	}
	for _, rt := range clinical.Routes {
		page.Routes = append(page.Routes, string(rt))
	}
	for _, pl := range history {
		page.History = append(page.History, planView(pl))
	}
	if len(page.History) > 0 {
		page.Current = &page.History[0]
		if form == (web.PlanForm{}) {
			c := history[0]
			page.Form = web.PlanForm{Drug: c.Drug, Route: string(c.Route), DoseMg: strconv.FormatFloat(c.DoseMg, 'f', -1, 64),
				Sessions: strconv.Itoa(c.Sessions), IntervalDays: strconv.Itoa(c.IntervalDays)}
			if c.DoseMgPerKg != nil {
				page.Form.DoseMg, page.Form.DoseMgPerKg = "", strconv.FormatFloat(*c.DoseMgPerKg, 'f', -1, 64)
			}
			if c.WeightKg != nil {
				page.Form.WeightKg = strconv.FormatFloat(*c.WeightKg, 'f', -1, 64)
			}
		}
	}
	if sc.Done() {
		page.Susceptibility = string(sc.Result.Level)
	}
	for _, f := range sc.Result.SuggestedAdjustments {
		page.Suggestions = append(page.Suggestions, web.FindingView{Code: f.Code, Reason: f.Reason})
	}
	return page, nil
}

func (s *Server) webPlan(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	page, err := s.planPage(r, id, web.PlanForm{}, nil)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "plan", page)
}

// formFloat reads an optional decimal number; bad reports text that is not
// a number.
func planFormFloat(s string) (*float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, true
	}
	return &f, false
}

func (s *Server) webPlanSave(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	form := web.PlanForm{Drug: r.PostFormValue("drug"), Route: r.PostFormValue("route"), DoseMg: r.PostFormValue("doseMg"),
		DoseMgPerKg: r.PostFormValue("doseMgPerKg"), WeightKg: r.PostFormValue("weightKg"), Sessions: r.PostFormValue("sessions"),
		IntervalDays: r.PostFormValue("intervalDays"), Reason: r.PostFormValue("reason")}
	fields := map[string]string{}
	in := store.PlanInput{Drug: form.Drug, Route: form.Route, Reason: form.Reason}
	var bad bool
	if in.DoseMg, bad = planFormFloat(form.DoseMg); bad {
		fields["doseMg"] = "Enter the dose in mg as a number, like 35."
	}
	if in.DoseMgPerKg, bad = planFormFloat(form.DoseMgPerKg); bad {
		fields["doseMgPerKg"] = "Enter the dose in mg/kg as a number, like 0.5."
	}
	if in.WeightKg, bad = planFormFloat(form.WeightKg); bad {
		fields["weightKg"] = "Enter the weight in kg as a number, like 72.5."
	}
	if in.Sessions, err = strconv.Atoi(strings.TrimSpace(form.Sessions)); err != nil {
		fields["sessions"] = "Enter the number of sessions as a whole number."
	}
	if in.IntervalDays, err = strconv.Atoi(strings.TrimSpace(form.IntervalDays)); err != nil {
		fields["intervalDays"] = "Enter the days between sessions as a whole number."
	}
	err = ketacare.FieldErrors(fields)
	if err == nil {
		_, _, err = s.db.SavePlan(r.Context(), mustActor(r), id, in)
	}
	if c := ketacare.ErrorCode(err); c == ketacare.EINVALID || c == ketacare.ECONFLICT {
		page, perr := s.planPage(r, id, form, err)
		if perr != nil {
			return perr
		}
		return s.render(w, statusByCode[c], "plan", page)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/patients/%d/plan", id), http.StatusSeeOther)
	return nil
}
