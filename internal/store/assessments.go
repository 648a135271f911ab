package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
)

// InstrumentHistory is the instrument id of the structured screening
// history (not a scored instrument).
const InstrumentHistory = "history"

// apiInstruments maps the API's short instrument names to the ids of the
// built-in instrument definitions.
var apiInstruments = []struct{ name, id string }{
	{"gad7", clinical.InstrumentGAD7},
	{"phq9", clinical.InstrumentPHQ9},
	{"auditc", clinical.InstrumentAUDITC},
	{"cssrs", clinical.InstrumentCSSRS},
	{"history", InstrumentHistory},
}

// InstrumentID returns the stored instrument id for an API name ("gad7",
// "phq9", "auditc", "cssrs", "history"); the id of any other built-in
// instrument is accepted as it is.
func InstrumentID(name string) (string, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, x := range apiInstruments {
		if x.name == name || x.id == name {
			return x.id, true
		}
	}
	if _, ok := clinical.Lookup(name); ok {
		return name, true
	}
	return "", false
}

// InstrumentName returns the API name of a stored instrument id.
func InstrumentName(id string) string {
	for _, x := range apiInstruments {
		if x.id == id {
			return x.name
		}
	}
	return id
}

// HistoryAnswers is the structured screening history. A nil field was not
// answered. Blood pressure is the baseline, in mmHg.
type HistoryAnswers struct {
	AnxietyDisorder          *bool `json:"anxietyDisorder,omitempty"`
	PanicDisorder            *bool `json:"panicDisorder,omitempty"`
	KetamineAdverseReaction  *bool `json:"ketamineAdverseReaction,omitempty"`
	SubstanceUse             *bool `json:"substanceUse,omitempty"`
	PsychosisHistory         *bool `json:"psychosisHistory,omitempty"`
	ActivePsychosis          *bool `json:"activePsychosis,omitempty"`
	Hypertension             *bool `json:"hypertension,omitempty"`
	AneurysmOrAVM            *bool `json:"aneurysmOrAVM,omitempty"`
	IntracerebralHaemorrhage *bool `json:"intracerebralHaemorrhage,omitempty"`
	Pregnant                 *bool `json:"pregnant,omitempty"`
	Psychostimulant          *bool `json:"psychostimulant,omitempty"`
	Benzodiazepine           *bool `json:"benzodiazepine,omitempty"`
	Sedative                 *bool `json:"sedative,omitempty" doc:"other sedatives"`
	MAOI                     *bool `json:"maoi,omitempty"`
	Opioid                   *bool `json:"opioid,omitempty"`
	SSRI                     *bool `json:"ssri,omitempty"`
	Systolic                 *int  `json:"systolic,omitempty" doc:"baseline systolic blood pressure, mmHg"`
	Diastolic                *int  `json:"diastolic,omitempty" doc:"baseline diastolic blood pressure, mmHg"`
}

// HistoryQuestion is one yes/no question of the structured history.
type HistoryQuestion struct {
	Name string // the JSON name, also the stored item name
	Text string
	// Medicine marks the current-medicine questions.
	Medicine bool
}

// HistoryQuestions lists the yes/no questions of the history in the order
// forms ask them.
var HistoryQuestions = []HistoryQuestion{
	{Name: "anxietyDisorder", Text: "Have you ever been told you have an anxiety disorder?"},
	{Name: "panicDisorder", Text: "Have you ever had panic attacks or panic disorder?"},
	{Name: "ketamineAdverseReaction", Text: "Have you ever had a bad reaction to ketamine or another dissociative drug (for example an anaesthetic)?"},
	{Name: "substanceUse", Text: "Have you ever had a problem with alcohol or drugs, including ketamine?"},
	{Name: "psychosisHistory", Text: "Have you ever had psychosis (seeing or hearing things others do not, or beliefs others found strange)?"},
	{Name: "activePsychosis", Text: "Do you have symptoms of psychosis now?"},
	{Name: "hypertension", Text: "Do you have high blood pressure or a heart or circulation condition?"},
	{Name: "aneurysmOrAVM", Text: "Have you ever had an aneurysm or an arteriovenous malformation (AVM)?"},
	{Name: "intracerebralHaemorrhage", Text: "Have you ever had bleeding in the brain?"},
	{Name: "pregnant", Text: "Are you pregnant, or could you be?"},
	{Name: "psychostimulant", Text: "Do you take a stimulant medicine (for example for ADHD)?", Medicine: true},
	{Name: "benzodiazepine", Text: "Do you take a benzodiazepine (for example diazepam or lorazepam)?", Medicine: true},
	{Name: "sedative", Text: "Do you take any other medicine that makes you sleepy (for example sleeping tablets)?", Medicine: true},
	{Name: "maoi", Text: "Do you take an MAOI antidepressant (for example phenelzine)?", Medicine: true},
	{Name: "opioid", Text: "Do you take an opioid painkiller (for example codeine, tramadol or morphine)?", Medicine: true},
	{Name: "ssri", Text: "Do you take an SSRI antidepressant (for example sertraline or fluoxetine)?", Medicine: true},
}

