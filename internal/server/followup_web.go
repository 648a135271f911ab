package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/store"
	"github.com/ketacare/ketacare/internal/web"
)

func followupWebContacts(cs []clinical.CrisisContact) []web.FollowupContact {
	out := make([]web.FollowupContact, 0, len(cs))
	for _, c := range cs {
		out = append(out, web.FollowupContact{Name: c.Name, Number: c.Number, Kind: c.Kind, Detail: c.Detail})
	}
	return out
}

func (s *Server) followupMessage(w http.ResponseWriter, r *http.Request, status int, heading string, paragraphs []string, urgent bool) error {
	pv, err := s.db.CurrentProtocol(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, status, "followup_message", web.FollowupMessagePage{Base: s.base(r, heading), Heading: heading, Paragraphs: paragraphs,
		Urgent: urgent, Contacts: followupWebContacts(pv.Protocol.Callback.CrisisContacts)})
}

// followupRadios builds a question of radio buttons with values lo..hi.
func followupRadios(name, text, errMsg, chosen string, labels []string, values []string) web.FollowupQuestion {
	q := web.FollowupQuestion{Name: name, Text: text, Error: errMsg}
	for i, l := range labels {
		id := name
		if i > 0 {
			id = fmt.Sprintf("%s-%d", name, i)
		}
		q.Options = append(q.Options, web.FollowupOption{ID: id, Value: values[i], Label: l, Checked: chosen != "" && chosen == values[i]})
	}
	return q
}

func followupInstrumentQuestions(id, prefix string, form func(string) string, errs map[string]string) []web.FollowupQuestion {
	def, _ := clinical.Lookup(id)
	var out []web.FollowupQuestion
	for i, item := range def.Items {
		var labels, values []string
		for _, o := range item.Options {
			labels, values = append(labels, o.Label), append(values, strconv.Itoa(o.Score))
		}
		name := fmt.Sprintf("%s_%d", prefix, i+1)
		errMsg := errs[name]
		if i == 0 && errMsg == "" {
			errMsg = errs[prefix]
		}
		out = append(out, followupRadios(name, fmt.Sprintf("%d. %s", i+1, item.Text), errMsg, form(name), labels, values))
	}
	return out
}

func (s *Server) followupCheckinPage(r *http.Request, v store.CheckinView, form func(string) string, err error) web.CheckinPage {
	c := v.Checkin
	errs := ketacare.ErrorFields(err)
	p := web.CheckinPage{Base: s.base(r, c.Label()), Label: c.Label(), Action: r.URL.Path, AsksNRS: c.AsksNRS, OwnWords: form("ownWords"),
		Contacts: followupWebContacts(v.Contacts)}
	if err != nil {
		p.Errors = web.ErrorSummary{Fields: errs}
		if len(errs) == 0 {
			p.Errors.Message = ketacare.ErrorMessage(err)
		}
	}
	var labels, values []string
	for i := 0; i <= 10; i++ {
		l := strconv.Itoa(i)
		switch i {
		case 0:
			l = "0 – not anxious at all"
		case 10:
			l = "10 – as anxious as I can imagine"
		}
		labels, values = append(labels, l), append(values, strconv.Itoa(i))
	}
	p.NRS = followupRadios("nrs", "How anxious do you feel right now, from 0 to 10?", errs["nrs"], form("nrs"), labels, values)
	p.Callback = followupRadios("callback", "Would you like a counsellor to call you?", errs["callback"], form("callback"),
		[]string{"Yes, please call me", "No, thank you"}, []string{"yes", "no"})
	if c.AsksGAD7 {
		p.GAD7 = followupInstrumentQuestions(clinical.InstrumentGAD7, "gad7", form, errs)
	}
	if c.AsksPHQ9 {
		p.PHQ9 = followupInstrumentQuestions(clinical.InstrumentPHQ9, "phq9", form, errs)
	}
	return p
}

func (s *Server) webCheckinForm(w http.ResponseWriter, r *http.Request) error {
	v, err := s.db.CheckinByToken(r.Context(), r.PathValue("token"), clientAddr(r), requestID(r))
	if err != nil {
		return s.followupLinkError(w, r, Web, err)
	}
	r = s.ensurePreCSRF(w, r)
	p := s.followupCheckinPage(r, v, func(string) string { return "" }, nil)
	if time.Now().Before(v.Checkin.DueAt) {
		p.OpensAt = v.Checkin.DueAt
	}
	return s.render(w, http.StatusOK, "followup_checkin", p)
}

