package web

import (
	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/audit"
)

// samples holds one value of each page's struct, by template name: the
// template test renders every template with its sample, so a template that
// refers to a missing field fails the tests, not a clinician.
var samples = map[string]any{}

// sample registers a page struct for a template; call it from a package
// variable beside the struct: var _ = sample("name", NamePage{...}).
func sample(name string, v any) bool {
	samples[name] = v
	return true
}

// Samples returns the registered page samples.
func Samples() map[string]any { return samples }

// Base is what every page carries: its title, who is signed in, the CSRF
// token for its forms and a one-off message.
type Base struct {
	Title string
	User  *ketacare.Actor // nil when signed out
	CSRF  string
	Flash string
	Nav   string // the current section, for the navigation's aria-current
	// Wide pages (live boards, a session's record) use the whole width of
	// the screen: they are watched on large displays, and their tables
	// would otherwise scroll sideways.
	Wide bool
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
	// The versions to compare as typed, shown again with their errors.
	FromText, ToText string
	Changes          []ProtocolChange
	Reason           string
	Errors           ErrorSummary
}

var (
	_ = sample("error", ErrorPage{Status: 404, Message: "Not found."})
	_ = sample("login", LoginPage{Errors: ErrorSummary{Message: "x", Fields: map[string]string{"email": "x"}}})
	_ = sample("home", HomePage{Base: Base{User: &ketacare.Actor{Role: ketacare.RoleAdmin}}, ClinicNames: []string{"Main"}})
	_ = sample("patients", PatientsPage{Patients: []ketacare.Patient{{ID: 1}}, PrevURL: "/p", NextURL: "/n"})
	_ = sample("patient_new", PatientFormPage{Sexes: ketacare.Sexes, Errors: ErrorSummary{Fields: map[string]string{"sex": "x"}}})
	_ = sample("patient", PatientPage{Patient: ketacare.Patient{ID: 1}})
	_ = sample("admin_clinics", ClinicsPage{Clinics: []ketacare.Clinic{{ID: 1}}})
	_ = sample("admin_users", UsersPage{Users: []ketacare.User{{ID: 1, ClinicIDs: []int64{1}}}, ClinicNames: map[int64]string{1: "Main"}, Roles: ketacare.Roles, Clinics: []ketacare.Clinic{{ID: 1}}})
	_ = sample("admin_audit", AuditPage{Entries: []audit.Entry{{Seq: 1}}, NextURL: "/n"})
	_ = sample("admin_protocol", ProtocolPage{Base: Base{User: &ketacare.Actor{Role: ketacare.RoleAdmin}}, History: []ProtocolVersionSummary{{Version: 1}}, From: 1, To: 2, Changes: []ProtocolChange{{Path: "a"}}})
)

// UserEditPage changes one staff account: name, role, clinics, password.
type UserEditPage struct {
	Base
	Account  ketacare.User
	Name     string
	Role     string
	Mobile   string // as typed, or the stored number for display
	Clinics  []ketacare.Clinic
	InClinic map[int64]bool
	Roles    []ketacare.Role
	Errors   ErrorSummary
}

var _ = sample("admin_user", UserEditPage{Account: ketacare.User{ID: 2, Email: "n@example.org"}, Roles: ketacare.Roles,
	Clinics: []ketacare.Clinic{{ID: 1, Name: "Main"}}, InClinic: map[int64]bool{1: true}})
