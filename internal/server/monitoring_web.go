package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/monitoring"
	"github.com/ketacare/ketacare/internal/store"
	"github.com/ketacare/ketacare/internal/web"
)

// webBoard shows the live board of the clinic given by ?clinic=, or of the
// actor's home clinic.
func (s *Server) webBoard(w http.ResponseWriter, r *http.Request) error {
	a := mustActor(r)
	clinic := a.HomeClinic()
	if c := r.URL.Query().Get("clinic"); c != "" {
		id, err := strconv.ParseInt(c, 10, 64)
		if err != nil {
			return notFoundError("Clinic")
		}
		clinic = id
	}
	b, err := s.mon.Board(r.Context(), a, clinic)
	if err != nil {
		return err
	}
	p := web.BoardPage{Base: s.base(r, "Live board"), ClinicID: clinic, EventsURL: fmt.Sprintf("/api/v1/clinics/%d/events", clinic), UpdatedAt: b.Now}
	p.Nav, p.Wide = "board", true
	p.Duty.CanStart = a.Role == ketacare.RolePrescriber
	for _, d := range b.OnDuty {
		self := d.UserID == a.UserID
		p.OnDuty = append(p.OnDuty, web.DutyView{UserID: d.UserID, Name: d.Name, Since: d.Since, Until: d.Until, CanEnd: self || a.Role == ketacare.RoleAdmin})
		if self {
			p.Duty.CanStart = false
		}
	}
	for _, row := range b.Rows {
		v := boardRowView(row)
		switch clinical.AlertTier(v.Tier) {
		case clinical.TierEmergency:
			p.Emergency++
		case clinical.TierCritical:
			p.Critical++
		case clinical.TierWarning:
			p.Warning++
		}
		p.Rows = append(p.Rows, v)
	}
	return s.render(w, http.StatusOK, "board", p)
}

// webDuty puts the signed-in prescriber on duty in the board's clinic, or
// takes someone off it, and goes back to the board.
func (s *Server) webDuty(w http.ResponseWriter, r *http.Request) error {
	a := mustActor(r)
	clinic, err := strconv.ParseInt(r.PostFormValue("clinic"), 10, 64)
	if err != nil {
		return notFoundError("Clinic")
	}
	user := a.UserID
	if u := r.PostFormValue("user"); u != "" {
		if user, err = strconv.ParseInt(u, 10, 64); err != nil {
			return notFoundError("Prescriber")
		}
	}
	if err := s.mon.SetOnDuty(r.Context(), a, clinic, user, r.PostFormValue("on") == "1"); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/board?clinic=%d", clinic), http.StatusSeeOther)
	return nil
}

func boardRowView(row monitoring.BoardRow) web.BoardRowView {
	reading := func(name string) web.ReadingView {
		rd, ok := row.Readings[name]
		if !ok || !rd.Set {
			return web.ReadingView{}
		}
		return web.ReadingView{Text: strconv.FormatFloat(rd.Value, 'f', -1, 64), Trend: rd.Trend}
	}
	v := web.BoardRowView{SessionID: row.SessionID, PatientID: row.PatientID, PatientName: row.PatientName,
		Treatment: fmt.Sprintf("%s %s %g mg", row.Drug, row.Route, row.DoseMg), Status: row.Status,
		Pulse: reading("pulse"), SpO2: reading("spo2"), RespRate: reading("respRate"), Anxiety: reading("anxiety"), MOAAS: reading("moaas"),
		Tier: string(row.Tier), Overdue: row.Overdue, MinutesSinceDose: "not dosed"}
	if row.MinutesSinceDose >= 0 {
		v.MinutesSinceDose = fmt.Sprintf("%d min", row.MinutesSinceDose)
	}
	if sys, dia := reading("systolic"), reading("diastolic"); sys.Text != "" && dia.Text != "" {
		v.BP = web.ReadingView{Text: sys.Text + "/" + dia.Text, Trend: sys.Trend}
	}
	if row.NEWS2 != nil {
		v.NEWS2, v.NEWS2Response = strconv.Itoa(row.NEWS2.Total), row.NEWS2.Response
	}
	if row.NextDue != nil {
		v.NextDue = row.NextDue.In(web.London).Format("15:04")
	}
	for _, a := range row.Alerts {
		v.Alerts = append(v.Alerts, alertView(a, row.PatientName))
	}
	return v
}

