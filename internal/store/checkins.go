package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // Europe/London even where the system has no zone database
	"unicode/utf8"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/phone"
)

// Link purposes used by follow-up.
const (
	PurposeCheckin      = "checkin"
	PurposeCheckinCSSRS = "checkin-cssrs" // the C-SSRS that follows a PHQ-9 item 9 above 0 in a check-in
)

// Check-in kinds and statuses.
const (
	CheckinKindSession = "session" // after a dosing session, at an offset from its first dose
	CheckinKindCourse  = "course"  // the weekly GAD-7 and PHQ-9 during a course

	CheckinScheduled = "scheduled" // not yet due
	CheckinSent      = "sent"      // due: the link was made (and emailed when the patient has an address)
	CheckinCompleted = "completed"
	CheckinMissed    = "missed" // the link expired unanswered
)

// FollowupLondon is the clinic's time zone: check-in times are computed in
// it.
var FollowupLondon = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err) // time/tzdata is embedded
	}
	return l
}()

// CheckinDueAt is when a check-in offsetHours after the first dose is due.
// An offset of whole days (24 h, 72 h, 7 days) falls on the same wall-clock
// time in Europe/London that many calendar days later, so a patient dosed
// at 10:00 hears from the clinic at 10:00 even across a change to or from
// British Summer Time (then 23 or 25 hours elapse for each day that holds
// the change). Any other offset counts elapsed hours.
func CheckinDueAt(dose time.Time, offsetHours int) time.Time {
	if offsetHours > 0 && offsetHours%24 == 0 {
		l := dose.In(FollowupLondon)
		return l.AddDate(0, 0, offsetHours/24).UTC()
	}
	return dose.Add(time.Duration(offsetHours) * time.Hour).UTC()
}

// Checkin is one follow-up check-in.
type Checkin struct {
	ID          int64
	PatientID   int64
	ClinicID    int64
	SessionID   int64 // 0 for a course questionnaire
	Kind        string
	OffsetHours int
	AsksNRS     bool
	AsksGAD7    bool
	AsksPHQ9    bool
	DueAt       time.Time
	ExpiresAt   time.Time
	Status      string
	SentAt      *time.Time
	ChasedAt    *time.Time
	MissedAt    *time.Time
	CompletedAt *time.Time
	NRS         *int
	OwnWords    string
	// CallbackWanted: the patient asked for a counsellor to call.
	// CallbackID is the callback request made for it (0 until made);
	// CallbackNote says why none could be made.
	CallbackWanted  bool
	CallbackID      int64
	CallbackNote    string
	GAD7ID          int64
	PHQ9ID          int64
	CSSRSID         int64
	ProtocolVersion int
	CreatedAt       time.Time
}

// Label names the check-in for people: "+24 h check-in", "Weekly questionnaire".
func (c Checkin) Label() string {
	if c.Kind == CheckinKindCourse {
		return "Weekly questionnaire"
	}
	if c.OffsetHours >= 48 && c.OffsetHours%24 == 0 {
		return fmt.Sprintf("+%d day check-in", c.OffsetHours/24)
	}
	return fmt.Sprintf("+%d h check-in", c.OffsetHours)
}

const checkinColumns = `id, patient_id, clinic_id, COALESCE(session_id, 0), kind, offset_hours, asks_nrs, asks_gad7, asks_phq9, due_at,
	expires_at, status, sent_at, chased_at, missed_at, completed_at, nrs, own_words, callback_wanted, COALESCE(callback_id, 0),
	callback_note, COALESCE(gad7_id, 0), COALESCE(phq9_id, 0), COALESCE(cssrs_id, 0), protocol_version, created_at`

func scanCheckin(s interface{ Scan(...any) error }) (Checkin, error) {
	var c Checkin
	var sent, chased, missed, completed sql.NullTime
	var nrs sql.NullInt64
	err := s.Scan(&c.ID, &c.PatientID, &c.ClinicID, &c.SessionID, &c.Kind, &c.OffsetHours, &c.AsksNRS, &c.AsksGAD7, &c.AsksPHQ9,
		&c.DueAt, &c.ExpiresAt, &c.Status, &sent, &chased, &missed, &completed, &nrs, &c.OwnWords, &c.CallbackWanted, &c.CallbackID,
		&c.CallbackNote, &c.GAD7ID, &c.PHQ9ID, &c.CSSRSID, &c.ProtocolVersion, &c.CreatedAt)
	c.DueAt, c.ExpiresAt, c.CreatedAt = c.DueAt.UTC(), c.ExpiresAt.UTC(), c.CreatedAt.UTC()
	c.SentAt, c.ChasedAt, c.MissedAt, c.CompletedAt = nullTime(sent), nullTime(chased), nullTime(missed), nullTime(completed)
	c.NRS = nullInt(nrs)
	return c, err
}