func followupFormInts(r *http.Request, prefix string, n int) []int {
	var out []int
	for i := 1; i <= n; i++ {
		v, err := strconv.Atoi(r.PostFormValue(fmt.Sprintf("%s_%d", prefix, i)))
		if err != nil {
			return out // short: reported as unanswered
		}
		out = append(out, v)
	}
	return out
}

func (s *Server) webCheckinSubmit(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	in := store.CheckinAnswers{OwnWords: r.PostFormValue("ownWords"), GAD7: followupFormInts(r, "gad7", 7), PHQ9: followupFormInts(r, "phq9", 9)}
	if v, err := strconv.Atoi(r.PostFormValue("nrs")); err == nil {
		in.NRS = &v
	}
	switch r.PostFormValue("callback") {
	case "yes":
		t := true
		in.WantCallback = &t
	case "no":
		f := false
		in.WantCallback = &f
	}
	res, err := s.db.SubmitCheckin(r.Context(), token, clientAddr(r), requestID(r), in)
	if err != nil {
		if code := ketacare.ErrorCode(err); code == ketacare.EINVALID || code == ketacare.ECONFLICT {
			v, verr := s.db.CheckinByToken(r.Context(), token, clientAddr(r), requestID(r))
			if verr != nil {
				return s.followupLinkError(w, r, Web, verr)
			}
			return s.render(w, statusByCode[code], "followup_checkin", s.followupCheckinPage(r, v, r.PostFormValue, err))
		}
		return s.followupLinkError(w, r, Web, err)
	}
	if res.CSSRSToken != "" {
		http.Redirect(w, r, "/checkin/cssrs/"+res.CSSRSToken, http.StatusSeeOther)
		return nil
	}
	paras := []string{"Your answers have reached your care team."}
	if res.Checkin.CallbackWanted {
		if res.Checkin.CallbackID != 0 {
			paras = append(paras, "A counsellor will call you. If you need to talk to someone before then, use the numbers below.")
		} else {
			paras = append(paras, "We could not arrange the call automatically, so the clinic team has been told and will contact you.")
		}
	}
	return s.followupMessage(w, r, http.StatusOK, "Thank you", paras, false)
}

var followupYesNo = []string{"No", "Yes"}

func (s *Server) followupCSSRSPage(r *http.Request, v store.CheckinView, err error) web.CSSRSPage {
	def, _ := clinical.Lookup(clinical.InstrumentCSSRS)
	p := web.CSSRSPage{Base: s.base(r, "A few more questions"), Action: r.URL.Path, Contacts: followupWebContacts(v.Contacts)}
	errs := ketacare.ErrorFields(err)
	if err != nil {
		p.Errors = web.ErrorSummary{Fields: errs}
		if len(errs) == 0 {
			p.Errors.Message = ketacare.ErrorMessage(err)
		}
	}
	for i, item := range def.Items {
		name := fmt.Sprintf("q%d", i+1)
		p.Questions = append(p.Questions, followupRadios(name, fmt.Sprintf("%d. %s", i+1, item.Text), errs[name], r.PostFormValue(name), followupYesNo, []string{"0", "1"}))
	}
	return p
}

func (s *Server) webCheckinCSSRSForm(w http.ResponseWriter, r *http.Request) error {
	v, err := s.db.CSSRSCheckin(r.Context(), r.PathValue("token"))
	if err != nil {
		return s.followupLinkError(w, r, Web, err)
	}
	r = s.ensurePreCSRF(w, r)
	return s.render(w, http.StatusOK, "followup_cssrs", s.followupCSSRSPage(r, v, nil))
}

