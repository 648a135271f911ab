package web

import (
	"html/template"
	"strings"

	"github.com/ketacare/ketacare"
)

// CrisisContactView is one crisis line as a page shows it.
type CrisisContactView struct {
	Name         string
	Number       string       // as dialled or texted: "116 123"
	Href         template.URL // tel: or sms: link, from DialLink
	Text         bool         // a text line, not a call
	Detail       string
	LastVerified string // "25 Nov 2026"
}

// DialLink is a "tel:" or "sms:" link to a phone number, keeping nothing of
// the number but its digits and a leading plus. html/template lets only
// http, https and mailto addresses through as they are and would replace
// any other with "#ZgotmplZ", leaving a crisis line that cannot be tapped;
// the link is typed as safe here because it is built from digits alone.
func DialLink(scheme, number string) template.URL {
	if scheme != "tel" && scheme != "sms" {
		return ""
	}
	var b strings.Builder
	for _, r := range strings.TrimSpace(number) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && b.Len() == 0:
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 || b.String() == "+" {
		return ""
	}
	return template.URL(scheme + ":" + b.String())
}

// CrisisGroup is the crisis lines of a set of nations ("Anywhere in the
// UK", "In England").
type CrisisGroup struct {
	Heading  string
	Contacts []CrisisContactView
}

// CallbackForm is what the callback form holds, as typed.
type CallbackForm struct {
	Name      string
	Phone     string
	Reason    string
	SafeNow   string // "yes", "no" or "" (not answered)
	From      string // "HH:00" or "" (any time)
	To        string
	Consent   bool
	Voicemail bool
	PatientID string // staff form only
}

// CallbackFormPage is the public "ask for a callback" form, and the staff
// form that logs a request on behalf of a caller.
type CallbackFormPage struct {
	Base
	Form       CallbackForm
	Errors     ErrorSummary
	Crisis     []CrisisGroup
	Started    string // signed time the form was shown
	Submission string // idempotency key of this form
	Hours      []string
	UrgentIn   string // "15 minutes"
	StandardIn string // "2 hours"
	Staff      bool   // the staff form
	Action     string // where the form posts
}

// CallbackSentPage confirms a request and says what happens next.
type CallbackSentPage struct {
	Base
	Reference       string
	Urgent          bool
	ImmediateDanger bool
	Expectation     string // "A counsellor will try to call you within 15 minutes."
	Crisis          []CrisisGroup
}

// CallbackRow is one request in the queue.
type CallbackRow struct {
	ID        int64
	Reference string
	Name      string
	Urgent    bool
	Danger    bool
	Waiting   string // since when: "14:02 (35 min ago)"
	Target    string // "8 min left", "overdue by 12 min", "met"
	Overdue   bool
	Status    string // "Waiting", "Next attempt from 15:30", "With a@b until 14:20"
	Attempts  string // "1 of 3"
	Outcome   string // closed requests
	Mine      bool
}

// CallbackQueuePage is the counsellors' live queue (or the closed list).
type CallbackQueuePage struct {
	Base
	Closed      bool
	Mine        []CallbackRow
	Rows        []CallbackRow
	DueNow      int
	Escalations int
	Now         string
}

// CallbackAttemptView is one recorded attempt.
type CallbackAttemptView struct {
	No      int
	At      string
	Outcome string
	Note    string
	By      string
}

// CallbackEventView is one line of a request's timeline.
type CallbackEventView struct {
	At     string
	Kind   string
	By     string
	Detail string
}

// CallbackOutcomeOption is one outcome a counsellor may record.
type CallbackOutcomeOption struct {
	Code  string
	Label string
	Hint  string
}

// CallbackDetailPage shows one request to callback staff, with the forms to
// record an attempt, renew the lease or release it.
type CallbackDetailPage struct {
	Base
	ID               int64
	Reference        string
	Name             string
	Phone            string       // as dialled at home: "020 7946 0000"
	PhoneHref        template.URL // tel: link, from DialLink
	Reason           []string     // paragraphs
	Urgent           bool
	ImmediateDanger  bool
	SafeNow          bool
	Matched          []string
	Window           string
	Voicemail        bool
	Status           string
	Target           string
	Overdue          bool
	Attempts         string
	Held             bool // by the reader
	LeaseUntil       string
	Outcome          string
	Outcomes         []CallbackOutcomeOption
	PatientName      string
	PatientPhone     string
	PatientLinked    bool
	PatientRecordURL string // only for clinical roles
	History          []CallbackAttemptView
	Events           []CallbackEventView
	Errors           ErrorSummary
	// The attempt form as typed, shown again with its errors.
	FormOutcome, FormNote string
}

