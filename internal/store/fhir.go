package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/ketacare/ketacare"
)

// DateCond compares a date column with a YYYY-MM-DD date: Op is one of
// "<", "<=", ">", ">=".
type DateCond struct {
	Op   string
	Date string
}

// PatientSearch selects patients for the FHIR Patient search. Every field
// set must match (AND); a list matches any of its values (OR).
type PatientSearch struct {
	IDs        []int64  // _id
	NHSNumbers []string // identifier: exact ten-digit NHS numbers
	// Names: each must start a word of the given name or start the family
	// name, case-insensitively.
	Names     []string
	BirthDate []DateCond
	Genders   []string
	// Limit 0 counts the matches without returning any.
	Limit, Offset int
}

// SearchPatients lists the patients of the actor's clinics that match s,
// by family name, given name and id. The search is audited once.
func (db *DB) SearchPatients(ctx context.Context, a ketacare.Actor, s PatientSearch) (PatientPage, error) {
	var page PatientPage
	if s.Limit < 0 || s.Limit > 200 {
		s.Limit = 50
	}
	if s.Offset < 0 {
		s.Offset = 0
	}
	in, args := inClause(a.ClinicIDs)
	where := []string{"clinic_id IN " + in}
	if !a.Role.Clinical() {
		where, args = []string{"1 = 0"}, nil
	}
	if len(s.IDs) > 0 {
		ids, idArgs := inClause(s.IDs)
		where = append(where, "id IN "+ids)
		args = append(args, idArgs...)
	}
	if len(s.NHSNumbers) > 0 {
		where = append(where, "nhs_number <> '' AND nhs_number IN ("+placeholders(len(s.NHSNumbers))+")")
		for _, n := range s.NHSNumbers {
			args = append(args, n)
		}
	}
	for _, name := range s.Names {
		like := likePrefix(strings.ToLower(strings.TrimSpace(name)))
		where = append(where, `(LOWER(given_name) LIKE ? ESCAPE '\' OR LOWER(given_name) LIKE ? ESCAPE '\' OR LOWER(family_name) LIKE ? ESCAPE '\')`)
		args = append(args, like, "% "+like, like)
	}
	for _, c := range s.BirthDate {
		switch c.Op {
		case "<", "<=", ">", ">=":
		default:
			return page, fmt.Errorf("birth date comparison %q", c.Op)
		}
		where = append(where, "birth_date "+c.Op+" ?")
		args = append(args, c.Date)
	}
	if len(s.Genders) > 0 {
		where = append(where, "sex IN ("+placeholders(len(s.Genders))+")")
		for _, g := range s.Genders {
			args = append(args, g)
		}
	}
	cond := strings.Join(where, " AND ")
	err := db.Update(ctx, func(tx *Tx) error {
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM patients WHERE "+cond, args...).Scan(&page.Total); err != nil {
			return err
		}
		if s.Limit > 0 {
			var err error
			page.Patients, err = queryList(ctx, tx, scanPatient, fmt.Sprintf("SELECT %s FROM patients WHERE %s ORDER BY family_name, given_name, id LIMIT %d OFFSET %d",
				patientColumns, cond, s.Limit, s.Offset), args...)
			if err != nil {
				return err
			}
		}
		return tx.Audit(ctx, Event{Actor: a, Action: "patient.search", ClinicID: a.HomeClinic(),
			Detail: fmt.Sprintf("%d of %d shown", len(page.Patients), page.Total)})
	})
	return page, err
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// likePrefix is a LIKE pattern matching strings that start with s, with
// the wildcards of s escaped by a backslash.
func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s) + "%"
}

// PatientRecords is what a patient's FHIR Observation resources are built
// from: the sessions, every observation of them in time order, and every
// assessment, newest first.
type PatientRecords struct {
	Patient      ketacare.Patient
	Sessions     []DosingSession
	Observations []ObservationRecord
	Assessments  []Assessment
}

// PatientRecords loads a patient's sessions, observations and assessments,
// audited as one read under action. A patient of another clinic is not
// found, and the attempt is audited as denied.
func (db *DB) PatientRecords(ctx context.Context, a ketacare.Actor, patientID int64, action string) (PatientRecords, error) {
	var out PatientRecords
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		if out.Patient, err = tx.PatientFor(ctx, a, patientID, action); err != nil {
			return err
		}
		if out.Sessions, err = tx.SessionsOfPatient(ctx, patientID); err != nil {
			return err
		}
		if out.Observations, err = queryList(ctx, tx, scanObservation, patientObservationsQuery, patientID); err != nil {
			return err
		}
		out.Assessments, err = tx.scanAssessments(ctx, "SELECT "+assessmentColumns+" FROM assessments WHERE patient_id = ? ORDER BY id DESC", patientID)
		return err
	})
	return out, db.recordDenied(ctx, err)
}

// ObservationByID loads one observation with its session and patient,
// audited as a read. An observation of another clinic is not found, and
// the attempt is audited as denied.
func (db *DB) ObservationByID(ctx context.Context, a ketacare.Actor, id int64) (ObservationRecord, DosingSession, ketacare.Patient, error) {
	var o ObservationRecord
	var s DosingSession
	var p ketacare.Patient
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		o, err = scanObservation(tx.queryRow(ctx, "SELECT "+observationColumns+" FROM observations WHERE id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return deny(Event{Actor: a, Action: "observation.read", Detail: fmt.Sprintf("no observation %d", id)}, notFound("Observation"))
		}
		if err != nil {
			return err
		}
		s, p, err = tx.DosingSessionFor(ctx, a, o.SessionID, "observation.read")
		if ketacare.ErrorCode(err) == ketacare.ENOTFOUND {
			var d *deniedError
			if errors.As(err, &d) {
				d.err = notFound("Observation")
			}
		}
		return err
	})
	return o, s, p, db.recordDenied(ctx, err)
}

// AssessmentByID loads one assessment with its patient, audited as a read.
// An assessment of another clinic is not found, and the attempt is audited
// as denied.
func (db *DB) AssessmentByID(ctx context.Context, a ketacare.Actor, id int64) (Assessment, ketacare.Patient, error) {
	var as Assessment
	var p ketacare.Patient
	err := db.Update(ctx, func(tx *Tx) error {
		list, err := tx.scanAssessments(ctx, "SELECT "+assessmentColumns+" FROM assessments WHERE id = ?", id)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return deny(Event{Actor: a, Action: "assessment.read", Detail: fmt.Sprintf("no assessment %d", id)}, notFound("Observation"))
		}
		as = list[0]
		p, err = tx.PatientFor(ctx, a, as.PatientID, "assessment.read")
		if ketacare.ErrorCode(err) == ketacare.ENOTFOUND {
			var d *deniedError
			if errors.As(err, &d) {
				d.err = notFound("Observation")
			}
		}
		return err
	})
	return as, p, db.recordDenied(ctx, err)
}
