package clinical

import (
	"fmt"
	"strings"
)

// Susceptibility is a patient's screened susceptibility to ketamine-induced
// anxiety.
type Susceptibility string

// Susceptibility levels.
const (
	SusceptibilityLow      Susceptibility = "low"
	SusceptibilityModerate Susceptibility = "moderate"
	SusceptibilityHigh     Susceptibility = "high"
)

// CSSRSRisk is the result of the C-SSRS screener (the band codes of the
// built-in instrument).
type CSSRSRisk string

// C-SSRS screener results. The empty value means the screener was not done.
const (
	CSSRSNone     CSSRSRisk = "none"
	CSSRSLow      CSSRSRisk = "low"
	CSSRSModerate CSSRSRisk = "moderate"
	CSSRSHigh     CSSRSRisk = "high"
)

// Medicine is a stable code for a class of current medicine asked about at
// screening.
type Medicine string

// Medicine classes asked about at screening.
const (
	MedicineBenzodiazepine  Medicine = "benzodiazepine"
	MedicineSedative        Medicine = "sedative" // other sedatives
	MedicinePsychostimulant Medicine = "psychostimulant"
	MedicineMAOI            Medicine = "maoi"
	MedicineOpioid          Medicine = "opioid"
	MedicineSSRI            Medicine = "ssri"
)

func (m Medicine) known() bool {
	switch m {
	case MedicineBenzodiazepine, MedicineSedative, MedicinePsychostimulant, MedicineMAOI, MedicineOpioid, MedicineSSRI:
		return true
	}
	return false
}

// History is the structured history asked at screening. A nil field was not
// answered; Screen lists unanswered questions as a review item.
type History struct {
	AnxietyDisorder          *bool `json:"anxietyDisorder,omitempty"`
	PanicDisorder            *bool `json:"panicDisorder,omitempty"`
	KetamineAdverseReaction  *bool `json:"ketamineAdverseReaction,omitempty"` // to ketamine or another dissociative
	SubstanceUse             *bool `json:"substanceUse,omitempty"`            // substance use disorder, including ketamine or alcohol
	Psychosis                *bool `json:"psychosis,omitempty"`               // any past psychosis
	ActivePsychosis          *bool `json:"activePsychosis,omitempty"`
	Hypertension             *bool `json:"hypertension,omitempty"` // or other cardiovascular disease
	AneurysmOrAVM            *bool `json:"aneurysmOrAvm,omitempty"`
	IntracerebralHaemorrhage *bool `json:"intracerebralHaemorrhage,omitempty"`
	Pregnant                 *bool `json:"pregnant,omitempty"`
}

// Medicines records which classes of medicine the patient currently takes.
// A nil field was not answered.
type Medicines struct {
	Benzodiazepine  *bool `json:"benzodiazepine,omitempty"`
	Sedative        *bool `json:"sedative,omitempty"`
	Psychostimulant *bool `json:"psychostimulant,omitempty"`
	MAOI            *bool `json:"maoi,omitempty"`
	Opioid          *bool `json:"opioid,omitempty"`
	SSRI            *bool `json:"ssri,omitempty"`
}

// answers lists the medicine answers in a fixed order.
func (m Medicines) answers() []struct {
	code  Medicine
	taken *bool
} {
	return []struct {
		code  Medicine
		taken *bool
	}{
		{MedicineBenzodiazepine, m.Benzodiazepine},
		{MedicineSedative, m.Sedative},
		{MedicinePsychostimulant, m.Psychostimulant},
		{MedicineMAOI, m.MAOI},
		{MedicineOpioid, m.Opioid},
		{MedicineSSRI, m.SSRI},
	}
}

