package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/auth"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/store"
	"github.com/ketacare/ketacare/internal/web"
)

// callbackInputJSON is the body of POST /api/v1/callbacks.
type callbackInputJSON struct {
	Name             string `json:"name"`
	Phone            string `json:"phone" doc:"UK national or international (+...) format; stored as E.164"`
	Reason           string `json:"reason"`
	SafeNow          *bool  `json:"safeNow" doc:"answer to 'are you safe right now?'"`
	PreferredFrom    string `json:"preferredFrom,omitempty" doc:"start of the preferred window: RFC 3339, or YYYY-MM-DDTHH:MM in UK time"`
	PreferredTo      string `json:"preferredTo,omitempty" doc:"end of the preferred window, same formats"`
	Consent          *bool  `json:"consent" doc:"consent to be called: must be true"`
	ConsentVoicemail bool   `json:"consentVoicemail,omitempty" doc:"consent to a voicemail when nobody answers"`
	PatientID        int64  `json:"patientId,omitempty" doc:"staff only: link to a patient of your clinic"`
}

// callbackCreated is the answer to a callback request. For a public caller
// everything in it comes from the submission itself, so it reads the same
// whether or not the number already had a request open.
type callbackCreated struct {
	ID              int64        `json:"id"`
	Reference       string       `json:"reference"`
	Priority        string       `json:"priority" doc:"urgent or standard"`
	ImmediateDanger bool         `json:"immediateDanger" doc:"true: tell the person to call 999 now (the request is still queued)"`
	DueBy           time.Time    `json:"dueBy" doc:"first call target"`
	Expectation     string       `json:"expectation"`
	CrisisContacts  []crisisJSON `json:"crisisContacts"`
}

// London times accepted in the JSON window fields besides RFC 3339.
var londonLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"}

func parseWindowTime(field, v string) (time.Time, string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, ""
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, ""
	}
	for _, l := range londonLayouts {
		if t, err := time.ParseInLocation(l, v, web.London); err == nil {
			return t, ""
		}
	}
	return time.Time{}, "Give the " + field + " as a date and time, like 2026-03-01T18:00 (UK time) or in RFC 3339."
}

// windowFromHours turns the form's "from" and "until" hours (UK time) into
// the next such window: today's, or tomorrow's when today's has passed;
// a window that ends before it starts runs past midnight.
func windowFromHours(from, to string, now time.Time) (time.Time, time.Time, map[string]string) {
	if from == "" && to == "" {
		return time.Time{}, time.Time{}, nil
	}
	if from == "" || to == "" {
		return time.Time{}, time.Time{}, map[string]string{"preferredFrom": "Choose both a start and an end time, or leave both as Any time."}
	}
	parse := func(s string) (int, int, bool) {
		h, m, ok := strings.Cut(s, ":")
		hh, err1 := strconv.Atoi(h)
		mm, err2 := strconv.Atoi(m)
		return hh, mm, ok && err1 == nil && err2 == nil && hh >= 0 && hh < 24 && mm >= 0 && mm < 60 && len(s) <= 5
	}
	fh, fm, ok1 := parse(from)
	th, tm, ok2 := parse(to)
	if !ok1 || !ok2 {
		return time.Time{}, time.Time{}, map[string]string{"preferredFrom": "Choose the times from the lists."}
	}
	if fh == th && fm == tm {
		return time.Time{}, time.Time{}, map[string]string{"preferredTo": "The end of the time to call must be after its start."}
	}
	ln := now.In(web.London)
	start := time.Date(ln.Year(), ln.Month(), ln.Day(), fh, fm, 0, 0, web.London)
	end := time.Date(ln.Year(), ln.Month(), ln.Day(), th, tm, 0, 0, web.London)
	if !end.After(start) {
		end = end.AddDate(0, 0, 1)
	}
	if !end.After(now) {
		start, end = start.AddDate(0, 0, 1), end.AddDate(0, 0, 1)
	}
	return start, end, nil
}

func hours() []string {
	out := make([]string, 24)
	for i := range out {
		out[i] = fmt.Sprintf("%02d:00", i)
	}
	return out
}

