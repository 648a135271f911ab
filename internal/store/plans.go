package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
)

// The drugs a treatment plan may name.
const (
	DrugKetamine   = "ketamine"   // racemic ketamine
	DrugEsketamine = "esketamine" // nasal spray, in devices
)

// EsketamineDeviceMg is the dose one esketamine nasal spray device gives
// (a property of the product, not a clinical threshold).
const EsketamineDeviceMg = 28

// PlanInput is a new revision of a patient's treatment plan. Give DoseMg,
// or DoseMgPerKg with WeightKg (the weight used).
type PlanInput struct {
	Drug         string
	Route        string
	DoseMg       *float64
	DoseMgPerKg  *float64
	WeightKg     *float64
	Sessions     int
	IntervalDays int
	Reason       string
}

// Plan is one revision of a treatment plan: what was decided, by whom,
// when and why. The highest revision is the current plan.
type Plan struct {
	ID           int64
	PatientID    int64
	Revision     int
	Drug         string
	Route        clinical.Route
	DoseMg       float64 // always set: computed from mg/kg and the weight when given so
	DoseMgPerKg  *float64
	WeightKg     *float64
	Sessions     int
	IntervalDays int
	Reason       string
	// Susceptibility is the screened level when the plan was written.
	Susceptibility  string
	ProtocolVersion int
	CreatedBy       int64
	Author          string
	CreatedAt       time.Time
}

// Devices is the number of esketamine devices per session (0 for racemic
// ketamine).
func (p Plan) Devices() int {
	if p.Drug != DrugEsketamine {
		return 0
	}
	return int(math.Round(p.DoseMg / EsketamineDeviceMg))
}

// validate checks a plan input and returns the dose in mg.
func (in *PlanInput) validate() (float64, error) {
	f := map[string]string{}
	in.Drug = strings.ToLower(strings.TrimSpace(in.Drug))
	in.Route = strings.ToLower(strings.TrimSpace(in.Route))
	in.Reason = strings.TrimSpace(in.Reason)
	switch in.Drug {
	case DrugKetamine, DrugEsketamine:
	default:
		f["drug"] = "Drug must be ketamine or esketamine."
	}
	route := clinical.Route(in.Route)
	switch {
	case !route.Valid():
		f["route"] = "Route must be iv, im, intranasal, oral or sublingual."
	case in.Drug == DrugEsketamine && route != clinical.RouteIntranasal:
		f["route"] = "Esketamine is given intranasally."
	case in.Drug == DrugKetamine && route == clinical.RouteIntranasal:
		f["route"] = "Intranasal dosing is esketamine: choose esketamine, or another route for racemic ketamine."
	}
	var mg float64
	switch {
	case in.DoseMg != nil && in.DoseMgPerKg != nil:
		f["doseMg"] = "Give the dose in mg or in mg/kg, not both."
	case in.DoseMg != nil:
		mg = *in.DoseMg
		if !(mg > 0) || math.IsInf(mg, 0) {
			f["doseMg"] = "The dose must be more than 0 mg."
		}
		if in.WeightKg != nil && !(*in.WeightKg > 0 && *in.WeightKg < 1000) {
			f["weightKg"] = "Weight must be more than 0 and less than 1000 kg."
		}
	case in.DoseMgPerKg != nil:
		if in.Drug == DrugEsketamine {
			f["doseMgPerKg"] = "Esketamine is dosed in mg (28 mg devices), not mg/kg."
		} else if !(*in.DoseMgPerKg > 0) || math.IsInf(*in.DoseMgPerKg, 0) {
			f["doseMgPerKg"] = "The dose must be more than 0 mg/kg."
		}
		if in.WeightKg == nil {
			f["weightKg"] = "Give the weight used to compute a mg/kg dose."
		} else if !(*in.WeightKg > 0 && *in.WeightKg < 1000) {
			f["weightKg"] = "Weight must be more than 0 and less than 1000 kg."
		} else {
			mg = math.Round(*in.DoseMgPerKg**in.WeightKg*100) / 100
		}
	default:
		f["doseMg"] = "Give the dose in mg, or in mg/kg with the weight."
	}
	if in.Drug == DrugEsketamine && f["doseMg"] == "" && mg > 0 {
		if n := mg / EsketamineDeviceMg; n != math.Trunc(n) {
			f["doseMg"] = fmt.Sprintf("Esketamine comes in %d mg devices: the dose must be a multiple of %d mg.", EsketamineDeviceMg, EsketamineDeviceMg)
		}
	}
	if in.Sessions < 1 || in.Sessions > 200 {
		f["sessions"] = "Sessions must be a whole number from 1 to 200."
	}
	if in.IntervalDays < 1 || in.IntervalDays > 365 {
		f["intervalDays"] = "The interval must be a whole number of days from 1 to 365."
	}
	if in.Reason == "" {
		f["reason"] = "Say why the plan is written or changed."
	} else if len(in.Reason) > 2000 {
		f["reason"] = "The reason must be 2000 characters or fewer."
	}
	return mg, ketacare.FieldErrors(f)
}

