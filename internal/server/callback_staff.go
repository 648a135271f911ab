package server

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/store"
	"github.com/ketacare/ketacare/internal/web"
)

// callbackList is the answer of GET /api/v1/callbacks.
type callbackList struct {
	Items []callbackJSON `json:"items"`
	Total int            `json:"total"`
}

// callbackDetailJSON is one request with its attempts, timeline and linked
// patient (name and contact only).
type callbackDetailJSON struct {
	callbackJSON
	History []store.CallbackAttempt `json:"history"`
	Events  []store.CallbackEvent   `json:"events"`
	Patient *store.LinkedPatient    `json:"patient,omitempty"`
}

// attemptInput is the body of POST /api/v1/callbacks/{id}/attempts.
type attemptInput struct {
	Outcome string `json:"outcome" doc:"no_answer, busy, failed (retry or close after the last attempt); advice_given, appointment_booked, referred, safeguarding_escalated, wrong_number, declined, duplicate, spam (close)"`
	Note    string `json:"note,omitempty"`
}

func (s *Server) apiCallbackList(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.db.ListCallbacks(r.Context(), mustActor(r), r.URL.Query().Get("status"), 1000)
	if err != nil {
		return err
	}
	now := time.Now()
	out := callbackList{Items: []callbackJSON{}, Total: len(cs)}
	for _, c := range cs {
		out.Items = append(out.Items, toCallbackJSON(c, now))
	}
	writeJSON(w, http.StatusOK, out, "")
	return nil
}

