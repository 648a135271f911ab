package server

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/store"
	"github.com/ketacare/ketacare/internal/web"
)

// cssrsStepTTL is how long the C-SSRS step of a screening sitting stays
// open after the first questionnaires were sent.
const cssrsStepTTL = 2 * time.Hour

// linkProblem renders the page for a link that cannot be used (410 for a
// used or expired link, 404 for an unknown one); other errors are returned.
func (s *Server) linkProblem(w http.ResponseWriter, r *http.Request, err error) error {
	var gone *store.LinkGoneError
	page := web.LinkMessagePage{Base: s.base(r, "Link")}
	status := http.StatusGone
	switch {
	case errors.As(err, &gone) && gone.Used:
		page.Heading = "This link has already been used"
		page.Paragraphs = []string{"Each link works once. If you need to answer again, ask the clinic for a new link."}
	case errors.As(err, &gone) && gone.Revoked:
		page.Heading = "The clinic has withdrawn this link"
		page.Paragraphs = []string{"If you were expecting to answer something for the clinic, ask them for a new link."}
	case errors.As(err, &gone):
		page.Heading = "This link has expired"
		page.Paragraphs = []string{"Ask the clinic for a new link."}
	case ketacare.ErrorCode(err) == ketacare.ENOTFOUND:
		status = http.StatusNotFound
		page.Heading = "This link is not valid"
		page.Paragraphs = []string{"Check that you copied all of it, or ask the clinic for a new link."}
	default:
		return err
	}
	page.Title = page.Heading
	return s.render(w, status, "link_message", page)
}

func (s *Server) crisisContacts(r *http.Request) ([]web.CrisisLine, error) {
	pv, err := s.db.CurrentProtocol(r.Context())
	if err != nil {
		return nil, err
	}
	return crisisLines(pv.Protocol.Callback.CrisisContacts), nil
}

// questionnaire builds a questionnaire page for the named sections.
func (s *Server) questionnaire(r *http.Request, heading, action string, names []string, errs map[string]string, message string) web.QuestionnairePage {
	vals := r.PostForm
	p := web.QuestionnairePage{Base: s.base(r, heading), Heading: heading, Action: action, SectionNames: names, Submit: "Send my answers",
		Errors: web.ErrorSummary{Fields: errs, Message: message}}
	for _, n := range names {
		p.Sections = append(p.Sections, buildSection(n, vals, errs))
	}
	return p
}

// cssrsPage is the C-SSRS step that follows a PHQ-9 item 9 above 0, with
// the crisis contacts.
func (s *Server) cssrsPage(r *http.Request, action string, errs map[string]string) (web.QuestionnairePage, error) {
	p := s.questionnaire(r, "A few more questions", action, []string{"cssrs"}, errs, "")
	p.Intro = "You told us you have had thoughts that you would be better off dead or of hurting yourself. Thank you for telling us. Please answer these questions now."
	p.Crisis = true
	var err error
	p.CrisisContacts, err = s.crisisContacts(r)
	return p, err
}

// --- The patient's screening link -------------------------------------

func (s *Server) webScreenLink(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	if _, err := s.db.OpenPatientLink(r.Context(), token, store.PurposeScreening, clientAddr(r), requestID(r)); err != nil {
		return s.linkProblem(w, r, err)
	}
	r = s.ensurePreCSRF(w, r)
	p := s.questionnaire(r, "Before your treatment", "/screen/"+token, patientSections, nil, "")
	p.Intro = "These questions help the clinic plan your treatment safely. They take about 10 minutes. Your answers go only to your clinic."
	return s.render(w, http.StatusOK, "screening_form", p)
}

