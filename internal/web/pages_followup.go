package web

import (
	"time"

	"github.com/ketacare/ketacare"
)

// FollowupContact is a crisis line shown to a patient.
type FollowupContact struct {
	Name, Number, Kind, Detail string
}

// FollowupOption is one radio button.
type FollowupOption struct {
	ID, Value, Label string
	Checked          bool
}

// FollowupQuestion is one question answered with radio buttons.
type FollowupQuestion struct {
	Name, Text, Error string
	Options           []FollowupOption
}

// CheckinPage is the patient's check-in form, opened by a link.
type CheckinPage struct {
	Base
	Label   string // "+24 h check-in"
	Action  string
	OpensAt time.Time // set when the check-in is not yet due: no form is shown
	// AsksNRS: the anxiety rating is asked (NRS holds its radio buttons).
	AsksNRS  bool
	NRS      FollowupQuestion
	OwnWords string
	Callback FollowupQuestion
	GAD7     []FollowupQuestion
	PHQ9     []FollowupQuestion
	Errors   ErrorSummary
	Contacts []FollowupContact
}

// FollowupMessagePage is a message to a patient: thanks after a check-in,
// or why a link cannot be used, with the crisis contacts.
type FollowupMessagePage struct {
	Base
	Heading    string
	Paragraphs []string
	// Urgent shows the crisis contacts first, as a call to act.
	Urgent   bool
	Contacts []FollowupContact
}

// CSSRSPage is the C-SSRS screener that follows a PHQ-9 item 9 above 0.
type CSSRSPage struct {
	Base
	Action    string
	Questions []FollowupQuestion
	Errors    ErrorSummary
	Contacts  []FollowupContact
}

// ChartRow is one row of a chart's table.
type ChartRow struct {
	When   time.Time
	Values []string // one per series; "" when none
}

// FollowupChart is a uPlot chart with the same values in a table. Data is
// the JSON read by followup.js: {"x":[unix seconds], "series":[{"label",
// "values"}]}.
type FollowupChart struct {
	ID      string
	Caption string
	Data    string
	Series  []string
	Rows    []ChartRow
}

// EvidenceRow is one piece of evidence behind a classification.
type EvidenceRow struct {
	Rule, Source, Detail string
	SourceID             int64
	At                   time.Time
}

// ReviewRow is one review in a list.
type ReviewRow struct {
	ID            int64
	PatientID     int64
	PatientName   string
	SessionID     int64
	Status        string
	Urgent        bool
	UrgentReasons string
	Overdue       bool
	DueAt         time.Time
	CreatedAt     time.Time
	DecidedAt     time.Time
	DecidedName   string
	Options       []string // labels
	Reason        string
	PlanRevision  int
	Protocol      int
}

// TaskRow is one open follow-up task.
type TaskRow struct {
	ID          int64
	PatientID   int64
	PatientName string
	Kind        string
	Urgent      bool
	Detail      string
	CreatedAt   time.Time
}

// ReviewsPage lists open reviews and the follow-up tasks (missed
// check-ins, urgent C-SSRS results, calls that could not be requested).
type ReviewsPage struct {
	Base
	Open    []ReviewRow
	Decided []ReviewRow
	Tasks   []TaskRow
}

// ReviewOptionView is one decision option with its state in the form.
type ReviewOptionView struct {
	Code, Label    string
	PrescriberOnly bool
	Disabled       bool
	Checked        bool
}

// ReviewPage shows one review: the evidence, the trends, susceptibility,
// the plan and the decision form (or the decision).
type ReviewPage struct {
	Base
	Review          ReviewRow
	Patient         ketacare.Patient
	Evidence        []EvidenceRow
	Chart           FollowupChart
	Susceptibility  string
	Factors         []FactorView
	PlanSummary     string
	Options         []ReviewOptionView
	Reason          string
	NewDoseMg       string
	NewIntervalDays string
	Errors          ErrorSummary
}

// TimelineSessionRow is one session on the timeline.
type TimelineSessionRow struct {
	ID                           int64
	DosedAt                      time.Time
	Status                       string
	Baseline, Peak, AtDischarge  string
	Class                        string
	Protocol                     int
	Evidence                     []EvidenceRow
	FollowupURL                  string // staff: the session's check-ins
	ReviewSummary, ReviewOutcome string
}

// TimelineCheckinRow is one check-in on the timeline.
type TimelineCheckinRow struct {
	ID          int64
	Label       string
	DueAt       time.Time
	Status      string
	NRS         string
	OwnWords    string
	Callback    string
	Scores      string
	CanMakeLink bool
}