func (s *Server) webCheckinCSSRSSubmit(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	answers := make([]int, 6)
	f := map[string]string{}
	q2No := r.PostFormValue("q2") == "0"
	for i := range answers {
		name := fmt.Sprintf("q%d", i+1)
		v := r.PostFormValue(name)
		switch {
		case i >= 2 && i <= 4 && q2No:
			answers[i] = clinical.Skipped
			if v == "1" {
				f[name] = "Questions 3 to 5 are not asked when question 2 is no."
			}
		case v == "0" || v == "1":
			answers[i], _ = strconv.Atoi(v)
		case i >= 2 && i <= 4 && r.PostFormValue("q2") != "1":
			// asked only after a yes to question 2, which is unanswered
			f["q2"] = "Answer question 2."
		default:
			f[name] = fmt.Sprintf("Answer question %d.", i+1)
		}
	}
	err := ketacare.FieldErrors(f)
	var as store.Assessment
	if err == nil {
		as, _, err = s.db.SubmitCheckinCSSRS(r.Context(), token, clientAddr(r), requestID(r), answers)
	}
	if err != nil {
		if ketacare.ErrorCode(err) == ketacare.EINVALID {
			v, verr := s.db.CSSRSCheckin(r.Context(), token)
			if verr != nil {
				return s.followupLinkError(w, r, Web, verr)
			}
			return s.render(w, http.StatusBadRequest, "followup_cssrs", s.followupCSSRSPage(r, v, err))
		}
		return s.followupLinkError(w, r, Web, err)
	}
	paras := []string{"Thank you for answering. Your care team will see your answers."}
	if as.Band == string(clinical.CSSRSHigh) || as.Band == string(clinical.CSSRSModerate) {
		paras = []string{"Thank you for telling us. Your care team has been asked to contact you today.",
			"If you feel you might act on these thoughts, call 999 or go to A&E now."}
	}
	return s.followupMessage(w, r, http.StatusOK, "Please look after yourself", paras, true)
}

// followupReviewRowOf turns a review into a list row.
func followupReviewRowOf(rv store.Review, now time.Time) web.ReviewRow {
	row := web.ReviewRow{ID: rv.ID, PatientID: rv.PatientID, PatientName: rv.PatientName, SessionID: rv.SessionID, Status: rv.Status,
		Urgent: rv.Urgent, UrgentReasons: strings.Join(rv.UrgentReasons, ", "), Overdue: rv.Overdue(now), DueAt: rv.DueAt, CreatedAt: rv.CreatedAt,
		DecidedName: rv.DecidedName, Reason: rv.Reason, PlanRevision: rv.PlanRevision, Protocol: rv.ProtocolVersion}
	if rv.DecidedAt != nil {
		row.DecidedAt = *rv.DecidedAt
	}
	for _, code := range rv.Options {
		if o, ok := clinical.LookupReviewOption(code); ok {
			row.Options = append(row.Options, o.Label)
		}
	}
	return row
}

func (s *Server) webReviews(w http.ResponseWriter, r *http.Request) error {
	a := mustActor(r)
	open, err := s.db.ListReviews(r.Context(), a, store.ReviewOpen)
	if err != nil {
		return err
	}
	decided, err := s.db.ListReviews(r.Context(), a, store.ReviewDecided)
	if err != nil {
		return err
	}
	tasks, err := s.db.FollowupTasks(r.Context(), a)
	if err != nil {
		return err
	}
	p := web.ReviewsPage{Base: s.base(r, "Reviews")}
	p.Nav = "reviews"
	now := time.Now()
	for _, rv := range open {
		p.Open = append(p.Open, followupReviewRowOf(rv, now))
	}
	for i, rv := range decided {
		if i == 20 {
			break
		}
		p.Decided = append(p.Decided, followupReviewRowOf(rv, now))
	}
	for _, t := range tasks {
		p.Tasks = append(p.Tasks, web.TaskRow{ID: t.ID, PatientID: t.PatientID, PatientName: t.PatientName, Kind: t.Kind, Urgent: t.Urgent,
			Detail: t.Detail, CreatedAt: t.CreatedAt})
	}
	return s.render(w, http.StatusOK, "followup_reviews", p)
}