// ScreeningInput is everything known about a patient at screening. Nil
// pointers and an empty CSSRS mean "not recorded".
type ScreeningInput struct {
	GAD7Total *int `json:"gad7Total,omitempty"`
	PHQ9Total *int `json:"phq9Total,omitempty"`
	PHQ9Item9 *int `json:"phq9Item9,omitempty"`
	// PHQ9Item9Unscreened: a PHQ-9 answered item 9 above 0 (PHQ9Item9
	// then holds that answer) and no C-SSRS was recorded after it. A later
	// PHQ-9 with item 9 at 0 does not clear it, nor does a C-SSRS recorded
	// before it.
	PHQ9Item9Unscreened bool      `json:"phq9Item9Unscreened,omitempty"`
	AUDITCPositive      *bool     `json:"auditCPositive,omitempty"`
	CSSRS               CSSRSRisk `json:"cssrs,omitempty"`

	History   History   `json:"history"`
	Medicines Medicines `json:"medicines"`

	BaselineSystolic  *int `json:"baselineSystolic,omitempty"`
	BaselineDiastolic *int `json:"baselineDiastolic,omitempty"`
	Age               *int `json:"age,omitempty"`
	// SessionsCompleted counts the dosing sessions the patient has already
	// completed at this clinic (0 before the first).
	SessionsCompleted int `json:"sessionsCompleted"`
}

// ScreeningFactor is one thing that raised the susceptibility points.
type ScreeningFactor struct {
	Code   string `json:"code"`
	Points int    `json:"points"`
	Reason string `json:"reason"`
}