func hashBytes(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// callbackResponder renders the answer stored with a submission. Staff see
// the request as stored; public callers see only their own submission's
// triage and target, so the answer does not tell whether the number already
// had a request open (a later submission without a preferred time brings
// an open request's target forward to it: see store.mergeCallback).
func callbackResponder(staff bool) func(store.SubmitResult) ([]byte, error) {
	return func(res store.SubmitResult) ([]byte, error) {
		out := callbackCreated{ID: res.Callback.ID, Reference: res.Callback.Reference, Priority: string(res.Triage.Priority),
			ImmediateDanger: res.Triage.ImmediateDanger, DueBy: res.Due, CrisisContacts: toCrisisJSON(res.Protocol)}
		if staff {
			out.Priority, out.ImmediateDanger, out.DueBy = string(res.Callback.Priority), res.Callback.ImmediateDanger, res.Callback.DueAt
		}
		t := res.Triage
		t.Priority = clinical.CallbackPriority(out.Priority)
		from, to := res.Input.PreferredFrom, res.Input.PreferredTo
		if staff {
			from, to = res.Callback.PreferredFrom, res.Callback.PreferredTo
		}
		out.Expectation = expectation(res.Protocol, t, from, to, res.At)
		if out.ImmediateDanger {
			out.Expectation = "Call 999 now if you are in danger. " + out.Expectation
		}
		return json.Marshal(out)
	}
}

// isStaff reports whether the actor logs requests for callers, free of the
// public limits.
func isStaff(a *ketacare.Actor) bool {
	return a != nil && a.Role != ketacare.RolePatient && a.Role.Valid()
}

func (s *Server) auditRefusal(r *http.Request, why string) {
	a := anonymous(r)
	if x := actorFrom(r); x != nil {
		a = *x
	}
	_ = s.db.Audit(r.Context(), store.Event{Actor: a, Action: "callback.refused", Outcome: "denied", Detail: why})
}

// callbackCreateJSON takes a callback request as JSON: from anyone (with
// the public limits and origin check), or from staff logging it for a
// caller with a token or a session (CSRF checked by the middleware).
func (s *Server) callbackCreateJSON(w http.ResponseWriter, r *http.Request) error {
	a := actorFrom(r)
	staff := isStaff(a)
	if !staff {
		ok, err := s.callbacks.allowAddr(r.Context(), clientAddr(r), s.db.Now())
		if err != nil {
			return err
		}
		if !ok {
			return store.ErrCallbackLimited()
		}
		if err := checkOrigin(r); err != nil {
			s.auditRefusal(r, "origin")
			return err
		}
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 200 {
		return ketacare.Errorf(ketacare.EINVALID, "Idempotency-Key must be 200 characters or fewer.")
	}
	if a != nil && key != "" {
		// Signed-in callers: the same per-user idempotency as every route.
		return s.idempotent(w, r, func(w http.ResponseWriter, r *http.Request) error {
			return s.callbackCreateBody(w, r, a, staff, "")
		})
	}
	return s.callbackCreateBody(w, r, a, staff, key)
}

func (s *Server) callbackCreateBody(w http.ResponseWriter, r *http.Request, a *ketacare.Actor, staff bool, publicKey string) error {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxFormBytes))
	if err != nil {
		return ketacare.Errorf(ketacare.EINVALID, "The request body is too large.")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var in callbackInputJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	f := map[string]string{}
	from, msg := parseWindowTime("start of the preferred window", in.PreferredFrom)
	if msg != "" {
		f["preferredFrom"] = msg
	}
	to, msg := parseWindowTime("end of the preferred window", in.PreferredTo)
	if msg != "" {
		f["preferredTo"] = msg
	}
	if in.SafeNow == nil {
		f["safeNow"] = "Say whether you are safe right now (safeNow: true or false)."
	}
	if in.PatientID < 0 {
		f["patientId"] = "patientId must be a positive id."
	}
	input := store.CallbackInput{Name: in.Name, Phone: in.Phone, Reason: in.Reason, SafeNow: in.SafeNow != nil && *in.SafeNow,
		PreferredFrom: from, PreferredTo: to, ConsentCall: in.Consent != nil && *in.Consent, ConsentVoicemail: in.ConsentVoicemail, PatientID: in.PatientID}
	if a != nil && a.Role == ketacare.RolePatient && input.PatientID == 0 {
		input.PatientID = a.PatientID
	}
	if input.PatientID != 0 && a == nil {
		f["patientId"] = "Only staff may link a request to a patient."
	}
	if len(f) > 0 {
		// Report these with the other field problems at once.
		_, _, verr := store.NormalizeCallback(input, time.Now())
		for k, v := range ketacare.ErrorFields(verr) {
			if _, dup := f[k]; !dup {
				f[k] = v
			}
		}
		return ketacare.FieldErrors(f)
	}
	actor := anonymous(r)
	if a != nil {
		actor = *a
	}
	source := store.CallbackSourcePublic
	g := store.SubmitGuard{RequestHash: hashBytes(body), Respond: callbackResponder(staff)}
	if staff {
		source = store.CallbackSourceStaff
	} else {
		s.callbackNumberGuard(&g)
	}
	if publicKey != "" {
		g.IdemKey = store.HashForLimit("idem", publicKey, clientAddr(r))
	}
	res, err := s.db.SubmitCallback(r.Context(), actor, source, input, g)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	if res.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	} else {
		w.Header().Set("Location", fmt.Sprintf("/api/v1/callbacks/%d", res.Callback.ID))
	}
	w.WriteHeader(http.StatusCreated)
	_, err = w.Write(append(res.Body, '\n'))
	return err
}

