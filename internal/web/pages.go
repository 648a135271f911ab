package web

import (
	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/audit"
)

// Base is what every page carries: its title, who is signed in, the CSRF
// token for its forms and a one-off message.
type Base struct {
	Title string
	User  *ketacare.Actor // nil when signed out
	CSRF  string
	Flash string
	Nav   string // the current section, for the navigation's aria-current
}

// Is reports whether the signed-in user has one of the roles.
func (b Base) Is(roles ...string) bool {
	if b.User == nil {
		return false
	}
	for _, r := range roles {
		if string(b.User.Role) == r {
			return true
		}
	}
	return false
}

// ErrorSummary is a form's list of problems, shown at the top of the form
// with links to each field (the GOV.UK/NHS error summary pattern).
type ErrorSummary struct {
	Message string
	Fields  map[string]string
}

// Has reports whether there is anything to show.
func (e ErrorSummary) Has() bool { return e.Message != "" || len(e.Fields) > 0 }

// ErrorPage explains a failed request.
type ErrorPage struct {
	Base
	Status  int
	Message string
}

// LoginPage is the sign-in form.
type LoginPage struct {
	Base
	Email  string
	Next   string
	Errors ErrorSummary
}

// HomePage is the signed-in start page.
type HomePage struct {
	Base
	ClinicNames []string
}

// PatientsPage lists patients.
type PatientsPage struct {
	Base
	Query    string
	Patients []ketacare.Patient
	Total    int
	From, To int
	PrevURL  string
	NextURL  string
}

// PatientFormPage registers a patient.
type PatientFormPage struct {
	Base
	Patient ketacare.Patient
	Errors  ErrorSummary
	Sexes   []string
}

// PatientPage shows one patient's record.
type PatientPage struct {
	Base
	Patient ketacare.Patient
	Age     int
}

// ClinicsPage lists and adds clinics.
type ClinicsPage struct {
	Base
	Clinics []ketacare.Clinic
	Name    string
	Errors  ErrorSummary
}

// UserForm is the new-account form's values.
type UserForm struct {
	Email    string
	Name     string
	Role     string
	ClinicID int64
}

// UsersPage lists staff accounts and adds one.
type UsersPage struct {
	Base
	Users       []ketacare.User
	Clinics     []ketacare.Clinic
	ClinicNames map[int64]string
	Roles       []ketacare.Role
	Form        UserForm
	Errors      ErrorSummary
}

// AuditFilterForm is the audit page's filter.
type AuditFilterForm struct {
	UserID    string
	PatientID string
	Action    string
	Outcome   string
	From, To  string
}

// AuditPage lists audit entries.
type AuditPage struct {
	Base
	Filter  AuditFilterForm
	Entries []audit.Entry
	NextURL string
	Errors  ErrorSummary
}

// ProtocolVersionSummary is one line of the protocol history.
type ProtocolVersionSummary struct {
	Version   int
	Author    string
	Reason    string
	CreatedAt string
}

// ProtocolChange is one setting that differs between two versions.
type ProtocolChange struct {
	Path     string
	Old, New string
}

// ProtocolPage shows the current protocol, its history, a diff between two
// versions, and (for admins) a form to save a new version.
type ProtocolPage struct {
	Base
	Current  ProtocolVersionSummary
	Document string
	History  []ProtocolVersionSummary
	From, To int
	Changes  []ProtocolChange
	Reason   string
	Errors   ErrorSummary
}