// CallbackStatRow is one priority's service level in a period.
type CallbackStatRow struct {
	Urgent    bool
	Priority  string
	Target    string
	Requests  int
	Attempted int
	Median    string
	P90       string
	Missed    int
}

// CallbackStatWindow is one period of the supervisor view.
type CallbackStatWindow struct {
	Label    string
	Rows     []CallbackStatRow
	Missed   int
	Outcomes []CallbackOutcomeCount
}

// CallbackOutcomeCount is how many requests closed with an outcome.
type CallbackOutcomeCount struct {
	Label string
	Count int
}

// CallbackEscalationRow is a missed target on the on-call lead's board.
type CallbackEscalationRow struct {
	ID        int64
	RequestID int64
	Reference string
	Urgent    bool
	Due       string
	Status    string
}

// CallbackSupervisorPage is the supervisor and on-call lead's view.
type CallbackSupervisorPage struct {
	Base
	Queued        int
	DueNow        int
	Claimed       int
	UrgentOpen    int
	OverdueOpen   int
	Escalations   []CallbackEscalationRow
	Windows       []CallbackStatWindow
	StaleContacts []string
	Now           string
}

var sampleCrisis = []CrisisGroup{{Heading: "Anywhere in the UK", Contacts: []CrisisContactView{
	{Name: "Samaritans", Number: "116 123", Href: DialLink("tel", "116 123"), Detail: "Free, 24 hours a day.", LastVerified: "25 Nov 2026"},
	{Name: "Shout", Number: "85258", Href: DialLink("sms", "85258"), Text: true, Detail: "Text SHOUT.", LastVerified: "25 Nov 2026"}}}}

var (
	_ = sample("callback", CallbackFormPage{Crisis: sampleCrisis, Hours: []string{"09:00"}, UrgentIn: "15 minutes", StandardIn: "2 hours",
		Action: "/callback", Errors: ErrorSummary{Fields: map[string]string{"phone": "x", "consent": "y"}}, Form: CallbackForm{SafeNow: "yes", From: "09:00"}})
	_ = sample("callback_sent", CallbackSentPage{Reference: "KC-AAAA-AAAA", Urgent: true, ImmediateDanger: true, Expectation: "x", Crisis: sampleCrisis})
	_ = sample("callback_queue", CallbackQueuePage{Base: Base{User: &ketacare.Actor{Role: ketacare.RoleCounsellor}},
		Mine: []CallbackRow{{ID: 1, Urgent: true, Mine: true}}, Rows: []CallbackRow{{ID: 2, Overdue: true, Danger: true}}, Escalations: 1})
	_ = sample("callback_detail", CallbackDetailPage{Base: Base{User: &ketacare.Actor{Role: ketacare.RoleCounsellor}}, ID: 1, Held: true,
		Urgent: true, ImmediateDanger: true, Matched: []string{"overdose"}, Outcomes: []CallbackOutcomeOption{{Code: "no_answer", Label: "No answer"}},
		PatientLinked: true, PatientName: "A B", PatientRecordURL: "/patients/1", History: []CallbackAttemptView{{No: 1}}, Events: []CallbackEventView{{Kind: "x"}}})
	_ = sample("callback_supervisor", CallbackSupervisorPage{Base: Base{User: &ketacare.Actor{Role: ketacare.RoleAdmin}},
		Escalations: []CallbackEscalationRow{{ID: 1, Urgent: true}}, StaleContacts: []string{"x"},
		Windows: []CallbackStatWindow{{Label: "24 h", Rows: []CallbackStatRow{{Urgent: true}}, Outcomes: []CallbackOutcomeCount{{Label: "x", Count: 1}}}}})
)
