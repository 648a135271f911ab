package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/store"
)

// linkTTL is how long a screening or consent link stays open unless the
// request says otherwise.
const linkTTL = 7 * 24 * time.Hour

// assessmentInput is the body of POST /api/v1/patients/{id}/assessments.
type assessmentInput struct {
	Instrument string          `json:"instrument" doc:"gad7, phq9, auditc, cssrs or history (or the id of another built-in instrument)"`
	Answers    json.RawMessage `json:"answers" doc:"scales: item scores in item order; cssrs: six booleans Q1–Q6 (Q3–Q5 null or false when Q2 is false); history: an object of booleans and systolic/diastolic"`
}

// assessmentInputDoc documents assessmentInput in the OpenAPI description.
type assessmentInputDoc struct {
	Instrument string `json:"instrument" doc:"gad7, phq9, auditc, cssrs or history (or the id of another built-in instrument)"`
	Answers    any    `json:"answers" doc:"scales: item scores in item order; cssrs: six booleans Q1–Q6 (Q3–Q5 null or false when Q2 is false); history: an object of booleans and systolic/diastolic"`
}

// screeningCrisisContact is a crisis line.
type screeningCrisisContact struct {
	Name   string `json:"name"`
	Number string `json:"number"`
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// assessmentJSON is a recorded assessment.
type assessmentJSON struct {
	ID              int64     `json:"id"`
	Instrument      string    `json:"instrument"`
	Total           *float64  `json:"total"`
	Band            *string   `json:"band"`
	Flags           []string  `json:"flags"`
	ProtocolVersion int       `json:"protocolVersion"`
	Answers         any       `json:"answers" doc:"the item answers as recorded: item scores (-1 for a skipped item), or the history object"`
	Source          string    `json:"source" doc:"staff, patient or link"`
	CreatedAt       time.Time `json:"createdAt"`
	// Next names the instrument to complete in the same sitting: "cssrs"
	// after a PHQ-9 item 9 above 0.
	Next           string                   `json:"next,omitempty"`
	CrisisContacts []screeningCrisisContact `json:"crisisContacts,omitempty"`
}

// apiBand is the band as the API spells it: the band code in words
// ("moderately severe").
func apiBand(code string) string { return strings.ReplaceAll(code, "-", " ") }

func toAssessmentJSON(as store.Assessment, contacts []clinical.CrisisContact) assessmentJSON {
	out := assessmentJSON{ID: as.ID, Instrument: as.Name(), Total: as.Total, Flags: as.Flags, ProtocolVersion: as.ProtocolVersion,
		Source: as.Source, CreatedAt: as.CreatedAt}
	if as.Flags == nil {
		out.Flags = []string{}
	}
	if as.Instrument != store.InstrumentHistory {
		b := apiBand(as.Band)
		out.Band = &b
		out.Answers = as.AnswerValues()
	} else {
		out.Answers = as.History
	}
	for _, f := range as.Flags {
		if f == clinical.FlagPHQ9Item9 {
			out.Next = "cssrs"
			out.CrisisContacts = screeningCrisisJSON(contacts)
		}
	}
	return out
}

func screeningCrisisJSON(cs []clinical.CrisisContact) []screeningCrisisContact {
	out := []screeningCrisisContact{}
	for _, c := range cs {
		out = append(out, screeningCrisisContact{Name: c.Name, Number: c.Number, Kind: c.Kind, Detail: c.Detail})
	}
	return out
}

// parseAnswers turns the API's answers into a store input. Answers that are
// the wrong shape are refused naming the problem.
func parseAnswers(instrument string, raw json.RawMessage) (store.AssessmentInput, error) {
	in := store.AssessmentInput{Instrument: instrument}
	id, ok := store.InstrumentID(instrument)
	if !ok {
		return in, ketacare.Errorf(ketacare.EINVALID, "Unknown instrument %q: use gad7, phq9, auditc, cssrs or history.", instrument)
	}
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return in, ketacare.Errorf(ketacare.EINVALID, "Give the answers.")
	}
	switch id {
	case store.InstrumentHistory:
		var h store.HistoryAnswers
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&h); err != nil {
			return in, ketacare.Errorf(ketacare.EINVALID, "The history answers are not valid: %s.", describeJSONError(err))
		}
		in.History = &h
	case clinical.InstrumentCSSRS:
		var qs []*bool
		if err := json.Unmarshal(raw, &qs); err != nil {
			return in, ketacare.Errorf(ketacare.EINVALID, "C-SSRS answers must be a list of six true/false answers (Q1–Q6).")
		}
		scores, err := cssrsScores(qs)
		if err != nil {
			return in, err
		}
		in.Answers = scores
	default:
		var scores []*int
		if err := json.Unmarshal(raw, &scores); err != nil {
			return in, ketacare.Errorf(ketacare.EINVALID, "Answers for %s must be a list of whole-number item scores in item order.", store.InstrumentName(id))
		}
		for i, s := range scores {
			if s == nil {
				return in, ketacare.Errorf(ketacare.EINVALID, "Answers for %s are not valid: item %d is not answered.", store.InstrumentName(id), i+1)
			}
			in.Answers = append(in.Answers, *s)
		}
	}
	return in, nil
}

