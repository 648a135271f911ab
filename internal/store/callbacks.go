package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/phone"
)

// CallbackStatus is where a callback request is in its life.
type CallbackStatus string

// Callback statuses: waiting in the queue (possibly until a retry or the
// preferred window is due), held by a counsellor under a lease, or closed
// with an outcome.
const (
	CallbackQueued  CallbackStatus = "queued"
	CallbackClaimed CallbackStatus = "claimed"
	CallbackClosed  CallbackStatus = "closed"
)

// Where a callback request came from.
const (
	CallbackSourcePublic = "public" // the public form or its JSON endpoint
	CallbackSourceStaff  = "staff"  // logged by staff on behalf of a caller
)

// Callback outcome codes. The first three record an unanswered call and
// schedule a retry (or close the request after the last attempt); the
// others close the request.
const (
	OutcomeNoAnswer              = "no_answer"
	OutcomeBusy                  = "busy"
	OutcomeFailed                = "failed"
	OutcomeAdviceGiven           = "advice_given"
	OutcomeAppointmentBooked     = "appointment_booked"
	OutcomeReferred              = "referred"
	OutcomeSafeguardingEscalated = "safeguarding_escalated"
	OutcomeWrongNumber           = "wrong_number"
	OutcomeDeclined              = "declined"
	OutcomeDuplicate             = "duplicate"
	OutcomeSpam                  = "spam"
	OutcomeNoAnswerMaxAttempts   = "no_answer_max_attempts" // set by ketacare after the last unanswered attempt
)

// CallbackOutcome describes one outcome code a counsellor may record.
type CallbackOutcome struct {
	Code  string `json:"code"`
	Label string `json:"label"`
	Retry bool   `json:"retry"` // an unanswered call: retried while attempts remain
}

// CallbackOutcomes lists the outcome codes a counsellor may record, in the
// order forms show them.
var CallbackOutcomes = []CallbackOutcome{
	{OutcomeAdviceGiven, "Advice given", false},
	{OutcomeAppointmentBooked, "Appointment booked", false},
	{OutcomeReferred, "Referred", false},
	{OutcomeSafeguardingEscalated, "Safeguarding escalated", false},
	{OutcomeNoAnswer, "No answer", true},
	{OutcomeBusy, "Busy", true},
	{OutcomeFailed, "Call failed", true},
	{OutcomeWrongNumber, "Wrong number", false},
	{OutcomeDeclined, "Declined", false},
	{OutcomeDuplicate, "Duplicate", false},
	{OutcomeSpam, "Spam", false},
}

// OutcomeLabel returns the label of an outcome code, or the code itself.
func OutcomeLabel(code string) string {
	if code == OutcomeNoAnswerMaxAttempts {
		return "No answer after maximum attempts"
	}
	for _, o := range CallbackOutcomes {
		if o.Code == code {
			return o.Label
		}
	}
	return code
}

func callbackOutcomeByCode(code string) (CallbackOutcome, bool) {
	for _, o := range CallbackOutcomes {
		if o.Code == code {
			return o, true
		}
	}
	return CallbackOutcome{}, false
}

