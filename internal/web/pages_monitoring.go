package web

import (
	"time"

	"github.com/ketacare/ketacare"
)

// ReadingView is a latest reading on the board, with its trend against the
// reading before: "up", "down", "same" or "".
type ReadingView struct {
	Text  string
	Trend string
}

// TrendLabel says the trend in words, for screen readers and print.
func (r ReadingView) TrendLabel() string {
	switch r.Trend {
	case "up":
		return "rising"
	case "down":
		return "falling"
	case "same":
		return "steady"
	}
	return ""
}

// TrendArrow is the trend's arrow.
func (r ReadingView) TrendArrow() string {
	switch r.Trend {
	case "up":
		return "↑"
	case "down":
		return "↓"
	case "same":
		return "→"
	}
	return ""
}

// AlertView is an alert as shown.
type AlertView struct {
	ID              int64
	SessionID       int64
	PatientName     string
	Rule            string
	Tier            string
	Message         string
	Value           string
	RaisedAt        time.Time
	ReadingAt       time.Time
	Cleared         bool
	ClearedAt       time.Time
	NeedsAck        bool
	AcknowledgedBy  string
	AcknowledgedAt  time.Time
	Escalated       bool
	EscalatedTo     string
	ProtocolVersion int
}

// BoardRowView is one session in progress on the live board.
type BoardRowView struct {
	SessionID        int64
	PatientID        int64
	PatientName      string
	Treatment        string // e.g. "esketamine intranasal 56 mg"
	Status           string
	MinutesSinceDose string
	BP               ReadingView
	Pulse            ReadingView
	SpO2             ReadingView
	RespRate         ReadingView
	Anxiety          ReadingView
	MOAAS            ReadingView
	NEWS2            string
	NEWS2Response    string
	Alerts           []AlertView
	Tier             string // most urgent outstanding tier, "" when none
	NextDue          string
	Overdue          bool
}

// BoardPage is a clinic's live board.
type BoardPage struct {
	Base
	ClinicID int64
	// OnDuty are the prescribers on duty; Duty what the viewer may do
	// about it.
	OnDuty    []DutyView
	Duty      DutyChoice
	Rows      []BoardRowView
	Emergency int
	Critical  int
	Warning   int
	EventsURL string
	UpdatedAt time.Time
}

// DutyView is a prescriber on duty, as the board shows them.
type DutyView struct {
	UserID int64
	Name   string
	Since  time.Time
	Until  time.Time // when the duty ends by itself
	// CanEnd: the viewer may take them off duty (themself, or anyone for
	// an administrator).
	CanEnd bool
}

// DutyChoice is whether the viewer, a prescriber, may go on duty.
type DutyChoice struct {
	CanStart bool
}

// SessionView is a dosing session as shown.
type SessionView struct {
	ID               int64
	PatientID        int64
	Treatment        string
	Route            string
	Status           string
	OpenedAt         time.Time
	DoseAt           time.Time
	DoseEndAt        time.Time
	MinutesSinceDose string
	Live             bool
	Closed           bool // closed without a dose
	Dosed            bool
	DischargedAt     time.Time
	DischargedBy     string
	WithinGate       bool
	DischargeReason  string
	ProtocolVersion  int
}

// SessionSummary is one line of a patient's session list.
type SessionSummary struct {
	SessionView
	Observations int
}

// SessionForm is the open-session form.
type SessionForm struct {
	Drug       string
	Route      string
	DoseMg     string
	SpO2Scale2 bool
}

// PatientSessionsPage lists a patient's sessions and opens a new one.
type PatientSessionsPage struct {
	Base
	Patient  ketacare.Patient
	Sessions []SessionView
	LiveID   int64 // the session in progress, 0 when none
	Form     SessionForm
	Drugs    []string
	Routes   []string
	Errors   ErrorSummary
}

// ObservationView is one observation in the session's table.
type ObservationView struct {
	ID        int64
	At        time.Time
	Minutes   string // since the dose, "pre-dose" before it
	BP        string
	Pulse     string
	SpO2      string
	RespRate  string
	TempC     string
	ACVPU     string
	Oxygen    string
	Anxiety   string
	MOAAS     string
	CADSS     string
	Signs     []string
	Measures  []string
	NEWS2     string
	Source    string
	Confirmed bool
	// Chart values: numbers as text, "" when not recorded.
	SysV, DiaV, PulseV, SpO2V, AnxietyV string
}

// GateView is the discharge checklist.
type GateView struct {
	Pass  bool
	Items []GateItemView
}

// GateItemView is one discharge criterion.
type GateItemView struct {
	Code, Label, Detail string
	Pass                bool
}

