package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
)

// maxReportPeriod bounds the period of one report.
const maxReportPeriod = 10 * 366 * 24 * time.Hour

// IncidenceOutcomes lists the sessions dosed in the actor's clinics from
// from (inclusive) to to (exclusive), each with what the anxiety incidence
// report counts: drug, route and dose; the weight of the treatment plan
// current when the session opened; the latest screening level before it
// opened; the protocol version it opened under; and its anxiety class
// (empty while unclassified). The report holds no patient's identity, but
// it is read from every patient's records: clinical staff only, audited.
func (db *DB) IncidenceOutcomes(ctx context.Context, a ketacare.Actor, from, to time.Time) ([]clinical.SessionOutcome, error) {
	if !a.Role.Clinical() {
		return nil, ketacare.Errorf(ketacare.EFORBIDDEN, "Reports are for clinical staff.")
	}
	if !from.Before(to) {
		return nil, &ketacare.Error{Code: ketacare.EINVALID, Message: "The period must end after it starts.",
			Fields: map[string]string{"to": "Give an end after the start."}}
	}
	if to.Sub(from) > maxReportPeriod {
		return nil, &ketacare.Error{Code: ketacare.EINVALID, Message: "The period can be ten years at most.",
			Fields: map[string]string{"from": "Give a start at most ten years before the end."}}
	}
	var out []clinical.SessionOutcome
	err := db.Update(ctx, func(tx *Tx) error {
		in, args := inClause(a.ClinicIDs)
		args = append(args, from.UTC(), to.UTC())
		rows, err := tx.query(ctx, `SELECT s.drug, s.route, s.dose_mg, s.open_protocol, COALESCE(c.class, ''),
			(SELECT p.weight_kg FROM treatment_plans p WHERE p.patient_id = s.patient_id AND p.created_at <= s.opened_at
				ORDER BY p.revision DESC LIMIT 1),
			COALESCE((SELECT r.level FROM screening_results r WHERE r.patient_id = s.patient_id AND r.created_at <= s.opened_at
				ORDER BY r.id DESC LIMIT 1), '')
			FROM dosing_sessions s LEFT JOIN anxiety_classifications c ON c.session_id = s.id
			WHERE s.clinic_id IN `+in+` AND s.dose_at IS NOT NULL AND s.dose_at >= ? AND s.dose_at < ?
			ORDER BY s.id`, args...)
		if err != nil {
			return fmt.Errorf("reading sessions for the incidence report: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var o clinical.SessionOutcome
			var route, class, level string
			var weight sql.NullFloat64
			if err := rows.Scan(&o.Drug, &route, &o.DoseMg, &o.ProtocolVersion, &class, &weight, &level); err != nil {
				return err
			}
			o.Route, o.Class, o.Susceptibility = clinical.Route(route), clinical.AnxietyClass(class), clinical.Susceptibility(level)
			if weight.Valid {
				o.WeightKg = &weight.Float64
			}
			out = append(out, o)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return tx.Audit(ctx, Event{Actor: a, Action: "report.anxiety_incidence", ClinicID: a.HomeClinic(),
			Detail: fmt.Sprintf("%d sessions dosed %s to %s", len(out), from.UTC().Format(time.DateOnly), to.UTC().Format(time.DateOnly))})
	})
	return out, err
}
