// Package demo loads a synthetic clinic so a newcomer can see ketacare
// working: one account per staff role and a few patients. Every name and
// number is invented; NHS numbers come from the range reserved for testing.
package demo

import (
	"context"
	"fmt"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/auth"
	"github.com/ketacare/ketacare/internal/store"
)

// Password is every demo account's password.
const Password = "ketacare demo password"

// Account is a demo sign-in.
type Account struct {
	Email string
	Role  ketacare.Role
}

// Accounts are the demo staff.
var Accounts = []Account{
	{"admin@demo.ketacare.test", ketacare.RoleAdmin},
	{"prescriber@demo.ketacare.test", ketacare.RolePrescriber},
	{"nurse@demo.ketacare.test", ketacare.RoleNurse},
	{"counsellor@demo.ketacare.test", ketacare.RoleCounsellor},
}

var patients = []ketacare.Patient{
	{GivenName: "Alex", FamilyName: "Morgan", BirthDate: "1985-04-12", Sex: "female", NHSNumber: "9990000026", Phone: "020 7946 0001", Email: "alex.morgan@example.com"},
	{GivenName: "Sam", FamilyName: "Okafor", BirthDate: "1972-11-03", Sex: "male", NHSNumber: "9990000034", Phone: "020 7946 0002"},
	{GivenName: "Jordan", FamilyName: "Reid", BirthDate: "1999-07-28", Sex: "other", Phone: "0113 496 0003", Email: "jordan.reid@example.com"},
	{GivenName: "Priya", FamilyName: "Shah", BirthDate: "1960-01-19", Sex: "female", NHSNumber: "9990000042"},
}

// Load creates the demo accounts and patients unless they exist already,
// and returns the accounts.
func Load(ctx context.Context, db *store.DB) ([]Account, error) {
	system := ketacare.Actor{Email: "demo-loader", Role: ketacare.RoleAdmin}
	if _, _, err := db.UserByEmail(ctx, Accounts[0].Email); err == nil {
		return Accounts, nil // loaded before
	}
	hash, err := auth.HashPassword(Password)
	if err != nil {
		return nil, err
	}
	var admin ketacare.User
	for i, a := range Accounts {
		name := fmt.Sprintf("Demo %s", a.Role)
		u, err := db.CreateUser(ctx, system, store.NewUser{Email: a.Email, Name: name, Role: a.Role, PasswordHash: hash})
		if err != nil {
			return nil, fmt.Errorf("demo account %s: %w", a.Email, err)
		}
		if i == 0 {
			admin = u
		}
		if a.Role == ketacare.RolePrescriber {
			// The demo prescriber is on duty: the board shows to whom
			// unacknowledged alerts are escalated.
			rx := ketacare.Actor{UserID: u.ID, Email: u.Email, Role: u.Role, ClinicIDs: u.ClinicIDs, ClientAddr: "local"}
			if err := db.SetOnDuty(ctx, rx, u.ClinicIDs[0], u.ID, true); err != nil {
				return nil, fmt.Errorf("demo prescriber on duty: %w", err)
			}
		}
	}
	actor := ketacare.Actor{UserID: admin.ID, Email: admin.Email, Role: admin.Role, ClinicIDs: admin.ClinicIDs}
	var ids []int64
	for _, p := range patients {
		created, err := db.CreatePatient(ctx, actor, p)
		if err != nil {
			return nil, fmt.Errorf("demo patient %s: %w", p.FamilyName, err)
		}
		ids = append(ids, created.ID)
	}
	// Each capability adds its part of the demo clinic, in pathway order.
	for _, load := range []func(context.Context, *store.DB, []int64) error{loadScreening, loadMonitoring, loadFollowup, loadCallbacks} {
		if err := load(ctx, db, ids); err != nil {
			return nil, err
		}
	}
	return Accounts, nil
}
