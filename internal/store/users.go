package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/phone"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// NewUser is an account to create; PasswordHash is already hashed.
type NewUser struct {
	Email        string
	Name         string
	Role         ketacare.Role
	ClinicIDs    []int64 // empty: the default clinic
	PatientID    int64
	PasswordHash string
	Mobile       string // optional, any format phone.Parse reads; stored as E.164
}

// CreateUser adds an account. Without clinics it joins the default clinic.
func (db *DB) CreateUser(ctx context.Context, a ketacare.Actor, nu NewUser) (ketacare.User, error) {
	u := ketacare.User{Email: strings.ToLower(strings.TrimSpace(nu.Email)), Name: strings.TrimSpace(nu.Name), Role: nu.Role, PatientID: nu.PatientID}
	f := map[string]string{}
	if !strings.Contains(u.Email, "@") || len(u.Email) > 200 || strings.ContainsAny(u.Email, " <>\"") {
		f["email"] = "Enter an email address like name@example.com."
	}
	if u.Name == "" {
		u.Name = u.Email
	}
	if len(u.Name) > 200 {
		f["name"] = "Enter a name of 200 characters or fewer."
	}
	if !u.Role.Valid() {
		f["role"] = "Choose a role: admin, prescriber, nurse, counsellor or patient."
	}
	var msg string
	if u.Mobile, msg = staffMobile(nu.Mobile); msg != "" {
		f["mobile"] = msg
	}
	if err := ketacare.FieldErrors(f); err != nil {
		return u, err
	}
	err := db.Update(ctx, func(tx *Tx) error {
		clinics := nu.ClinicIDs
		if len(clinics) == 0 {
			def, err := tx.defaultClinic(ctx)
			if err != nil {
				return err
			}
			if def == 0 {
				return ketacare.Errorf(ketacare.ECONFLICT, "There is no clinic yet.")
			}
			clinics = []int64{def}
		}
		var patient any
		if u.PatientID != 0 {
			patient = u.PatientID
		}
		id, err := tx.insert(ctx, "INSERT INTO users (email, name, role, password_hash, patient_id, disabled, created_at, mobile) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			u.Email, u.Name, string(u.Role), nu.PasswordHash, patient, false, tx.Now, u.Mobile)
		if isUniqueViolation(err) {
			return &ketacare.Error{Code: ketacare.ECONFLICT, Message: "An account with this email exists.",
				Fields: map[string]string{"email": "An account with this email exists."}}
		}
		if err != nil {
			return err
		}
		u.ID, u.CreatedAt, u.ClinicIDs = id, tx.Now, clinics
		for _, c := range clinics {
			if _, err := tx.exec(ctx, "INSERT INTO user_clinics (user_id, clinic_id) VALUES (?, ?)", id, c); err != nil {
				return ketacare.Errorf(ketacare.EINVALID, "Clinic %d does not exist.", c)
			}
		}
		return tx.Audit(ctx, Event{Actor: a, Action: "user.create", ClinicID: clinics[0], Detail: "user " + itoa(id) + " role " + string(u.Role)})
	})
	return u, err
}

const userColumns = "id, email, name, role, password_hash, COALESCE(patient_id, 0), disabled, created_at, mobile"

func (tx *Tx) scanUser(ctx context.Context, row *sql.Row) (ketacare.User, string, error) {
	var u ketacare.User
	var hash, role string
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &role, &hash, &u.PatientID, &u.Disabled, &u.CreatedAt, &u.Mobile); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return u, "", notFound("Account")
		}
		return u, "", err
	}
	u.Role = ketacare.Role(role)
	var err error
	u.ClinicIDs, err = tx.userClinics(ctx, u.ID)
	return u, hash, err
}

func (tx *Tx) userClinics(ctx context.Context, userID int64) ([]int64, error) {
	return tx.queryIDs(ctx, "SELECT clinic_id FROM user_clinics WHERE user_id = ? ORDER BY clinic_id", userID)
}

// UserByEmail returns an account and its password hash.
func (db *DB) UserByEmail(ctx context.Context, email string) (ketacare.User, string, error) {
	var u ketacare.User
	var hash string
	err := db.View(ctx, func(tx *Tx) error {
		var err error
		u, hash, err = tx.scanUser(ctx, tx.queryRow(ctx, "SELECT "+userColumns+" FROM users WHERE email = ?", strings.ToLower(strings.TrimSpace(email))))
		return err
	})
	return u, hash, err
}

// User returns an account by id.
func (db *DB) User(ctx context.Context, id int64) (ketacare.User, error) {
	var u ketacare.User
	err := db.View(ctx, func(tx *Tx) error {
		var err error
		u, _, err = tx.scanUser(ctx, tx.queryRow(ctx, "SELECT "+userColumns+" FROM users WHERE id = ?", id))
		return err
	})
	return u, err
}

// Users lists every account by email.
func (db *DB) Users(ctx context.Context) ([]ketacare.User, error) {
	var out []ketacare.User
	err := db.View(ctx, func(tx *Tx) error {
		ids, err := tx.queryIDs(ctx, "SELECT id FROM users ORDER BY email")
		if err != nil {
			return err
		}
		for _, id := range ids {
			u, _, err := tx.scanUser(ctx, tx.queryRow(ctx, "SELECT "+userColumns+" FROM users WHERE id = ?", id))
			if err != nil {
				return err
			}
			out = append(out, u)
		}
		return nil
	})
	return out, err
}

// clinicDuty is when a prescriber went on duty in a clinic.
type clinicDuty struct {
	clinic int64
	since  time.Time
}

