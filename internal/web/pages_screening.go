package web

import (
	"time"

	"github.com/ketacare/ketacare"
)

// FormOption is one radio button of a question.
type FormOption struct {
	ID      string // the input's id; the first option's id is the question's name, so error links land on it
	Value   string
	Label   string
	Checked bool
}

// FormQuestion is one question answered by choosing an option.
type FormQuestion struct {
	Name    string
	Number  string // shown before the text, e.g. "3."
	Text    string
	Hint    string
	Error   string
	Options []FormOption
}

// NumberField is a whole-number input.
type NumberField struct {
	Name, Label, Hint, Value, Error, Suffix string
}

// FormSection is one instrument or the history within a questionnaire.
type FormSection struct {
	ID        string
	Title     string
	Intro     string
	Questions []FormQuestion
	Numbers   []NumberField
}

// CrisisLine is a crisis line shown to patients.
type CrisisLine struct {
	Name, Number, Kind, Detail string
}

// QuestionnairePage shows screening questionnaires, to a patient through
// their link or to staff filling them in with the patient.
type QuestionnairePage struct {
	Base
	Heading  string
	Intro    string
	Action   string
	BackURL  string // staff only: back to the patient
	Sections []FormSection
	// SectionNames are posted back so the server knows which sections the
	// form held.
	SectionNames []string
	// Crisis is shown above the form when a PHQ-9 item 9 answer opened
	// the C-SSRS.
	Crisis         bool
	CrisisContacts []CrisisLine
	Submit         string
	Errors         ErrorSummary
}

// LinkMessagePage is what a patient sees after using a link, or when a
// link cannot be used: a heading, sentences, and crisis contacts when they
// apply.
type LinkMessagePage struct {
	Base
	Heading        string
	Paragraphs     []string
	CrisisContacts []CrisisLine
}

// InstrumentSummary is one instrument's latest result on the screening
// summary.
type InstrumentSummary struct {
	Name            string
	Total           string
	Band            string
	Flags           []string
	ProtocolVersion int
	RecordedAt      time.Time
	Source          string
	Items           []ItemAnswer
}

// ItemAnswer is one item and the answer given.
type ItemAnswer struct {
	Number string
	Text   string
	Answer string
}

// FactorView is one susceptibility factor.
type FactorView struct {
	Reason string
	Points int
}

// BlockView is a contraindication with its override, if one holds.
type BlockView struct {
	Code           string
	Reason         string
	Overridden     bool
	OverrideBy     string
	OverrideAt     time.Time
	OverrideReason string
}

// FindingView is a review item or suggestion.
type FindingView struct {
	Code, Reason string
}

// OverrideView is one override in the history.
type OverrideView struct {
	Code, Reason, Author string
	ProtocolVersion      int
	At                   time.Time
}

// LinkView is one link made for a patient (never its token).
type LinkView struct {
	ID        int64
	Purpose   string
	CreatedAt time.Time
	ExpiresAt time.Time
	State     string
	Open      bool // can still be used, so can be withdrawn
}

// ScreeningPage is the prescriber's screening summary of one patient.
type ScreeningPage struct {
	Base
	Patient         ketacare.Patient
	Done            bool
	ProtocolVersion int
	Level           string
	Points          int
	Factors         []FactorView
	Blocks          []BlockView
	ReviewItems     []FindingView
	Suggestions     []FindingView
	Instruments     []InstrumentSummary
	Missing         []string
	Overrides       []OverrideView
	DosingReasons   []string
	Links           []LinkView
	OverrideCode    string
	OverrideReason  string
	Errors          ErrorSummary
}

// LinkCreatedPage shows a new patient link, once.
type LinkCreatedPage struct {
	Base
	Patient   ketacare.Patient
	Purpose   string
	URL       string
	ExpiresAt time.Time
	BackURL   string
}

// ConsentView is one consent on the patient's consent page.
type ConsentView struct {
	ID              int64
	Version         int
	SignedName      string
	SignedAt        time.Time
	Via             string
	Countersigned   bool
	CountersignedBy string
	CountersignedAt time.Time
	Current         bool
}

// ConsentPage is the staff view of a patient's consent.
type ConsentPage struct {
	Base
	Patient    ketacare.Patient
	Version    int
	Text       string
	Paragraphs []string
	Consents   []ConsentView
	Status     string // why consent is not current, empty when it is
	SignedName string
	Errors     ErrorSummary
}

// ConsentSignPage is the patient's consent form through their link.
type ConsentSignPage struct {
	Base
	Action     string
	Version    int
	Paragraphs []string
	SignedName string
	Errors     ErrorSummary
}

// ConsentTextVersion is one version of the consent text.
type ConsentTextVersion struct {
	Version   int
	Author    string
	CreatedAt time.Time
}

// ConsentTextPage lets an admin write a new consent text version.
type ConsentTextPage struct {
	Base
	Current  ConsentTextVersion
	Text     string
	Versions []ConsentTextVersion
	Errors   ErrorSummary
}