// cssrsScores turns the six yes/no answers of the C-SSRS screener into item
// scores, applying its skip rule: when Q2 is no, Q3–Q5 are not asked.
func cssrsScores(qs []*bool) ([]int, error) {
	if len(qs) != 6 {
		return nil, ketacare.Errorf(ketacare.EINVALID, "C-SSRS needs six answers (Q1–Q6); %d given.", len(qs))
	}
	out := make([]int, 6)
	q2No := qs[1] != nil && !*qs[1]
	for i, q := range qs {
		skippable := i >= 2 && i <= 4
		switch {
		case skippable && q2No && q != nil && *q:
			return nil, ketacare.Errorf(ketacare.EINVALID, "C-SSRS Q%d is answered yes, but Q3–Q5 are not asked when Q2 is no.", i+1)
		case skippable && q2No:
			out[i] = clinical.Skipped
		case q == nil:
			return nil, ketacare.Errorf(ketacare.EINVALID, "C-SSRS Q%d is not answered.", i+1)
		case *q:
			out[i] = 1
		}
	}
	return out, nil
}

func (s *Server) apiAssessmentCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var body assessmentInput
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	in, err := parseAnswers(body.Instrument, body.Answers)
	if err != nil {
		return err
	}
	as, err := s.db.RecordAssessment(r.Context(), mustActor(r), id, in)
	if err != nil {
		return err
	}
	pv, err := s.db.CurrentProtocol(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/patients/%d/assessments/%d", id, as.ID))
	writeJSON(w, http.StatusCreated, toAssessmentJSON(as, pv.Protocol.Callback.CrisisContacts), "")
	return nil
}