// answerPointers returns the yes/no answers by question name.
func (h *HistoryAnswers) answerPointers() map[string]**bool {
	return map[string]**bool{
		"anxietyDisorder": &h.AnxietyDisorder, "panicDisorder": &h.PanicDisorder,
		"ketamineAdverseReaction": &h.KetamineAdverseReaction, "substanceUse": &h.SubstanceUse,
		"psychosisHistory": &h.PsychosisHistory, "activePsychosis": &h.ActivePsychosis,
		"hypertension": &h.Hypertension, "aneurysmOrAVM": &h.AneurysmOrAVM,
		"intracerebralHaemorrhage": &h.IntracerebralHaemorrhage, "pregnant": &h.Pregnant,
		"psychostimulant": &h.Psychostimulant, "benzodiazepine": &h.Benzodiazepine, "sedative": &h.Sedative,
		"maoi": &h.MAOI, "opioid": &h.Opioid, "ssri": &h.SSRI,
	}
}

// Answer returns the answer to a yes/no question by name (nil: not
// answered or no such question).
func (h HistoryAnswers) Answer(name string) *bool {
	if p, ok := h.answerPointers()[name]; ok {
		return *p
	}
	return nil
}

// Set records the answer to a yes/no question by name.
func (h *HistoryAnswers) Set(name string, v *bool) {
	if p, ok := h.answerPointers()[name]; ok {
		*p = v
	}
}

// AssessmentInput is one completed instrument to record: Answers holds
// the option score of each item in item order (clinical.Skipped for an
// item a skip rule left unasked); History holds the structured history.
type AssessmentInput struct {
	Instrument string // API name or built-in instrument id
	Answers    []int
	History    *HistoryAnswers
}

// AssessmentAnswer is one stored item answer.
type AssessmentAnswer struct {
	Item   string `json:"item"`
	Answer int    `json:"answer"`
}

// Assessment is a recorded instrument or history with its score and the
// protocol version in force when it was scored.
type Assessment struct {
	ID         int64
	PatientID  int64
	Instrument string // stored id: "gad-7", ..., "history"
	Total      *float64
	Band       string
	BandLabel  string
	Flags      []string
	// Answers holds every item answer in item order.
	Answers []AssessmentAnswer
	// History is set for the history.
	History         *HistoryAnswers
	ProtocolVersion int
	Source          string // "staff", "link" or "patient"
	RecordedBy      int64
	CreatedAt       time.Time
}

// Name is the API name of the assessment's instrument.
func (a Assessment) Name() string { return InstrumentName(a.Instrument) }

// Definition returns the built-in definition of the instrument (false for
// the history).
func (a Assessment) Definition() (clinical.Instrument, bool) { return clinical.Lookup(a.Instrument) }

// AnswerValues returns the item answers as a list, in item order.
func (a Assessment) AnswerValues() []int {
	out := make([]int, len(a.Answers))
	for i, x := range a.Answers {
		out[i] = x.Answer
	}
	return out
}

func invalidAnswers(format string, args ...any) error {
	return ketacare.Errorf(ketacare.EINVALID, format, args...)
}