func (tx *Tx) followupCheckins(ctx context.Context, where string, args ...any) ([]Checkin, error) {
	return queryList(ctx, tx, scanCheckin, "SELECT "+checkinColumns+" FROM checkins WHERE "+where, args...)
}

// followupSystem is the actor of follow-up's background work, acting in
// one clinic.
func followupSystem(clinicID int64) ketacare.Actor {
	return ketacare.Actor{Email: "system:followup", Name: "ketacare follow-up", Role: ketacare.RoleAdmin, ClinicIDs: []int64{clinicID}}
}

// ScheduleFollowup schedules the check-ins of a discharged dosing session
// (once: a second call does nothing) and returns them. The offsets, the
// check-in that asks the GAD-7 and the course questionnaire interval come
// from the current protocol, whose version is recorded on each check-in.
func (tx *Tx) ScheduleFollowup(ctx context.Context, s DosingSession) ([]Checkin, error) {
	if s.DoseAt == nil {
		return nil, ketacare.Errorf(ketacare.ECONFLICT, "The session has no dose: there is nothing to follow up.")
	}
	pv, err := tx.CurrentProtocol(ctx)
	if err != nil {
		return nil, err
	}
	p := pv.Protocol.Followup
	res, err := tx.exec(ctx, `INSERT INTO followup_schedules (session_id, patient_id, scheduled_at, protocol_version) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, s.ID, s.PatientID, tx.Now, pv.Version)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tx.followupCheckins(ctx, "session_id = ? ORDER BY due_at, id", s.ID)
	}
	expiry := time.Duration(p.LinkExpiryHours) * time.Hour
	add := func(kind string, offset int, due time.Time, nrs, gad7, phq9 bool) error {
		var sess any
		if kind == CheckinKindSession {
			sess = s.ID
		}
		_, err := tx.exec(ctx, `INSERT INTO checkins (patient_id, clinic_id, session_id, kind, offset_hours, asks_nrs, asks_gad7, asks_phq9,
			due_at, expires_at, status, protocol_version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			s.PatientID, s.ClinicID, sess, kind, offset, nrs, gad7, phq9, due, due.Add(expiry), CheckinScheduled, pv.Version, tx.Now)
		return err
	}
	for _, h := range p.CheckinOffsetsHours {
		if err := add(CheckinKindSession, h, CheckinDueAt(*s.DoseAt, h), true, h == p.GAD7CheckinHours, false); err != nil {
			return nil, fmt.Errorf("scheduling check-in: %w", err)
		}
	}
	// The course: from the patient's first dose, a GAD-7 and PHQ-9 every
	// CourseQuestionnaireDays days while sessions continue, that is up to
	// one interval after the latest dose.
	var first time.Time
	if err := tx.queryRow(ctx, "SELECT dose_at FROM dosing_sessions WHERE patient_id = ? AND dose_at IS NOT NULL ORDER BY dose_at LIMIT 1", s.PatientID).Scan(&first); err != nil {
		return nil, err
	}
	step := p.CourseQuestionnaireDays
	anchor := first.In(FollowupLondon)
	for k := 1; ; k++ {
		due := anchor.AddDate(0, 0, k*step).UTC()
		if !due.After(*s.DoseAt) {
			continue
		}
		if due.After(CheckinDueAt(*s.DoseAt, step*24)) {
			break
		}
		if err := add(CheckinKindCourse, 0, due, false, true, true); err != nil {
			return nil, fmt.Errorf("scheduling questionnaire: %w", err)
		}
	}
	if err := tx.Audit(ctx, Event{Actor: followupSystem(s.ClinicID), Action: "followup.schedule", ClinicID: s.ClinicID, PatientID: s.PatientID,
		Detail: fmt.Sprintf("session %d: check-ins at %v h (protocol %d)", s.ID, p.CheckinOffsetsHours, pv.Version)}); err != nil {
		return nil, err
	}
	return tx.followupCheckins(ctx, "session_id = ? ORDER BY due_at, id", s.ID)
}

