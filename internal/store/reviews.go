package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
)

// Follow-up task kinds.
const (
	TaskCheckinMissed = "checkin-missed"
	TaskCSSRS         = "cssrs-risk" // moderate or high: urgent
	TaskCSSRSLow      = "cssrs-low"  // low: agree a safety plan
	// TaskItem9: a check-in's PHQ-9 answered item 9 above 0; the patient is
	// sent on to the C-SSRS, and staff make sure it is done (an urgent task,
	// whether or not the patient completes it).
	TaskItem9               = "phq9-item9"
	TaskCallbackUnrequested = "callback-unrequested"
)

// FollowupTask is something follow-up puts in front of the clinic's staff.
type FollowupTask struct {
	ID         int64
	PatientID  int64
	ClinicID   int64
	Kind       string
	Urgent     bool
	RefID      int64
	Detail     string
	CreatedAt  time.Time
	ClosedAt   *time.Time
	ClosedName string
	// PatientName is filled in by the listings.
	PatientName string
}

// followupTask opens a task once per kind and reference.
func (tx *Tx) followupTask(ctx context.Context, patientID, clinicID int64, kind string, urgent bool, ref int64, detail string) error {
	_, err := tx.exec(ctx, `INSERT INTO followup_tasks (patient_id, clinic_id, kind, urgent, ref_id, detail, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, patientID, clinicID, kind, urgent, ref, detail, tx.Now)
	return err
}

// StoredClassification is a session's latest classification.
type StoredClassification struct {
	SessionID int64
	PatientID int64
	ClinicID  int64
	clinical.Classification
	ProtocolVersion int
	ComputedAt      time.Time
}

// anxietyRules are the in-session alert rules that count as anxiety.
// Panic is one of them: when panic is ticked it is the alert kept of the
// anxiety group, and the session must not then count as free of anxiety.
var anxietyRules = []any{string(clinical.RuleAnxietyWarning), string(clinical.RuleAnxietyRise), string(clinical.RuleAnxietyCritical),
	string(clinical.RulePanic)}

// anxietyAlertsQuery counts a session's anxiety alerts, through the index
// keyed by block (blocks.go); its arguments are anxietyAlertsArgs.
var anxietyAlertsQuery = withBlocks("session_alerts", "id") + "SELECT COUNT(*) FROM block CROSS JOIN session_alerts" +
	" WHERE id_block = block.n AND session_id = ? AND rule IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(anxietyRules)), ", ") + ")"

func anxietyAlertsArgs(sessionID int64) []any { return append([]any{sessionID}, anxietyRules...) }

func (tx *Tx) followupWarningFired(ctx context.Context, sessionID int64) (bool, error) {
	var n int
	err := tx.queryRow(ctx, anxietyAlertsQuery, anxietyAlertsArgs(sessionID)...).Scan(&n)
	return n > 0, err
}

// followupGAD7 lists a patient's GAD-7 totals in time order.
func (tx *Tx) followupScores(ctx context.Context, patientID int64, instrument string) ([]Assessment, error) {
	return tx.scanAssessments(ctx, "SELECT "+assessmentColumns+" FROM assessments WHERE patient_id = ? AND instrument = ? ORDER BY created_at, id",
		patientID, instrument)
}

// ClassificationInput gathers what is known about a dosing session for
// clinical.Classify: the pre-dose and in-session anxiety ratings, the last
// rating before discharge (standing for the discharge rating), whether an
// anxiety alert fired, the completed check-ins, the pre-course GAD-7 (the
// latest before the patient's first dose) and the GAD-7s between this
// session and the next, the earlier sessions, and the open risk flags.
func (tx *Tx) ClassificationInput(ctx context.Context, s DosingSession) (clinical.ClassificationInput, error) {
	in := clinical.ClassificationInput{SessionID: s.ID, Observations: []clinical.NRSReading{}, Checkins: []clinical.CheckinNRS{},
		GAD7Later: []clinical.GAD7Reading{}, PreviousSessions: []clinical.PriorSession{}, RiskFlags: []string{}}
	if s.DoseAt == nil {
		return in, ketacare.Errorf(ketacare.ECONFLICT, "The session has no dose.")
	}
	in.DosedAt = *s.DoseAt
	obs, err := tx.SessionObservations(ctx, s.ID)
	if err != nil {
		return in, err
	}
	for _, o := range obs {
		if o.Anxiety == nil {
			continue
		}
		r := clinical.NRSReading{ID: o.ID, At: o.At, NRS: *o.Anxiety}
		if !o.At.After(*s.DoseAt) { // pre-dose, as the session's baseline
			v := r.NRS
			in.BaselineNRS = &v
			continue
		}
		in.Observations = append(in.Observations, r)
		if s.DischargedAt != nil && !o.At.After(*s.DischargedAt) {
			d := r
			in.Discharge = &d
		}
	}
	if in.WarningFired, err = tx.followupWarningFired(ctx, s.ID); err != nil {
		return in, err
	}
	cis, err := tx.followupCheckins(ctx, "session_id = ? AND status = ? AND nrs IS NOT NULL ORDER BY due_at", s.ID, CheckinCompleted)
	if err != nil {
		return in, err
	}
	for _, c := range cis {
		in.Checkins = append(in.Checkins, clinical.CheckinNRS{ID: c.ID, At: *c.CompletedAt, Offset: time.Duration(c.OffsetHours) * time.Hour, NRS: *c.NRS})
	}
	sessions, err := tx.SessionsOfPatient(ctx, s.PatientID)
	if err != nil {
		return in, err
	}
	first := *s.DoseAt
	var next *time.Time
	for _, o := range sessions {
		if o.DoseAt == nil {
			continue
		}
		if o.DoseAt.Before(first) {
			first = *o.DoseAt
		}
		if o.DoseAt.After(*s.DoseAt) && (next == nil || o.DoseAt.Before(*next)) {
			next = o.DoseAt
		}
		if o.DoseAt.Before(*s.DoseAt) {
			fired, err := tx.followupWarningFired(ctx, o.ID)
			if err != nil {
				return in, err
			}
			in.PreviousSessions = append(in.PreviousSessions, clinical.PriorSession{ID: o.ID, At: *o.DoseAt, Anxious: fired})
		}
	}
	gad7, err := tx.followupScores(ctx, s.PatientID, clinical.InstrumentGAD7)
	if err != nil {
		return in, err
	}
	for _, g := range gad7 {
		if g.Total == nil {
			continue
		}
		r := clinical.GAD7Reading{ID: g.ID, At: g.CreatedAt, Total: int(*g.Total)}
		switch {
		case g.CreatedAt.Before(first):
			in.GAD7Baseline = &r
		case !g.CreatedAt.Before(*s.DoseAt) && (next == nil || g.CreatedAt.Before(*next)):
			in.GAD7Later = append(in.GAD7Later, r)
		}
	}
	in.RiskFlags, err = tx.followupRiskFlags(ctx, s.PatientID)
	return in, err
}

// followupRiskFlags are the patient's open risk flags: a latest PHQ-9 with
// item 9 above 0, or an earlier one that no C-SSRS followed; a latest
// C-SSRS at moderate or high risk.
func (tx *Tx) followupRiskFlags(ctx context.Context, patientID int64) ([]string, error) {
	flags := []string{}
	phq, err := tx.latestAssessment(ctx, patientID, clinical.InstrumentPHQ9)
	if err != nil {
		return nil, err
	}
	unscreened, err := tx.unscreenedItem9(ctx, patientID)
	if err != nil {
		return nil, err
	}
	if unscreened != nil || (phq != nil && slices.Contains(phq.Flags, clinical.FlagPHQ9Item9)) {
		flags = append(flags, clinical.FlagPHQ9Item9)
	}
	if c, err := tx.latestAssessment(ctx, patientID, clinical.InstrumentCSSRS); err != nil {
		return nil, err
	} else if c != nil && (c.Band == string(clinical.CSSRSHigh) || c.Band == string(clinical.CSSRSModerate)) {
		flags = append(flags, "cssrs-"+c.Band)
	}
	return flags, nil
}

// ClassifySession classifies a discharged session's anxiety with the
// current protocol, stores the result with its evidence and protocol
// version, and opens a clinician review when it is persistent and the
// evidence holds something no earlier review of the session saw. An open
// review becomes urgent (and due sooner) when the classification does.
func (tx *Tx) ClassifySession(ctx context.Context, sessionID int64) (StoredClassification, error) {
	s, err := tx.SessionByID(ctx, sessionID)
	if err != nil {
		return StoredClassification{}, err
	}
	pv, err := tx.CurrentProtocol(ctx)
	if err != nil {
		return StoredClassification{}, err
	}
	in, err := tx.ClassificationInput(ctx, s)
	if err != nil {
		return StoredClassification{}, err
	}
	c := clinical.Classify(pv.Protocol.Followup, in)
	sc := StoredClassification{SessionID: s.ID, PatientID: s.PatientID, ClinicID: s.ClinicID, Classification: c, ProtocolVersion: pv.Version, ComputedAt: tx.Now}
	doc, err := json.Marshal(c)
	if err != nil {
		return sc, err
	}
	var prev string
	err = tx.queryRow(ctx, "SELECT class FROM anxiety_classifications WHERE session_id = ?", s.ID).Scan(&prev)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.exec(ctx, `INSERT INTO anxiety_classifications (session_id, patient_id, clinic_id, class, document, protocol_version, computed_at, changed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, s.ID, s.PatientID, s.ClinicID, string(c.Class), string(doc), pv.Version, tx.Now, tx.Now)
	case err == nil && prev != string(c.Class):
		_, err = tx.exec(ctx, "UPDATE anxiety_classifications SET class = ?, document = ?, protocol_version = ?, computed_at = ?, changed_at = ? WHERE session_id = ?",
			string(c.Class), string(doc), pv.Version, tx.Now, tx.Now, s.ID)
	case err == nil:
		_, err = tx.exec(ctx, "UPDATE anxiety_classifications SET document = ?, protocol_version = ?, computed_at = ? WHERE session_id = ?",
			string(doc), pv.Version, tx.Now, s.ID)
	}
	if err != nil {
		return sc, fmt.Errorf("storing classification: %w", err)
	}
	if prev != string(c.Class) {
		if err := tx.Audit(ctx, Event{Actor: followupSystem(s.ClinicID), Action: "classification.change", ClinicID: s.ClinicID, PatientID: s.PatientID,
			Detail: fmt.Sprintf("session %d: %s (protocol %d)", s.ID, c.Class, pv.Version)}); err != nil {
			return sc, err
		}
	}
	if c.Class == clinical.AnxietyPersistent {
		if err := tx.followupOpenReview(ctx, s, c, pv.Version, doc); err != nil {
			return sc, err
		}
	}
	return sc, nil
}