// followupChart builds the trend chart: in-session peak anxiety (NRS) per
// session beside GAD-7 and PHQ-9 totals.
func followupChart(t store.Timeline) web.FollowupChart {
	type point struct {
		at     time.Time
		series int
		value  float64
	}
	var pts []point
	for _, s := range t.Sessions {
		if s.PeakNRS != nil && s.Session.DoseAt != nil {
			pts = append(pts, point{*s.Session.DoseAt, 0, float64(*s.PeakNRS)})
		}
	}
	for i, list := range [][]store.Assessment{t.GAD7, t.PHQ9} {
		for _, a := range list {
			if a.Total != nil {
				pts = append(pts, point{a.CreatedAt, i + 1, *a.Total})
			}
		}
	}
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].at.Before(pts[j].at) })
	names := []string{"In-session peak anxiety (0–10)", "GAD-7 (0–21)", "PHQ-9 (0–27)"}
	c := web.FollowupChart{ID: "followup-trend", Caption: "In-session anxiety beside the anxiety and depression scores", Series: names}
	type series struct {
		Label  string     `json:"label"`
		Values []*float64 `json:"values"`
	}
	data := struct {
		X      []int64  `json:"x"`
		Series []series `json:"series"`
	}{X: []int64{}, Series: make([]series, 3)}
	for i := range data.Series {
		data.Series[i] = series{Label: names[i], Values: []*float64{}}
	}
	for _, p := range pts {
		// uPlot needs strictly increasing x: scores recorded in the same
		// second (GAD-7 and PHQ-9 of one sitting) share a row.
		if n := len(data.X); n == 0 || data.X[n-1] != p.at.Unix() {
			c.Rows = append(c.Rows, web.ChartRow{When: p.at, Values: []string{"", "", ""}})
			data.X = append(data.X, p.at.Unix())
			for i := range data.Series {
				data.Series[i].Values = append(data.Series[i].Values, nil)
			}
		}
		last := len(data.X) - 1
		c.Rows[last].Values[p.series] = strconv.FormatFloat(p.value, 'f', -1, 64)
		x := p.value
		data.Series[p.series].Values[last] = &x
	}
	b, _ := json.Marshal(data)
	c.Data = string(b)
	return c
}

func followupEvidence(ev []clinical.Evidence) []web.EvidenceRow {
	var out []web.EvidenceRow
	for _, e := range ev {
		out = append(out, web.EvidenceRow{Rule: e.Rule, Source: e.Source, SourceID: e.SourceID, Detail: e.Detail, At: e.At})
	}
	return out
}

func (s *Server) followupReviewPage(r *http.Request, id int64, err error) (web.ReviewPage, error) {
	a := mustActor(r)
	d, derr := s.db.ReviewDetail(r.Context(), a, id)
	if derr != nil {
		return web.ReviewPage{}, derr
	}
	p := web.ReviewPage{Base: s.base(r, "Review"), Review: followupReviewRowOf(d.Review, time.Now()), Patient: d.Patient,
		Evidence: followupEvidence(d.Review.Classification.Evidence), Chart: followupChart(d.Timeline), Reason: r.PostFormValue("reason"),
		NewDoseMg: r.PostFormValue("newDoseMg"), NewIntervalDays: r.PostFormValue("newIntervalDays")}
	p.Nav = "reviews"
	if d.Screening.Done() {
		p.Susceptibility = string(d.Screening.Result.Level)
		for _, f := range d.Screening.Result.Factors {
			p.Factors = append(p.Factors, web.FactorView{Reason: f.Reason, Points: f.Points})
		}
	}
	if d.Plan != nil {
		p.PlanSummary = fmt.Sprintf("%s %s %g mg, %d sessions every %d days (revision %d, %s)", d.Plan.Drug, d.Plan.Route, d.Plan.DoseMg,
			d.Plan.Sessions, d.Plan.IntervalDays, d.Plan.Revision, d.Plan.Author)
	}
	chosen := map[string]bool{}
	for _, c := range r.PostForm["options"] {
		chosen[c] = true
	}
	for _, o := range clinical.ReviewOptions() {
		p.Options = append(p.Options, web.ReviewOptionView{Code: o.Code, Label: o.Label, PrescriberOnly: o.PrescriberOnly,
			Disabled: o.PrescriberOnly && a.Role != ketacare.RolePrescriber, Checked: chosen[o.Code]})
	}
	if err != nil {
		p.Errors = web.ErrorSummary{Fields: ketacare.ErrorFields(err)}
		if len(p.Errors.Fields) == 0 {
			p.Errors.Message = ketacare.ErrorMessage(err)
		}
	}
	return p, nil
}

func (s *Server) webReview(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.followupReviewPage(r, id, nil)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "followup_review", p)
}