// CheckinLink makes a new link for a check-in (lasting until the check-in
// expires), records which check-in it opens and returns the raw token.
func (tx *Tx) CheckinLink(ctx context.Context, a ketacare.Actor, c Checkin) (string, PatientLink, error) {
	ttl := c.ExpiresAt.Sub(tx.Now)
	if ttl <= 0 {
		return "", PatientLink{}, ketacare.Errorf(ketacare.ECONFLICT, "This check-in has expired.")
	}
	token, l, err := tx.CreatePatientLink(ctx, a, c.PatientID, PurposeCheckin, ttl)
	if err != nil {
		return "", l, err
	}
	if _, err := tx.exec(ctx, "INSERT INTO checkin_links (link_id, checkin_id) VALUES (?, ?)", l.ID, c.ID); err != nil {
		return "", l, err
	}
	return token, l, nil
}

// CheckinPath is the patient's page of a check-in link.
func CheckinPath(token string) string { return "/checkin/" + token }

// checkinEmail is the message sent with a check-in link: the link and when
// it stops working, never anything clinical.
func checkinEmail(baseURL, token string, c Checkin, reminder bool) (string, string) {
	subject := "A check-in from your clinic"
	intro := "Your clinic would like to hear how you are. Please answer a few short questions (about 2 minutes):"
	if reminder {
		subject = "Reminder: a check-in from your clinic"
		intro = "We have not heard from you yet. Please answer a few short questions (about 2 minutes):"
	}
	body := fmt.Sprintf("Hello,\n\n%s\n\n%s%s\n\nThe link works once, until %s.\n\nIf you did not expect this email, please call your clinic.\n",
		intro, strings.TrimRight(baseURL, "/"), CheckinPath(token), c.ExpiresAt.In(FollowupLondon).Format("Monday 2 January 15:04"))
	return subject, body
}

// checkinText is the text message carrying a check-in link. Like the email
// it says nothing of the treatment: whoever sees the phone learns only that
// a clinic asked how the person is.
func checkinText(baseURL, token string, c Checkin, reminder bool, contacts []clinical.CrisisContact) string {
	intro := "Your clinic would like to hear how you are: a few short questions, about 2 minutes."
	if reminder {
		intro = "Reminder: your clinic would like to hear how you are: a few short questions, about 2 minutes."
	}
	// The protocol's first two crisis lines that are calls and apply in
	// every UK nation (emergency services and Samaritans, as shipped).
	var lines []string
	for _, ct := range contacts {
		if ct.Kind == "call" && len(ct.Nations) > 1 && len(lines) < 2 {
			lines = append(lines, ct.Name+" "+ct.Number)
		}
	}
	help := "If you need help now, call your clinic"
	if len(lines) > 0 {
		help = "If you need help now: " + strings.Join(lines, ", ")
	}
	return fmt.Sprintf("%s %s%s (works once, until %s). %s.",
		intro, strings.TrimRight(baseURL, "/"), CheckinPath(token), c.ExpiresAt.In(FollowupLondon).Format("Mon 2 Jan 15:04"), help)
}

// FollowupPassResult counts what one background pass did.
type FollowupPassResult struct {
	Scheduled, Sent, Chased, Missed, Reclassified int
	CallbacksRetried                              int
}