func evidenceKey(e clinical.Evidence) string {
	return fmt.Sprintf("%s/%s/%d", e.Rule, e.Source, e.SourceID)
}

func (tx *Tx) followupOpenReview(ctx context.Context, s DosingSession, c clinical.Classification, version int, doc []byte) error {
	reviews, err := tx.followupReviews(ctx, "r.session_id = ? ORDER BY r.id DESC", s.ID)
	if err != nil {
		return err
	}
	reasons := strings.Join(c.UrgentReasons, ",")
	for _, r := range reviews {
		if r.Status != ReviewOpen {
			continue
		}
		if c.UrgentReview && !r.Urgent {
			due := tx.Now.Add(c.ReviewWithin)
			if due.After(r.DueAt) {
				due = r.DueAt
			}
			_, err := tx.exec(ctx, "UPDATE anxiety_reviews SET urgent = ?, urgent_reasons = ?, due_at = ?, evidence = ? WHERE id = ?",
				true, reasons, due, string(doc), r.ID)
			return err
		}
		_, err := tx.exec(ctx, "UPDATE anxiety_reviews SET evidence = ? WHERE id = ?", string(doc), r.ID)
		return err
	}
	if len(reviews) > 0 {
		seen := map[string]bool{}
		for _, e := range reviews[0].Classification.Evidence {
			seen[evidenceKey(e)] = true
		}
		fresh := false
		for _, e := range c.Evidence {
			fresh = fresh || !seen[evidenceKey(e)]
		}
		if !fresh {
			return nil // decided already on this evidence
		}
	}
	id, err := tx.insert(ctx, `INSERT INTO anxiety_reviews (patient_id, clinic_id, session_id, status, urgent, urgent_reasons, evidence,
		protocol_version, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.PatientID, s.ClinicID, s.ID, ReviewOpen, c.UrgentReview, reasons, string(doc), version, tx.Now.Add(c.ReviewWithin), tx.Now)
	if err != nil {
		return fmt.Errorf("opening review: %w", err)
	}
	return tx.Audit(ctx, Event{Actor: followupSystem(s.ClinicID), Action: "review.open", ClinicID: s.ClinicID, PatientID: s.PatientID,
		Detail: fmt.Sprintf("review %d for session %d, due within %v (urgent: %t)", id, s.ID, c.ReviewWithin, c.UrgentReview)})
}

// Classification returns a session's latest classification, audited as a
// read. A session not yet classified (still in progress, or discharged
// moments ago) is classified now.
func (db *DB) Classification(ctx context.Context, a ketacare.Actor, sessionID int64) (StoredClassification, error) {
	var sc StoredClassification
	err := db.Update(ctx, func(tx *Tx) error {
		s, _, err := tx.DosingSessionFor(ctx, a, sessionID, "classification.read")
		if err != nil {
			return err
		}
		sc, err = tx.storedClassification(ctx, s.ID)
		if errors.Is(err, sql.ErrNoRows) {
			if s.DoseAt == nil {
				return ketacare.Errorf(ketacare.ECONFLICT, "The session has no dose yet, so there is nothing to classify.")
			}
			sc, err = tx.ClassifySession(ctx, s.ID)
		}
		return err
	})
	return sc, db.recordDenied(ctx, err)
}

func (tx *Tx) storedClassification(ctx context.Context, sessionID int64) (StoredClassification, error) {
	sc := StoredClassification{SessionID: sessionID}
	var doc string
	err := tx.queryRow(ctx, "SELECT patient_id, clinic_id, document, protocol_version, computed_at FROM anxiety_classifications WHERE session_id = ?",
		sessionID).Scan(&sc.PatientID, &sc.ClinicID, &doc, &sc.ProtocolVersion, &sc.ComputedAt)
	if err != nil {
		return sc, err
	}
	sc.ComputedAt = sc.ComputedAt.UTC()
	return sc, json.Unmarshal([]byte(doc), &sc.Classification)
}

// Review statuses.
const (
	ReviewOpen    = "open"
	ReviewDecided = "decided"
)

// Review is a clinician review of persistent anxiety after a session, and
// the decision once made.
type Review struct {
	ID             int64
	PatientID      int64
	ClinicID       int64
	SessionID      int64
	Status         string
	Urgent         bool
	UrgentReasons  []string
	Classification clinical.Classification // as it stood when last updated
	// ProtocolVersion of the classification that opened it.
	ProtocolVersion int
	DueAt           time.Time
	CreatedAt       time.Time
	DecidedAt       *time.Time
	DecidedBy       int64
	DecidedName     string
	Options         []string
	Reason          string
	PlanRevision    int
	PatientName     string
}

// Overdue reports whether an open review is past its due time.
func (r Review) Overdue(now time.Time) bool { return r.Status == ReviewOpen && now.After(r.DueAt) }

const reviewColumns = `r.id, r.patient_id, r.clinic_id, r.session_id, r.status, r.urgent, r.urgent_reasons, r.evidence, r.protocol_version,
	r.due_at, r.created_at, r.decided_at, COALESCE(r.decided_by, 0), r.decided_name, r.options, r.reason, COALESCE(r.plan_revision, 0),
	p.given_name, p.family_name`

func (tx *Tx) followupReviews(ctx context.Context, where string, args ...any) ([]Review, error) {
	rows, err := tx.query(ctx, "SELECT "+reviewColumns+" FROM anxiety_reviews r JOIN patients p ON p.id = r.patient_id WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Review
	for rows.Next() {
		var r Review
		var reasons, doc, opts, given, family string
		var decided sql.NullTime
		if err := rows.Scan(&r.ID, &r.PatientID, &r.ClinicID, &r.SessionID, &r.Status, &r.Urgent, &reasons, &doc, &r.ProtocolVersion,
			&r.DueAt, &r.CreatedAt, &decided, &r.DecidedBy, &r.DecidedName, &opts, &r.Reason, &r.PlanRevision, &given, &family); err != nil {
			return nil, err
		}
		r.DueAt, r.CreatedAt, r.DecidedAt = r.DueAt.UTC(), r.CreatedAt.UTC(), nullTime(decided)
		r.UrgentReasons, r.Options = splitCodes(reasons), splitCodes(opts)
		r.PatientName = given + " " + family
		if err := json.Unmarshal([]byte(doc), &r.Classification); err != nil {
			return nil, fmt.Errorf("review %d: %w", r.ID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ListReviews lists the reviews of the actor's clinics with the given
// status ("open", "decided" or "" for all): open ones by due time, others
// newest first. The listing is audited once.
func (db *DB) ListReviews(ctx context.Context, a ketacare.Actor, status string) ([]Review, error) {
	if status != "" && status != ReviewOpen && status != ReviewDecided {
		return nil, ketacare.Errorf(ketacare.EINVALID, "Status must be open or decided.")
	}
	var out []Review
	err := db.Update(ctx, func(tx *Tx) error {
		if !a.Role.Clinical() {
			return ketacare.Errorf(ketacare.EFORBIDDEN, "Reviews are for clinical staff.")
		}
		in, args := inClause(a.ClinicIDs)
		where := "r.clinic_id IN " + in
		if status != "" {
			where += " AND r.status = ?"
			args = append(args, status)
		}
		order := " ORDER BY r.due_at, r.id LIMIT 500"
		if status != ReviewOpen {
			order = " ORDER BY r.id DESC LIMIT 500"
		}
		var err error
		if out, err = tx.followupReviews(ctx, where+order, args...); err != nil {
			return err
		}
		return tx.Audit(ctx, Event{Actor: a, Action: "review.list", ClinicID: a.HomeClinic(), Detail: fmt.Sprintf("%d %s reviews", len(out), status)})
	})
	return out, err
}

// ReviewDetail is everything the review page shows.
type ReviewDetail struct {
	Review    Review
	Patient   ketacare.Patient
	Timeline  Timeline
	Screening Screening
	Plan      *Plan
}

// ReviewDetail loads one review with the patient's timeline, screening and
// current plan, audited as a read.
func (db *DB) ReviewDetail(ctx context.Context, a ketacare.Actor, id int64) (ReviewDetail, error) {
	var d ReviewDetail
	err := db.Update(ctx, func(tx *Tx) error {
		r, err := tx.followupReviews(ctx, "r.id = ?", id)
		if err != nil {
			return err
		}
		if len(r) == 0 {
			return deny(Event{Actor: a, Action: "review.read", Detail: fmt.Sprintf("no review %d", id)}, notFound("Review"))
		}
		d.Review = r[0]
		if d.Patient, err = tx.PatientFor(ctx, a, d.Review.PatientID, "review.read"); err != nil {
			return NotFoundAs(err, "Review")
		}
		if d.Timeline, err = tx.timeline(ctx, d.Patient); err != nil {
			return err
		}
		if d.Screening, err = tx.screening(ctx, d.Patient); err != nil {
			return err
		}
		if p, err := tx.CurrentPlan(ctx, d.Patient.ID); err == nil {
			d.Plan = &p
		} else if ketacare.ErrorCode(err) != ketacare.ENOTFOUND {
			return err
		}
		return nil
	})
	return d, db.recordDenied(ctx, err)
}

// ReviewDecision is a clinician's decision on a review.
type ReviewDecision struct {
	Options []string // clinical.ReviewOptions codes, at least one
	Reason  string
	// NewDoseMg is required with "lower-dose" (below the current dose);
	// NewIntervalDays with "lengthen-interval" (above the current
	// interval). Either changes the treatment plan.
	NewDoseMg       *float64
	NewIntervalDays *int
}

// DecideReview records the decision on an open review: one or more of the
// protocol's options and a reason. Reviewing an adjunct medicine is for
// prescribers only. Lowering the dose or lengthening the interval writes a
// new revision of the treatment plan (prescribers only) before the
// decision is stored; the decision names that revision.
func (db *DB) DecideReview(ctx context.Context, a ketacare.Actor, id int64, d ReviewDecision) (Review, error) {
	f := map[string]string{}
	d.Reason = strings.TrimSpace(d.Reason)
	seen := map[string]bool{}
	var opts []string
	for _, code := range d.Options {
		o, ok := clinical.LookupReviewOption(code)
		switch {
		case !ok:
			f["options"] = fmt.Sprintf("%q is not a review option.", code)
		case o.PrescriberOnly && a.Role != ketacare.RolePrescriber:
			f["options"] = o.Label + " is for a prescriber to decide."
		case !seen[code]:
			seen[code] = true
			opts = append(opts, code)
		}
	}
	if len(opts) == 0 && f["options"] == "" {
		f["options"] = "Choose at least one option."
	}
	if d.Reason == "" {
		f["reason"] = "Give the reason for the decision."
	} else if len(d.Reason) > 2000 {
		f["reason"] = "Keep the reason to 2000 characters."
	}
	changesPlan := seen[clinical.ReviewLowerDose] || seen[clinical.ReviewLengthenInterval]
	if seen[clinical.ReviewLowerDose] && (d.NewDoseMg == nil || !(*d.NewDoseMg > 0)) {
		f["newDoseMg"] = "Give the new, lower dose in mg."
	}
	if seen[clinical.ReviewLengthenInterval] && (d.NewIntervalDays == nil || *d.NewIntervalDays < 1) {
		f["newIntervalDays"] = "Give the new interval in days."
	}
	if changesPlan && a.Role != ketacare.RolePrescriber && len(f) == 0 {
		f["options"] = "Only a prescriber may change the treatment plan."
	}
	if err := ketacare.FieldErrors(f); err != nil {
		return Review{}, err
	}
	// The review is checked, the plan changed and the decision recorded in
	// one transaction: a decision that cannot be recorded leaves the plan
	// as it was.
	var rv Review
	err := db.Update(ctx, func(tx *Tx) error {
		list, err := tx.followupReviews(ctx, "r.id = ?", id)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return deny(Event{Actor: a, Action: "review.decide", Detail: fmt.Sprintf("no review %d", id)}, notFound("Review"))
		}
		rv = list[0]
		pt, err := tx.PatientFor(ctx, a, rv.PatientID, "review.decide")
		if err != nil {
			return NotFoundAs(err, "Review")
		}
		if rv.Status != ReviewOpen {
			return ketacare.Errorf(ketacare.ECONFLICT, "This review was already decided by %s.", rv.DecidedName)
		}
		var planRevision any
		if changesPlan {
			p, err := tx.reviewPlanChange(ctx, a, pt, rv, d, seen)
			if err != nil {
				return err
			}
			planRevision = p.Revision
		}
		res, err := tx.exec(ctx, `UPDATE anxiety_reviews SET status = ?, decided_at = ?, decided_by = ?, decided_name = ?, options = ?, reason = ?,
			plan_revision = ? WHERE id = ? AND status = ?`, ReviewDecided, tx.Now, a.UserID, signerName(a), strings.Join(opts, ","), d.Reason,
			planRevision, rv.ID, ReviewOpen)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ketacare.Errorf(ketacare.ECONFLICT, "Someone else decided this review at the same moment.")
		}
		if err := tx.Audit(ctx, Event{Actor: a, Action: "review.decide", ClinicID: rv.ClinicID, PatientID: rv.PatientID,
			Detail: fmt.Sprintf("review %d: %s: %s", rv.ID, strings.Join(opts, ", "), d.Reason)}); err != nil {
			return err
		}
		list, err = tx.followupReviews(ctx, "r.id = ?", rv.ID)
		if err == nil && len(list) == 1 {
			rv = list[0]
		}
		return err
	})
	return rv, db.recordDenied(ctx, err)
}

// reviewPlanChange writes the plan revision a review decides: the current
// plan with the lower dose or the longer interval chosen.
func (tx *Tx) reviewPlanChange(ctx context.Context, a ketacare.Actor, pt ketacare.Patient, rv Review, d ReviewDecision, seen map[string]bool) (Plan, error) {
	cur, err := tx.CurrentPlan(ctx, rv.PatientID)
	if err != nil {
		return Plan{}, ketacare.Errorf(ketacare.ECONFLICT, "The patient has no treatment plan to change: write one first.")
	}
	in := PlanInput{Drug: cur.Drug, Route: string(cur.Route), DoseMg: &cur.DoseMg, Sessions: cur.Sessions, IntervalDays: cur.IntervalDays,
		Reason: fmt.Sprintf("Review %d of persistent anxiety: %s", rv.ID, d.Reason)}
	if cur.DoseMgPerKg != nil {
		in.WeightKg = cur.WeightKg
	}
	if seen[clinical.ReviewLowerDose] {
		if *d.NewDoseMg >= cur.DoseMg {
			return Plan{}, &ketacare.Error{Code: ketacare.EINVALID, Message: "Some fields need correcting.",
				Fields: map[string]string{"newDoseMg": fmt.Sprintf("The new dose must be below the current %g mg.", cur.DoseMg)}}
		}
		in.DoseMg = d.NewDoseMg
	}
	if seen[clinical.ReviewLengthenInterval] {
		if *d.NewIntervalDays <= cur.IntervalDays {
			return Plan{}, &ketacare.Error{Code: ketacare.EINVALID, Message: "Some fields need correcting.",
				Fields: map[string]string{"newIntervalDays": fmt.Sprintf("The new interval must be longer than the current %d days.", cur.IntervalDays)}}
		}
		in.IntervalDays = *d.NewIntervalDays
	}
	if a.Role != ketacare.RolePrescriber {
		return Plan{}, ketacare.Errorf(ketacare.EFORBIDDEN, "Only a prescriber may change a treatment plan.")
	}
	mg, err := in.validate()
	if err != nil {
		return Plan{}, renameFields(err, map[string]string{"doseMg": "newDoseMg", "intervalDays": "newIntervalDays"})
	}
	return tx.savePlan(ctx, a, pt, in, mg)
}

// FollowupTasks lists the open follow-up tasks of the actor's clinics,
// urgent first.
func (db *DB) FollowupTasks(ctx context.Context, a ketacare.Actor) ([]FollowupTask, error) {
	var out []FollowupTask
	err := db.Update(ctx, func(tx *Tx) error {
		in, args := inClause(a.ClinicIDs)
		if !a.Role.Clinical() {
			return ketacare.Errorf(ketacare.EFORBIDDEN, "Tasks are for clinical staff.")
		}
		rows, err := tx.query(ctx, `SELECT t.id, t.patient_id, t.clinic_id, t.kind, t.urgent, t.ref_id, t.detail, t.created_at, p.given_name, p.family_name
			FROM followup_tasks t JOIN patients p ON p.id = t.patient_id WHERE t.closed_at IS NULL AND t.clinic_id IN `+in+
			` ORDER BY t.urgent DESC, t.created_at, t.id LIMIT 500`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t FollowupTask
			var given, family string
			if err := rows.Scan(&t.ID, &t.PatientID, &t.ClinicID, &t.Kind, &t.Urgent, &t.RefID, &t.Detail, &t.CreatedAt, &given, &family); err != nil {
				return err
			}
			t.CreatedAt, t.PatientName = t.CreatedAt.UTC(), given+" "+family
			out = append(out, t)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return tx.Audit(ctx, Event{Actor: a, Action: "followup-task.list", ClinicID: a.HomeClinic(), Detail: fmt.Sprintf("%d open", len(out))})
	})
	return out, err
}

// CloseFollowupTask marks a task done by the actor.
func (db *DB) CloseFollowupTask(ctx context.Context, a ketacare.Actor, id int64) error {
	err := db.Update(ctx, func(tx *Tx) error {
		var patientID int64
		err := tx.queryRow(ctx, "SELECT patient_id FROM followup_tasks WHERE id = ? AND closed_at IS NULL", id).Scan(&patientID)
		if errors.Is(err, sql.ErrNoRows) {
			return deny(Event{Actor: a, Action: "followup-task.close", Detail: fmt.Sprintf("no open task %d", id)}, notFound("Task"))
		}
		if err != nil {
			return err
		}
		p, err := tx.PatientFor(ctx, a, patientID, "followup-task.close")
		if err != nil {
			return NotFoundAs(err, "Task")
		}
		if _, err := tx.exec(ctx, "UPDATE followup_tasks SET closed_at = ?, closed_by = ?, closed_name = ? WHERE id = ?", tx.Now, a.UserID, signerName(a), id); err != nil {
			return err
		}
		return tx.Audit(ctx, Event{Actor: a, Action: "followup-task.close", ClinicID: p.ClinicID, PatientID: p.ID, Detail: fmt.Sprintf("task %d", id)})
	})
	return db.recordDenied(ctx, err)
}

// renameFields returns err with its field errors named as the caller's
// form names them (the plan's "doseMg" is the review's "newDoseMg").
func renameFields(err error, names map[string]string) error {
	var e *ketacare.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	out := *e
	out.Fields = make(map[string]string, len(e.Fields))
	for k, v := range e.Fields {
		if n, ok := names[k]; ok {
			k = n
		}
		out.Fields[k] = v
	}
	return &out
}