func (s *Server) webReviewDecide(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return ketacare.Errorf(ketacare.EINVALID, "The form could not be read.")
	}
	d := store.ReviewDecision{Options: r.PostForm["options"], Reason: r.PostFormValue("reason")}
	f := map[string]string{}
	if v := strings.TrimSpace(r.PostFormValue("newDoseMg")); v != "" {
		x, perr := strconv.ParseFloat(v, 64)
		if perr != nil {
			f["newDoseMg"] = "The dose must be a number of mg."
		}
		d.NewDoseMg = &x
	}
	if v := strings.TrimSpace(r.PostFormValue("newIntervalDays")); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil {
			f["newIntervalDays"] = "The interval must be a whole number of days."
		}
		d.NewIntervalDays = &n
	}
	err = ketacare.FieldErrors(f)
	if err == nil {
		_, err = s.db.DecideReview(r.Context(), mustActor(r), id, d)
	}
	if code := ketacare.ErrorCode(err); code == ketacare.EINVALID || code == ketacare.ECONFLICT {
		p, perr := s.followupReviewPage(r, id, err)
		if perr != nil {
			return perr
		}
		return s.render(w, statusByCode[code], "followup_review", p)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/reviews/%d", id), http.StatusSeeOther)
	return nil
}

func (s *Server) webFollowupTaskClose(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.db.CloseFollowupTask(r.Context(), mustActor(r), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/reviews", http.StatusSeeOther)
	return nil
}

func followupNRS(v *int) string {
	if v == nil {
		return ""
	}
	return strconv.Itoa(*v)
}

func followupCheckinRows(list []store.Checkin, t *store.Timeline) []web.TimelineCheckinRow {
	scores := map[int64]string{}
	if t != nil {
		for _, list := range [][]store.Assessment{t.GAD7, t.PHQ9} {
			for _, a := range list {
				if a.Total != nil {
					scores[a.ID] = fmt.Sprintf("%s %g", a.Name(), *a.Total)
				}
			}
		}
	}
	var out []web.TimelineCheckinRow
	for _, c := range list {
		row := web.TimelineCheckinRow{ID: c.ID, Label: c.Label(), DueAt: c.DueAt, Status: c.Status, NRS: followupNRS(c.NRS), OwnWords: c.OwnWords,
			CanMakeLink: c.Status == store.CheckinScheduled || c.Status == store.CheckinSent}
		var sc []string
		for _, id := range []int64{c.GAD7ID, c.PHQ9ID} {
			if v := scores[id]; v != "" {
				sc = append(sc, v)
			} else if id != 0 {
				sc = append(sc, "recorded")
			}
		}
		row.Scores = strings.Join(sc, ", ")
		switch {
		case c.CallbackID != 0:
			row.Callback = "asked; callback requested"
		case c.CallbackWanted && c.CallbackNote != "":
			row.Callback = "asked; " + c.CallbackNote
		case c.CallbackWanted:
			row.Callback = "asked"
		case c.Status == store.CheckinCompleted:
			row.Callback = "no"
		}
		out = append(out, row)
	}
	return out
}

// gad7Change tells the change of the GAD-7 total from the first to the
// latest, read against the protocol's thresholds ("" with fewer than two).
func (s *Server) gad7Change(r *http.Request, scores []store.Assessment) string {
	var with []store.Assessment
	for _, a := range scores {
		if a.Total != nil {
			with = append(with, a)
		}
	}
	if len(with) < 2 {
		return ""
	}
	pv, err := s.db.CurrentProtocol(r.Context())
	if err != nil {
		return ""
	}
	first, last := with[0], with[len(with)-1]
	a, b := int(*first.Total), int(*last.Total)
	return fmt.Sprintf("GAD-7 %d on %s, %d on %s: %+d, %s (protocol version %d: %d points matter clinically, %d are a reliable change).",
		a, first.CreatedAt.In(web.London).Format("2 Jan 2006"), b, last.CreatedAt.In(web.London).Format("2 Jan 2006"), b-a,
		clinical.GAD7Change(pv.Protocol.Reports, a, b), pv.Version, pv.Protocol.Reports.GAD7MinimalChange, pv.Protocol.Reports.GAD7ReliableChange)
}

func (s *Server) followupTimelinePage(r *http.Request, t store.Timeline, self bool) web.TimelinePage {
	p := web.TimelinePage{Base: s.base(r, "Timeline"), Patient: t.Patient, Self: self, Chart: followupChart(t), Checkins: followupCheckinRows(t.Checkins, &t)}
	p.GAD7Change = s.gad7Change(r, t.GAD7)
	reviewBySession := map[int64]store.Review{}
	for _, rv := range t.Reviews {
		reviewBySession[rv.SessionID] = rv
		p.Reviews = append(p.Reviews, followupReviewRowOf(rv, time.Now()))
	}
	for _, ts := range t.Sessions {
		row := web.TimelineSessionRow{ID: ts.Session.ID, Status: ts.Session.Status, Baseline: followupNRS(ts.BaselineNRS), Peak: followupNRS(ts.PeakNRS),
			AtDischarge: followupNRS(ts.DischargeNRS), Class: "not yet classified"}
		if ts.Session.DoseAt != nil {
			row.DosedAt = *ts.Session.DoseAt
		} else {
			row.DosedAt = ts.Session.OpenedAt
		}
		if !self {
			row.FollowupURL = fmt.Sprintf("/sessions/%d/followup", ts.Session.ID)
		}
		if c := ts.Classification; c != nil {
			row.Class, row.Protocol, row.Evidence = string(c.Class), c.ProtocolVersion, followupEvidence(c.Evidence)
		}
		if rv, ok := reviewBySession[ts.Session.ID]; ok {
			if rv.Status == store.ReviewOpen {
				row.ReviewOutcome = "waiting for a clinician"
			} else {
				row.ReviewOutcome = strings.Join(followupReviewRowOf(rv, time.Now()).Options, "; ")
			}
		}
		p.Sessions = append(p.Sessions, row)
	}
	if self {
		p.Nav = "timeline"
	} else {
		p.Nav = "patients"
		if u, ok, err := s.db.PatientAccount(r.Context(), t.Patient.ID); err == nil && ok {
			p.Account = u.Email
		}
		p.AccountEmail = r.PostFormValue("email")
		if p.AccountEmail == "" {
			p.AccountEmail = t.Patient.Email
		}
	}
	return p
}

func (s *Server) webTimeline(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	t, err := s.db.Timeline(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "followup_timeline", s.followupTimelinePage(r, t, false))
}

func (s *Server) webMyTimeline(w http.ResponseWriter, r *http.Request) error {
	a := mustActor(r)
	t, err := s.db.Timeline(r.Context(), a, a.PatientID)
	if err != nil {
		return err
	}
	p := s.followupTimelinePage(r, t, true)
	p.Nav = "timeline"
	return s.render(w, http.StatusOK, "followup_timeline", p)
}

func (s *Server) webPatientAccountCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	_, link, err := s.followupCreateAccount(r, id, r.PostFormValue("email"), r.PostFormValue("password"))
	if code := ketacare.ErrorCode(err); code == ketacare.EINVALID || code == ketacare.ECONFLICT {
		t, terr := s.db.Timeline(r.Context(), mustActor(r), id)
		if terr != nil {
			return terr
		}
		p := s.followupTimelinePage(r, t, false)
		p.Errors = web.ErrorSummary{Fields: ketacare.ErrorFields(err)}
		if len(p.Errors.Fields) == 0 {
			p.Errors.Message = ketacare.ErrorMessage(err)
		}
		return s.render(w, statusByCode[code], "followup_timeline", p)
	} else if err != nil {
		return err
	}
	if link != nil {
		return s.renderAccountLink(w, r, id, link)
	}
	http.Redirect(w, r, fmt.Sprintf("/patients/%d/timeline", id), http.StatusSeeOther)
	return nil
}