// FollowupPass does follow-up's background work at the database's now:
// schedules the check-ins of discharged sessions that have none, sends the
// link of each check-in that fell due (through the outbox, by email and by
// text message when the patient has an address and a mobile), chases each check-in still open
// ChaseAfterHours after it was due with one reminder, marks expired ones
// missed (listed for the nurses), requests counsellor calls the patient
// asked for that could not be requested before, and classifies recent
// sessions again. baseURL starts the links in emails.
func (db *DB) FollowupPass(ctx context.Context, baseURL string) (FollowupPassResult, error) {
	var r FollowupPassResult
	// Schedule.
	var ids []int64
	err := db.View(ctx, func(tx *Tx) error {
		var err error
		ids, err = tx.queryIDs(ctx, `SELECT s.id FROM dosing_sessions s LEFT JOIN followup_schedules f ON f.session_id = s.id
			WHERE s.status = ? AND s.dose_at IS NOT NULL AND f.session_id IS NULL ORDER BY s.id LIMIT 200`, SessionDischarged)
		return err
	})
	if err != nil {
		return r, err
	}
	for _, id := range ids {
		if err := db.Update(ctx, func(tx *Tx) error {
			s, err := tx.SessionByID(ctx, id)
			if err != nil {
				return err
			}
			_, err = tx.ScheduleFollowup(ctx, s)
			return err
		}); err != nil {
			return r, fmt.Errorf("scheduling session %d: %w", id, err)
		}
		r.Scheduled++
	}
	// Send, chase, miss: one check-in per transaction.
	var due []Checkin
	err = db.View(ctx, func(tx *Tx) error {
		pv, err := tx.CurrentProtocol(ctx)
		if err != nil {
			return err
		}
		chase := time.Duration(pv.Protocol.Followup.ChaseAfterHours) * time.Hour
		due, err = tx.followupCheckins(ctx, `(status = ? AND due_at <= ?) OR (status = ? AND (expires_at <= ? OR (chased_at IS NULL AND due_at <= ?)))
			ORDER BY due_at, id LIMIT 500`, CheckinScheduled, tx.Now, CheckinSent, tx.Now, tx.Now.Add(-chase))
		return err
	})
	if err != nil {
		return r, err
	}
	for _, c := range due {
		err := db.Update(ctx, func(tx *Tx) error {
			cur, err := tx.followupCheckins(ctx, "id = ?", c.ID)
			if err != nil || len(cur) == 0 {
				return err
			}
			c := cur[0]
			switch {
			case c.Status == CheckinScheduled && !c.DueAt.After(tx.Now) && tx.Now.Before(c.ExpiresAt):
				r.Sent++
				return tx.followupSend(ctx, c, baseURL, false)
			case c.Status == CheckinScheduled && !tx.Now.Before(c.ExpiresAt), c.Status == CheckinSent && !tx.Now.Before(c.ExpiresAt):
				r.Missed++
				return tx.followupMiss(ctx, c)
			case c.Status == CheckinSent && c.ChasedAt == nil:
				r.Chased++
				return tx.followupSend(ctx, c, baseURL, true)
			}
			return nil
		})
		if err != nil {
			return r, fmt.Errorf("check-in %d: %w", c.ID, err)
		}
	}
	// Counsellor calls asked for but not yet requested.
	err = db.View(ctx, func(tx *Tx) error {
		var err error
		ids, err = tx.queryIDs(ctx, `SELECT id FROM checkins WHERE status = ? AND callback_wanted = ? AND callback_id IS NULL
			AND callback_note = '' ORDER BY id LIMIT 100`, CheckinCompleted, true)
		return err
	})
	if err != nil {
		return r, err
	}
	for _, id := range ids {
		if err := db.RequestCheckinCallback(ctx, id); err != nil {
			return r, err
		}
		r.CallbacksRetried++
	}
	// Classify recent sessions again (new questionnaires, later check-ins).
	err = db.View(ctx, func(tx *Tx) error {
		pv, err := tx.CurrentProtocol(ctx)
		if err != nil {
			return err
		}
		p := pv.Protocol.Followup
		window := time.Duration(p.CheckinOffsetsHours[len(p.CheckinOffsetsHours)-1]+p.LinkExpiryHours)*time.Hour +
			time.Duration(2*p.CourseQuestionnaireDays)*24*time.Hour
		ids, err = tx.queryIDs(ctx, `SELECT id FROM dosing_sessions WHERE status = ? AND dose_at IS NOT NULL AND dose_at >= ? ORDER BY id`,
			SessionDischarged, tx.Now.Add(-window))
		return err
	})
	if err != nil {
		return r, err
	}
	for _, id := range ids {
		if err := db.Update(ctx, func(tx *Tx) error {
			_, err := tx.ClassifySession(ctx, id)
			return err
		}); err != nil {
			return r, fmt.Errorf("classifying session %d: %w", id, err)
		}
		r.Reclassified++
	}
	return r, nil
}