func alertView(a store.Alert, patient string) web.AlertView {
	v := web.AlertView{ID: a.ID, SessionID: a.SessionID, PatientName: patient, Rule: string(a.Rule), Tier: string(a.Tier), Message: a.Message,
		Value: a.Value, RaisedAt: a.RaisedAt, ReadingAt: a.ReadingAt, Cleared: a.ClearedAt != nil, NeedsAck: a.NeedsAcknowledgement(),
		AcknowledgedBy: a.AcknowledgedName, Escalated: a.EscalatedAt != nil, EscalatedTo: a.EscalatedTo, ProtocolVersion: a.ProtocolVersion}
	if a.ClearedAt != nil {
		v.ClearedAt = *a.ClearedAt
	}
	if a.AcknowledgedAt != nil {
		v.AcknowledgedAt = *a.AcknowledgedAt
	}
	return v
}

func sessionView(s store.DosingSession, now time.Time) web.SessionView {
	v := web.SessionView{ID: s.ID, PatientID: s.PatientID, Treatment: fmt.Sprintf("%s %s %g mg", s.Drug, s.Route, s.DoseMg), Route: string(s.Route),
		Status: s.Status, OpenedAt: s.OpenedAt, Live: s.Live(), Closed: s.Status == store.SessionClosed, Dosed: s.DoseAt != nil, DischargedBy: s.DischargedByName,
		DischargeReason: s.DischargeReason, ProtocolVersion: s.DischargeProtocol}
	if s.DoseAt != nil {
		v.DoseAt = *s.DoseAt
		end := now
		if s.DischargedAt != nil {
			end = *s.DischargedAt
		}
		v.MinutesSinceDose = strconv.Itoa(int(end.Sub(*s.DoseAt) / time.Minute))
	}
	if s.DoseEndAt != nil {
		v.DoseEndAt = *s.DoseEndAt
	}
	if s.DischargedAt != nil {
		v.DischargedAt = *s.DischargedAt
	}
	if s.DischargeInGate != nil {
		v.WithinGate = *s.DischargeInGate
	}
	return v
}

var (
	sessionDrugs  = []string{monitoring.DrugKetamine, monitoring.DrugEsketamine}
	sessionRoutes = func() []string {
		out := make([]string, len(clinical.Routes))
		for i, r := range clinical.Routes {
			out[i] = string(r)
		}
		return out
	}()
)

func (s *Server) webPatientSessions(w http.ResponseWriter, r *http.Request) error {
	return s.renderPatientSessions(w, r, web.SessionForm{}, nil, http.StatusOK)
}

func (s *Server) renderPatientSessions(w http.ResponseWriter, r *http.Request, form web.SessionForm, formErr error, status int) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, sessions, err := s.mon.SessionsOfPatient(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	page := web.PatientSessionsPage{Base: s.base(r, "Dosing sessions"), Patient: p, Form: form, Drugs: sessionDrugs, Routes: sessionRoutes}
	page.Nav = "patients"
	now := s.db.Now()
	for _, x := range sessions {
		page.Sessions = append(page.Sessions, sessionView(x, now))
		if x.Live() {
			page.LiveID = x.ID
		}
	}
	if formErr != nil {
		page.Errors = web.ErrorSummary{Message: ketacare.ErrorMessage(formErr), Fields: ketacare.ErrorFields(formErr)}
	}
	return s.render(w, status, "monitoring_sessions", page)
}

