package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
)

// ScreeningInstruments are the instruments a screening reads, in the order
// forms and summaries show them.
var ScreeningInstruments = []string{clinical.InstrumentGAD7, clinical.InstrumentPHQ9, clinical.InstrumentAUDITC,
	clinical.InstrumentCSSRS, InstrumentHistory}

// ScreeningOverride is a prescriber's decision to dose despite a
// contraindication, with the reason. It holds while the assessment it was
// made on (Basis) is still the latest of its instrument: a newer answer
// that still shows the contraindication blocks again.
type ScreeningOverride struct {
	ID              int64
	PatientID       int64
	Code            string
	Basis           int64
	Reason          string
	ProtocolVersion int
	CreatedBy       int64
	Author          string
	CreatedAt       time.Time
}

// ScreeningBlock is a contraindication with the override that lifts it, if
// one holds.
type ScreeningBlock struct {
	clinical.ScreeningFinding
	Override *ScreeningOverride
}

// Screening is a patient's screening computed from the latest assessment of
// each instrument with the current protocol.
type Screening struct {
	PatientID       int64
	ProtocolVersion int
	Result          clinical.ScreeningResult
	// Latest holds the latest assessment of each screening instrument, in
	// the order of ScreeningInstruments; instruments never done are absent.
	Latest []Assessment
	// Blocks are the contraindications, each with its override if one
	// holds.
	Blocks []ScreeningBlock
	// Overrides lists every override ever recorded, newest first.
	Overrides []ScreeningOverride
}

// Done reports whether any screening instrument has been recorded.
func (s Screening) Done() bool { return len(s.Latest) > 0 }

// Blocking returns the contraindications that no override lifts.
func (s Screening) Blocking() []clinical.ScreeningFinding {
	var out []clinical.ScreeningFinding
	for _, b := range s.Blocks {
		if b.Override == nil {
			out = append(out, b.ScreeningFinding)
		}
	}
	return out
}

// LatestOf returns the latest assessment of an instrument id, if any.
func (s Screening) LatestOf(instrument string) *Assessment {
	for i := range s.Latest {
		if s.Latest[i].Instrument == instrument {
			return &s.Latest[i]
		}
	}
	return nil
}

// ScreeningFor computes a patient's screening, audited as a read.
func (db *DB) ScreeningFor(ctx context.Context, a ketacare.Actor, patientID int64) (Screening, error) {
	var s Screening
	err := db.Update(ctx, func(tx *Tx) error {
		p, err := tx.PatientFor(ctx, a, patientID, "screening.read")
		if err != nil {
			return err
		}
		s, err = tx.screening(ctx, p)
		return err
	})
	return s, db.recordDenied(ctx, err)
}

// screening computes the screening of patient p without auditing (the
// caller has).
func (tx *Tx) screening(ctx context.Context, p ketacare.Patient) (Screening, error) {
	pv, err := tx.CurrentProtocol(ctx)
	if err != nil {
		return Screening{}, err
	}
	return tx.screeningWith(ctx, p, pv)
}