// followupSend makes a link for a due check-in and sends it by email and by
// text message to a mobile, whichever the patient has (a reminder
// when chasing).
func (tx *Tx) followupSend(ctx context.Context, c Checkin, baseURL string, reminder bool) error {
	p, err := scanPatient(tx.queryRow(ctx, "SELECT "+patientColumns+" FROM patients WHERE id = ?", c.PatientID))
	if err != nil {
		return err
	}
	token, _, err := tx.CheckinLink(ctx, followupSystem(c.ClinicID), c)
	if err != nil {
		return err
	}
	var sent []string
	if p.Email != "" {
		subject, body := checkinEmail(baseURL, token, c, reminder)
		if _, err := tx.EnqueueEmail(ctx, NewEmail{To: p.Email, Subject: subject, Body: body, Ref: fmt.Sprintf("checkin:%d", c.ID), PatientID: p.ID}); err != nil {
			return err
		}
		sent = append(sent, "emailed")
	}
	if n, err := phone.Parse(p.Phone, phone.DefaultRegion); err == nil && n.Type.MaybeMobile() {
		pv, err := tx.CurrentProtocol(ctx)
		if err != nil {
			return err
		}
		body := checkinText(baseURL, token, c, reminder, pv.Protocol.Callback.CrisisContacts)
		if _, err := tx.EnqueueText(ctx, NewText{To: n.E164, Body: body, Ref: fmt.Sprintf("checkin:%d", c.ID), PatientID: p.ID}); err != nil {
			return err
		}
		sent = append(sent, "texted")
	}
	detail := "no email address or mobile number: staff give the link"
	if len(sent) > 0 {
		detail = strings.Join(sent, " and ")
	}
	action := "checkin.send"
	if reminder {
		action = "checkin.chase"
		_, err = tx.exec(ctx, "UPDATE checkins SET chased_at = ? WHERE id = ?", tx.Now, c.ID)
	} else {
		_, err = tx.exec(ctx, "UPDATE checkins SET status = ?, sent_at = ? WHERE id = ?", CheckinSent, tx.Now, c.ID)
	}
	if err != nil {
		return err
	}
	return tx.Audit(ctx, Event{Actor: followupSystem(c.ClinicID), Action: action, ClinicID: c.ClinicID, PatientID: c.PatientID,
		Detail: fmt.Sprintf("check-in %d: %s", c.ID, detail)})
}

// followupMiss marks an expired check-in missed and lists it for the nurses.
func (tx *Tx) followupMiss(ctx context.Context, c Checkin) error {
	if _, err := tx.exec(ctx, "UPDATE checkins SET status = ?, missed_at = ? WHERE id = ?", CheckinMissed, tx.Now, c.ID); err != nil {
		return err
	}
	detail := fmt.Sprintf("%s due %s was not answered", c.Label(), c.DueAt.In(FollowupLondon).Format("2 Jan 15:04"))
	if c.ChasedAt != nil {
		detail += " after a reminder"
	}
	if err := tx.followupTask(ctx, c.PatientID, c.ClinicID, TaskCheckinMissed, false, c.ID, detail); err != nil {
		return err
	}
	return tx.Audit(ctx, Event{Actor: followupSystem(c.ClinicID), Action: "checkin.missed", ClinicID: c.ClinicID, PatientID: c.PatientID,
		Detail: fmt.Sprintf("check-in %d", c.ID)})
}

// CheckinView is what a check-in link opens: the check-in, without using
// the link.
type CheckinView struct {
	Checkin Checkin
	Link    PatientLink
	// Contacts are the protocol's crisis contacts, shown on every page.
	Contacts []clinical.CrisisContact
}

// CheckinByToken finds the check-in a link opens, without using the link.
func (db *DB) CheckinByToken(ctx context.Context, token, clientAddr, requestID string) (CheckinView, error) {
	var v CheckinView
	err := db.Update(ctx, func(tx *Tx) error {
		l, err := tx.PatientLink(ctx, token, PurposeCheckin)
		if err != nil {
			return err
		}
		if err := tx.auditLinkOpen(ctx, l, clientAddr, requestID); err != nil {
			return err
		}
		v.Link = l
		v.Checkin, err = tx.checkinOfLink(ctx, l.ID)
		if err != nil {
			return err
		}
		pv, err := tx.CurrentProtocol(ctx)
		v.Contacts = pv.Protocol.Callback.CrisisContacts
		return err
	})
	return v, err
}

func (tx *Tx) checkinOfLink(ctx context.Context, linkID int64) (Checkin, error) {
	list, err := tx.followupCheckins(ctx, "id = (SELECT checkin_id FROM checkin_links WHERE link_id = ?)", linkID)
	if err != nil {
		return Checkin{}, err
	}
	if len(list) == 0 {
		return Checkin{}, errLinkUnknown()
	}
	return list[0], nil
}

// CheckinAnswers is a patient's answers to a check-in.
type CheckinAnswers struct {
	NRS          *int // 0–10, required when the check-in asks it
	OwnWords     string
	WantCallback *bool // required
	GAD7         []int // item scores, when asked
	PHQ9         []int
}