func (s *Server) webScreenLinkPost(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	if err := r.ParseForm(); err != nil {
		return ketacare.Errorf(ketacare.EINVALID, "The form could not be read.")
	}
	if _, err := s.db.OpenPatientLink(r.Context(), token, store.PurposeScreening, clientAddr(r), requestID(r)); err != nil {
		return s.linkProblem(w, r, err)
	}
	inputs, errs := parseSections(patientSections, r.PostForm)
	retry := func(message string) error {
		p := s.questionnaire(r, "Before your treatment", "/screen/"+token, patientSections, errs, message)
		return s.render(w, http.StatusBadRequest, "screening_form", p)
	}
	if len(errs) > 0 {
		return retry("")
	}
	var recorded []store.Assessment
	var next string
	err := s.db.WithLink(r.Context(), token, store.PurposeScreening, clientAddr(r), requestID(r), func(tx *store.Tx, l store.PatientLink, a ketacare.Actor) error {
		recorded = nil
		for _, in := range inputs {
			as, err := tx.RecordAssessment(r.Context(), a, l.PatientID, in, "link", l.ID)
			if err != nil {
				return err
			}
			recorded = append(recorded, as)
		}
		if item9Flagged(recorded) {
			var err error
			next, _, err = tx.CreatePatientLink(r.Context(), a, l.PatientID, store.PurposeScreeningCSSRS, cssrsStepTTL)
			return err
		}
		return nil
	})
	if ketacare.ErrorCode(err) == ketacare.EINVALID {
		return retry(ketacare.ErrorMessage(err))
	}
	if err != nil {
		return s.linkProblem(w, r, err)
	}
	if next != "" {
		r.PostForm = nil
		p, err := s.cssrsPage(r, "/screen/"+next+"/cssrs", nil)
		if err != nil {
			return err
		}
		return s.render(w, http.StatusOK, "screening_form", p)
	}
	return s.render(w, http.StatusOK, "link_message", web.LinkMessagePage{Base: s.base(r, "Thank you"), Heading: "Thank you",
		Paragraphs: []string{"Your answers have been sent to the clinic. You can close this page."}})
}

func (s *Server) webScreenCSSRS(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	if _, err := s.db.OpenPatientLink(r.Context(), token, store.PurposeScreeningCSSRS, clientAddr(r), requestID(r)); err != nil {
		return s.linkProblem(w, r, err)
	}
	r = s.ensurePreCSRF(w, r)
	p, err := s.cssrsPage(r, "/screen/"+token+"/cssrs", nil)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "screening_form", p)
}

func (s *Server) webScreenCSSRSPost(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	if err := r.ParseForm(); err != nil {
		return ketacare.Errorf(ketacare.EINVALID, "The form could not be read.")
	}
	if _, err := s.db.OpenPatientLink(r.Context(), token, store.PurposeScreeningCSSRS, clientAddr(r), requestID(r)); err != nil {
		return s.linkProblem(w, r, err)
	}
	inputs, errs := parseSections([]string{"cssrs"}, r.PostForm)
	if len(errs) > 0 || len(inputs) != 1 {
		p, err := s.cssrsPage(r, "/screen/"+token+"/cssrs", errs)
		if err != nil {
			return err
		}
		return s.render(w, http.StatusBadRequest, "screening_form", p)
	}
	err := s.db.WithLink(r.Context(), token, store.PurposeScreeningCSSRS, clientAddr(r), requestID(r), func(tx *store.Tx, l store.PatientLink, a ketacare.Actor) error {
		_, err := tx.RecordAssessment(r.Context(), a, l.PatientID, inputs[0], "link", l.ID)
		return err
	})
	if err != nil {
		return s.linkProblem(w, r, err)
	}
	contacts, err := s.crisisContacts(r)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "link_message", web.LinkMessagePage{Base: s.base(r, "Thank you"), Heading: "Thank you",
		Paragraphs: []string{"Your answers have been sent to the clinic, and someone from the clinic will talk with you about them before any treatment.",
			"If you feel you might act on thoughts of ending your life, or you are in danger now, call 999 or use one of these services now."},
		CrisisContacts: contacts})
}

// --- Staff screening pages ---------------------------------------------