// TimelinePage is a patient's follow-up timeline, for staff or for the
// patient themself (Self).
type TimelinePage struct {
	Base
	Patient  ketacare.Patient
	Self     bool
	Sessions []TimelineSessionRow
	Checkins []TimelineCheckinRow
	Reviews  []ReviewRow
	Chart    FollowupChart
	// GAD7Change reads the change of the GAD-7 since the first ("" with
	// fewer than two).
	GAD7Change string
	// Account is the patient's account email ("" when none); staff may
	// create one with AccountEmail and a password.
	Account      string
	AccountEmail string
	Errors       ErrorSummary
}

// SessionFollowupPage lists one session's check-ins with a way to make a
// link for the patient (the discharge page can link here).
type SessionFollowupPage struct {
	Base
	SessionID int64
	Patient   ketacare.Patient
	Checkins  []TimelineCheckinRow
}

// CheckinLinkPage shows a new check-in link once.
type CheckinLinkPage struct {
	Base
	Label     string
	URL       string
	DueAt     time.Time
	ExpiresAt time.Time
	BackURL   string
}

var (
	sampleFollowupStaff = Base{User: &ketacare.Actor{Role: ketacare.RolePrescriber, Email: "p@x"}}
	sampleQuestion      = FollowupQuestion{Name: "q", Text: "Q?", Error: "x", Options: []FollowupOption{{ID: "q", Value: "0", Label: "No", Checked: true}}}
	sampleChart         = FollowupChart{ID: "c", Caption: "Trend", Data: `{"x":[1],"series":[]}`, Series: []string{"GAD-7"},
		Rows: []ChartRow{{When: time.Unix(1, 0), Values: []string{"3"}}}}
	sampleReviewRow = ReviewRow{ID: 1, PatientID: 1, PatientName: "A B", SessionID: 1, Status: "open", Urgent: true, Options: []string{"x"}}
	sampleContacts  = []FollowupContact{{Name: "Samaritans", Number: "116 123", Kind: "call"}}

	_ = sample("followup_checkin", CheckinPage{Label: "+24 h check-in", Action: "/checkin/t", AsksNRS: true, NRS: sampleQuestion, Callback: sampleQuestion,
		GAD7: []FollowupQuestion{sampleQuestion}, PHQ9: []FollowupQuestion{sampleQuestion}, Errors: ErrorSummary{Fields: map[string]string{"nrs": "x"}}, Contacts: sampleContacts})
	_ = sample("followup_message", FollowupMessagePage{Heading: "Thank you", Paragraphs: []string{"x"}, Urgent: true, Contacts: sampleContacts})
	_ = sample("followup_cssrs", CSSRSPage{Action: "/checkin/cssrs/t", Questions: []FollowupQuestion{sampleQuestion}, Errors: ErrorSummary{Message: "x"}, Contacts: sampleContacts})
	_ = sample("followup_reviews", ReviewsPage{Base: sampleFollowupStaff, Open: []ReviewRow{sampleReviewRow}, Decided: []ReviewRow{sampleReviewRow},
		Tasks: []TaskRow{{ID: 1, PatientName: "A", Urgent: true}}})
	_ = sample("followup_review", ReviewPage{Base: sampleFollowupStaff, Review: sampleReviewRow, Evidence: []EvidenceRow{{Rule: "r"}}, Chart: sampleChart,
		Factors: []FactorView{{Reason: "x", Points: 1}}, PlanSummary: "35 mg", Options: []ReviewOptionView{{Code: "c", Label: "C", Disabled: true}},
		Errors: ErrorSummary{Fields: map[string]string{"reason": "x"}}})
	_ = sample("followup_timeline", TimelinePage{Base: sampleFollowupStaff, Patient: ketacare.Patient{ID: 1}, Sessions: []TimelineSessionRow{{ID: 1,
		Evidence: []EvidenceRow{{Rule: "r"}}, FollowupURL: "/s"}}, Checkins: []TimelineCheckinRow{{ID: 1, CanMakeLink: true}}, Reviews: []ReviewRow{sampleReviewRow},
		Chart: sampleChart, Errors: ErrorSummary{Message: "x"}})
	_ = sample("followup_session", SessionFollowupPage{Base: sampleFollowupStaff, SessionID: 1, Patient: ketacare.Patient{ID: 1},
		Checkins: []TimelineCheckinRow{{ID: 1, CanMakeLink: true}}})
	_ = sample("followup_link", CheckinLinkPage{Base: sampleFollowupStaff, Label: "+24 h check-in", URL: "http://x/checkin/t", BackURL: "/s"})
)

// AccountPasswordPage is where a patient chooses the password of their
// account, through the link the clinic gave them.
type AccountPasswordPage struct {
	Base
	Email  string
	Errors ErrorSummary
	Done   bool // the password is set
}

var _ = sample("account_password", AccountPasswordPage{Email: "alex@example.com", Errors: ErrorSummary{Fields: map[string]string{"password": "x"}}})