// CheckinResult is what a submitted check-in did.
type CheckinResult struct {
	Checkin Checkin
	// CSSRSToken opens the C-SSRS screener: set when the PHQ-9's item 9 was
	// above 0.
	CSSRSToken string
	Contacts   []clinical.CrisisContact
	// Classification of the session after this check-in (nil for a course
	// questionnaire).
	Classification *StoredClassification
}

const followupOwnWordsMax = 2000

func validateCheckin(c Checkin, in *CheckinAnswers) error {
	f := map[string]string{}
	if c.AsksNRS {
		if in.NRS == nil {
			f["nrs"] = "Choose a number from 0 to 10 for how anxious you feel now."
		} else if *in.NRS < 0 || *in.NRS > 10 {
			f["nrs"] = "The rating must be a number from 0 to 10."
		}
	} else {
		in.NRS = nil
	}
	in.OwnWords = callbackCleanText(in.OwnWords)
	if utf8.RuneCountInString(in.OwnWords) > followupOwnWordsMax {
		f["ownWords"] = fmt.Sprintf("Keep this to %d characters.", followupOwnWordsMax)
	}
	if in.WantCallback == nil {
		f["callback"] = "Say whether you would like a counsellor to call you."
	}
	check := func(name, field string, asked bool, answers []int, n int) {
		if !asked || len(answers) == n {
			return
		}
		f[field] = fmt.Sprintf("Answer every %s question.", name)
	}
	check("anxiety (GAD-7)", "gad7", c.AsksGAD7, in.GAD7, 7)
	check("mood (PHQ-9)", "phq9", c.AsksPHQ9, in.PHQ9, 9)
	return ketacare.FieldErrors(f)
}