// SavePlan stores a new revision of the patient's treatment plan
// (prescribers only) and returns it with the full history, newest first.
func (db *DB) SavePlan(ctx context.Context, a ketacare.Actor, patientID int64, in PlanInput) (Plan, []Plan, error) {
	if a.Role != ketacare.RolePrescriber {
		return Plan{}, nil, ketacare.Errorf(ketacare.EFORBIDDEN, "Only a prescriber may change a treatment plan.")
	}
	mg, err := in.validate()
	if err != nil {
		return Plan{}, nil, err
	}
	var p Plan
	var history []Plan
	err = db.Update(ctx, func(tx *Tx) error {
		pt, err := tx.PatientFor(ctx, a, patientID, "plan.update")
		if err != nil {
			return err
		}
		if p, err = tx.savePlan(ctx, a, pt, in, mg); err != nil {
			return err
		}
		history, err = tx.plans(ctx, pt.ID)
		return err
	})
	return p, history, db.recordDenied(ctx, err)
}

// savePlan writes a validated plan as the patient's next revision, with
// the screening it was written against, and audits it.
func (tx *Tx) savePlan(ctx context.Context, a ketacare.Actor, pt ketacare.Patient, in PlanInput, mg float64) (Plan, error) {
	s, err := tx.screening(ctx, pt)
	if err != nil {
		return Plan{}, err
	}
	var last int
	if err := tx.queryRow(ctx, "SELECT COALESCE(MAX(revision), 0) FROM treatment_plans WHERE patient_id = ?", pt.ID).Scan(&last); err != nil {
		return Plan{}, err
	}
	p := Plan{PatientID: pt.ID, Revision: last + 1, Drug: in.Drug, Route: clinical.Route(in.Route), DoseMg: mg,
		DoseMgPerKg: in.DoseMgPerKg, WeightKg: in.WeightKg, Sessions: in.Sessions, IntervalDays: in.IntervalDays, Reason: in.Reason,
		ProtocolVersion: s.ProtocolVersion, CreatedBy: a.UserID, Author: signerName(a), CreatedAt: tx.Now}
	if s.Done() {
		p.Susceptibility = string(s.Result.Level)
	}
	p.ID, err = tx.insert(ctx, `INSERT INTO treatment_plans (patient_id, revision, drug, route, dose_mg, dose_mg_per_kg, weight_kg, sessions,
		interval_days, reason, susceptibility, protocol_version, created_by, author, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.PatientID, p.Revision, p.Drug, string(p.Route), p.DoseMg, planFloat(p.DoseMgPerKg), planFloat(p.WeightKg), p.Sessions,
		p.IntervalDays, p.Reason, p.Susceptibility, p.ProtocolVersion, p.CreatedBy, p.Author, p.CreatedAt)
	if isUniqueViolation(err) {
		return p, ketacare.Errorf(ketacare.ECONFLICT, "Someone else changed the plan at the same moment. Reload and try again.")
	}
	if err != nil {
		return p, err
	}
	return p, tx.Audit(ctx, Event{Actor: a, Action: "plan.revise", ClinicID: pt.ClinicID, PatientID: pt.ID,
		Detail: fmt.Sprintf("revision %d: %s %s %g mg, %d sessions every %d days: %s", p.Revision, p.Drug, p.Route, p.DoseMg,
			p.Sessions, p.IntervalDays, p.Reason)})
}

func planFloat(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// Plans returns every revision of a patient's treatment plan, newest first,
// audited as a read.
func (db *DB) Plans(ctx context.Context, a ketacare.Actor, patientID int64) ([]Plan, error) {
	var out []Plan
	err := db.Update(ctx, func(tx *Tx) error {
		if _, err := tx.PatientFor(ctx, a, patientID, "plan.read"); err != nil {
			return err
		}
		var err error
		out, err = tx.plans(ctx, patientID)
		return err
	})
	return out, db.recordDenied(ctx, err)
}

const planColumns = `id, patient_id, revision, drug, route, dose_mg, dose_mg_per_kg, weight_kg, sessions, interval_days, reason,
	susceptibility, protocol_version, created_by, author, created_at`

func (tx *Tx) plans(ctx context.Context, patientID int64) ([]Plan, error) {
	return tx.queryPlans(ctx, "SELECT "+planColumns+" FROM treatment_plans WHERE patient_id = ? ORDER BY revision DESC", patientID)
}

func (tx *Tx) queryPlans(ctx context.Context, q string, args ...any) ([]Plan, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Plan
	for rows.Next() {
		var p Plan
		var route string
		var perKg, weight sql.NullFloat64
		if err := rows.Scan(&p.ID, &p.PatientID, &p.Revision, &p.Drug, &route, &p.DoseMg, &perKg, &weight, &p.Sessions, &p.IntervalDays,
			&p.Reason, &p.Susceptibility, &p.ProtocolVersion, &p.CreatedBy, &p.Author, &p.CreatedAt); err != nil {
			return nil, err
		}
		p.Route, p.CreatedAt = clinical.Route(route), p.CreatedAt.UTC()
		if perKg.Valid {
			v := perKg.Float64
			p.DoseMgPerKg = &v
		}
		if weight.Valid {
			v := weight.Float64
			p.WeightKg = &v
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// CurrentPlan returns the patient's current treatment plan (its latest
// revision), or a not-found error when there is none. It reads without
// auditing: call it inside a transaction that has loaded the patient with
// PatientFor.
func (tx *Tx) CurrentPlan(ctx context.Context, patientID int64) (Plan, error) {
	list, err := tx.queryPlans(ctx, "SELECT "+planColumns+" FROM treatment_plans WHERE patient_id = ? ORDER BY revision DESC LIMIT 1", patientID)
	if err != nil {
		return Plan{}, err
	}
	if len(list) == 0 {
		return Plan{}, notFound("Treatment plan")
	}
	return list[0], nil
}