// build validates the input and scores it for patient p under protocol pv.
func (in AssessmentInput) build(p ketacare.Patient, pv ProtocolVersion) (Assessment, error) {
	id, ok := InstrumentID(in.Instrument)
	if !ok {
		return Assessment{}, invalidAnswers("Unknown instrument %q: use gad7, phq9, auditc, cssrs or history.", in.Instrument)
	}
	as := Assessment{PatientID: p.ID, Instrument: id, ProtocolVersion: pv.Version, Flags: []string{}}
	if id == InstrumentHistory {
		if in.History == nil {
			return as, invalidAnswers("The history's answers must be an object of yes/no answers and blood pressure.")
		}
		h := *in.History
		if (h.Systolic == nil) != (h.Diastolic == nil) {
			return as, invalidAnswers("Give both systolic and diastolic blood pressure, or neither.")
		}
		if h.Systolic != nil {
			pl := pv.Protocol.Monitoring.Plausible
			if !pl.Systolic.Contains(float64(*h.Systolic)) {
				return as, invalidAnswers("Systolic blood pressure %d is outside the plausible range %g–%g mmHg.", *h.Systolic, pl.Systolic.Min, pl.Systolic.Max)
			}
			if !pl.Diastolic.Contains(float64(*h.Diastolic)) {
				return as, invalidAnswers("Diastolic blood pressure %d is outside the plausible range %g–%g mmHg.", *h.Diastolic, pl.Diastolic.Min, pl.Diastolic.Max)
			}
			if *h.Diastolic >= *h.Systolic {
				return as, invalidAnswers("Diastolic blood pressure %d must be below systolic %d.", *h.Diastolic, *h.Systolic)
			}
		}
		as.History = &h
		for _, q := range HistoryQuestions {
			if v := h.Answer(q.Name); v != nil {
				as.Answers = append(as.Answers, AssessmentAnswer{Item: q.Name, Answer: yesNoAnswer(*v)})
			}
		}
		if h.Systolic != nil {
			as.Answers = append(as.Answers, AssessmentAnswer{Item: "systolic", Answer: *h.Systolic},
				AssessmentAnswer{Item: "diastolic", Answer: *h.Diastolic})
		}
		return as, nil
	}
	if in.History != nil {
		return as, invalidAnswers("Answers for %s must be a list of item scores.", InstrumentName(id))
	}
	def, _ := clinical.Lookup(id)
	sex := p.Sex
	if sex != "male" && sex != "female" {
		sex = ""
	}
	sc, err := clinical.Score(def, in.Answers, clinical.Subject{Sex: sex})
	if err != nil {
		msg := err.Error()
		if _, rest, ok := strings.Cut(msg, clinical.ErrInvalidAnswers.Error()+": "); ok {
			msg = rest
		}
		return as, invalidAnswers("Answers for %s are not valid: %s.", InstrumentName(id), msg)
	}
	total := sc.Total
	as.Total, as.Band, as.BandLabel, as.Flags = &total, sc.Band, sc.BandLabel, sc.Flags
	for i, item := range def.Items {
		as.Answers = append(as.Answers, AssessmentAnswer{Item: item.LinkID, Answer: in.Answers[i]})
	}
	return as, nil
}

func yesNoAnswer(b bool) int {
	if b {
		return 1
	}
	return 0
}

// RecordAssessment scores and stores a completed instrument or history
// for a patient the actor may see. Bad answers are refused with a message
// naming the problem, and nothing is stored.
func (db *DB) RecordAssessment(ctx context.Context, a ketacare.Actor, patientID int64, in AssessmentInput) (Assessment, error) {
	var as Assessment
	source := "staff"
	if a.Role == ketacare.RolePatient {
		source = "patient"
	}
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		as, err = tx.RecordAssessment(ctx, a, patientID, in, source, 0)
		return err
	})
	return as, db.recordDenied(ctx, err)
}

// RecordAssessments records several instruments completed in one sitting,
// all or none.
func (db *DB) RecordAssessments(ctx context.Context, a ketacare.Actor, patientID int64, ins []AssessmentInput) ([]Assessment, error) {
	var out []Assessment
	source := "staff"
	if a.Role == ketacare.RolePatient {
		source = "patient"
	}
	err := db.Update(ctx, func(tx *Tx) error {
		out = nil
		for _, in := range ins {
			as, err := tx.RecordAssessment(ctx, a, patientID, in, source, 0)
			if err != nil {
				return err
			}
			out = append(out, as)
		}
		return nil
	})
	return out, db.recordDenied(ctx, err)
}