// SubmitCheckin records a patient's answers through a check-in link, in
// one transaction with the link's use: the rating and words, the GAD-7 and
// PHQ-9 when asked (scored by the current protocol), and the wish for a
// call. The session is classified again at once. A PHQ-9 item 9 above 0
// makes a follow-on link to the C-SSRS screener. A form with errors leaves
// the link open. A check-in is answered from when it is due.
func (db *DB) SubmitCheckin(ctx context.Context, token, clientAddr, requestID string, in CheckinAnswers) (CheckinResult, error) {
	var res CheckinResult
	err := db.WithLink(ctx, token, PurposeCheckin, clientAddr, requestID, func(tx *Tx, l PatientLink, a ketacare.Actor) error {
		c, err := tx.checkinOfLink(ctx, l.ID)
		if err != nil {
			return err
		}
		switch {
		case c.Status == CheckinCompleted:
			return &LinkGoneError{Used: true}
		case c.Status == CheckinMissed || !tx.Now.Before(c.ExpiresAt):
			return &LinkGoneError{}
		case tx.Now.Before(c.DueAt):
			return ketacare.Errorf(ketacare.ECONFLICT, "This check-in opens on %s.", c.DueAt.In(FollowupLondon).Format("Monday 2 January at 15:04"))
		}
		if err := validateCheckin(c, &in); err != nil {
			return err
		}
		pv, err := tx.CurrentProtocol(ctx)
		if err != nil {
			return err
		}
		res.Contacts = pv.Protocol.Callback.CrisisContacts
		var gad7, phq9 any
		item9 := false
		if c.AsksGAD7 {
			as, err := tx.RecordAssessment(ctx, a, c.PatientID, AssessmentInput{Instrument: clinical.InstrumentGAD7, Answers: in.GAD7}, "link", l.ID)
			if err != nil {
				return followupFieldError(err, "gad7")
			}
			gad7, c.GAD7ID = as.ID, as.ID
		}
		if c.AsksPHQ9 {
			as, err := tx.RecordAssessment(ctx, a, c.PatientID, AssessmentInput{Instrument: clinical.InstrumentPHQ9, Answers: in.PHQ9}, "link", l.ID)
			if err != nil {
				return followupFieldError(err, "phq9")
			}
			phq9, c.PHQ9ID = as.ID, as.ID
			for _, fl := range as.Flags {
				item9 = item9 || fl == clinical.FlagPHQ9Item9
			}
		}
		var nrs any
		if in.NRS != nil {
			nrs = *in.NRS
		}
		if _, err := tx.exec(ctx, `UPDATE checkins SET status = ?, completed_at = ?, nrs = ?, own_words = ?, callback_wanted = ?,
			gad7_id = ?, phq9_id = ? WHERE id = ?`, CheckinCompleted, tx.Now, nrs, in.OwnWords, *in.WantCallback, gad7, phq9, c.ID); err != nil {
			return err
		}
		c.Status, c.CompletedAt, c.NRS, c.OwnWords, c.CallbackWanted = CheckinCompleted, &tx.Now, in.NRS, in.OwnWords, *in.WantCallback
		if item9 {
			if err := tx.followupTask(ctx, c.PatientID, c.ClinicID, TaskItem9, true, c.PHQ9ID,
				fmt.Sprintf("PHQ-9 item 9 answered %d in a check-in: make sure the suicide-risk screen (C-SSRS) is done today; the patient was sent on to it", in.PHQ9[len(in.PHQ9)-1])); err != nil {
				return err
			}
			res.CSSRSToken, _, err = tx.CreatePatientLink(ctx, a, c.PatientID, PurposeCheckinCSSRS, time.Duration(pv.Protocol.Followup.LinkExpiryHours)*time.Hour)
			if err != nil {
				return err
			}
			if _, err := tx.exec(ctx, "INSERT INTO checkin_links (link_id, checkin_id) SELECT id, ? FROM patient_links WHERE patient_id = ? AND purpose = ? ORDER BY id DESC LIMIT 1",
				c.ID, c.PatientID, PurposeCheckinCSSRS); err != nil {
				return err
			}
		}
		if err := tx.Audit(ctx, Event{Actor: a, Action: "checkin.submit", ClinicID: c.ClinicID, PatientID: c.PatientID,
			Detail: fmt.Sprintf("check-in %d (callback wanted: %t)", c.ID, c.CallbackWanted)}); err != nil {
			return err
		}
		res.Checkin = c
		if c.SessionID != 0 {
			sc, err := tx.ClassifySession(ctx, c.SessionID)
			if err != nil {
				return err
			}
			res.Classification = &sc
		} else if c.AsksGAD7 {
			// A course questionnaire: classify the latest session again.
			var sid int64
			err := tx.queryRow(ctx, "SELECT id FROM dosing_sessions WHERE patient_id = ? AND status = ? AND dose_at IS NOT NULL ORDER BY dose_at DESC LIMIT 1",
				c.PatientID, SessionDischarged).Scan(&sid)
			if err == nil {
				sc, err := tx.ClassifySession(ctx, sid)
				if err != nil {
					return err
				}
				res.Classification = &sc
			} else if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		return nil
	})
	if err == nil && res.Checkin.CallbackWanted {
		// The callback request is its own transaction (the callback
		// service's); if it fails now, the background pass retries it.
		if cerr := db.RequestCheckinCallback(ctx, res.Checkin.ID); cerr == nil {
			_ = db.View(ctx, func(tx *Tx) error {
				list, err := tx.followupCheckins(ctx, "id = ?", res.Checkin.ID)
				if err == nil && len(list) == 1 {
					res.Checkin = list[0]
				}
				return err
			})
		}
	}
	return res, err
}

// followupFieldError names the form field of an instrument's error.
func followupFieldError(err error, field string) error {
	if ketacare.ErrorCode(err) != ketacare.EINVALID {
		return err
	}
	return &ketacare.Error{Code: ketacare.EINVALID, Message: ketacare.ErrorMessage(err), Fields: map[string]string{field: ketacare.ErrorMessage(err)}}
}

// CSSRSCheckin is the C-SSRS step of a check-in, opened by the follow-on
// link.
func (db *DB) CSSRSCheckin(ctx context.Context, token string) (CheckinView, error) {
	var v CheckinView
	err := db.View(ctx, func(tx *Tx) error {
		l, err := tx.PatientLink(ctx, token, PurposeCheckinCSSRS)
		if err != nil {
			return err
		}
		v.Link = l
		if v.Checkin, err = tx.checkinOfLink(ctx, l.ID); err != nil {
			return err
		}
		pv, err := tx.CurrentProtocol(ctx)
		v.Contacts = pv.Protocol.Callback.CrisisContacts
		return err
	})
	return v, err
}

// SubmitCheckinCSSRS records the C-SSRS screener answered after a check-in
// (item scores, clinical.Skipped for the questions its skip rule leaves
// out). A moderate or high result raises an urgent task for the clinic and
// makes any review of the patient urgent; the patient is shown the crisis
// contacts whatever the result.
func (db *DB) SubmitCheckinCSSRS(ctx context.Context, token, clientAddr, requestID string, answers []int) (Assessment, []clinical.CrisisContact, error) {
	var as Assessment
	var contacts []clinical.CrisisContact
	err := db.WithLink(ctx, token, PurposeCheckinCSSRS, clientAddr, requestID, func(tx *Tx, l PatientLink, a ketacare.Actor) error {
		c, err := tx.checkinOfLink(ctx, l.ID)
		if err != nil {
			return err
		}
		as, err = tx.RecordAssessment(ctx, a, c.PatientID, AssessmentInput{Instrument: clinical.InstrumentCSSRS, Answers: answers}, "link", l.ID)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "UPDATE checkins SET cssrs_id = ? WHERE id = ?", as.ID, c.ID); err != nil {
			return err
		}
		pv, err := tx.CurrentProtocol(ctx)
		if err != nil {
			return err
		}
		contacts = pv.Protocol.Callback.CrisisContacts
		switch as.Band {
		case string(clinical.CSSRSHigh), string(clinical.CSSRSModerate):
			if err := tx.followupTask(ctx, c.PatientID, c.ClinicID, TaskCSSRS, true, as.ID,
				fmt.Sprintf("C-SSRS %s risk after a check-in: contact the patient now", as.Band)); err != nil {
				return err
			}
		case string(clinical.CSSRSLow):
			if err := tx.followupTask(ctx, c.PatientID, c.ClinicID, TaskCSSRSLow, false, as.ID,
				"C-SSRS low risk after a check-in: agree a safety plan with the patient"); err != nil {
				return err
			}
		}
		if c.SessionID != 0 {
			_, err = tx.ClassifySession(ctx, c.SessionID)
		}
		return err
	})
	return as, contacts, err
}