func (s *Server) apiAssessmentList(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	list, err := s.db.Assessments(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	out := []assessmentJSON{}
	for _, as := range list {
		out = append(out, toAssessmentJSON(as, nil))
	}
	writeJSON(w, http.StatusOK, out, "")
	return nil
}

type factorJSON struct {
	Code   string `json:"code"`
	Points int    `json:"points"`
	Reason string `json:"reason"`
}

type findingJSON struct {
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

type overrideJSON struct {
	ID              int64     `json:"id"`
	Code            string    `json:"code"`
	Reason          string    `json:"reason"`
	Author          string    `json:"author"`
	ProtocolVersion int       `json:"protocolVersion"`
	CreatedAt       time.Time `json:"createdAt"`
}

type contraindicationJSON struct {
	Code     string        `json:"code"`
	Reason   string        `json:"reason"`
	Override *overrideJSON `json:"override" doc:"the prescriber's override that lifts this block, or null"`
}

// screeningJSON is the answer of GET /api/v1/patients/{id}/screening.
type screeningJSON struct {
	Susceptibility       string                 `json:"susceptibility" doc:"low, moderate or high"`
	Points               int                    `json:"points"`
	Factors              []factorJSON           `json:"factors"`
	Contraindications    []contraindicationJSON `json:"contraindications"`
	ReviewItems          []findingJSON          `json:"reviewItems"`
	SuggestedAdjustments []findingJSON          `json:"suggestedAdjustments"`
	// Blocked: a contraindication blocks dosing and no override lifts it.
	Blocked         bool             `json:"blocked"`
	ProtocolVersion int              `json:"protocolVersion"`
	Instruments     []assessmentJSON `json:"instruments" doc:"the latest assessment of each instrument the result was computed from"`
}

func toOverrideJSON(o store.ScreeningOverride) *overrideJSON {
	return &overrideJSON{ID: o.ID, Code: o.Code, Reason: o.Reason, Author: o.Author, ProtocolVersion: o.ProtocolVersion, CreatedAt: o.CreatedAt}
}

func toScreeningJSON(sc store.Screening) screeningJSON {
	res := sc.Result
	out := screeningJSON{Susceptibility: string(res.Level), Points: res.Points, Factors: []factorJSON{},
		Contraindications: []contraindicationJSON{}, ReviewItems: []findingJSON{}, SuggestedAdjustments: []findingJSON{},
		Blocked: len(sc.Blocking()) > 0, ProtocolVersion: sc.ProtocolVersion, Instruments: []assessmentJSON{}}
	for _, f := range res.Factors {
		out.Factors = append(out.Factors, factorJSON{Code: f.Code, Points: f.Points, Reason: f.Reason})
	}
	for _, b := range sc.Blocks {
		c := contraindicationJSON{Code: b.Code, Reason: b.Reason}
		if b.Override != nil {
			c.Override = toOverrideJSON(*b.Override)
		}
		out.Contraindications = append(out.Contraindications, c)
	}
	for _, f := range res.ReviewItems {
		out.ReviewItems = append(out.ReviewItems, findingJSON{f.Code, f.Reason})
	}
	for _, f := range res.SuggestedAdjustments {
		out.SuggestedAdjustments = append(out.SuggestedAdjustments, findingJSON{f.Code, f.Reason})
	}
	for _, as := range sc.Latest {
		out.Instruments = append(out.Instruments, toAssessmentJSON(as, nil))
	}
	return out
}

func (s *Server) apiScreening(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	sc, err := s.db.ScreeningFor(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toScreeningJSON(sc), "")
	return nil
}

// overrideInput is the body of POST .../screening/overrides.
type overrideInput struct {
	Code   string `json:"code" doc:"the contraindication's code"`
	Reason string `json:"reason"`
}

func (s *Server) apiOverrideCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in overrideInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	o, err := s.db.OverrideContraindication(r.Context(), mustActor(r), id, in.Code, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toOverrideJSON(o), "")
	return nil
}

// dosingStatusJSON says whether a patient may be dosed now.
type dosingStatusJSON struct {
	Blocked bool     `json:"blocked"`
	Reasons []string `json:"reasons"`
}

func (s *Server) apiDosingStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	reasons, err := s.db.DosingStatus(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dosingStatusJSON{Blocked: len(reasons) > 0, Reasons: reasons}, "")
	return nil
}

// linkInput is the body of POST /api/v1/patients/{id}/links.
type linkInput struct {
	Purpose        string `json:"purpose" doc:"screening or consent"`
	ExpiresInHours int    `json:"expiresInHours,omitempty" doc:"1–720; 168 (7 days) when absent"`
}