func (s *Server) webSessionOpen(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	form := web.SessionForm{Drug: r.PostFormValue("drug"), Route: r.PostFormValue("route"), DoseMg: strings.TrimSpace(r.PostFormValue("doseMg")),
		SpO2Scale2: r.PostFormValue("spo2Scale2") == "yes"}
	in := monitoring.OpenInput{Drug: form.Drug, Route: clinical.Route(form.Route), SpO2Scale2: form.SpO2Scale2}
	if form.DoseMg != "" {
		d, err := strconv.ParseFloat(form.DoseMg, 64)
		if err != nil {
			return s.renderPatientSessions(w, r, form, &ketacare.Error{Code: ketacare.EINVALID, Message: "Some fields need correcting.",
				Fields: map[string]string{"doseMg": "Give the dose as a number of mg."}}, http.StatusBadRequest)
		}
		in.DoseMg = d
	}
	sess, err := s.mon.OpenSession(r.Context(), mustActor(r), id, in)
	if code := ketacare.ErrorCode(err); code == ketacare.EINVALID || code == ketacare.ECONFLICT {
		return s.renderPatientSessions(w, r, form, err, statusByCode[code])
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/sessions/%d", sess.ID), http.StatusSeeOther)
	return nil
}

func (s *Server) webSession(w http.ResponseWriter, r *http.Request) error {
	return s.renderSession(w, r, "", nil, http.StatusOK)
}

// webSessionClose closes a session without a dose, with the reason typed;
// the session page shows the form again with its error.
func (s *Server) webSessionClose(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	reason := r.PostFormValue("reason")
	if _, err := s.mon.CloseUndosed(r.Context(), mustActor(r), id, reason); ketacare.ErrorCode(err) == ketacare.EINVALID {
		return s.renderSession(w, r, reason, err, http.StatusBadRequest)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/sessions/%d", id), http.StatusSeeOther)
	return nil
}

func (s *Server) renderSession(w http.ResponseWriter, r *http.Request, closeReason string, closeErr error, status int) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rec, err := s.mon.SessionRecord(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	name := rec.Patient.GivenName + " " + rec.Patient.FamilyName
	page := web.SessionPage{Base: s.base(r, "Session"), Patient: rec.Patient, Session: sessionView(rec.Session, rec.Now),
		CADSSDue: rec.CADSSDue, Gate: gateView(rec.Gate), ProtocolVersion: rec.Protocol.Version,
		EventsURL: fmt.Sprintf("/api/v1/sessions/%d/events", id), CloseReason: closeReason}
	page.Wide = true
	if rec.Session.DoseAt == nil {
		page.BaselineComplete = !clinical.LastScheduledObservationAt(store.Readings(rec.Observations), rec.Now).IsZero()
	}
	if closeErr != nil {
		page.Errors = web.ErrorSummary{Fields: ketacare.ErrorFields(closeErr)}
	}
	page.Nav = "board"
	if rec.Session.DischargeGate != nil {
		page.DischargeGate = gateView(*rec.Session.DischargeGate)
	}
	if !rec.Session.Live() && !rec.NEWS2At.Equal(rec.Now) {
		page.NEWS2At = rec.NEWS2At
	}
	if rec.NEWS2 != nil {
		page.NEWS2, page.NEWS2Response = strconv.Itoa(rec.NEWS2.Total), rec.NEWS2.Response
		for _, p := range clinical.NEWS2Parameters {
			page.NEWS2Subscores = append(page.NEWS2Subscores, web.GateItemView{Code: clinical.NEWS2ParameterNames[p], Label: strconv.Itoa(rec.NEWS2.Subscores[p])})
		}
	}
	if !rec.NextDue.IsZero() {
		page.NextDue = rec.NextDue.In(web.London).Format("15:04")
		grace := time.Duration(rec.Protocol.Protocol.Monitoring.OverdueGraceMinutes) * time.Minute
		page.Overdue = rec.Now.After(rec.NextDue.Add(grace))
	}
	for _, o := range rec.Observations {
		page.Observations = append(page.Observations, observationView(o, rec.Session))
	}
	for _, a := range rec.Alerts {
		v := alertView(a, name)
		page.Alerts = append(page.Alerts, v)
		if a.Outstanding() {
			page.Outstanding = append(page.Outstanding, v)
		}
	}
	return s.render(w, status, "monitoring_session", page)
}

func gateView(g clinical.GateResult) web.GateView {
	v := web.GateView{Pass: g.Pass}
	for _, it := range g.Items {
		v.Items = append(v.Items, web.GateItemView{Code: it.Code, Label: it.Label, Detail: it.Detail, Pass: it.Pass})
	}
	return v
}

func observationView(o store.ObservationRecord, s store.DosingSession) web.ObservationView {
	num := func(v *int) string {
		if v == nil {
			return ""
		}
		return strconv.Itoa(*v)
	}
	v := web.ObservationView{ID: o.ID, At: o.At, Pulse: num(o.Pulse), SpO2: num(o.SpO2), RespRate: num(o.RespRate), ACVPU: o.Consciousness,
		Anxiety: num(o.Anxiety), MOAAS: num(o.MOAAS), Source: o.Source, Confirmed: o.Confirmed,
		SysV: num(o.Systolic), DiaV: num(o.Diastolic), PulseV: num(o.Pulse), SpO2V: num(o.SpO2), AnxietyV: num(o.Anxiety), Minutes: "pre-dose"}
	if s.DoseAt != nil && o.At.After(*s.DoseAt) {
		v.Minutes = "+" + strconv.Itoa(int(o.At.Sub(*s.DoseAt)/time.Minute))
	}
	if o.Systolic != nil && o.Diastolic != nil {
		v.BP = fmt.Sprintf("%d/%d", *o.Systolic, *o.Diastolic)
	}
	if o.TempC != nil {
		v.TempC = strconv.FormatFloat(*o.TempC, 'f', 1, 64)
	}
	if o.OnOxygen != nil {
		v.Oxygen = map[bool]string{true: "oxygen", false: "air"}[*o.OnOxygen]
	}
	if len(o.CADSS) > 0 {
		total := 0
		for _, c := range o.CADSS {
			total += c
		}
		v.CADSS = strconv.Itoa(total)
	}
	for _, c := range o.Signs {
		v.Signs = append(v.Signs, clinical.ObservationSigns.Label(c))
	}
	for _, c := range o.Measures {
		v.Measures = append(v.Measures, clinical.SupportiveMeasures.Label(c))
	}
	if o.NEWS2 != nil {
		v.NEWS2 = strconv.Itoa(o.NEWS2.Total)
	}
	return v
}

func (s *Server) webSessionDose(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var end *time.Time
	if r.PostFormValue("end") == "now" {
		now := s.db.Now()
		end = &now
	}
	in := monitoring.DoseInput{EndAt: end, WithoutBaseline: r.PostFormValue("withoutBaseline") == "yes"}
	if _, err := s.mon.MarkDose(r.Context(), mustActor(r), id, in); ketacare.ErrorFields(err)["withoutBaseline"] != "" {
		return s.renderSession(w, r, "", err, http.StatusConflict)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/sessions/%d", id), http.StatusSeeOther)
	return nil
}

func (s *Server) webObservationForm(w http.ResponseWriter, r *http.Request) error {
	return s.renderObservationForm(w, r, url.Values{}, nil, http.StatusOK)
}

func (s *Server) renderObservationForm(w http.ResponseWriter, r *http.Request, form url.Values, formErr error, status int) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rec, err := s.mon.SessionRecord(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	if !rec.Session.Live() {
		http.Redirect(w, r, fmt.Sprintf("/sessions/%d", id), http.StatusSeeOther)
		return nil
	}
	page := web.ObservationFormPage{Base: s.base(r, "Record an observation"), Patient: rec.Patient, Session: sessionView(rec.Session, rec.Now),
		Values: map[string]string{}, CADSSDue: rec.CADSSDue}
	page.Nav = "board"
	for k, v := range form {
		if len(v) > 0 {
			page.Values[k] = v[0]
		}
	}
	consciousness := form.Get("consciousness")
	if len(form) == 0 {
		consciousness = "A"
	}
	for _, c := range clinical.ConsciousnessLevels {
		page.Consciousness = append(page.Consciousness, web.CodeOption{Code: c.Code, Label: c.Label, Checked: c.Code == consciousness})
	}
	for _, c := range clinical.ObservationSigns {
		page.Signs = append(page.Signs, web.CodeOption{Code: c.Code, Label: c.Label, Checked: contains(form["signs"], c.Code)})
	}
	for _, c := range clinical.SupportiveMeasures {
		page.Measures = append(page.Measures, web.CodeOption{Code: c.Code, Label: c.Label, Checked: contains(form["measures"], c.Code)})
	}
	if formErr != nil {
		page.Errors = web.ErrorSummary{Message: ketacare.ErrorMessage(formErr), Fields: ketacare.ErrorFields(formErr)}
		page.AskConfirm = ketacare.ErrorCode(formErr) == ketacare.EUNPROCESSABLE
		if form.Get("cadss1") != "" {
			page.CADSSDue = true
		}
	}
	return s.render(w, status, "monitoring_observe", page)
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// observationFromForm reads the observation form; bad numbers are named.
func observationFromForm(form url.Values) (clinical.Observation, bool, error) {
	var o clinical.Observation
	bad := map[string]string{}
	intField := func(name string) *int {
		v := strings.TrimSpace(form.Get(name))
		if v == "" {
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			bad[name] = "Enter a whole number."
			return nil
		}
		return &n
	}
	o.Systolic, o.Diastolic, o.Pulse = intField("systolic"), intField("diastolic"), intField("pulse")
	o.SpO2, o.RespRate, o.Anxiety, o.MOAAS = intField("spo2"), intField("respRate"), intField("anxiety"), intField("moaas")
	if v := strings.TrimSpace(form.Get("tempC")); v != "" {
		t, err := strconv.ParseFloat(strings.Replace(v, ",", ".", 1), 64)
		if err != nil {
			bad["tempC"] = "Enter the temperature as a number, like 36.8."
		} else {
			o.TempC = &t
		}
	}
	o.Consciousness = form.Get("consciousness")
	switch form.Get("onOxygen") {
	case "air":
		o.OnOxygen = new(false)
	case "oxygen":
		o.OnOxygen = new(true)
	}
	var cadss []int
	for i := 1; i <= 6; i++ {
		if p := intField(fmt.Sprintf("cadss%d", i)); p != nil {
			cadss = append(cadss, *p)
		}
	}
	if len(cadss) > 0 {
		o.CADSS = cadss
	}
	o.Signs, o.Measures = form["signs"], form["measures"]
	if len(bad) > 0 {
		return o, false, &ketacare.Error{Code: ketacare.EINVALID, Message: "Some fields need correcting.", Fields: bad}
	}
	return o, form.Get("confirmed") == "yes", nil
}

func (s *Server) webObservationCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return ketacare.Errorf(ketacare.EINVALID, "The form could not be read.")
	}
	o, confirmed, err := observationFromForm(r.PostForm)
	if err == nil {
		_, err = s.mon.RecordObservation(r.Context(), mustActor(r), id, monitoring.ObservationInput{Observation: o, Confirmed: confirmed, Source: monitoring.SourceWeb})
	}
	if code := ketacare.ErrorCode(err); code == ketacare.EINVALID || code == ketacare.EUNPROCESSABLE {
		form := r.PostForm
		form.Del("csrf_token")
		form.Del("confirmed")
		return s.renderObservationForm(w, r, form, err, statusByCode[code])
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/sessions/%d", id), http.StatusSeeOther)
	return nil
}

func (s *Server) webAlertAck(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	al, err := s.mon.Acknowledge(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	next := r.PostFormValue("next")
	if next != "/board" {
		next = fmt.Sprintf("/sessions/%d", al.SessionID)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Server) webDischargeForm(w http.ResponseWriter, r *http.Request) error {
	return s.renderDischarge(w, r, web.DischargePage{}, nil, http.StatusOK)
}

func (s *Server) renderDischarge(w http.ResponseWriter, r *http.Request, page web.DischargePage, formErr error, status int) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rec, err := s.mon.SessionRecord(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	if !rec.Session.Live() {
		http.Redirect(w, r, fmt.Sprintf("/sessions/%d", id), http.StatusSeeOther)
		return nil
	}
	page.Base, page.Patient, page.Session = s.base(r, "Discharge"), rec.Patient, sessionView(rec.Session, rec.Now)
	page.Gate, page.ProtocolVersion = gateView(rec.Gate), rec.Protocol.Version
	page.Nav = "board"
	if formErr == nil && status == http.StatusOK {
		page.Escort, page.Driving = rec.Session.EscortConfirmed, rec.Session.DrivingAdviceGiven
	}
	if formErr != nil {
		page.Errors = web.ErrorSummary{Message: ketacare.ErrorMessage(formErr), Fields: ketacare.ErrorFields(formErr)}
	}
	return s.render(w, status, "monitoring_discharge", page)
}

func (s *Server) webDischarge(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in := monitoring.DischargeInput{EscortConfirmed: r.PostFormValue("escort") == "yes", DrivingAdviceGiven: r.PostFormValue("driving") == "yes",
		Reason: r.PostFormValue("reason")}
	_, err = s.mon.Discharge(r.Context(), mustActor(r), id, in)
	if code := ketacare.ErrorCode(err); code == ketacare.EINVALID {
		return s.renderDischarge(w, r, web.DischargePage{Escort: in.EscortConfirmed, Driving: in.DrivingAdviceGiven, Reason: in.Reason}, err, statusByCode[code])
	} else if err != nil {
		return err
	}
	return s.showFirstCheckinLink(w, r, id)
}

// showFirstCheckinLink answers a discharge with the link to the first
// follow-up check-in, to give the patient before they leave (it is also
// emailed when due). Without a check-in it goes back to the session.
func (s *Server) showFirstCheckinLink(w http.ResponseWriter, r *http.Request, sessionID int64) error {
	a := mustActor(r)
	back := fmt.Sprintf("/sessions/%d", sessionID)
	_, list, err := s.db.SessionFollowup(r.Context(), a, sessionID)
	if err != nil {
		return err
	}
	var first *store.Checkin
	for i := range list {
		if list[i].Status == store.CheckinScheduled && (first == nil || list[i].DueAt.Before(first.DueAt)) {
			first = &list[i]
		}
	}
	if first == nil {
		http.Redirect(w, r, back, http.StatusSeeOther)
		return nil
	}
	token, c, err := s.db.StaffCheckinLink(r.Context(), a, first.ID)
	if err != nil {
		return err
	}
	page := web.CheckinLinkPage{Base: s.base(r, "Discharged"), Label: c.Label(), URL: s.followupBaseURL(r) + store.CheckinPath(token),
		DueAt: c.DueAt, ExpiresAt: c.ExpiresAt, BackURL: back}
	page.Flash = "The patient is discharged. Their follow-up check-ins are scheduled."
	return s.render(w, http.StatusOK, "followup_link", page)
}
