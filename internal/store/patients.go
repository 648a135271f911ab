package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/ketacare/ketacare"
)

const patientColumns = "id, clinic_id, given_name, family_name, birth_date, sex, nhs_number, phone, email, created_at, created_by"

func scanPatient(s interface{ Scan(...any) error }) (ketacare.Patient, error) {
	var p ketacare.Patient
	err := s.Scan(&p.ID, &p.ClinicID, &p.GivenName, &p.FamilyName, &p.BirthDate, &p.Sex, &p.NHSNumber, &p.Phone,
		&p.Email, &p.CreatedAt, &p.CreatedBy)
	p.CreatedAt = p.CreatedAt.UTC()
	return p, err
}

// CreatePatient registers a patient in the actor's clinic; the clinic and
// author come from the actor, never from the request.
func (db *DB) CreatePatient(ctx context.Context, a ketacare.Actor, p ketacare.Patient) (ketacare.Patient, error) {
	p.Normalize()
	err := db.Update(ctx, func(tx *Tx) error {
		if err := p.Validate(tx.Now); err != nil {
			return err
		}
		p.ClinicID = a.HomeClinic()
		if p.ClinicID == 0 {
			return ketacare.Errorf(ketacare.EFORBIDDEN, "Your account belongs to no clinic.")
		}
		p.CreatedAt, p.CreatedBy = tx.Now, a.UserID
		if p.NHSNumber != "" {
			var n int
			if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM patients WHERE clinic_id = ? AND nhs_number = ?", p.ClinicID, p.NHSNumber).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return &ketacare.Error{Code: ketacare.ECONFLICT, Message: "A patient with this NHS number is already registered.",
					Fields: map[string]string{"nhsNumber": "A patient with this NHS number is already registered."}}
			}
		}
		id, err := tx.insert(ctx, "INSERT INTO patients ("+strings.TrimPrefix(patientColumns, "id, ")+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			p.ClinicID, p.GivenName, p.FamilyName, p.BirthDate, p.Sex, p.NHSNumber, p.Phone, p.Email, p.CreatedAt, p.CreatedBy)
		if err != nil {
			return fmt.Errorf("inserting patient: %w", err)
		}
		p.ID = id
		return tx.Audit(ctx, Event{Actor: a, Action: "patient.create", ClinicID: p.ClinicID, PatientID: p.ID})
	})
	return p, err
}

// Patient returns one patient, audited as a read. A patient of another
// clinic is not found, and the attempt is audited as denied.
func (db *DB) Patient(ctx context.Context, a ketacare.Actor, id int64) (ketacare.Patient, error) {
	var p ketacare.Patient
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		p, err = tx.PatientFor(ctx, a, id, "patient.read")
		return err
	})
	return p, db.recordDenied(ctx, err)
}

// PatientFor loads a patient the actor may see and audits the access under
// action. Other capabilities call it first for every record that belongs to
// a patient. When the actor may not see the patient the error is "not
// found" and the denial is audited by Update's caller through recordDenied.
func (tx *Tx) PatientFor(ctx context.Context, a ketacare.Actor, id int64, action string) (ketacare.Patient, error) {
	p, err := scanPatient(tx.queryRow(ctx, "SELECT "+patientColumns+" FROM patients WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, deny(Event{Actor: a, Action: action, PatientID: id, Detail: "no such patient"}, notFound("Patient"))
	}
	if err != nil {
		return p, err
	}
	if err := tx.PatientAccess(ctx, a, p, action); err != nil {
		return ketacare.Patient{}, err
	}
	return p, nil
}

// PatientAccess authorises and audits, under action, an access to a patient
// the caller has already loaded (a patient's record, clinic included, never
// changes once created), with the same outcome as PatientFor without reading
// the row again.
func (tx *Tx) PatientAccess(ctx context.Context, a ketacare.Actor, p ketacare.Patient, action string) error {
	if !CanSeePatient(a, p) {
		return deny(Event{Actor: a, Action: action, PatientID: p.ID, ClinicID: p.ClinicID, Detail: "outside the actor's clinics"}, notFound("Patient"))
	}
	return tx.Audit(ctx, Event{Actor: a, Action: action, ClinicID: p.ClinicID, PatientID: p.ID})
}

// CanSeePatient is the rule for patient data: staff with a clinical role see
// the patients of their own clinics; a patient sees only themself.
func CanSeePatient(a ketacare.Actor, p ketacare.Patient) bool {
	if a.Role == ketacare.RolePatient {
		return a.PatientID != 0 && a.PatientID == p.ID
	}
	return a.Role.Clinical() && a.InClinic(p.ClinicID)
}

// PatientPage is one page of a patient list.
type PatientPage struct {
	Patients []ketacare.Patient
	Total    int
}

// ListPatients lists the patients of the actor's clinics whose name or NHS
// number matches q, by family name. The listing is audited once.
func (db *DB) ListPatients(ctx context.Context, a ketacare.Actor, q string, limit, offset int) (PatientPage, error) {
	var page PatientPage
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	if offset < 0 {
		offset = 0
	}
	in, args := inClause(a.ClinicIDs)
	where := "clinic_id IN " + in
	if !a.Role.Clinical() {
		where = "1 = 0"
		args = nil
	}
	if q = strings.TrimSpace(q); q != "" {
		like := "%" + strings.ToLower(strings.NewReplacer("%", "", "_", "").Replace(q)) + "%"
		where += " AND (LOWER(given_name) LIKE ? OR LOWER(family_name) LIKE ? OR nhs_number LIKE ?)"
		args = append(args, like, like, like)
	}
	err := db.Update(ctx, func(tx *Tx) error {
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM patients WHERE "+where, args...).Scan(&page.Total); err != nil {
			return err
		}
		rows, err := tx.query(ctx, fmt.Sprintf("SELECT %s FROM patients WHERE %s ORDER BY family_name, given_name, id LIMIT %d OFFSET %d",
			patientColumns, where, limit, offset), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			p, err := scanPatient(rows)
			if err != nil {
				return err
			}
			page.Patients = append(page.Patients, p)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return tx.Audit(ctx, Event{Actor: a, Action: "patient.list", ClinicID: a.HomeClinic(),
			Detail: fmt.Sprintf("%d of %d shown", len(page.Patients), page.Total)})
	})
	return page, err
}
