// Package ketacare holds the domain vocabulary shared by every part of the
// product: the application error type, roles and the acting identity, and
// the plain types of the records every capability builds on (clinics, staff
// accounts, patients). Implementations live in internal packages named after
// what they wrap (store, server, auth, ...).
package ketacare

import "time"

// Role is what a user may do. Staff roles are admin, prescriber, nurse and
// counsellor; patients get the patient role.
type Role string

// The roles.
const (
	RoleAdmin      Role = "admin"
	RolePrescriber Role = "prescriber"
	RoleNurse      Role = "nurse"
	RoleCounsellor Role = "counsellor"
	RolePatient    Role = "patient"
)

// Roles lists every role in display order.
var Roles = []Role{RoleAdmin, RolePrescriber, RoleNurse, RoleCounsellor, RolePatient}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// Clinical reports whether the role may read clinical records.
func (r Role) Clinical() bool {
	return r == RoleAdmin || r == RolePrescriber || r == RoleNurse
}

// Actor is who is making a request: set by the server from the session or
// bearer token, never from the request body. Every record's author and
// clinic come from here.
type Actor struct {
	UserID     int64
	Email      string
	Name       string
	Role       Role
	ClinicIDs  []int64 // the clinics whose records this actor may see
	PatientID  int64   // for the patient role: the patient they are
	ClientAddr string
	RequestID  string
}

// InClinic reports whether the actor works in the clinic.
func (a Actor) InClinic(id int64) bool {
	for _, c := range a.ClinicIDs {
		if c == id {
			return true
		}
	}
	return false
}

// HomeClinic is the clinic new records are created in: the actor's first.
func (a Actor) HomeClinic() int64 {
	if len(a.ClinicIDs) == 0 {
		return 0
	}
	return a.ClinicIDs[0]
}

// Clinic is one clinic of the network.
type Clinic struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

// User is a staff or patient account.
type User struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	ClinicIDs []int64   `json:"clinicIds"`
	PatientID int64     `json:"patientId,omitempty"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"createdAt"`
	// Mobile is a staff member's mobile number in E.164, empty when none:
	// escalated alerts are also sent to it as a text message.
	Mobile string `json:"mobile,omitempty"`
}
