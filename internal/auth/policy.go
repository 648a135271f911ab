package auth

import (
	"strings"

	"github.com/ketacare/ketacare"
)

// Policy says who may use a route. Every route declares one; the zero
// Policy is undefined and the server refuses to start with it.
type Policy struct {
	public bool
	roles  []ketacare.Role
}

// Public routes need no sign-in (health, login, the public callback form).
var Public = Policy{public: true}

// Roles allows signed-in users with any of the roles.
func Roles(rs ...ketacare.Role) Policy { return Policy{roles: rs} }

// The policies most routes use.
var (
	Admin      = Roles(ketacare.RoleAdmin)
	Prescriber = Roles(ketacare.RolePrescriber)
	Clinical   = Roles(ketacare.RoleAdmin, ketacare.RolePrescriber, ketacare.RoleNurse)
	Staff      = Roles(ketacare.RoleAdmin, ketacare.RolePrescriber, ketacare.RoleNurse, ketacare.RoleCounsellor)
	SignedIn   = Roles(ketacare.Roles...)
)

// Defined reports whether the policy was set.
func (p Policy) Defined() bool { return p.public || len(p.roles) > 0 }

// IsPublic reports whether anyone may use the route.
func (p Policy) IsPublic() bool { return p.public }

// Allows reports whether a signed-in user with role r may use the route.
func (p Policy) Allows(r ketacare.Role) bool {
	if p.public {
		return true
	}
	for _, x := range p.roles {
		if x == r {
			return true
		}
	}
	return false
}

// String names the policy, for the route table and logs.
func (p Policy) String() string {
	switch {
	case p.public:
		return "public"
	case len(p.roles) == 0:
		return "UNDEFINED"
	}
	s := make([]string, len(p.roles))
	for i, r := range p.roles {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}