// apiCrisisContacts is GET /api/v1/callbacks/crisis-contacts, for anyone.
func (s *Server) apiCrisisContacts(w http.ResponseWriter, r *http.Request) error {
	pv, err := s.db.CurrentProtocol(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCrisisJSON(pv.Protocol.Callback), "")
	return nil
}

// callbackFormPage fills the form page: crisis lines and targets from the
// current protocol, a freshly signed start time, and an idempotency key
// for this form (kept when the form is shown again with errors).
func (s *Server) callbackFormPage(r *http.Request, form web.CallbackForm, staff bool, submission string) (web.CallbackFormPage, error) {
	pv, err := s.db.CurrentProtocol(r.Context())
	if err != nil {
		return web.CallbackFormPage{}, err
	}
	key, err := s.callbackKey(r.Context())
	if err != nil {
		return web.CallbackFormPage{}, err
	}
	if submission == "" || len(submission) > 64 {
		submission = auth.RandomToken(12)
	}
	p := pv.Protocol.Callback
	title := "Ask for a callback"
	action := "/callback"
	if staff {
		title, action = "Log a callback request", "/callbacks"
	}
	page := web.CallbackFormPage{Base: s.base(r, title), Form: form, Crisis: crisisGroups(p), Started: signFormStart(key, time.Now()),
		Submission: submission, Hours: hours(), UrgentIn: humanMinutes(p.UrgentFirstAttemptMinutes),
		StandardIn: humanMinutes(p.StandardFirstAttemptMinutes), Staff: staff, Action: action}
	page.Nav = "callbacks"
	return page, nil
}

// samePolicy lets the browser send the page's origin with the form post
// (the site-wide no-referrer policy would make it "null"), so the origin
// check has something to check.
func samePolicy(w http.ResponseWriter) { w.Header().Set("Referrer-Policy", "same-origin") }

func (s *Server) webCallbackForm(w http.ResponseWriter, r *http.Request) error {
	r = s.ensurePreCSRF(w, r)
	page, err := s.callbackFormPage(r, web.CallbackForm{}, false, "")
	if err != nil {
		return err
	}
	samePolicy(w)
	return s.render(w, http.StatusOK, "callback", page)
}

func readCallbackForm(r *http.Request) web.CallbackForm {
	return web.CallbackForm{Name: r.PostFormValue("name"), Phone: r.PostFormValue("phone"), Reason: r.PostFormValue("reason"),
		SafeNow: r.PostFormValue("safeNow"), From: r.PostFormValue("from"), To: r.PostFormValue("to"),
		Consent: r.PostFormValue("consent") != "", Voicemail: r.PostFormValue("voicemail") != "",
		PatientID: strings.TrimSpace(r.PostFormValue("patientId"))}
}

// callbackFormInput checks the form's own fields and turns it into a
// request, with every field problem at once.
func callbackFormInput(form web.CallbackForm, now time.Time, staff bool) (store.CallbackInput, error) {
	from, to, f := windowFromHours(form.From, form.To, now)
	if f == nil {
		f = map[string]string{}
	}
	in := store.CallbackInput{Name: form.Name, Phone: form.Phone, Reason: form.Reason, SafeNow: form.SafeNow == "yes",
		PreferredFrom: from, PreferredTo: to, ConsentCall: form.Consent, ConsentVoicemail: form.Voicemail}
	if form.SafeNow != "yes" && form.SafeNow != "no" {
		f["safeNow"] = "Say whether you are safe right now."
	}
	if staff && form.PatientID != "" {
		id, err := strconv.ParseInt(form.PatientID, 10, 64)
		if err != nil || id <= 0 {
			f["patientId"] = "Patient id must be a number."
		}
		in.PatientID = id
	}
	_, _, verr := store.NormalizeCallback(in, now)
	for k, v := range ketacare.ErrorFields(verr) {
		if _, dup := f[k]; !dup {
			f[k] = v
		}
	}
	return in, ketacare.FieldErrors(f)
}