func (s *Server) webSessionFollowup(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a := mustActor(r)
	sess, list, err := s.db.SessionFollowup(r.Context(), a, id)
	if err != nil {
		return err
	}
	pt, err := s.db.Patient(r.Context(), a, sess.PatientID)
	if err != nil {
		return err
	}
	p := web.SessionFollowupPage{Base: s.base(r, "Check-ins"), SessionID: sess.ID, Patient: pt, Checkins: followupCheckinRows(list, nil)}
	p.Nav = "patients"
	return s.render(w, http.StatusOK, "followup_session", p)
}

// followupBaseURL is the address patients reach ketacare at, for links
// shown to staff: the configured base URL, or this request's host.
func (s *Server) followupBaseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return strings.TrimRight(s.cfg.BaseURL, "/")
	}
	scheme := "http"
	if s.secure(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) webCheckinLink(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	token, c, err := s.db.StaffCheckinLink(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	back := fmt.Sprintf("/patients/%d/timeline", c.PatientID)
	if c.SessionID != 0 {
		back = fmt.Sprintf("/sessions/%d/followup", c.SessionID)
	}
	return s.render(w, http.StatusOK, "followup_link", web.CheckinLinkPage{Base: s.base(r, "Check-in link"), Label: c.Label(),
		URL: s.followupBaseURL(r) + store.CheckinPath(token), DueAt: c.DueAt, ExpiresAt: c.ExpiresAt, BackURL: back})
}