func (tx *Tx) screeningWith(ctx context.Context, p ketacare.Patient, pv ProtocolVersion) (Screening, error) {
	s := Screening{PatientID: p.ID, ProtocolVersion: pv.Version}
	in := clinical.ScreeningInput{}
	basis := map[string]int64{}
	for _, id := range ScreeningInstruments {
		as, err := tx.latestAssessment(ctx, p.ID, id)
		if err != nil {
			return s, err
		}
		if as == nil {
			continue
		}
		s.Latest = append(s.Latest, *as)
		basis[id] = as.ID
		switch id {
		case clinical.InstrumentGAD7:
			t := int(*as.Total)
			in.GAD7Total = &t
		case clinical.InstrumentPHQ9:
			t := int(*as.Total)
			in.PHQ9Total = &t
			if n := len(as.Answers); n > 0 {
				item9 := as.Answers[n-1].Answer
				in.PHQ9Item9 = &item9
			}
			// An earlier item 9 above 0 that no C-SSRS followed still
			// stands: a later 0 is never a clearance.
			pending, err := tx.unscreenedItem9(ctx, p.ID)
			if err != nil {
				return s, err
			}
			if pending != nil {
				if n := len(pending.Answers); n > 0 {
					item9 := pending.Answers[n-1].Answer
					in.PHQ9Item9 = &item9
				}
				in.PHQ9Item9Unscreened = true
			}
		case clinical.InstrumentAUDITC:
			pos := as.Band == "positive"
			in.AUDITCPositive = &pos
		case clinical.InstrumentCSSRS:
			in.CSSRS = clinical.CSSRSRisk(as.Band)
		case InstrumentHistory:
			h := as.History
			in.History = clinical.History{AnxietyDisorder: h.AnxietyDisorder, PanicDisorder: h.PanicDisorder,
				KetamineAdverseReaction: h.KetamineAdverseReaction, SubstanceUse: h.SubstanceUse, Psychosis: h.PsychosisHistory,
				ActivePsychosis: h.ActivePsychosis, Hypertension: h.Hypertension, AneurysmOrAVM: h.AneurysmOrAVM,
				IntracerebralHaemorrhage: h.IntracerebralHaemorrhage, Pregnant: h.Pregnant}
			in.Medicines = clinical.Medicines{Benzodiazepine: h.Benzodiazepine, Sedative: h.Sedative, Psychostimulant: h.Psychostimulant,
				MAOI: h.MAOI, Opioid: h.Opioid, SSRI: h.SSRI}
			in.BaselineSystolic, in.BaselineDiastolic = h.Systolic, h.Diastolic
		}
	}
	if age := p.Age(tx.Now); age >= 0 {
		in.Age = &age
	}
	n, err := tx.CompletedDosingSessions(ctx, p.ID)
	if err != nil {
		return s, err
	}
	in.SessionsCompleted = n
	s.Result = clinical.Screen(pv.Protocol.Screening, in)

	overrides, err := tx.overrides(ctx, p.ID)
	if err != nil {
		return s, err
	}
	s.Overrides = overrides
	for _, c := range s.Result.Contraindications {
		b := ScreeningBlock{ScreeningFinding: c}
		want := basis[overrideInstrument(c.Code)]
		for i := range overrides {
			if overrides[i].Code == c.Code && overrides[i].Basis == want {
				b.Override = &overrides[i]
				break
			}
		}
		s.Blocks = append(s.Blocks, b)
	}
	return s, nil
}

// overrideInstrument names the instrument whose answers raise a
// contraindication: the C-SSRS for its high-risk result, the history for
// all others.
func overrideInstrument(code string) string {
	if strings.HasPrefix(code, "cssrs-") {
		return clinical.InstrumentCSSRS
	}
	return InstrumentHistory
}

func (tx *Tx) overrides(ctx context.Context, patientID int64) ([]ScreeningOverride, error) {
	rows, err := tx.query(ctx, `SELECT id, patient_id, code, basis_assessment, reason, protocol_version, created_by, author, created_at
		FROM screening_overrides WHERE patient_id = ? ORDER BY id DESC`, patientID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ScreeningOverride
	for rows.Next() {
		var o ScreeningOverride
		if err := rows.Scan(&o.ID, &o.PatientID, &o.Code, &o.Basis, &o.Reason, &o.ProtocolVersion, &o.CreatedBy, &o.Author, &o.CreatedAt); err != nil {
			return nil, err
		}
		o.CreatedAt = o.CreatedAt.UTC()
		out = append(out, o)
	}
	return out, rows.Err()
}

// keepScreeningResult stores the screening result as computed now, with
// the protocol version that produced it.
func (tx *Tx) keepScreeningResult(ctx context.Context, p ketacare.Patient, pv ProtocolVersion) (Screening, error) {
	s, err := tx.screeningWith(ctx, p, pv)
	if err != nil {
		return s, err
	}
	doc, err := json.Marshal(s.Result)
	if err != nil {
		return s, err
	}
	_, err = tx.exec(ctx, `INSERT INTO screening_results (patient_id, protocol_version, level, points, blocked, document, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, p.ID, pv.Version, string(s.Result.Level), s.Result.Points, s.Result.Blocked(), string(doc), tx.Now)
	return s, err
}

// OverrideContraindication records a prescriber's decision to dose despite
// a current contraindication, with a written reason; it is audited. The
// code must be one of the patient's current contraindications that no
// override lifts yet.
func (db *DB) OverrideContraindication(ctx context.Context, a ketacare.Actor, patientID int64, code, reason string) (ScreeningOverride, error) {
	var o ScreeningOverride
	code, reason = strings.TrimSpace(code), strings.TrimSpace(reason)
	if a.Role != ketacare.RolePrescriber {
		return o, ketacare.Errorf(ketacare.EFORBIDDEN, "Only a prescriber may override a contraindication.")
	}
	if reason == "" {
		return o, &ketacare.Error{Code: ketacare.EINVALID, Message: "Write why dosing may go ahead despite the contraindication.",
			Fields: map[string]string{"reason": "Write why dosing may go ahead despite the contraindication."}}
	}
	if len(reason) > 2000 {
		return o, &ketacare.Error{Code: ketacare.EINVALID, Message: "The reason must be 2000 characters or fewer.",
			Fields: map[string]string{"reason": "The reason must be 2000 characters or fewer."}}
	}
	err := db.Update(ctx, func(tx *Tx) error {
		p, err := tx.PatientFor(ctx, a, patientID, "screening.override")
		if err != nil {
			return err
		}
		s, err := tx.screening(ctx, p)
		if err != nil {
			return err
		}
		var found *ScreeningBlock
		for i := range s.Blocks {
			if s.Blocks[i].Code == code {
				found = &s.Blocks[i]
			}
		}
		if found == nil {
			return ketacare.Errorf(ketacare.ECONFLICT, "%q is not one of this patient's current contraindications.", code)
		}
		if found.Override != nil {
			return ketacare.Errorf(ketacare.ECONFLICT, "This contraindication is already overridden.")
		}
		basis := s.LatestOf(overrideInstrument(code))
		if basis == nil {
			return errors.New("contraindication without the assessment that raised it")
		}
		o = ScreeningOverride{PatientID: p.ID, Code: code, Basis: basis.ID, Reason: reason, ProtocolVersion: s.ProtocolVersion,
			CreatedBy: a.UserID, Author: signerName(a), CreatedAt: tx.Now}
		o.ID, err = tx.insert(ctx, `INSERT INTO screening_overrides (patient_id, code, basis_assessment, reason, protocol_version, created_by, author, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, o.PatientID, o.Code, o.Basis, o.Reason, o.ProtocolVersion, o.CreatedBy, o.Author, o.CreatedAt)
		if err != nil {
			return err
		}
		return tx.Audit(ctx, Event{Actor: a, Action: "screening.override.create", ClinicID: p.ClinicID, PatientID: p.ID,
			Detail: fmt.Sprintf("override %d of %s: %s", o.ID, code, reason)})
	})
	return o, db.recordDenied(ctx, err)
}