func (s *Server) apiCallbackGet(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := s.db.CallbackDetail(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	out := callbackDetailJSON{callbackJSON: toCallbackJSON(d.Callback, time.Now()), History: d.Attempts, Events: d.Events, Patient: d.Patient}
	if out.History == nil {
		out.History = []store.CallbackAttempt{}
	}
	writeJSON(w, http.StatusOK, out, "")
	return nil
}

func (s *Server) apiCallbackClaim(w http.ResponseWriter, r *http.Request) error {
	c, ok, err := s.db.ClaimNextCallback(r.Context(), mustActor(r))
	if err != nil {
		return err
	}
	if !ok {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeJSON(w, http.StatusOK, toCallbackJSON(c, time.Now()), "")
	return nil
}

func (s *Server) apiCallbackAttempt(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in attemptInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.db.RecordCallbackAttempt(r.Context(), mustActor(r), id, in.Outcome, in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCallbackJSON(c, time.Now()), "")
	return nil
}

func (s *Server) apiCallbackRelease(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.db.ReleaseCallback(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCallbackJSON(c, time.Now()), "")
	return nil
}

func (s *Server) apiCallbackRenew(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.db.RenewCallbackLease(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCallbackJSON(c, time.Now()), "")
	return nil
}

func (s *Server) apiCallbackStats(w http.ResponseWriter, r *http.Request) error {
	st, err := s.db.CallbackStats(r.Context(), mustActor(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st, "")
	return nil
}

func (s *Server) apiEscalationAck(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.db.AcknowledgeEscalation(r.Context(), mustActor(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) maxAttempts(r *http.Request) int {
	pv, err := s.db.CurrentProtocol(r.Context())
	if err != nil {
		return 0
	}
	return pv.Protocol.Callback.MaxAttempts
}

func (s *Server) webCallbackQueue(w http.ResponseWriter, r *http.Request) error {
	a := mustActor(r)
	closed := r.URL.Query().Get("status") == "closed"
	status := "open"
	if closed {
		status = "closed"
	}
	cs, err := s.db.ListCallbacks(r.Context(), a, status, 500)
	if err != nil {
		return err
	}
	st, err := s.db.CallbackStats(r.Context(), a)
	if err != nil {
		return err
	}
	now, most := time.Now(), s.maxAttempts(r)
	page := web.CallbackQueuePage{Base: s.base(r, "Callback queue"), Closed: closed, DueNow: st.DueNow, Escalations: len(st.Escalations),
		Now: now.In(web.London).Format("15:04:05")}
	page.Nav, page.Wide = "callbacks", true
	for _, c := range cs {
		row := callbackRow(c, now, a.UserID, most)
		if row.Mine {
			page.Mine = append(page.Mine, row)
			continue
		}
		page.Rows = append(page.Rows, row)
	}
	return s.render(w, http.StatusOK, "callback_queue", page)
}

func (s *Server) webCallbackClaim(w http.ResponseWriter, r *http.Request) error {
	c, ok, err := s.db.ClaimNextCallback(r.Context(), mustActor(r))
	if err != nil {
		return err
	}
	if !ok {
		http.Redirect(w, r, "/callbacks/queue", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, fmt.Sprintf("/callbacks/%d", c.ID), http.StatusSeeOther)
	return nil
}

func (s *Server) callbackDetailPage(r *http.Request, id int64) (web.CallbackDetailPage, error) {
	a := mustActor(r)
	d, err := s.db.CallbackDetail(r.Context(), a, id)
	if err != nil {
		return web.CallbackDetailPage{}, err
	}
	c, now := d.Callback, time.Now()
	tgt, over := target(c, now)
	page := web.CallbackDetailPage{Base: s.base(r, "Callback "+c.Reference), ID: c.ID, Reference: c.Reference, Name: c.Name,
		Phone: phoneDisplay(c.Phone), PhoneHref: web.DialLink("tel", c.Phone), Urgent: c.Priority == clinical.CallbackUrgent,
		ImmediateDanger: c.ImmediateDanger, SafeNow: c.SafeNow, Matched: c.Matched, Window: windowText(c, now), Voicemail: c.ConsentVoicemail,
		Status: callbackStatus(c, now, a.UserID), Target: tgt, Overdue: over, Attempts: fmt.Sprintf("%d of %d", c.Attempts, s.maxAttempts(r)),
		Held: c.Status == store.CallbackClaimed && c.ClaimedBy == a.UserID, LeaseUntil: londonClock(c.LeaseExpiresAt, now)}
	page.Nav = "callbacks"
	for _, p := range strings.Split(c.Reason, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			page.Reason = append(page.Reason, p)
		}
	}
	if c.Status == store.CallbackClosed {
		page.Outcome = store.OutcomeLabel(c.Outcome)
	}
	for _, o := range store.CallbackOutcomes {
		opt := web.CallbackOutcomeOption{Code: o.Code, Label: o.Label}
		if o.Retry {
			opt.Hint = "Back to the queue for another try later, or closed after the last attempt."
		}
		page.Outcomes = append(page.Outcomes, opt)
	}
	if d.Patient != nil {
		page.PatientLinked = true
		page.PatientName, page.PatientPhone = d.Patient.Name, d.Patient.Phone
		if a.Role.Clinical() && d.Patient.Visible {
			page.PatientRecordURL = fmt.Sprintf("/patients/%d", d.Patient.ID)
		}
	}
	for _, at := range d.Attempts {
		page.History = append(page.History, web.CallbackAttemptView{No: at.AttemptNo, At: londonClock(at.At, now), Outcome: store.OutcomeLabel(at.Outcome),
			Note: at.Note, By: at.CounsellorEmail})
	}
	for _, ev := range d.Events {
		page.Events = append(page.Events, web.CallbackEventView{At: londonClock(ev.At, now), Kind: strings.ReplaceAll(ev.Kind, "_", " "), By: ev.Email, Detail: ev.Detail})
	}
	return page, nil
}

func (s *Server) webCallbackDetail(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	page, err := s.callbackDetailPage(r, id)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "callback_detail", page)
}

// webCallbackAction runs a holder's action from the detail page; a refused
// action shows the page again with the reason.
func (s *Server) webCallbackAction(do func(r *http.Request, a ketacare.Actor, id int64) error) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		err = do(r, mustActor(r), id)
		switch code := ketacare.ErrorCode(err); code {
		case "":
			http.Redirect(w, r, fmt.Sprintf("/callbacks/%d", id), http.StatusSeeOther)
			return nil
		case ketacare.EINVALID, ketacare.ECONFLICT:
			page, perr := s.callbackDetailPage(r, id)
			if perr != nil {
				return perr
			}
			page.Errors = web.ErrorSummary{Fields: ketacare.ErrorFields(err)}
			if len(page.Errors.Fields) == 0 {
				page.Errors.Message = ketacare.ErrorMessage(err)
			}
			page.FormOutcome, page.FormNote = r.PostFormValue("outcome"), r.PostFormValue("note")
			return s.render(w, statusByCode[code], "callback_detail", page)
		default:
			return err
		}
	}
}

func (s *Server) webCallbackStaffForm(w http.ResponseWriter, r *http.Request) error {
	page, err := s.callbackFormPage(r, web.CallbackForm{}, true, "")
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "callback", page)
}

// webCallbackStaffCreate logs a request on behalf of a caller: signed in,
// CSRF-checked, and free of the public limits.
func (s *Server) webCallbackStaffCreate(w http.ResponseWriter, r *http.Request) error {
	a := mustActor(r)
	form := readCallbackForm(r)
	in, err := callbackFormInput(form, time.Now(), true)
	var res store.SubmitResult
	if err == nil {
		res, err = s.db.SubmitCallback(r.Context(), a, store.CallbackSourceStaff, in, store.SubmitGuard{})
	}
	if code := ketacare.ErrorCode(err); code == ketacare.EINVALID {
		page, perr := s.callbackFormPage(r, form, true, "")
		if perr != nil {
			return perr
		}
		page.Errors = web.ErrorSummary{Fields: ketacare.ErrorFields(err)}
		return s.render(w, http.StatusBadRequest, "callback", page)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/callbacks/%d", res.Callback.ID), http.StatusSeeOther)
	return nil
}

func (s *Server) webCallbackSupervisor(w http.ResponseWriter, r *http.Request) error {
	st, err := s.db.CallbackStats(r.Context(), mustActor(r))
	if err != nil {
		return err
	}
	now := time.Now()
	page := web.CallbackSupervisorPage{Base: s.base(r, "Callback service"), Queued: st.Queued, DueNow: st.DueNow, Claimed: st.Claimed,
		UrgentOpen: st.UrgentOpen, OverdueOpen: st.OverdueOpen, Now: now.In(web.London).Format("15:04:05")}
	page.Nav = "callbacks"
	for _, c := range st.StaleContacts {
		page.StaleContacts = append(page.StaleContacts, c.Name+" ("+c.Number+", last checked "+c.LastVerified+")")
	}
	for _, e := range st.Escalations {
		status := "Waiting"
		switch e.Status {
		case store.CallbackClaimed:
			status = "With a counsellor"
		case store.CallbackClosed:
			status = "Closed"
		}
		page.Escalations = append(page.Escalations, web.CallbackEscalationRow{ID: e.ID, RequestID: e.RequestID, Reference: e.Reference,
			Urgent: e.Priority == clinical.CallbackUrgent, Due: londonClock(e.DueAt, now) + " (" + shortDuration(now.Sub(e.DueAt)) + " ago)", Status: status})
	}
	dur := func(d time.Duration, n int) string {
		if n == 0 {
			return "–"
		}
		if d < time.Minute {
			return fmt.Sprintf("%d s", int(d/time.Second))
		}
		return shortDuration(d)
	}
	for _, win := range st.Windows {
		v := web.CallbackStatWindow{Label: win.Label, Missed: win.Missed}
		for _, p := range win.ByPriority {
			v.Rows = append(v.Rows, web.CallbackStatRow{Urgent: p.Priority == clinical.CallbackUrgent, Priority: string(p.Priority),
				Target: humanMinutes(p.TargetMinutes), Requests: p.Requests, Attempted: p.Attempted, Median: dur(p.Median, p.Attempted),
				P90: dur(p.P90, p.Attempted), Missed: p.Missed})
		}
		for _, o := range win.Outcomes {
			v.Outcomes = append(v.Outcomes, web.CallbackOutcomeCount{Label: o.Label, Count: o.Count})
		}
		page.Windows = append(page.Windows, v)
	}
	return s.render(w, http.StatusOK, "callback_supervisor", page)
}

func (s *Server) webEscalationAck(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.db.AcknowledgeEscalation(r.Context(), mustActor(r), id); err != nil && ketacare.ErrorCode(err) != ketacare.ENOTFOUND {
		return err
	}
	http.Redirect(w, r, "/callbacks/supervisor", http.StatusSeeOther)
	return nil
}