// linkJSON is a new patient link: the URL is shown only once.
type linkJSON struct {
	ID        int64     `json:"id"`
	Purpose   string    `json:"purpose"`
	URL       string    `json:"url" doc:"path of the patient's page, to be prefixed with the clinic's address"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// linkPath is the patient's page for a link purpose.
func linkPath(purpose, token string) (string, bool) {
	switch purpose {
	case store.PurposeScreening:
		return "/screen/" + token, true
	case store.PurposeConsent:
		return "/consent/" + token, true
	}
	return "", false
}

func (s *Server) apiLinkCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in linkInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	l, path, err := s.createLink(r, id, in.Purpose, in.ExpiresInHours)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, linkJSON{ID: l.ID, Purpose: l.Purpose, URL: path, ExpiresAt: l.ExpiresAt}, "")
	return nil
}

func (s *Server) createLink(r *http.Request, patientID int64, purpose string, hours int) (store.PatientLink, string, error) {
	if _, ok := linkPath(purpose, ""); !ok {
		return store.PatientLink{}, "", &ketacare.Error{Code: ketacare.EINVALID, Message: "Purpose must be screening or consent.",
			Fields: map[string]string{"purpose": "Purpose must be screening or consent."}}
	}
	ttl := linkTTL
	if hours != 0 {
		if hours < 1 || hours > 720 {
			return store.PatientLink{}, "", &ketacare.Error{Code: ketacare.EINVALID, Message: "A link lasts 1 to 720 hours.",
				Fields: map[string]string{"expiresInHours": "A link lasts 1 to 720 hours."}}
		}
		ttl = time.Duration(hours) * time.Hour
	}
	token, l, err := s.db.CreatePatientLink(r.Context(), mustActor(r), patientID, purpose, ttl)
	if err != nil {
		return l, "", err
	}
	path, _ := linkPath(purpose, token)
	return l, path, nil
}

// consentTextJSON is a consent text version.
type consentTextJSON struct {
	Version   int       `json:"version"`
	Text      string    `json:"text"`
	Author    string    `json:"author"`
	CreatedAt time.Time `json:"createdAt"`
}

type consentTextInput struct {
	Text string `json:"text"`
}

func (s *Server) apiConsentText(w http.ResponseWriter, r *http.Request) error {
	c, err := s.db.CurrentConsentText(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, consentTextJSON{Version: c.Version, Text: c.Text, Author: c.Author, CreatedAt: c.CreatedAt}, "")
	return nil
}

func (s *Server) apiConsentTextSave(w http.ResponseWriter, r *http.Request) error {
	var in consentTextInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.db.SaveConsentText(r.Context(), mustActor(r), in.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, consentTextJSON{Version: c.Version, Text: c.Text, Author: c.Author, CreatedAt: c.CreatedAt}, "")
	return nil
}

// consentInput is the body of POST /api/v1/patients/{id}/consents.
type consentInput struct {
	Version    int    `json:"version" doc:"the consent text version the patient read: must be the current one"`
	SignedName string `json:"signedName" doc:"the patient's typed name"`
}

// consentJSON is a patient's consent.
type consentJSON struct {
	ID                int64      `json:"id"`
	Version           int        `json:"version"`
	SignedName        string     `json:"signedName"`
	SignedAt          time.Time  `json:"signedAt"`
	Via               string     `json:"via" doc:"link, in-person or account"`
	Countersigned     bool       `json:"countersigned"`
	CountersignedBy   string     `json:"countersignedBy,omitempty"`
	CountersignedAt   *time.Time `json:"countersignedAt"`
	CurrentTextSigned bool       `json:"currentText" doc:"signed on the current consent text version"`
}

func toConsentJSON(c store.Consent, current int) consentJSON {
	return consentJSON{ID: c.ID, Version: c.TextVersion, SignedName: c.SignedName, SignedAt: c.SignedAt, Via: c.Via,
		Countersigned: c.Countersigned(), CountersignedBy: c.CountersignedName, CountersignedAt: c.CountersignedAt,
		CurrentTextSigned: c.TextVersion == current}
}

func (s *Server) apiConsentCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in consentInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.db.SignConsent(r.Context(), mustActor(r), id, in.Version, in.SignedName)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toConsentJSON(c, c.TextVersion), "")
	return nil
}

func (s *Server) apiConsentList(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	list, err := s.db.Consents(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	cur, err := s.db.CurrentConsentText(r.Context())
	if err != nil {
		return err
	}
	out := []consentJSON{}
	for _, c := range list {
		out = append(out, toConsentJSON(c, cur.Version))
	}
	writeJSON(w, http.StatusOK, out, "")
	return nil
}

func (s *Server) apiConsentCountersign(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	cid, err := pathID(r, "cid")
	if err != nil {
		return err
	}
	c, err := s.db.Countersign(r.Context(), mustActor(r), id, cid)
	if err != nil {
		return err
	}
	cur, err := s.db.CurrentConsentText(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toConsentJSON(c, cur.Version), "")
	return nil
}

// planInput is the body of PUT /api/v1/patients/{id}/plan.
type planInput struct {
	Drug         string   `json:"drug" doc:"ketamine or esketamine"`
	Route        string   `json:"route" doc:"iv, im, intranasal (esketamine), oral or sublingual"`
	DoseMg       *float64 `json:"doseMg,omitempty" doc:"dose per session in mg; esketamine in multiples of 28 mg"`
	DoseMgPerKg  *float64 `json:"doseMgPerKg,omitempty" doc:"dose per session in mg/kg (with weightKg); ketamine only"`
	WeightKg     *float64 `json:"weightKg,omitempty" doc:"the weight the dose was computed from"`
	Sessions     int      `json:"sessions"`
	IntervalDays int      `json:"intervalDays"`
	Reason       string   `json:"reason"`
}

// planJSON is one revision of a treatment plan.
type planJSON struct {
	Revision        int       `json:"revision"`
	Drug            string    `json:"drug"`
	Route           string    `json:"route"`
	DoseMg          float64   `json:"doseMg"`
	DoseMgPerKg     *float64  `json:"doseMgPerKg"`
	WeightKg        *float64  `json:"weightKg"`
	Devices         int       `json:"devices,omitempty" doc:"esketamine 28 mg devices per session"`
	Sessions        int       `json:"sessions"`
	IntervalDays    int       `json:"intervalDays"`
	Reason          string    `json:"reason"`
	Susceptibility  string    `json:"susceptibility" doc:"the screened level when the plan was written; empty before screening"`
	ProtocolVersion int       `json:"protocolVersion"`
	Author          string    `json:"author"`
	CreatedAt       time.Time `json:"createdAt"`
}

// planResponse is the current plan, every revision (newest first) and the
// screening's suggestions for the plan.
type planResponse struct {
	Plan        *planJSON     `json:"plan"`
	History     []planJSON    `json:"history"`
	Suggestions []findingJSON `json:"suggestions" doc:"offered when susceptibility is high; the prescriber decides"`
}

func toPlanJSON(p store.Plan) planJSON {
	return planJSON{Revision: p.Revision, Drug: p.Drug, Route: string(p.Route), DoseMg: p.DoseMg, DoseMgPerKg: p.DoseMgPerKg,
		WeightKg: p.WeightKg, Devices: p.Devices(), Sessions: p.Sessions, IntervalDays: p.IntervalDays, Reason: p.Reason,
		Susceptibility: p.Susceptibility, ProtocolVersion: p.ProtocolVersion, Author: p.Author, CreatedAt: p.CreatedAt}
}

func (s *Server) planResponse(r *http.Request, patientID int64, history []store.Plan) (planResponse, error) {
	out := planResponse{History: []planJSON{}, Suggestions: []findingJSON{}}
	for _, p := range history {
		out.History = append(out.History, toPlanJSON(p))
	}
	if len(out.History) > 0 {
		out.Plan = &out.History[0]
	}
	sc, err := s.db.ScreeningFor(r.Context(), mustActor(r), patientID)
	if err != nil {
		return out, err
	}
	for _, f := range sc.Result.SuggestedAdjustments {
		out.Suggestions = append(out.Suggestions, findingJSON{f.Code, f.Reason})
	}
	return out, nil
}

func (s *Server) apiPlanGet(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	history, err := s.db.Plans(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	out, err := s.planResponse(r, id, history)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out, "")
	return nil
}

func (s *Server) apiPlanPut(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in planInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	_, history, err := s.db.SavePlan(r.Context(), mustActor(r), id, store.PlanInput{Drug: in.Drug, Route: in.Route, DoseMg: in.DoseMg,
		DoseMgPerKg: in.DoseMgPerKg, WeightKg: in.WeightKg, Sessions: in.Sessions, IntervalDays: in.IntervalDays, Reason: in.Reason})
	if err != nil {
		return err
	}
	out, err := s.planResponse(r, id, history)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out, "")
	return nil
}