// Callback is a request to be called back.
type Callback struct {
	ID               int64
	Reference        string
	Name             string
	Phone            string // E.164
	Reason           string
	SafeNow          bool
	ImmediateDanger  bool
	Matched          []string // triage terms found in the reason(s)
	Priority         clinical.CallbackPriority
	PreferredFrom    time.Time // zero when no window was given
	PreferredTo      time.Time
	ConsentCall      bool
	ConsentVoicemail bool
	PatientID        int64 // 0 when not linked to a patient
	Source           string
	CreatedBy        int64
	ProtocolVersion  int
	Status           CallbackStatus
	DueAt            time.Time // target for the first attempt
	NextAttemptAt    time.Time // not offered to counsellors before this
	Attempts         int
	FirstAttemptAt   time.Time
	LastAttemptAt    time.Time
	ClaimedBy        int64
	ClaimedByEmail   string
	LeaseExpiresAt   time.Time
	Merged           int // later submissions merged into this one
	Outcome          string
	ClosedAt         time.Time
	BreachedAt       time.Time // when the missed first-attempt target was found
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Open reports whether the request is not closed.
func (c Callback) Open() bool { return c.Status != CallbackClosed }

// HeldBy reports whether the user holds the request's claim and its lease
// has not run out.
func (c Callback) HeldBy(userID int64, now time.Time) bool {
	return c.Status == CallbackClaimed && c.ClaimedBy == userID && userID != 0 && now.Before(c.LeaseExpiresAt)
}

// Missed reports whether the first-attempt target was missed.
func (c Callback) Missed(now time.Time) bool {
	if !c.FirstAttemptAt.IsZero() {
		return c.FirstAttemptAt.After(c.DueAt)
	}
	end := now
	if !c.Open() {
		end = c.ClosedAt
	}
	return end.After(c.DueAt)
}

// CallbackInput is a request as submitted.
type CallbackInput struct {
	Name             string
	Phone            string // as typed; parsed to E.164 (UK by default)
	Reason           string
	SafeNow          bool
	PreferredFrom    time.Time
	PreferredTo      time.Time
	ConsentCall      bool
	ConsentVoicemail bool
	PatientID        int64 // staff only (or the signed-in patient themself)
}

// Limits on what a request may hold.
const (
	callbackNameMax   = 100
	callbackReasonMax = 2000
	callbackNoteMax   = 2000
	// A merged request keeps each later reason, up to this many characters.
	callbackReasonTotalMax = 8000
	// The preferred window must start within this long of the request.
	callbackWindowAhead = 8 * 24 * time.Hour
)

// callbackCleanText trims s and drops control characters other than newlines and
// tabs, and invalid UTF-8.
func callbackCleanText(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// NormalizeCallback checks a submitted request at now and returns it
// cleaned, with the phone number parsed; the error names each bad field.
func NormalizeCallback(in CallbackInput, now time.Time) (CallbackInput, phone.Number, error) {
	f := map[string]string{}
	in.Name = callbackCleanText(in.Name)
	in.Reason = callbackCleanText(in.Reason)
	switch {
	case in.Name == "":
		f["name"] = "Enter your name, or the name we should ask for."
	case utf8.RuneCountInString(in.Name) > callbackNameMax:
		f["name"] = fmt.Sprintf("Name must be %d characters or fewer.", callbackNameMax)
	}
	num, err := phone.Parse(in.Phone, phone.DefaultRegion)
	if err != nil {
		var pe phone.Error
		if errors.As(err, &pe) {
			f["phone"] = pe.Message + "."
		} else {
			f["phone"] = phone.ErrInvalid.Message + "."
		}
	}
	if utf8.RuneCountInString(in.Reason) > callbackReasonMax {
		f["reason"] = fmt.Sprintf("Reason must be %d characters or fewer.", callbackReasonMax)
	}
	if !in.ConsentCall {
		f["consent"] = "Tick the box to agree that a counsellor may call you. We can only call you back if you agree."
	}
	from, to := in.PreferredFrom, in.PreferredTo
	switch {
	case !from.IsZero() && !to.IsZero() && !to.After(from):
		f["preferredTo"] = "The end of the time to call must be after its start."
	case !to.IsZero() && !to.After(now):
		f["preferredTo"] = "The end of the time to call must be in the future."
	case !from.IsZero() && from.After(now.Add(callbackWindowAhead)):
		f["preferredFrom"] = "The time to call must start within the next week."
	case !from.IsZero() && from.Before(now.Add(-callbackWindowAhead)):
		f["preferredFrom"] = "The time to call must not start in the past."
	}
	if len(f) > 0 {
		return in, phone.Number{}, ketacare.FieldErrors(f)
	}
	if !from.IsZero() {
		in.PreferredFrom = from.UTC().Truncate(time.Second)
	}
	if !to.IsZero() {
		in.PreferredTo = to.UTC().Truncate(time.Second)
	}
	return in, num, nil
}

// CallbackTargets returns when the first attempt is due and from when the
// request may be offered to counsellors: urgent requests at once, due
// within the urgent target; standard requests within the standard target,
// or at the start of the preferred window when that is later.
func CallbackTargets(p clinical.CallbackProtocol, priority clinical.CallbackPriority, created, preferredFrom time.Time) (due, next time.Time) {
	if priority == clinical.CallbackUrgent {
		return created.Add(time.Duration(p.UrgentFirstAttemptMinutes) * time.Minute), created
	}
	due = created.Add(time.Duration(p.StandardFirstAttemptMinutes) * time.Minute)
	next = created
	if preferredFrom.After(created) {
		next = preferredFrom
		if preferredFrom.After(due) {
			due = preferredFrom
		}
	}
	return due, next
}

// SubmitGuard carries the abuse protection of a submission.
type SubmitGuard struct {
	// IdemKey is the scoped Idempotency-Key (for public callers, a hash of
	// the key and the caller's address); empty when none was given.
	IdemKey string
	// RequestHash identifies the request body, so that a key reused with
	// another body is refused.
	RequestHash string
	// NumberLimit is how many submissions a phone number may make per
	// NumberWindow; 0 means no limit.
	NumberLimit  int
	NumberWindow time.Duration
	// Respond renders the response body, stored with the submission and
	// replayed to a retry with the same key.
	Respond func(SubmitResult) ([]byte, error)
}

// SubmitResult is what a submission did.
type SubmitResult struct {
	Callback Callback        // the request as stored (after any merge)
	Triage   clinical.Triage // this submission's own triage
	Due      time.Time       // this submission's own first-attempt target
	Merged   bool            // merged into an open request from the same number
	Replayed bool            // a retry with the same Idempotency-Key: nothing was stored
	Body     []byte          // the stored response (Respond's result, or the replay)
	Protocol clinical.CallbackProtocol
	Input    CallbackInput // this submission, cleaned
	At       time.Time     // when it was stored
}

// ErrCallbackLimited is the one answer to both public limits (per address
// and per number): it never says which, nor whether a number is queued.
func ErrCallbackLimited() error {
	return ketacare.Errorf(ketacare.ETOOMANY, "We have had too many requests just now, so we could not take this one. "+
		"Please try again in a few minutes. If you need to talk to someone now, call Samaritans or one of the numbers on this page, "+
		"or 999 in an emergency.")
}

// HashForLimit hashes a value (a phone number, an address) that is kept
// only to count or match, never to read back.
func HashForLimit(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// SubmitCallback stores a callback request, or merges it into the open
// request from the same number, in one transaction with its audit entry,
// its submission record and the response for idempotent replays: nothing
// is ever half-stored. Triage sets the priority from the current protocol,
// whose version is recorded on the request.
func (db *DB) SubmitCallback(ctx context.Context, a ketacare.Actor, source string, in CallbackInput, g SubmitGuard) (SubmitResult, error) {
	var res SubmitResult
	err := db.Update(ctx, func(tx *Tx) error {
		res = SubmitResult{}
		if g.IdemKey != "" {
			var reqHash, body string
			err := tx.queryRow(ctx, "SELECT request_hash, response FROM callback_submissions WHERE idem_key = ?", g.IdemKey).Scan(&reqHash, &body)
			switch {
			case err == nil && reqHash != g.RequestHash:
				return ketacare.Errorf(ketacare.EUNPROCESSABLE, "This Idempotency-Key was used with a different request.")
			case err == nil:
				res.Replayed, res.Body = true, []byte(body)
				return nil
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		pv, err := tx.CurrentProtocol(ctx)
		if err != nil {
			return err
		}
		p := pv.Protocol.Callback
		res.Protocol = p
		norm, num, err := NormalizeCallback(in, tx.Now)
		if err != nil {
			return err
		}
		if norm.PatientID != 0 {
			if err := tx.checkCallbackPatient(ctx, a, norm.PatientID); err != nil {
				return err
			}
		}
		phoneHash := HashForLimit("phone", num.E164)
		if g.NumberLimit > 0 {
			var n int
			if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM callback_submissions WHERE phone_hash = ? AND created_at > ?",
				phoneHash, tx.Now.Add(-g.NumberWindow)).Scan(&n); err != nil {
				return err
			}
			if n >= g.NumberLimit {
				return deny(Event{Actor: a, Action: "callback.submit", Detail: "per-number limit"}, ErrCallbackLimited())
			}
		}
		res.Input, res.At = norm, tx.Now
		res.Triage = clinical.TriageCallback(p, norm.SafeNow, norm.Reason)
		res.Due, _ = CallbackTargets(p, res.Triage.Priority, tx.Now, norm.PreferredFrom)
		c, merged, err := tx.insertOrMergeCallback(ctx, a, source, norm, num.E164, res.Triage, pv.Version, p)
		if err != nil {
			return err
		}
		res.Callback, res.Merged = c, merged
		if g.Respond != nil {
			if res.Body, err = g.Respond(res); err != nil {
				return err
			}
		}
		var key any
		if g.IdemKey != "" {
			key = g.IdemKey
		}
		inserted, err := tx.exec(ctx, `INSERT INTO callback_submissions (request_id, source, phone_hash, idem_key, request_hash, response, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idem_key) DO NOTHING`,
			c.ID, source, phoneHash, key, g.RequestHash, string(res.Body), tx.Now)
		if err != nil {
			return fmt.Errorf("recording submission: %w", err)
		}
		if n, _ := inserted.RowsAffected(); n == 0 {
			// The same key was used concurrently and that request won: undo
			// this one and let the caller retry, which replays it.
			return ketacare.Errorf(ketacare.ECONFLICT, "A request with this Idempotency-Key is in progress; retry shortly.")
		}
		action, detail := "callback.submit", fmt.Sprintf("request %d %s via %s", c.ID, res.Triage.Priority, source)
		if merged {
			action = "callback.merge"
		}
		return tx.Audit(ctx, Event{Actor: a, Action: action, PatientID: c.PatientID, Detail: detail})
	})
	if err != nil && ketacare.ErrorCode(err) == ketacare.ECONFLICT && g.IdemKey != "" {
		// A concurrent twin with the same key committed first: replay it.
		var body, reqHash string
		if qerr := db.View(ctx, func(tx *Tx) error {
			return tx.queryRow(ctx, "SELECT request_hash, response FROM callback_submissions WHERE idem_key = ?", g.IdemKey).Scan(&reqHash, &body)
		}); qerr == nil {
			if reqHash != g.RequestHash {
				return SubmitResult{}, ketacare.Errorf(ketacare.EUNPROCESSABLE, "This Idempotency-Key was used with a different request.")
			}
			return SubmitResult{Replayed: true, Body: []byte(body)}, nil
		}
	}
	return res, db.recordDenied(ctx, err)
}

// checkCallbackPatient allows a patient link only to the patient themself
// or to staff of the patient's clinic.
func (tx *Tx) checkCallbackPatient(ctx context.Context, a ketacare.Actor, patientID int64) error {
	refuse := &ketacare.Error{Code: ketacare.EINVALID, Message: "Some fields need correcting.",
		Fields: map[string]string{"patientId": "No patient with this id that you may link to."}}
	if a.Role == ketacare.RolePatient {
		if a.PatientID == patientID {
			return nil
		}
		return refuse
	}
	if a.UserID == 0 || !a.Role.Valid() {
		return &ketacare.Error{Code: ketacare.EINVALID, Message: "Some fields need correcting.",
			Fields: map[string]string{"patientId": "Only staff may link a request to a patient."}}
	}
	var clinic int64
	err := tx.queryRow(ctx, "SELECT clinic_id FROM patients WHERE id = ?", patientID).Scan(&clinic)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.InClinic(clinic)) {
		return refuse
	}
	return err
}

// callbackRandomID is a positive id below 2^53 (exact in JSON numbers everywhere).
func callbackRandomID() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.BigEndian.Uint64(b[:])>>11) | 1<<40
}

// callbackRefAlphabet leaves out letters and digits that are easily confused
// when read over the phone (0/O, 1/I/L, 5/S, 8/B, 2/Z).
const callbackRefAlphabet = "ACDEFGHJKMNPQRTUVWXY34679"

func callbackRandomReference() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	out := []byte("KC-0000-0000")
	pos := []int{3, 4, 5, 6, 8, 9, 10, 11}
	for i, p := range pos {
		out[p] = callbackRefAlphabet[int(b[i])%len(callbackRefAlphabet)]
	}
	return string(out)
}