// RequestCheckinCallback asks the callback service to call a patient who
// asked for it in a check-in, linked to the patient, and records the
// request on the check-in. When no request can be made (no usable phone
// number), the reason is recorded and a task lists it for the nurses.
func (db *DB) RequestCheckinCallback(ctx context.Context, checkinID int64) error {
	var c Checkin
	var p ketacare.Patient
	err := db.View(ctx, func(tx *Tx) error {
		list, err := tx.followupCheckins(ctx, "id = ?", checkinID)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return notFound("Check-in")
		}
		c = list[0]
		p, err = scanPatient(tx.queryRow(ctx, "SELECT "+patientColumns+" FROM patients WHERE id = ?", c.PatientID))
		return err
	})
	if err != nil || !c.CallbackWanted || c.CallbackID != 0 {
		return err
	}
	actor := ketacare.Actor{Email: fmt.Sprintf("checkin:%d", c.ID), Name: "Patient (check-in)", Role: ketacare.RolePatient,
		PatientID: p.ID, ClinicIDs: []int64{p.ClinicID}}
	reason := "Asked for a call in the " + strings.ToLower(c.Label()) + "."
	if c.OwnWords != "" {
		reason += " In their words: " + c.OwnWords
	}
	if utf8.RuneCountInString(reason) > callbackReasonMax {
		reason = string([]rune(reason)[:callbackReasonMax])
	}
	res, err := db.SubmitCallback(ctx, actor, CallbackSourcePublic, CallbackInput{Name: p.GivenName + " " + p.FamilyName, Phone: p.Phone,
		Reason: reason, SafeNow: true, ConsentCall: true, PatientID: p.ID}, SubmitGuard{})
	return db.Update(ctx, func(tx *Tx) error {
		if err != nil {
			if code := ketacare.ErrorCode(err); code != ketacare.EINVALID && code != ketacare.EUNPROCESSABLE {
				return err // try again at the next pass
			}
			note := "no usable phone number"
			if f := ketacare.ErrorFields(err); f["phone"] == "" {
				note = ketacare.ErrorMessage(err)
			}
			if _, err := tx.exec(ctx, "UPDATE checkins SET callback_note = ? WHERE id = ?", note, c.ID); err != nil {
				return err
			}
			return tx.followupTask(ctx, c.PatientID, c.ClinicID, TaskCallbackUnrequested, false, c.ID,
				"Asked for a counsellor's call in a check-in, but no callback could be requested: "+note)
		}
		_, err := tx.exec(ctx, "UPDATE checkins SET callback_id = ? WHERE id = ?", res.Callback.ID, c.ID)
		return err
	})
}