// RecordAssessment is RecordAssessment inside a transaction; source says
// who entered it ("staff", "link", "patient") and linkID the link used, if
// any. The patient's screening result is recomputed and kept.
func (tx *Tx) RecordAssessment(ctx context.Context, a ketacare.Actor, patientID int64, in AssessmentInput, source string, linkID int64) (Assessment, error) {
	p, err := tx.PatientFor(ctx, a, patientID, "assessment.create")
	if err != nil {
		return Assessment{}, err
	}
	pv, err := tx.CurrentProtocol(ctx)
	if err != nil {
		return Assessment{}, err
	}
	as, err := in.build(p, pv)
	if err != nil {
		return as, err
	}
	as.Source, as.RecordedBy, as.CreatedAt = source, a.UserID, tx.Now
	flags, _ := json.Marshal(as.Flags)
	var link any
	if linkID != 0 {
		link = linkID
	}
	var total any
	if as.Total != nil {
		total = *as.Total
	}
	as.ID, err = tx.insert(ctx, `INSERT INTO assessments (patient_id, instrument, total, band, flags, protocol_version, source, recorded_by, link_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, p.ID, as.Instrument, total, as.Band, string(flags), as.ProtocolVersion, source, a.UserID, link, tx.Now)
	if err != nil {
		return as, fmt.Errorf("inserting assessment: %w", err)
	}
	for i, ans := range as.Answers {
		if _, err := tx.exec(ctx, "INSERT INTO assessment_answers (assessment_id, position, item, answer) VALUES (?, ?, ?, ?)",
			as.ID, i+1, ans.Item, ans.Answer); err != nil {
			return as, fmt.Errorf("inserting answer: %w", err)
		}
	}
	if err := tx.Audit(ctx, Event{Actor: a, Action: "assessment.record", ClinicID: p.ClinicID, PatientID: p.ID,
		Detail: fmt.Sprintf("assessment %d: %s, protocol version %d", as.ID, as.Instrument, as.ProtocolVersion)}); err != nil {
		return as, err
	}
	if _, err := tx.keepScreeningResult(ctx, p, pv); err != nil {
		return as, err
	}
	return as, nil
}

const assessmentColumns = "id, patient_id, instrument, total, band, flags, protocol_version, source, recorded_by, created_at"

func (tx *Tx) scanAssessments(ctx context.Context, q string, args ...any) ([]Assessment, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []Assessment
	for rows.Next() {
		var as Assessment
		var total sql.NullFloat64
		var flags string
		if err := rows.Scan(&as.ID, &as.PatientID, &as.Instrument, &total, &as.Band, &flags, &as.ProtocolVersion, &as.Source,
			&as.RecordedBy, &as.CreatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		as.CreatedAt = as.CreatedAt.UTC()
		if total.Valid {
			t := total.Float64
			as.Total = &t
		}
		if err := json.Unmarshal([]byte(flags), &as.Flags); err != nil || as.Flags == nil {
			as.Flags = []string{}
		}
		if def, ok := clinical.Lookup(as.Instrument); ok {
			as.BandLabel = bandLabel(def, as.Band)
		}
		out = append(out, as)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := tx.loadAnswers(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func bandLabel(def clinical.Instrument, code string) string {
	for _, r := range def.Rules {
		if r.Code == code {
			return r.Label
		}
	}
	for _, b := range def.Bands {
		if b.Code == code {
			return b.Label
		}
	}
	for _, bands := range def.SexBands {
		for _, b := range bands {
			if b.Code == code {
				return b.Label
			}
		}
	}
	return code
}

func (tx *Tx) loadAnswers(ctx context.Context, as *Assessment) error {
	rows, err := tx.query(ctx, "SELECT item, answer FROM assessment_answers WHERE assessment_id = ? ORDER BY position", as.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	as.Answers = nil
	for rows.Next() {
		var x AssessmentAnswer
		if err := rows.Scan(&x.Item, &x.Answer); err != nil {
			return err
		}
		as.Answers = append(as.Answers, x)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if as.Instrument == InstrumentHistory {
		h := &HistoryAnswers{}
		for _, x := range as.Answers {
			switch x.Item {
			case "systolic":
				v := x.Answer
				h.Systolic = &v
			case "diastolic":
				v := x.Answer
				h.Diastolic = &v
			default:
				v := x.Answer == 1
				h.Set(x.Item, &v)
			}
		}
		as.History = h
	}
	return nil
}

// latestAssessment returns the patient's latest assessment of an
// instrument, or nil when there is none.
func (tx *Tx) latestAssessment(ctx context.Context, patientID int64, instrument string) (*Assessment, error) {
	list, err := tx.scanAssessments(ctx, "SELECT "+assessmentColumns+" FROM assessments WHERE patient_id = ? AND instrument = ? ORDER BY id DESC LIMIT 1",
		patientID, instrument)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return &list[0], nil
}

// unscreenedItem9 returns the patient's latest PHQ-9 that answered item 9
// above 0 when no C-SSRS was recorded after it, or nil. Item 9 at 0 in a
// later PHQ-9 is never a clearance: only the suicide-risk screen is.
func (tx *Tx) unscreenedItem9(ctx context.Context, patientID int64) (*Assessment, error) {
	list, err := tx.scanAssessments(ctx, "SELECT "+assessmentColumns+` FROM assessments WHERE patient_id = ? AND instrument = ?
		AND flags LIKE ? ORDER BY id DESC LIMIT 1`, patientID, clinical.InstrumentPHQ9, `%"`+clinical.FlagPHQ9Item9+`"%`)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	var after int
	if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM assessments WHERE patient_id = ? AND instrument = ? AND id > ?",
		patientID, clinical.InstrumentCSSRS, list[0].ID).Scan(&after); err != nil {
		return nil, err
	}
	if after > 0 {
		return nil, nil
	}
	return &list[0], nil
}

// Assessments lists a patient's assessments, newest first, audited as a
// read.
func (db *DB) Assessments(ctx context.Context, a ketacare.Actor, patientID int64) ([]Assessment, error) {
	var out []Assessment
	err := db.Update(ctx, func(tx *Tx) error {
		if _, err := tx.PatientFor(ctx, a, patientID, "assessment.list"); err != nil {
			return err
		}
		var err error
		out, err = tx.scanAssessments(ctx, "SELECT "+assessmentColumns+" FROM assessments WHERE patient_id = ? ORDER BY id DESC LIMIT 200", patientID)
		return err
	})
	return out, db.recordDenied(ctx, err)
}