func callbackPriorityRank(p clinical.CallbackPriority) int {
	if p == clinical.CallbackUrgent {
		return 0
	}
	return 1
}

// insertOrMergeCallback adds a new request, or merges into the open one
// from the same number (the unique open_phone index decides, so two
// processes racing on the same number still end with one request).
func (tx *Tx) insertOrMergeCallback(ctx context.Context, a ketacare.Actor, source string, in CallbackInput, e164 string,
	t clinical.Triage, version int, p clinical.CallbackProtocol) (Callback, bool, error) {
	due, next := CallbackTargets(p, t.Priority, tx.Now, in.PreferredFrom)
	var patient any
	if in.PatientID != 0 {
		patient = in.PatientID
	}
	for try := 0; try < 5; try++ {
		id, ref := callbackRandomID(), callbackRandomReference()
		var taken int
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM callback_requests WHERE id = ? OR reference = ?", id, ref).Scan(&taken); err != nil {
			return Callback{}, false, err
		}
		if taken > 0 {
			continue
		}
		var got int64
		err := tx.queryRow(ctx, `INSERT INTO callback_requests (id, reference, name, phone, reason, safe_now, immediate_danger, matched_terms,
			priority, priority_rank, preferred_from, preferred_to, consent_call, consent_voicemail, patient_id, source, created_by,
			protocol_version, status, open_phone, due_at, next_attempt_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (open_phone) DO NOTHING RETURNING id`,
			id, ref, in.Name, e164, in.Reason, in.SafeNow, t.ImmediateDanger, strings.Join(t.Matched, "|"),
			string(t.Priority), callbackPriorityRank(t.Priority), callbackNullTime(in.PreferredFrom), callbackNullTime(in.PreferredTo), in.ConsentCall,
			in.ConsentVoicemail, patient, source, a.UserID, version, string(CallbackQueued), e164, due, next, tx.Now, tx.Now).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
			c, err := tx.mergeCallback(ctx, a, e164, in, t, p)
			return c, true, err
		}
		if err != nil {
			return Callback{}, false, fmt.Errorf("inserting callback request: %w", err)
		}
		if err := tx.callbackEvent(ctx, got, a, "submitted", fmt.Sprintf("%s via %s", t.Priority, source)); err != nil {
			return Callback{}, false, err
		}
		c, err := tx.callbackByID(ctx, got, false)
		return c, false, err
	}
	return Callback{}, false, errors.New("could not draw a free callback id and reference")
}

