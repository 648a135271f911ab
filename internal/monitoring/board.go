package monitoring

import (
	"context"
	"slices"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/live"
	"github.com/ketacare/ketacare/internal/store"
)

// Reading is a latest value on the board, with its trend against the
// value before it: "up", "down", "same", or "" when there is none before.
type Reading struct {
	Value float64   `json:"value"`
	At    time.Time `json:"at"`
	Trend string    `json:"trend,omitempty"`
	Set   bool      `json:"set"`
}

// BoardRow is one session in progress on the clinic's live board.
type BoardRow struct {
	SessionID   int64          `json:"sessionId"`
	PatientID   int64          `json:"patientId"`
	PatientName string         `json:"patientName"`
	Drug        string         `json:"drug"`
	Route       clinical.Route `json:"route"`
	DoseMg      float64        `json:"doseMg"`
	Status      string         `json:"status"`
	DoseAt      *time.Time     `json:"doseAt"`
	// MinutesSinceDose is -1 before the dose.
	MinutesSinceDose int                   `json:"minutesSinceDose"`
	Readings         map[string]Reading    `json:"readings"`
	NEWS2            *clinical.NEWS2Result `json:"news2"`
	Alerts           []store.Alert         `json:"alerts"`
	// Tier is the most urgent tier among the outstanding alerts, "" when
	// there is none.
	Tier    clinical.AlertTier `json:"tier,omitempty"`
	NextDue *time.Time         `json:"nextDue"`
	Overdue bool               `json:"overdue"`
}

// Board is a clinic's live board.
type Board struct {
	ClinicID int64      `json:"clinicId"`
	Now      time.Time  `json:"now"`
	Rows     []BoardRow `json:"rows"`
	Protocol int        `json:"protocolVersion"`
	// OnDuty are the prescribers on duty, to whom unacknowledged alerts are
	// escalated; when it is empty they go to every prescriber of the clinic.
	OnDuty []store.OnDuty `json:"onDuty"`
}

var tierRank = map[clinical.AlertTier]int{clinical.TierInfo: 1, clinical.TierWarning: 2, clinical.TierCritical: 3, clinical.TierEmergency: 4}

// Board returns the live board of a clinic the actor works in (another
// clinic is not found): every session in progress, the most urgent first.
// Reading it is audited once.
func (s *Service) Board(ctx context.Context, a ketacare.Actor, clinicID int64) (Board, error) {
	b := Board{ClinicID: clinicID, Rows: []BoardRow{}}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		sessions, patients, err := tx.LiveSessionsOfClinic(ctx, a, clinicID)
		if err != nil {
			return err
		}
		pv, err := s.protocol(ctx, tx)
		if err != nil {
			return err
		}
		b.Now, b.Protocol = tx.Now, pv.Version
		if b.OnDuty, err = tx.ClinicOnDuty(ctx, clinicID, pv.Protocol.Monitoring.Alerts.DutyHours); err != nil {
			return err
		}
		if b.OnDuty == nil {
			b.OnDuty = []store.OnDuty{}
		}
		mp := pv.Protocol.Monitoring
		for _, sess := range sessions {
			var st *sessionState
			if s.useCache {
				st = s.entry(sess.ID).state.Load()
			}
			if st == nil {
				if st, err = s.loadState(ctx, tx, sess, patients[sess.PatientID]); err != nil {
					return err
				}
			}
			b.Rows = append(b.Rows, boardRow(mp, st, tx.Now))
		}
		return nil
	})
	if err != nil {
		return b, s.denied(ctx, err)
	}
	slices.SortStableFunc(b.Rows, func(x, y BoardRow) int { return tierRank[y.Tier] - tierRank[x.Tier] })
	return b, nil
}

func boardRow(mp clinical.MonitoringProtocol, st *sessionState, now time.Time) BoardRow {
	sess := st.session
	r := BoardRow{SessionID: sess.ID, PatientID: sess.PatientID, PatientName: st.patient.GivenName + " " + st.patient.FamilyName,
		Drug: sess.Drug, Route: sess.Route, DoseMg: sess.DoseMg, Status: sess.Status, DoseAt: sess.DoseAt, MinutesSinceDose: -1,
		Readings: map[string]Reading{}, Alerts: st.outstanding()}
	if sess.DoseAt != nil {
		r.MinutesSinceDose = int(now.Sub(*sess.DoseAt) / time.Minute)
		if due, ok := clinical.NextObservationDue(mp, sess.Route, *sess.DoseAt, st.lastScheduledAt(now)); ok {
			r.NextDue = &due
			_, r.Overdue = clinical.ObservationOverdue(mp, sess.Route, *sess.DoseAt, st.lastScheduledAt(now), now)
		}
	}
	for i, t := range st.trend {
		if !t.hasCur {
			continue
		}
		name := trendNames[i]
		rd := Reading{Value: t.cur, At: t.curAt, Set: t.hasCur}
		if t.hasPrev {
			switch {
			case t.cur > t.prev:
				rd.Trend = "up"
			case t.cur < t.prev:
				rd.Trend = "down"
			default:
				rd.Trend = "same"
			}
		}
		r.Readings[name] = rd
	}
	if n, ok := clinical.SessionNEWS2(mp, plain(st.obs), now, sess.SpO2Scale2); ok {
		r.NEWS2 = &n
	}
	for _, a := range r.Alerts {
		if tierRank[a.Tier] > tierRank[r.Tier] && a.Outstanding() {
			r.Tier = a.Tier
		}
	}
	return r
}

// DutyEvent tells a clinic's boards that a prescriber went on or off duty.
type DutyEvent struct {
	ClinicID int64 `json:"clinicId"`
	UserID   int64 `json:"userId"`
	OnDuty   bool  `json:"onDuty"`
}

// SetOnDuty puts a prescriber on duty in a clinic or takes them off it (see
// store.DB.SetOnDuty), and tells the clinic's open boards.
func (s *Service) SetOnDuty(ctx context.Context, a ketacare.Actor, clinicID, userID int64, on bool) error {
	if err := s.db.SetOnDuty(ctx, a, clinicID, userID, on); err != nil {
		return err
	}
	s.publish([]live.Event{s.event(EventDuty, clinicID, 0, DutyEvent{ClinicID: clinicID, UserID: userID, OnDuty: on})})
	return nil
}