// SetUserDisabled disables or enables an account. Disabling ends all its
// sessions; its API tokens stop working while it is disabled.
func (db *DB) SetUserDisabled(ctx context.Context, a ketacare.Actor, id int64, disabled bool) error {
	defer db.authChanged(ctx)
	return db.Update(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, "UPDATE users SET disabled = ? WHERE id = ?", disabled, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("Account")
		}
		action := "user.enable"
		if disabled {
			action = "user.disable"
			if _, err := tx.exec(ctx, "DELETE FROM auth_sessions WHERE user_id = ?", id); err != nil {
				return err
			}
			// A disabled prescriber is off duty, and stays off when enabled again.
			if _, err := tx.exec(ctx, "UPDATE user_clinics SET on_duty_since = NULL WHERE user_id = ?", id); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, Event{Actor: a, Action: action, Detail: "user " + itoa(id)})
	})
}

// SetPassword replaces an account's password hash and ends its sessions.
func (db *DB) SetPassword(ctx context.Context, a ketacare.Actor, id int64, hash string) error {
	defer db.authChanged(ctx)
	return db.Update(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "UPDATE users SET password_hash = ? WHERE id = ?", hash, id); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "DELETE FROM auth_sessions WHERE user_id = ?", id); err != nil {
			return err
		}
		return tx.Audit(ctx, Event{Actor: a, Action: "user.password", Detail: "user " + itoa(id)})
	})
}

// StaffAccount is what an admin may change of a staff account.
type StaffAccount struct {
	Name      string
	Role      ketacare.Role
	ClinicIDs []int64
	Mobile    string // any format phone.Parse reads; empty removes it
}

// staffMobile checks a staff member's mobile number: empty, or a number
// that can receive text messages. It returns the E.164 form, or the
// message for the form.
func staffMobile(raw string) (string, string) {
	if strings.TrimSpace(raw) == "" {
		return "", ""
	}
	n, err := phone.Parse(raw, phone.DefaultRegion)
	if err != nil {
		return "", "Enter a mobile number that can receive text messages, like 07911 123456, or leave this empty."
	}
	if !n.Type.MaybeMobile() {
		return "", "This is not a mobile number, so text messages cannot reach it. Enter a mobile number or leave this empty."
	}
	return n.E164, ""
}

// UpdateStaffAccount changes a staff account's name, role, clinics and mobile. The
// change applies to the account's next request (sessions and tokens look
// the account up afresh). Patient accounts keep their role.
func (db *DB) UpdateStaffAccount(ctx context.Context, a ketacare.Actor, id int64, change StaffAccount) error {
	name, role, clinicIDs := strings.TrimSpace(change.Name), change.Role, change.ClinicIDs
	f := map[string]string{}
	mobile, msg := staffMobile(change.Mobile)
	if msg != "" {
		f["mobile"] = msg
	}
	if name == "" || len(name) > 200 {
		f["name"] = "Enter a name of 200 characters or fewer."
	}
	if !role.Valid() || role == ketacare.RolePatient {
		f["role"] = "Choose a staff role: admin, prescriber, nurse or counsellor."
	}
	if len(clinicIDs) == 0 {
		f["clinics"] = "Choose at least one clinic."
	}
	if err := ketacare.FieldErrors(f); err != nil {
		return err
	}
	defer db.authChanged(ctx)
	return db.Update(ctx, func(tx *Tx) error {
		var current string
		err := tx.queryRow(ctx, "SELECT role FROM users WHERE id = ?", id).Scan(&current)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("Account")
		} else if err != nil {
			return err
		}
		if ketacare.Role(current) == ketacare.RolePatient {
			return ketacare.Errorf(ketacare.ECONFLICT, "A patient account cannot be made a staff account.")
		}
		var before string
		if err := tx.queryRow(ctx, "SELECT mobile FROM users WHERE id = ?", id).Scan(&before); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "UPDATE users SET name = ?, role = ?, mobile = ? WHERE id = ?", name, string(role), mobile, id); err != nil {
			return err
		}
		// A prescriber on duty in a clinic they keep stays on duty.
		onDuty, err := queryList(ctx, tx, func(s interface{ Scan(...any) error }) (clinicDuty, error) {
			var d clinicDuty
			return d, s.Scan(&d.clinic, &d.since)
		}, "SELECT clinic_id, on_duty_since FROM user_clinics WHERE user_id = ? AND on_duty_since IS NOT NULL", id)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "DELETE FROM user_clinics WHERE user_id = ?", id); err != nil {
			return err
		}
		for _, c := range clinicIDs {
			var since *time.Time
			for _, d := range onDuty {
				if d.clinic == c && role == ketacare.RolePrescriber {
					since = &d.since
				}
			}
			if _, err := tx.exec(ctx, "INSERT INTO user_clinics (user_id, clinic_id, on_duty_since) VALUES (?, ?, ?)", id, c, since); err != nil {
				return &ketacare.Error{Code: ketacare.EINVALID, Message: "Some fields need correcting.",
					Fields: map[string]string{"clinics": fmt.Sprintf("Clinic %d does not exist.", c)}}
			}
		}
		detail := fmt.Sprintf("user %d role %s clinics %v", id, role, clinicIDs)
		switch {
		case mobile != before && mobile == "":
			detail += "; mobile removed"
		case mobile != before:
			detail += "; mobile changed"
		}
		return tx.Audit(ctx, Event{Actor: a, Action: "user.update", Detail: detail})
	})
}