// mergeCallback folds a later submission into the open request from the
// same number: the priority only ever rises, an urgent submission brings
// the target forward and makes the request due now, a later submission
// without a preferred window drops the earlier window when that brings the
// call sooner, and the later reason is kept under the first.
func (tx *Tx) mergeCallback(ctx context.Context, a ketacare.Actor, e164 string, in CallbackInput, t clinical.Triage, p clinical.CallbackProtocol) (Callback, error) {
	lock := ""
	if tx.dialect == Postgres {
		lock = " FOR UPDATE"
	}
	var id int64
	if err := tx.queryRow(ctx, "SELECT id FROM callback_requests WHERE open_phone = ?"+lock, e164).Scan(&id); err != nil {
		return Callback{}, fmt.Errorf("finding the open request to merge into: %w", err)
	}
	c, err := tx.callbackByID(ctx, id, false)
	if err != nil {
		return c, err
	}
	reason := c.Reason
	if in.Reason != "" && !strings.Contains(reason, in.Reason) {
		add := "Later message (" + ukTime(tx.Now) + "): " + in.Reason
		if reason != "" {
			add = "\n\n" + add
		}
		if utf8.RuneCountInString(reason)+utf8.RuneCountInString(add) <= callbackReasonTotalMax {
			reason += add
		}
	}
	matched := slices.Clone(c.Matched)
	for _, m := range t.Matched {
		if !slices.Contains(matched, m) {
			matched = append(matched, m)
		}
	}
	priority, due, next := c.Priority, c.DueAt, c.NextAttemptAt
	from, to := c.PreferredFrom, c.PreferredTo
	if in.PreferredFrom.IsZero() && !from.IsZero() && c.FirstAttemptAt.IsZero() {
		// Asked again, with no time given: call as soon as the standard
		// target allows rather than wait for the earlier window.
		if soon := tx.Now.Add(time.Duration(p.StandardFirstAttemptMinutes) * time.Minute); soon.Before(due) {
			due, from, to = soon, time.Time{}, time.Time{}
			if next.After(tx.Now) {
				next = tx.Now
			}
		}
	}
	if t.Priority == clinical.CallbackUrgent {
		priority = clinical.CallbackUrgent
		if urgentDue := tx.Now.Add(time.Duration(p.UrgentFirstAttemptMinutes) * time.Minute); c.FirstAttemptAt.IsZero() && urgentDue.Before(due) {
			due = urgentDue
		}
		if next.After(tx.Now) {
			next = tx.Now
		}
	}
	patient := any(nil)
	if c.PatientID != 0 {
		patient = c.PatientID
	} else if in.PatientID != 0 {
		patient = in.PatientID
	}
	if _, err := tx.exec(ctx, `UPDATE callback_requests SET reason = ?, safe_now = ?, immediate_danger = ?, matched_terms = ?, priority = ?,
		priority_rank = ?, due_at = ?, next_attempt_at = ?, preferred_from = ?, preferred_to = ?, consent_voicemail = ?, patient_id = ?,
		merged = merged + 1, updated_at = ? WHERE id = ?`,
		reason, c.SafeNow && in.SafeNow, c.ImmediateDanger || t.ImmediateDanger, strings.Join(matched, "|"), string(priority),
		callbackPriorityRank(priority), due, next, callbackNullTime(from), callbackNullTime(to), c.ConsentVoicemail || in.ConsentVoicemail,
		patient, tx.Now, id); err != nil {
		return c, fmt.Errorf("merging callback request: %w", err)
	}
	if err := tx.callbackEvent(ctx, id, a, "merged", fmt.Sprintf("a later request from the same number (%s)", t.Priority)); err != nil {
		return c, err
	}
	return tx.callbackByID(ctx, id, false)
}

func callbackNullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

func (tx *Tx) callbackEvent(ctx context.Context, id int64, a ketacare.Actor, kind, detail string) error {
	_, err := tx.exec(ctx, "INSERT INTO callback_events (request_id, at, kind, user_id, email, detail) VALUES (?, ?, ?, ?, ?, ?)",
		id, tx.Now, kind, a.UserID, a.Email, detail)
	if err != nil {
		return fmt.Errorf("recording callback event: %w", err)
	}
	return nil
}

const callbackColumns = `id, reference, name, phone, reason, safe_now, immediate_danger, matched_terms, priority, preferred_from, preferred_to,
	consent_call, consent_voicemail, patient_id, source, created_by, protocol_version, status, due_at, next_attempt_at, attempts,
	first_attempt_at, last_attempt_at, claimed_by, claimed_by_email, lease_expires_at, merged, outcome, closed_at, breached_at,
	created_at, updated_at`

func scanCallback(s interface{ Scan(...any) error }) (Callback, error) {
	var c Callback
	var matched, priority, status string
	var from, to, first, last, lease, closed, breached sql.NullTime
	var patient, claimedBy sql.NullInt64
	err := s.Scan(&c.ID, &c.Reference, &c.Name, &c.Phone, &c.Reason, &c.SafeNow, &c.ImmediateDanger, &matched, &priority, &from, &to,
		&c.ConsentCall, &c.ConsentVoicemail, &patient, &c.Source, &c.CreatedBy, &c.ProtocolVersion, &status, &c.DueAt, &c.NextAttemptAt,
		&c.Attempts, &first, &last, &claimedBy, &c.ClaimedByEmail, &lease, &c.Merged, &c.Outcome, &closed, &breached,
		&c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		return c, err
	}
	c.Matched = []string{}
	if matched != "" {
		c.Matched = strings.Split(matched, "|")
	}
	c.Priority, c.Status = clinical.CallbackPriority(priority), CallbackStatus(status)
	c.PatientID, c.ClaimedBy = patient.Int64, claimedBy.Int64
	utc := func(n sql.NullTime) time.Time {
		if !n.Valid {
			return time.Time{}
		}
		return n.Time.UTC()
	}
	c.PreferredFrom, c.PreferredTo, c.FirstAttemptAt, c.LastAttemptAt = utc(from), utc(to), utc(first), utc(last)
	c.LeaseExpiresAt, c.ClosedAt, c.BreachedAt = utc(lease), utc(closed), utc(breached)
	c.DueAt, c.NextAttemptAt, c.CreatedAt, c.UpdatedAt = c.DueAt.UTC(), c.NextAttemptAt.UTC(), c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, nil
}