// SessionPage shows a session: readings charted and tabled, alerts,
// supportive measures, NEWS2, the next observation due, and links to
// record, acknowledge and discharge. It prints as the session record.
type SessionPage struct {
	Base
	Patient        ketacare.Patient
	Session        SessionView
	Observations   []ObservationView
	Alerts         []AlertView
	Outstanding    []AlertView
	NEWS2          string
	NEWS2Response  string
	NEWS2Subscores []GateItemView
	// NEWS2At is zero while the session is live (the score is now's); for
	// a finished session, the time of its last observation, whose score
	// it is.
	NEWS2At         time.Time
	NextDue         string
	Overdue         bool
	CADSSDue        bool
	Gate            GateView
	ProtocolVersion int
	EventsURL       string
	DischargeGate   GateView // the gate as signed, for a discharged session
	// BaselineComplete: before the dose, the pre-dose baseline holds a blood
	// pressure, the anxiety rating and MOAA/S.
	BaselineComplete bool
	// The form closing a session without a dose, as typed, with its errors.
	CloseReason string
	Errors      ErrorSummary
}

// CodeOption is a checkbox or radio choice.
type CodeOption struct {
	Code, Label string
	Checked     bool
}

// ObservationFormPage records an observation, for a tablet.
type ObservationFormPage struct {
	Base
	Patient       ketacare.Patient
	Session       SessionView
	Values        map[string]string
	Consciousness []CodeOption
	Signs         []CodeOption
	Measures      []CodeOption
	CADSSDue      bool
	AskConfirm    bool // readings were outside the plausible ranges
	Errors        ErrorSummary
}

// Value returns a submitted value of the form.
func (p ObservationFormPage) Value(name string) string { return p.Values[name] }

// DischargePage is the discharge checklist and signature.
type DischargePage struct {
	Base
	Patient         ketacare.Patient
	Session         SessionView
	Gate            GateView
	Escort          bool
	Driving         bool
	Reason          string
	ProtocolVersion int
	Errors          ErrorSummary
}

var (
	sampleSession = SessionView{ID: 1, PatientID: 2, Treatment: "ketamine iv 35 mg", Route: "iv", Status: "dosed", Live: true, Dosed: true, MinutesSinceDose: "12"}
	sampleAlert   = AlertView{ID: 3, SessionID: 1, PatientName: "A B", Rule: "bp-warning", Tier: "warning", Message: "m", Value: "v", NeedsAck: true, Escalated: true, EscalatedTo: "x"}
	sampleGate    = GateView{Items: []GateItemView{{Code: "escort", Label: "Escort confirmed", Detail: "d"}, {Code: "moaas", Label: "MOAA/S", Pass: true}}}
	_             = sample("board", BoardPage{Base: Base{User: &ketacare.Actor{Role: ketacare.RoleNurse}}, ClinicID: 1, EventsURL: "/e",
		Rows: []BoardRowView{{SessionID: 1, PatientName: "A B", BP: ReadingView{Text: "150/90", Trend: "up"}, Alerts: []AlertView{sampleAlert}, Tier: "warning", Overdue: true}}})
	_ = sample("monitoring_sessions", PatientSessionsPage{Sessions: []SessionView{sampleSession}, LiveID: 1, Drugs: []string{"ketamine"}, Routes: []string{"iv"},
		Errors: ErrorSummary{Message: "x", Fields: map[string]string{"drug": "x"}}})
	_ = sample("monitoring_session", SessionPage{Session: sampleSession, Observations: []ObservationView{{ID: 1, Signs: []string{"Panic"}, Measures: []string{"Music"}}},
		Alerts: []AlertView{sampleAlert}, Outstanding: []AlertView{sampleAlert}, NEWS2: "3", NEWS2Subscores: []GateItemView{{Code: "pulse", Label: "1"}}, Gate: sampleGate, DischargeGate: sampleGate, EventsURL: "/e"})
	_ = sample("monitoring_observe", ObservationFormPage{Session: sampleSession, Values: map[string]string{"pulse": "80"},
		Consciousness: []CodeOption{{Code: "A", Label: "Alert", Checked: true}}, Signs: []CodeOption{{Code: "panic", Label: "Panic"}},
		Measures: []CodeOption{{Code: "music", Label: "Music"}}, CADSSDue: true, AskConfirm: true, Errors: ErrorSummary{Fields: map[string]string{"pulse": "x"}}})
	_ = sample("monitoring_discharge", DischargePage{Session: sampleSession, Gate: sampleGate, Errors: ErrorSummary{Fields: map[string]string{"reason": "x"}}})
)

// Field is the labelled input of a form value, with its error.
func (p ObservationFormPage) Field(name, label string) Field {
	return Field{Name: name, Label: label, Value: p.Values[name], Error: p.Errors.Fields[name], Type: "text", Autocomplete: "off"}
}