// ScreeningFinding is a contraindication, a review item or a suggested
// adjustment: a stable lowercase-hyphen code and a sentence for people.
type ScreeningFinding struct {
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// ScreeningResult is the outcome of screening.
type ScreeningResult struct {
	Level   Susceptibility    `json:"level"`
	Points  int               `json:"points"`
	Factors []ScreeningFactor `json:"factors"`
	// Contraindications block dosing until a prescriber overrides them
	// with a reason.
	Contraindications []ScreeningFinding `json:"contraindications"`
	// ReviewItems need a prescriber's review but do not block by themselves.
	ReviewItems []ScreeningFinding `json:"reviewItems"`
	// SuggestedAdjustments are offered when susceptibility is high.
	SuggestedAdjustments []ScreeningFinding `json:"suggestedAdjustments"`
}

// Blocked reports whether any contraindication blocks dosing.
func (r ScreeningResult) Blocked() bool { return len(r.Contraindications) > 0 }

// Screen scores susceptibility to ketamine-induced anxiety and lists
// contraindications and review items, following section 2 of the clinical
// protocol with the thresholds of p. Missing information never lowers the
// result silently: each gap becomes a review item.
func Screen(p ScreeningProtocol, in ScreeningInput) ScreeningResult {
	r := ScreeningResult{
		Factors:              []ScreeningFactor{},
		Contraindications:    []ScreeningFinding{},
		ReviewItems:          []ScreeningFinding{},
		SuggestedAdjustments: []ScreeningFinding{},
	}
	factor := func(code string, points int, format string, args ...any) {
		r.Factors = append(r.Factors, ScreeningFactor{Code: code, Points: points, Reason: fmt.Sprintf(format, args...)})
		r.Points += points
	}
	block := func(code, format string, args ...any) {
		r.Contraindications = append(r.Contraindications, ScreeningFinding{code, fmt.Sprintf(format, args...)})
	}
	review := func(code, format string, args ...any) {
		r.ReviewItems = append(r.ReviewItems, ScreeningFinding{code, fmt.Sprintf(format, args...)})
	}
	yes := func(b *bool) bool { return b != nil && *b }
	h := in.History

	// Susceptibility points.
	if g := in.GAD7Total; g == nil {
		review("missing-gad7", "No GAD-7 recorded: anxiety cannot be scored")
	} else if *g >= p.GAD7HighMin {
		factor("gad7-high", p.GAD7HighPoints, "GAD-7 total %d (≥ %d)", *g, p.GAD7HighMin)
	} else if *g >= p.GAD7RaisedMin {
		factor("gad7-raised", p.GAD7RaisedPoints, "GAD-7 total %d (%d–%d)", *g, p.GAD7RaisedMin, p.GAD7HighMin-1)
	}
	if yes(h.AnxietyDisorder) || yes(h.PanicDisorder) {
		factor("anxiety-disorder-history", p.AnxietyDisorderPoints, "History of %s", joinTrue(
			[]string{"anxiety disorder", "panic disorder"}, h.AnxietyDisorder, h.PanicDisorder))
	}
	if yes(h.KetamineAdverseReaction) {
		factor("ketamine-adverse-reaction", p.KetamineReactionPoints, "Prior adverse reaction to ketamine or another dissociative")
	}
	if yes(h.SubstanceUse) {
		factor("substance-use", p.SubstanceUsePoints, "History of substance use disorder")
	}
	if yes(in.Medicines.Psychostimulant) {
		factor("psychostimulant", p.PsychostimulantPoints, "Currently taking a psychostimulant")
	}
	if q := in.PHQ9Total; q == nil {
		review("missing-phq9", "No PHQ-9 recorded")
	} else if *q >= p.PHQ9HighMin {
		factor("phq9-high", p.PHQ9HighPoints, "PHQ-9 total %d (≥ %d)", *q, p.PHQ9HighMin)
	}
	switch {
	case r.Points >= p.HighMin:
		r.Level = SusceptibilityHigh
	case r.Points >= p.ModerateMin:
		r.Level = SusceptibilityModerate
	default:
		r.Level = SusceptibilityLow
	}

	// Contraindications, then review items in the order of the protocol.
	if yes(h.AneurysmOrAVM) {
		block("aneurysm-or-avm", "Aneurysmal vascular disease or arteriovenous malformation")
	}
	if yes(h.IntracerebralHaemorrhage) {
		block("intracerebral-haemorrhage", "History of intracerebral haemorrhage")
	}
	switch in.CSSRS {
	case CSSRSHigh:
		block("cssrs-high-risk", "C-SSRS high risk: urgent suicide-risk pathway")
	case CSSRSModerate:
		review("cssrs-moderate-risk", "C-SSRS moderate risk: same-day clinician review")
	case CSSRSLow:
		review("cssrs-low-risk", "C-SSRS low risk: safety plan")
	case CSSRSNone:
	case "":
		review("missing-cssrs", "No C-SSRS screener recorded: suicide risk not assessed")
	default:
		review("missing-cssrs", "Unrecognised C-SSRS result %q: suicide risk not assessed", in.CSSRS)
	}
	if in.PHQ9Item9 != nil && *in.PHQ9Item9 > 0 && (in.PHQ9Item9Unscreened || in.CSSRS == "" || !in.CSSRS.known()) {
		review("phq9-item9-needs-cssrs", "PHQ-9 item 9 answered %d: complete the C-SSRS before the contact ends", *in.PHQ9Item9)
	}
	if yes(h.ActivePsychosis) {
		block("active-psychosis", "Active psychosis")
	}
	if yes(h.Pregnant) {
		block("pregnancy", "Pregnancy")
	}
	sys, dia := in.BaselineSystolic, in.BaselineDiastolic
	switch {
	case sys == nil || dia == nil:
		review("missing-baseline-bp", "No baseline blood pressure recorded")
	case *sys >= p.BlockSystolicMin || *dia >= p.BlockDiastolicMin:
		block("baseline-bp-very-high", "Baseline blood pressure %d/%d (limit %d/%d)", *sys, *dia, p.BlockSystolicMin, p.BlockDiastolicMin)
	case *sys > p.ReviewSystolicAbove || *dia > p.ReviewDiastolicAbove:
		review("baseline-bp-raised", "Baseline blood pressure %d/%d (above %d/%d)", *sys, *dia, p.ReviewSystolicAbove, p.ReviewDiastolicAbove)
	}
	if in.Age == nil {
		review("missing-age", "Age not recorded")
	} else if *in.Age >= p.ReviewAgeMin {
		review("age", "Age %d (≥ %d)", *in.Age, p.ReviewAgeMin)
	}
	if in.AUDITCPositive == nil {
		review("missing-audit-c", "No AUDIT-C recorded")
	} else if *in.AUDITCPositive {
		review("audit-c-positive", "AUDIT-C positive")
	}
	if yes(h.SubstanceUse) {
		review("substance-use", "History of substance use disorder")
	}
	if yes(h.Psychosis) {
		review("psychosis-history", "History of psychosis")
	}
	if yes(h.Hypertension) {
		review("hypertension-history", "Hypertension or cardiovascular disease: ketamine raises blood pressure")
	}
	if in.SessionsCompleted < p.ReviewFirstSessions {
		review("first-sessions", "Dosing session %d of the first %d", in.SessionsCompleted+1, p.ReviewFirstSessions)
	}
	for _, m := range in.Medicines.answers() {
		if yes(m.taken) && containsMedicine(p.ReviewMedicines, m.code) {
			review("medicine-"+string(m.code), "Currently taking: %s", medicineReasons[m.code])
		}
	}
	if missing := unanswered(in); len(missing) > 0 {
		review("history-incomplete", "History not answered: %s", strings.Join(missing, ", "))
	}

	if r.Level == SusceptibilityHigh {
		r.SuggestedAdjustments = []ScreeningFinding{
			{"lower-starting-dose", "Consider a lower starting dose"},
			{"closer-monitoring", "Consider a shorter observation interval"},
			{"trusted-professional-present", "Have a named trusted professional present throughout the dosing session"},
		}
	}
	return r
}

func (c CSSRSRisk) known() bool {
	switch c {
	case CSSRSNone, CSSRSLow, CSSRSModerate, CSSRSHigh:
		return true
	}
	return false
}

var medicineReasons = map[Medicine]string{
	MedicineBenzodiazepine:  "benzodiazepine (added sedation; may blunt the response to ketamine)",
	MedicineSedative:        "other sedative (added sedation)",
	MedicinePsychostimulant: "psychostimulant (may add to ketamine's rise in blood pressure)",
	MedicineMAOI:            "MAOI (may add to ketamine's rise in blood pressure)",
	MedicineOpioid:          "opioid (added sedation and respiratory depression)",
	MedicineSSRI:            "SSRI",
}

func containsMedicine(list []Medicine, m Medicine) bool {
	for _, x := range list {
		if x == m {
			return true
		}
	}
	return false
}

// joinTrue names the labels whose answer is yes, joined with "and".
func joinTrue(labels []string, answers ...*bool) string {
	var names []string
	for i, a := range answers {
		if a != nil && *a {
			names = append(names, labels[i])
		}
	}
	return strings.Join(names, " and ")
}

// unanswered lists the history and medicine questions left unanswered, by
// their JSON names.
func unanswered(in ScreeningInput) []string {
	h := in.History
	var missing []string
	for _, q := range []struct {
		name   string
		answer *bool
	}{
		{"anxietyDisorder", h.AnxietyDisorder},
		{"panicDisorder", h.PanicDisorder},
		{"ketamineAdverseReaction", h.KetamineAdverseReaction},
		{"substanceUse", h.SubstanceUse},
		{"psychosis", h.Psychosis},
		{"activePsychosis", h.ActivePsychosis},
		{"hypertension", h.Hypertension},
		{"aneurysmOrAvm", h.AneurysmOrAVM},
		{"intracerebralHaemorrhage", h.IntracerebralHaemorrhage},
		{"pregnant", h.Pregnant},
	} {
		if q.answer == nil {
			missing = append(missing, q.name)
		}
	}
	for _, m := range in.Medicines.answers() {
		if m.taken == nil {
			missing = append(missing, string(m.code))
		}
	}
	return missing
}