func signerName(a ketacare.Actor) string {
	if a.Name != "" && a.Name != a.Email {
		return a.Name + " (" + a.Email + ")"
	}
	return a.Email
}

// DosingBlocked says whether the patient may not be dosed now, and why:
// each reason is a sentence for staff. It is empty when dosing may go
// ahead. Dosing is blocked when
//
//   - no screening instrument has been recorded;
//   - a screening contraindication is not lifted by a prescriber's override;
//   - the patient has not consented to the current consent text, or the
//     consent is not countersigned by a prescriber (see ConsentCurrent);
//   - there is no treatment plan.
//
// It reads without auditing: call it inside a transaction that has loaded
// the patient with PatientFor.
func (tx *Tx) DosingBlocked(ctx context.Context, patientID int64) ([]string, error) {
	p, err := scanPatient(tx.queryRow(ctx, "SELECT "+patientColumns+" FROM patients WHERE id = ?", patientID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Patient")
	}
	if err != nil {
		return nil, err
	}
	s, err := tx.screening(ctx, p)
	if err != nil {
		return nil, err
	}
	reasons := []string{}
	if !s.Done() {
		reasons = append(reasons, "Screening has not been done.")
	}
	for _, c := range s.Blocking() {
		reasons = append(reasons, "Contraindication without a prescriber's override: "+c.Reason+".")
	}
	ok, why, err := tx.ConsentCurrent(ctx, patientID)
	if err != nil {
		return nil, err
	}
	if !ok {
		reasons = append(reasons, why)
	}
	if _, err := tx.CurrentPlan(ctx, patientID); ketacare.ErrorCode(err) == ketacare.ENOTFOUND {
		reasons = append(reasons, "There is no treatment plan.")
	} else if err != nil {
		return nil, err
	}
	return reasons, nil
}

// DosingStatus is DosingBlocked for a patient the actor may see, audited
// as a read.
func (db *DB) DosingStatus(ctx context.Context, a ketacare.Actor, patientID int64) ([]string, error) {
	var reasons []string
	err := db.Update(ctx, func(tx *Tx) error {
		if _, err := tx.PatientFor(ctx, a, patientID, "dosing-status.read"); err != nil {
			return err
		}
		var err error
		reasons, err = tx.DosingBlocked(ctx, patientID)
		return err
	})
	return reasons, db.recordDenied(ctx, err)
}