// callbackByID reads one request; with lock, the row is locked on
// PostgreSQL until the transaction ends (SQLite's single writer already
// serialises every change).
func (tx *Tx) callbackByID(ctx context.Context, id int64, lock bool) (Callback, error) {
	q := "SELECT " + callbackColumns + " FROM callback_requests WHERE id = ?"
	if lock && tx.dialect == Postgres {
		q += " FOR UPDATE"
	}
	c, err := scanCallback(tx.queryRow(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFound("Callback request")
	}
	return c, err
}

// callbackScope limits callback requests to those the actor may see. A
// request linked to a patient (asked for in a check-in, or linked by
// staff) carries what the patient's clinic knows of them (name, phone,
// the patient's own words), so only staff of that clinic see it; the rest
// of the queue is shared by every clinic's callback staff. Clinic ids are
// the actor's own numbers, written into the query as integers.
func callbackScope(a ketacare.Actor) string {
	if len(a.ClinicIDs) == 0 {
		return "patient_id IS NULL"
	}
	ids := make([]string, len(a.ClinicIDs))
	for i, c := range a.ClinicIDs {
		ids[i] = strconv.FormatInt(c, 10)
	}
	return "(patient_id IS NULL OR patient_id IN (SELECT id FROM patients WHERE clinic_id IN (" + strings.Join(ids, ", ") + ")))"
}

// callbackFor reads one request the actor may see (see callbackScope); a
// request linked to another clinic's patient is not found, as a missing one.
func (tx *Tx) callbackFor(ctx context.Context, a ketacare.Actor, id int64, lock bool) (Callback, error) {
	c, err := tx.callbackByID(ctx, id, lock)
	if err != nil || c.PatientID == 0 {
		return c, err
	}
	var clinic int64
	if err := tx.queryRow(ctx, "SELECT clinic_id FROM patients WHERE id = ?", c.PatientID).Scan(&clinic); err != nil {
		return c, err
	}
	if !a.InClinic(clinic) {
		return Callback{}, notFound("Callback request")
	}
	return c, nil
}

// ukTime is a moment as staff and callers read it: UK time, named so.
func ukTime(t time.Time) string { return t.In(FollowupLondon).Format("2 Jan 2006 15:04") + " UK time" }