func (s *Server) screeningPage(r *http.Request, patientID int64) (web.ScreeningPage, error) {
	ctx, a := r.Context(), mustActor(r)
	p, err := s.db.Patient(ctx, a, patientID)
	if err != nil {
		return web.ScreeningPage{}, err
	}
	sc, err := s.db.ScreeningFor(ctx, a, patientID)
	if err != nil {
		return web.ScreeningPage{}, err
	}
	reasons, err := s.db.DosingStatus(ctx, a, patientID)
	if err != nil {
		return web.ScreeningPage{}, err
	}
	links, err := s.db.PatientLinks(ctx, a, patientID)
	if err != nil {
		return web.ScreeningPage{}, err
	}
	page := web.ScreeningPage{Base: s.base(r, "Screening"), Patient: p, Done: sc.Done(), ProtocolVersion: sc.ProtocolVersion,
		Level: string(sc.Result.Level), Points: sc.Result.Points, DosingReasons: reasons}
	page.Nav = "patients"
	for _, f := range sc.Result.Factors {
		page.Factors = append(page.Factors, web.FactorView{Reason: f.Reason, Points: f.Points})
	}
	for _, b := range sc.Blocks {
		v := web.BlockView{Code: b.Code, Reason: b.Reason}
		if o := b.Override; o != nil {
			v.Overridden, v.OverrideBy, v.OverrideAt, v.OverrideReason = true, o.Author, o.CreatedAt, o.Reason
		}
		page.Blocks = append(page.Blocks, v)
	}
	for _, f := range sc.Result.ReviewItems {
		page.ReviewItems = append(page.ReviewItems, web.FindingView{Code: f.Code, Reason: f.Reason})
	}
	for _, f := range sc.Result.SuggestedAdjustments {
		page.Suggestions = append(page.Suggestions, web.FindingView{Code: f.Code, Reason: f.Reason})
	}
	for _, name := range append(append([]string{}, patientSections[:3]...), "cssrs", "history") {
		id, _ := store.InstrumentID(name)
		as := sc.LatestOf(id)
		if as == nil {
			page.Missing = append(page.Missing, strings.SplitN(instrumentTitles[name], ":", 2)[0])
			continue
		}
		page.Instruments = append(page.Instruments, instrumentSummary(*as))
	}
	for _, o := range sc.Overrides {
		page.Overrides = append(page.Overrides, web.OverrideView{Code: o.Code, Reason: o.Reason, Author: o.Author, ProtocolVersion: o.ProtocolVersion, At: o.CreatedAt})
	}
	now := s.db.Now()
	for _, l := range links {
		state := linkState(l, now)
		switch {
		case l.UsedAt != nil:
			state += " " + l.UsedAt.In(web.London).Format("2 Jan 2006 15:04")
		case l.RevokedAt != nil:
			state += " " + l.RevokedAt.In(web.London).Format("2 Jan 2006 15:04")
		}
		page.Links = append(page.Links, web.LinkView{ID: l.ID, Purpose: l.Purpose, CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt, State: state,
			Open: state == "open"})
	}
	return page, nil
}

// instrumentSummary shows an assessment with every item and answer.
func instrumentSummary(as store.Assessment) web.InstrumentSummary {
	v := web.InstrumentSummary{Name: instrumentTitles[as.Name()], Band: as.BandLabel, Flags: as.Flags, ProtocolVersion: as.ProtocolVersion,
		RecordedAt: as.CreatedAt, Source: as.Source}
	if v.Name == "" {
		v.Name = as.Instrument
	}
	if as.Total != nil {
		v.Total = strconv.FormatFloat(*as.Total, 'f', -1, 64)
	}
	if as.Instrument == store.InstrumentHistory {
		v.Name = "Health history"
		for i, q := range store.HistoryQuestions {
			ans := "not answered"
			if b := as.History.Answer(q.Name); b != nil {
				ans = map[bool]string{true: "Yes", false: "No"}[*b]
			}
			v.Items = append(v.Items, web.ItemAnswer{Number: strconv.Itoa(i+1) + ".", Text: q.Text, Answer: ans})
		}
		bp := "not given"
		if as.History.Systolic != nil {
			bp = fmt.Sprintf("%d/%d mmHg", *as.History.Systolic, *as.History.Diastolic)
		}
		v.Items = append(v.Items, web.ItemAnswer{Text: "Baseline blood pressure", Answer: bp})
		return v
	}
	def, _ := as.Definition()
	for i, item := range def.Items {
		ans := "not answered"
		if i < len(as.Answers) {
			a := as.Answers[i].Answer
			ans = "not asked"
			if a != clinical.Skipped {
				ans = strconv.Itoa(a)
				for _, o := range item.Options {
					if o.Score == a && o.Label != "" {
						ans = fmt.Sprintf("%s (%d)", o.Label, a)
					}
				}
			}
		}
		v.Items = append(v.Items, web.ItemAnswer{Number: item.LinkID + ".", Text: item.Text, Answer: ans})
	}
	return v
}

func (s *Server) webScreening(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	page, err := s.screeningPage(r, id)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "screening", page)
}

