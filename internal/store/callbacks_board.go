package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
)

// callbackSystem is the actor of the background check in the audit log.
var callbackSystem = ketacare.Actor{Email: "system:callback-check"}

// CallbackSweep is what one background check did.
type CallbackSweep struct {
	LeasesExpired int     // claims whose lease ran out, returned to the queue
	Breached      []int64 // requests found past their first-attempt target
}

// SweepCallbacks returns requests whose lease ran out to the queue and
// escalates every open request past its first-attempt target to the
// on-call lead (once per request). Several processes may run it at once:
// each change is a conditional UPDATE, and an escalation is unique per
// request.
func (db *DB) SweepCallbacks(ctx context.Context) (CallbackSweep, error) {
	var sw CallbackSweep
	err := db.Update(ctx, func(tx *Tx) error {
		sw = CallbackSweep{}
		type expired struct {
			id    int64
			email string
		}
		var gone []expired
		rows, err := tx.query(ctx, `UPDATE callback_requests SET status = 'queued', claimed_by = NULL, claimed_by_email = '', lease_expires_at = NULL,
			updated_at = ? WHERE status = 'claimed' AND lease_expires_at <= ? RETURNING id, claimed_by_email`, tx.Now, tx.Now)
		if err != nil {
			return fmt.Errorf("returning expired claims: %w", err)
		}
		for rows.Next() {
			var e expired
			if err := rows.Scan(&e.id, &e.email); err != nil {
				rows.Close()
				return err
			}
			gone = append(gone, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// RETURNING gives the new (empty) holder on PostgreSQL and SQLite
		// alike, so the event names the request only.
		for _, e := range gone {
			if err := tx.callbackEvent(ctx, e.id, callbackSystem, "lease_expired", "returned to the queue"); err != nil {
				return err
			}
		}
		sw.LeasesExpired = len(gone)

		rows, err = tx.query(ctx, `UPDATE callback_requests SET breached_at = ? WHERE breached_at IS NULL AND status <> 'closed'
			AND first_attempt_at IS NULL AND due_at < ? RETURNING id, due_at`, tx.Now, tx.Now)
		if err != nil {
			return fmt.Errorf("finding missed targets: %w", err)
		}
		type breach struct {
			id  int64
			due time.Time
		}
		var bs []breach
		for rows.Next() {
			var b breach
			if err := rows.Scan(&b.id, &b.due); err != nil {
				rows.Close()
				return err
			}
			bs = append(bs, b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, b := range bs {
			if _, err := tx.exec(ctx, `INSERT INTO callback_escalations (request_id, kind, due_at, detected_at) VALUES (?, 'first_attempt', ?, ?)
				ON CONFLICT (request_id, kind) DO NOTHING`, b.id, b.due, tx.Now); err != nil {
				return fmt.Errorf("escalating: %w", err)
			}
			if err := tx.callbackEvent(ctx, b.id, callbackSystem, "target_missed", "first attempt was due "+ukTime(b.due)+"; on-call lead alerted"); err != nil {
				return err
			}
			sw.Breached = append(sw.Breached, b.id)
		}
		if len(gone) == 0 && len(bs) == 0 {
			return nil
		}
		return tx.Audit(ctx, Event{Actor: callbackSystem, Action: "callback.sweep",
			Detail: fmt.Sprintf("%d leases expired, %d targets missed", len(gone), len(bs))})
	})
	return sw, err
}

// CallbackEscalation is a missed target shown to the on-call lead.
type CallbackEscalation struct {
	ID                int64                     `json:"id"`
	RequestID         int64                     `json:"requestId"`
	Reference         string                    `json:"reference"`
	Priority          clinical.CallbackPriority `json:"priority"`
	Status            CallbackStatus            `json:"status"`
	DueAt             time.Time                 `json:"dueAt"`
	DetectedAt        time.Time                 `json:"detectedAt"`
	AcknowledgedAt    time.Time                 `json:"acknowledgedAt"`
	AcknowledgedEmail string                    `json:"acknowledgedBy,omitempty"`
}

// AcknowledgeEscalation records that the on-call lead has seen a missed
// target; it leaves the lead's board.
func (db *DB) AcknowledgeEscalation(ctx context.Context, a ketacare.Actor, id int64) error {
	return db.Update(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE callback_escalations SET acknowledged_at = ?, acknowledged_by = ?, acknowledged_email = ?
			WHERE id = ? AND acknowledged_at IS NULL`, tx.Now, a.UserID, a.Email, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("Open escalation")
		}
		var req int64
		if err := tx.queryRow(ctx, "SELECT request_id FROM callback_escalations WHERE id = ?", id).Scan(&req); err != nil {
			return err
		}
		if err := tx.callbackEvent(ctx, req, a, "escalation_acknowledged", ""); err != nil {
			return err
		}
		return tx.Audit(ctx, Event{Actor: a, Action: "callback.escalation.acknowledge", Detail: fmt.Sprintf("escalation %d request %d", id, req)})
	})
}

// PriorityStats is the time to first attempt of one priority in a window.
type PriorityStats struct {
	Priority      clinical.CallbackPriority `json:"priority"`
	TargetMinutes int                       `json:"targetMinutes"`
	Requests      int                       `json:"requests"`  // made in the window
	Attempted     int                       `json:"attempted"` // of which had a first attempt
	Missed        int                       `json:"missed"`    // of which missed the first-attempt target
	// Median and P90 of the time from request to first attempt, over the
	// attempted requests (nearest-rank percentiles); zero when none.
	Median time.Duration `json:"medianSeconds"`
	P90    time.Duration `json:"p90Seconds"`
}

// OutcomeCount is how many requests closed with an outcome.
type OutcomeCount struct {
	Outcome string `json:"outcome"`
	Label   string `json:"label"`
	Count   int    `json:"count"`
}

// CallbackWindow is the service level over one period (24 hours, 7 days).
type CallbackWindow struct {
	Label      string          `json:"label"`
	Since      time.Time       `json:"since"`
	ByPriority []PriorityStats `json:"byPriority"`
	Missed     int             `json:"missed"`
	Outcomes   []OutcomeCount  `json:"outcomes"` // of requests closed in the window
}

// CallbackStats is the supervisor's view of the service.
type CallbackStats struct {
	Now           time.Time                `json:"now"`
	Queued        int                      `json:"queued"`        // waiting (due now or later)
	DueNow        int                      `json:"dueNow"`        // waiting and due now
	Claimed       int                      `json:"claimed"`       // held by a counsellor
	UrgentOpen    int                      `json:"urgentOpen"`    // open urgent requests
	OverdueOpen   int                      `json:"overdueOpen"`   // open, never attempted, past target
	Windows       []CallbackWindow         `json:"windows"`       // last 24 hours, last 7 days
	Escalations   []CallbackEscalation     `json:"escalations"`   // missed targets not yet acknowledged
	StaleContacts []clinical.CrisisContact `json:"staleContacts"` // crisis numbers due for re-verification
}

// callbackPercentile is the nearest-rank callbackPercentile of sorted durations.
func callbackPercentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(float64(len(sorted))*p + 0.999999999)
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

// CallbackStats computes the supervisor view at the database's clock,
// audited as one read.
func (db *DB) CallbackStats(ctx context.Context, a ketacare.Actor) (CallbackStats, error) {
	var st CallbackStats
	err := db.Update(ctx, func(tx *Tx) error {
		now := tx.Now
		st = CallbackStats{Now: now, Windows: []CallbackWindow{}, Escalations: []CallbackEscalation{}}
		pv, err := tx.CurrentProtocol(ctx)
		if err != nil {
			return err
		}
		p := pv.Protocol.Callback
		st.StaleContacts = p.StaleContacts(now)
		if st.StaleContacts == nil {
			st.StaleContacts = []clinical.CrisisContact{}
		}
		type row struct {
			priority           clinical.CallbackPriority
			status             CallbackStatus
			created, due       time.Time
			first, closed      time.Time
			outcome            string
			nextAttempt, lease time.Time
		}
		since := now.Add(-7 * 24 * time.Hour)
		rows, err := tx.query(ctx, `SELECT `+callbackColumns+` FROM callback_requests WHERE status <> 'closed' OR created_at >= ? OR closed_at >= ?`, since, since)
		if err != nil {
			return err
		}
		var all []Callback
		for rows.Next() {
			c, err := scanCallback(rows)
			if err != nil {
				rows.Close()
				return err
			}
			all = append(all, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, c := range all {
			switch c.Status {
			case CallbackQueued:
				st.Queued++
				if !c.NextAttemptAt.After(now) {
					st.DueNow++
				}
			case CallbackClaimed:
				st.Claimed++
			}
			if c.Open() && c.Priority == clinical.CallbackUrgent {
				st.UrgentOpen++
			}
			if c.Open() && c.FirstAttemptAt.IsZero() && now.After(c.DueAt) {
				st.OverdueOpen++
			}
		}
		for _, w := range []struct {
			label string
			d     time.Duration
		}{{"Last 24 hours", 24 * time.Hour}, {"Last 7 days", 7 * 24 * time.Hour}} {
			win := CallbackWindow{Label: w.label, Since: now.Add(-w.d), Outcomes: []OutcomeCount{}}
			counts := map[string]int{}
			for _, pr := range []clinical.CallbackPriority{clinical.CallbackUrgent, clinical.CallbackStandard} {
				ps := PriorityStats{Priority: pr, TargetMinutes: p.StandardFirstAttemptMinutes}
				if pr == clinical.CallbackUrgent {
					ps.TargetMinutes = p.UrgentFirstAttemptMinutes
				}
				var times []time.Duration
				for _, c := range all {
					if c.Priority != pr || c.CreatedAt.Before(win.Since) {
						continue
					}
					ps.Requests++
					if !c.FirstAttemptAt.IsZero() {
						ps.Attempted++
						times = append(times, c.FirstAttemptAt.Sub(c.CreatedAt))
					}
					if c.Missed(now) {
						ps.Missed++
					}
				}
				slices.Sort(times)
				ps.Median, ps.P90 = callbackPercentile(times, 0.5), callbackPercentile(times, 0.9)
				win.Missed += ps.Missed
				win.ByPriority = append(win.ByPriority, ps)
			}
			for _, c := range all {
				if c.Status == CallbackClosed && !c.ClosedAt.Before(win.Since) {
					counts[c.Outcome]++
				}
			}
			for code, n := range counts {
				win.Outcomes = append(win.Outcomes, OutcomeCount{Outcome: code, Label: OutcomeLabel(code), Count: n})
			}
			sort.Slice(win.Outcomes, func(i, j int) bool {
				if win.Outcomes[i].Count != win.Outcomes[j].Count {
					return win.Outcomes[i].Count > win.Outcomes[j].Count
				}
				return win.Outcomes[i].Outcome < win.Outcomes[j].Outcome
			})
			st.Windows = append(st.Windows, win)
		}
		erows, err := tx.query(ctx, `SELECT e.id, e.request_id, r.reference, r.priority, r.status, e.due_at, e.detected_at
			FROM callback_escalations e JOIN callback_requests r ON r.id = e.request_id
			WHERE e.acknowledged_at IS NULL ORDER BY e.detected_at, e.id`)
		if err != nil {
			return err
		}
		for erows.Next() {
			var e CallbackEscalation
			var pr, status string
			if err := erows.Scan(&e.ID, &e.RequestID, &e.Reference, &pr, &status, &e.DueAt, &e.DetectedAt); err != nil {
				erows.Close()
				return err
			}
			e.Priority, e.Status, e.DueAt, e.DetectedAt = clinical.CallbackPriority(pr), CallbackStatus(status), e.DueAt.UTC(), e.DetectedAt.UTC()
			st.Escalations = append(st.Escalations, e)
		}
		erows.Close()
		if err := erows.Err(); err != nil {
			return err
		}
		return tx.Audit(ctx, Event{Actor: a, Action: "callback.stats"})
	})
	return st, err
}

// CallbackFormKey returns the key that signs the public form's start time,
// creating it on first use. It is stored in the database so that every
// server process behind a load balancer accepts the others' forms.
func (db *DB) CallbackFormKey(ctx context.Context) ([]byte, error) {
	var secret string
	err := db.Update(ctx, func(tx *Tx) error {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		if _, err := tx.exec(ctx, "INSERT INTO callback_secrets (name, secret, created_at) VALUES ('form', ?, ?) ON CONFLICT (name) DO NOTHING",
			hex.EncodeToString(b), tx.Now); err != nil {
			return err
		}
		return tx.queryRow(ctx, "SELECT secret FROM callback_secrets WHERE name = 'form'").Scan(&secret)
	})
	if err != nil {
		return nil, fmt.Errorf("callback form key: %w", err)
	}
	return hex.DecodeString(secret)
}