// webCallbackSubmit is the public form's POST: the CSRF cookie (checked by
// the middleware), origin, address limit, honeypot and minimum fill time
// come first; then the request is stored or merged like the JSON one.
func (s *Server) webCallbackSubmit(w http.ResponseWriter, r *http.Request) error {
	now := time.Now()
	form := readCallbackForm(r)
	submission := r.PostFormValue("submission")
	page, err := s.callbackFormPage(r, form, false, submission)
	if err != nil {
		return err
	}
	samePolicy(w)
	refuse := func(status int, msg string, fields map[string]string) error {
		page.Errors = web.ErrorSummary{Message: msg, Fields: fields}
		return s.render(w, status, "callback", page)
	}
	ok, err := s.callbacks.allowAddr(r.Context(), clientAddr(r), s.db.Now())
	if err != nil {
		return err
	}
	if !ok {
		return refuse(http.StatusTooManyRequests, ketacare.ErrorMessage(store.ErrCallbackLimited()), nil)
	}
	if err := checkOrigin(r); err != nil {
		s.auditRefusal(r, "origin")
		return refuse(http.StatusForbidden, ketacare.ErrorMessage(err), nil)
	}
	if r.PostFormValue("website") != "" {
		s.auditRefusal(r, "honeypot")
		return refuse(http.StatusBadRequest, "We could not send your request. Please check your details and press the button again.", nil)
	}
	key, err := s.callbackKey(r.Context())
	if err != nil {
		return err
	}
	age, ok := formAge(key, r.PostFormValue("started"), now)
	switch {
	case !ok || age > callbackMaxFormAge:
		s.auditRefusal(r, "form start missing or expired")
		return refuse(http.StatusBadRequest, "This form was open too long or could not be checked. Check your details and press the button again.", nil)
	case age < callbackMinFill:
		s.auditRefusal(r, "filled too fast")
		return refuse(http.StatusBadRequest, "That was quicker than we expected. Check your details and press the button again.", nil)
	}
	in, err := callbackFormInput(form, now, false)
	if err != nil {
		return refuse(http.StatusBadRequest, "", ketacare.ErrorFields(err))
	}
	a := actorFrom(r)
	actor := anonymous(r)
	if a != nil {
		actor = *a
		if a.Role == ketacare.RolePatient {
			in.PatientID = a.PatientID
		}
	}
	g := store.SubmitGuard{Respond: callbackResponder(false),
		RequestHash: store.HashForLimit(form.Name, form.Phone, form.Reason, form.SafeNow, form.From, form.To, strconv.FormatBool(form.Consent), strconv.FormatBool(form.Voicemail))}
	if submission != "" && len(submission) <= 64 {
		g.IdemKey = store.HashForLimit("form", submission, clientAddr(r))
	}
	s.callbackNumberGuard(&g)
	res, err := s.db.SubmitCallback(r.Context(), actor, store.CallbackSourcePublic, in, g)
	switch ketacare.ErrorCode(err) {
	case "":
	case ketacare.EINVALID:
		return refuse(http.StatusBadRequest, "", ketacare.ErrorFields(err))
	case ketacare.ETOOMANY, ketacare.EUNPROCESSABLE, ketacare.ECONFLICT:
		return refuse(statusByCode[ketacare.ErrorCode(err)], ketacare.ErrorMessage(err), nil)
	default:
		return err
	}
	var created callbackCreated
	if err := json.Unmarshal(res.Body, &created); err != nil {
		return fmt.Errorf("reading the stored callback response: %w", err)
	}
	sent := web.CallbackSentPage{Base: s.base(r, "Callback requested"), Reference: created.Reference, Urgent: created.Priority == string(clinical.CallbackUrgent),
		ImmediateDanger: created.ImmediateDanger, Expectation: created.Expectation, Crisis: page.Crisis}
	return s.render(w, http.StatusOK, "callback_sent", sent)
}