func (s *Server) webOverride(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	code, reason := r.PostFormValue("code"), r.PostFormValue("reason")
	_, err = s.db.OverrideContraindication(r.Context(), mustActor(r), id, code, reason)
	if c := ketacare.ErrorCode(err); c == ketacare.EINVALID || c == ketacare.ECONFLICT {
		page, perr := s.screeningPage(r, id)
		if perr != nil {
			return perr
		}
		page.OverrideCode, page.OverrideReason = code, reason
		page.Errors = web.ErrorSummary{Fields: ketacare.ErrorFields(err)}
		if len(page.Errors.Fields) == 0 {
			page.Errors.Message = ketacare.ErrorMessage(err)
		}
		return s.render(w, statusByCode[c], "screening", page)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/patients/%d/screening", id), http.StatusSeeOther)
	return nil
}

// staffSections reads which sections a staff form holds: ?only=NAME for
// one questionnaire, otherwise every questionnaire of a sitting.
func staffSections(only string) ([]string, error) {
	if only == "" {
		return patientSections, nil
	}
	if !knownSection(only) {
		return nil, ketacare.Errorf(ketacare.ENOTFOUND, "Questionnaire not found.")
	}
	return []string{only}, nil
}

func (s *Server) webScreeningForm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	names, err := staffSections(r.URL.Query().Get("only"))
	if err != nil {
		return err
	}
	p, err := s.db.Patient(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	page := s.questionnaire(r, "Screening: "+p.GivenName+" "+p.FamilyName, fmt.Sprintf("/patients/%d/screening/form", id), names, nil, "")
	page.BackURL = fmt.Sprintf("/patients/%d/screening", id)
	page.Submit = "Save the answers"
	if len(names) == 1 && names[0] == "cssrs" {
		if page.CrisisContacts, err = s.crisisContacts(r); err != nil {
			return err
		}
		page.Crisis = true
	}
	return s.render(w, http.StatusOK, "screening_form", page)
}

func (s *Server) webScreeningFormPost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var names []string
	for _, n := range r.PostForm["sections"] {
		if knownSection(n) && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return ketacare.Errorf(ketacare.EINVALID, "The form holds no questionnaire.")
	}
	p, err := s.db.Patient(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	action := fmt.Sprintf("/patients/%d/screening/form", id)
	heading := "Screening: " + p.GivenName + " " + p.FamilyName
	inputs, errs := parseSections(names, r.PostForm)
	var recorded []store.Assessment
	if len(errs) == 0 {
		recorded, err = s.db.RecordAssessments(r.Context(), mustActor(r), id, inputs)
	}
	if len(errs) > 0 || ketacare.ErrorCode(err) == ketacare.EINVALID {
		msg := ""
		if err != nil {
			msg = ketacare.ErrorMessage(err)
		}
		page := s.questionnaire(r, heading, action, names, errs, msg)
		page.BackURL, page.Submit = fmt.Sprintf("/patients/%d/screening", id), "Save the answers"
		if len(names) == 1 && names[0] == "cssrs" {
			page.Crisis = true
			if page.CrisisContacts, err = s.crisisContacts(r); err != nil {
				return err
			}
		}
		return s.render(w, http.StatusBadRequest, "screening_form", page)
	}
	if err != nil {
		return err
	}
	if item9Flagged(recorded) {
		r.PostForm = nil
		page, err := s.cssrsPage(r, action, nil)
		if err != nil {
			return err
		}
		page.Heading, page.Title = "C-SSRS screener: "+p.GivenName+" "+p.FamilyName, "C-SSRS screener"
		page.Intro = "PHQ-9 question 9 was answered above 0: complete the C-SSRS screener with the patient before the contact ends."
		page.BackURL, page.Submit = fmt.Sprintf("/patients/%d/screening", id), "Save the answers"
		return s.render(w, http.StatusOK, "screening_form", page)
	}
	http.Redirect(w, r, fmt.Sprintf("/patients/%d/screening", id), http.StatusSeeOther)
	return nil
}

func (s *Server) webLinkCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	purpose := r.PostFormValue("purpose")
	l, path, err := s.createLink(r, id, purpose, 0)
	if err != nil {
		return err
	}
	p, err := s.db.Patient(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	back := fmt.Sprintf("/patients/%d/screening", id)
	if purpose == store.PurposeConsent {
		back = fmt.Sprintf("/patients/%d/consent", id)
	}
	page := web.LinkCreatedPage{Base: s.base(r, "Link for the patient"), Patient: p, Purpose: purpose, URL: s.absoluteURL(r, path),
		ExpiresAt: l.ExpiresAt, BackURL: back}
	page.Nav = "patients"
	return s.render(w, http.StatusCreated, "link_created", page)
}