// PlanView is one revision of a treatment plan.
type PlanView struct {
	Revision        int
	Drug            string
	Route           string
	Dose            string
	Sessions        int
	IntervalDays    int
	Reason          string
	Susceptibility  string
	ProtocolVersion int
	Author          string
	At              time.Time
}

// PlanForm is the plan form's values, as typed.
type PlanForm struct {
	Drug, Route, DoseMg, DoseMgPerKg, WeightKg, Sessions, IntervalDays, Reason string
}

// PlanPage shows a patient's treatment plan, its history and (for
// prescribers) the form to change it.
type PlanPage struct {
	Base
	Patient        ketacare.Patient
	Current        *PlanView
	History        []PlanView
	Susceptibility string
	Suggestions    []FindingView
	Drugs          []string
	Routes         []string
	Form           PlanForm
	Errors         ErrorSummary
}

var (
	sampleStaff = Base{User: &ketacare.Actor{Role: ketacare.RolePrescriber, Email: "p@example.com"}, CSRF: "t"}
	sampleTime  = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

	_ = sample("screening_form", QuestionnairePage{Heading: "Questions", Action: "/screen/x", BackURL: "/patients/1",
		Sections: []FormSection{{ID: "gad7", Title: "GAD-7", Intro: "Over the last 2 weeks",
			Questions: []FormQuestion{{Name: "gad7-1", Number: "1.", Text: "Nervous", Hint: "h", Error: "e",
				Options: []FormOption{{ID: "gad7-1", Value: "0", Label: "Not at all", Checked: true}}}},
			Numbers: []NumberField{{Name: "systolic", Label: "Systolic", Hint: "h", Error: "e", Suffix: "mmHg"}}}},
		SectionNames: []string{"gad7"}, Crisis: true, CrisisContacts: []CrisisLine{{Name: "Samaritans", Number: "116 123", Kind: "call"}, {Name: "Shout", Number: "85258", Kind: "text"}},
		Submit: "Send", Errors: ErrorSummary{Message: "x", Fields: map[string]string{"gad7-1": "e"}}})
	_ = sample("link_message", LinkMessagePage{Heading: "Thank you", Paragraphs: []string{"Done."},
		CrisisContacts: []CrisisLine{{Name: "Samaritans", Number: "116 123", Kind: "call"}, {Name: "Shout", Number: "85258", Kind: "text"}}})
	_ = sample("screening", ScreeningPage{Base: sampleStaff, Patient: ketacare.Patient{ID: 1}, Done: true, ProtocolVersion: 1, Level: "high", Points: 4,
		Factors: []FactorView{{Reason: "GAD-7", Points: 2}}, Blocks: []BlockView{{Code: "a", Reason: "A"}, {Code: "b", Reason: "B", Overridden: true}},
		ReviewItems: []FindingView{{Code: "x", Reason: "X"}}, Suggestions: []FindingView{{Code: "s", Reason: "S"}},
		Instruments: []InstrumentSummary{{Name: "GAD-7", Total: "10", Band: "Moderate", Flags: []string{"f"}, Items: []ItemAnswer{{Number: "1", Text: "t", Answer: "a"}}}},
		Missing:     []string{"PHQ-9"}, Overrides: []OverrideView{{Code: "b"}}, DosingReasons: []string{"r"},
		Links: []LinkView{{ID: 1, Purpose: "screening", State: "open", Open: true}, {ID: 2, Purpose: "consent", State: "used"}}, Errors: ErrorSummary{Fields: map[string]string{"reason": "x"}}})
	_ = sample("link_created", LinkCreatedPage{Base: sampleStaff, Patient: ketacare.Patient{ID: 1}, Purpose: "screening", URL: "http://x/screen/t", BackURL: "/patients/1"})
	_ = sample("consent", ConsentPage{Base: sampleStaff, Patient: ketacare.Patient{ID: 1}, Version: 1, Paragraphs: []string{"p"},
		Consents: []ConsentView{{ID: 1, Version: 1, Current: true}, {ID: 2, Countersigned: true}}, Status: "s",
		Errors: ErrorSummary{Fields: map[string]string{"signedName": "x"}}})
	_ = sample("consent_sign", ConsentSignPage{Action: "/consent/x", Version: 1, Paragraphs: []string{"p"}, Errors: ErrorSummary{Fields: map[string]string{"signedName": "x"}}})
	_ = sample("admin_consent", ConsentTextPage{Base: Base{User: &ketacare.Actor{Role: ketacare.RoleAdmin}}, Current: ConsentTextVersion{Version: 1},
		Versions: []ConsentTextVersion{{Version: 1, CreatedAt: sampleTime}}, Errors: ErrorSummary{Fields: map[string]string{"text": "x"}}})
	_ = sample("plan", PlanPage{Base: sampleStaff, Patient: ketacare.Patient{ID: 1}, Current: &PlanView{Revision: 1}, History: []PlanView{{Revision: 1}},
		Susceptibility: "high", Suggestions: []FindingView{{Code: "s", Reason: "S"}}, Drugs: []string{"ketamine"}, Routes: []string{"iv"},
		Form: PlanForm{Drug: "ketamine", Route: "iv"}, Errors: ErrorSummary{Fields: map[string]string{"reason": "x"}}})
)
