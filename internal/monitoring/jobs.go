package monitoring

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/hl7"
	"github.com/ketacare/ketacare/internal/live"
	"github.com/ketacare/ketacare/internal/store"
)

// Run does the monitoring's background work until ctx ends: it relays
// live events between processes sharing a PostgreSQL database, serves the
// MLLP listener opened by ListenMLLP, and every TickEvery calls Tick. The
// clock Tick reads is the database's (store.DB.Now), so tests control it.
func (s *Service) Run(ctx context.Context) {
	if t, err := s.db.LiveTransport(ctx); err != nil {
		s.log.Error("monitoring: live events stay in this process", "err", err)
	} else if t != nil {
		s.broker.UseTransport(ctx, t)
	}
	if s.mllp != nil {
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := s.mllp.Serve(s.mllpLn); err != nil && !errors.Is(err, hl7.ErrServerClosed) {
				s.log.Error("monitoring: MLLP listener stopped", "err", err)
			}
		}()
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			_ = s.mllp.Shutdown(sctx)
			<-done
		}()
	}
	t := time.NewTicker(s.tickD)
	defer t.Stop()
	for {
		if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("monitoring: background check", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// TickResult counts what one Tick did.
type TickResult struct {
	Raised, Cleared, Escalated int
	DutiesEnded                int
}

// Tick evaluates every live session at the current time (raising overdue
// observation reminders and clearing alerts whose condition has gone with
// time, such as NEWS2 readings leaving the window), ends the duties that
// have lasted the protocol's hours, and escalates every alert not
// acknowledged within the protocol's minutes to the clinic's prescribers.
// Several processes may tick at once: each change is made once.
func (s *Service) Tick(ctx context.Context) error {
	_, err := s.TickCount(ctx)
	return err
}

// TickCount is Tick, saying what it did.
func (s *Service) TickCount(ctx context.Context) (TickResult, error) {
	var res TickResult
	var ids []int64
	var pv *store.ProtocolVersion
	if err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if pv, err = s.protocol(ctx, tx); err != nil {
			return err
		}
		ids, err = tx.LiveSessionIDs(ctx, 0)
		return err
	}); err != nil {
		return res, err
	}
	for _, id := range ids {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		r, c, err := s.evaluateSession(ctx, id, pv)
		if err != nil {
			s.log.Error("monitoring: evaluating session", "session", id, "err", err)
			continue
		}
		res.Raised += r
		res.Cleared += c
	}
	// Duties past the protocol's length end before this tick's
	// escalations choose whom to send to.
	ended, err := s.db.EndLongDuties(ctx, systemActor, pv.Protocol.Monitoring.Alerts.DutyHours)
	if err != nil {
		s.log.Error("monitoring: ending long duties", "err", err)
	}
	for _, d := range ended {
		s.publish([]live.Event{s.event(EventDuty, d.ClinicID, 0, DutyEvent{ClinicID: d.ClinicID, UserID: d.UserID, OnDuty: false})})
	}
	res.DutiesEnded = len(ended)
	n, err := s.escalate(ctx)
	res.Escalated = n
	return res, err
}

// evaluateSession applies the alert rules to a session at the current
// time, writing only when an alert is to be raised or cleared. pv, the
// protocol version read at the start of the tick, decides on the state
// kept in memory whether anything is to change; the change itself reads
// the protocol again in its transaction.
func (s *Service) evaluateSession(ctx context.Context, id int64, pv *store.ProtocolVersion) (raised, cleared int, err error) {
	e := s.entry(id)
	e.mu.Lock()
	defer e.mu.Unlock()
	if st := e.state.Load(); st != nil && s.useCache {
		mp := &pv.Protocol.Monitoring
		cs := st.clinicalState(mp, s.db.Now().UTC())
		r, c := st.diff(clinical.EvaluateAlerts(mp, &cs))
		if len(r) == 0 && len(c) == 0 {
			return 0, 0, nil
		}
	}
	var next *sessionState
	var events []live.Event
	err = s.db.UpdateGrouped(ctx, func(tx *store.Tx) error {
		events = events[:0]
		pv, err := s.protocol(ctx, tx)
		if err != nil {
			return err
		}
		st, err := s.state(ctx, tx, e, access{actor: systemActor, system: true}, id, "")
		if err != nil {
			return err
		}
		if !st.session.Live() {
			return nil
		}
		next = st.clone()
		mp := &pv.Protocol.Monitoring
		cs := next.clinicalState(mp, tx.Now)
		next.news2 = cs.NEWS2
		r, c, err := s.sync(ctx, tx, systemActor, next, clinical.EvaluateAlerts(mp, &cs), 0, pv.Version)
		if err != nil {
			return err
		}
		raised, cleared = len(r), len(c)
		events = s.alertEvents(next, r, c)
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	if next != nil {
		s.keep(e, next)
	}
	s.publish(events)
	return raised, cleared, nil
}

// escalate escalates the alerts due for it.
func (s *Service) escalate(ctx context.Context) (int, error) {
	var due []store.Alert
	var pv *store.ProtocolVersion
	now := s.db.Now().UTC()
	if err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if pv, err = s.protocol(ctx, tx); err != nil {
			return err
		}
		after := time.Duration(pv.Protocol.Monitoring.Alerts.EscalateAfterMinutes) * time.Minute
		due, err = tx.AlertsDueForEscalation(ctx, now.Add(-after))
		return err
	}); err != nil {
		return 0, err
	}
	n := 0
	for _, al := range due {
		if !clinical.EscalationDue(pv.Protocol.Monitoring, al.Tier, al.RaisedAt, now) {
			continue
		}
		ok, err := s.escalateOne(ctx, al)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

func (s *Service) escalateOne(ctx context.Context, al store.Alert) (bool, error) {
	e := s.entry(al.SessionID)
	e.mu.Lock()
	defer e.mu.Unlock()
	var done bool
	var name string
	err := s.db.UpdateGrouped(ctx, func(tx *store.Tx) error {
		_, p, err := tx.SessionForSystem(ctx, al.SessionID)
		if err != nil {
			return err
		}
		name = p.GivenName + " " + p.FamilyName
		all, err := tx.ClinicPrescribers(ctx, al.ClinicID)
		if err != nil {
			return err
		}
		// The prescribers on duty, or every prescriber when none is.
		prescribers, onDuty := store.EscalationTargets(all)
		var names []string
		for _, p := range prescribers {
			names = append(names, p.Name)
		}
		if done, err = tx.EscalateAlert(ctx, systemActor, &al, names, onDuty); err != nil || !done {
			return err
		}
		// Each of them is also emailed, and texted when they have a
		// mobile, in case no board is open: the messages are queued with
		// the escalation, so they go if and only if it is recorded.
		for _, p := range prescribers {
			if _, err := tx.EnqueueEmail(ctx, s.escalationEmail(p, al)); err != nil {
				return err
			}
			if p.Mobile == "" {
				continue
			}
			if _, err := tx.EnqueueText(ctx, s.escalationText(p, al)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || !done {
		return false, err
	}
	if st := e.state.Load(); st != nil {
		if _, ok := st.alerts[al.ID]; ok {
			next := st.clone()
			next.changeAlerts(func(m map[int64]store.Alert) { m[al.ID] = al })
			e.state.Store(next)
		}
	}
	s.publish([]live.Event{s.event(EventAlertEscalated, al.ClinicID, al.SessionID, AlertEvent{Alert: al, PatientName: name})})
	return true, nil
}

// escalationEmail tells a prescriber that an alert is waiting for them. It
// names no patient and no clinical detail (email is not a safe place for
// them): it says where to look.
func (s *Service) escalationEmail(p store.Prescriber, al store.Alert) store.NewEmail {
	where := "Open the live board in ketacare."
	if s.baseURL != "" {
		where = "Open the live board: " + strings.TrimRight(s.baseURL, "/") + "/board"
	}
	body := fmt.Sprintf("Dear %s,\n\nAn alert in a dosing session at your clinic was not acknowledged in time and has been escalated to you.\n\n%s\n\n"+
		"This email holds no patient details: ketacare shows them once you sign in.\n", p.Name, where)
	return store.NewEmail{To: p.Email, Subject: "ketacare: an alert is waiting for you", Body: body,
		Ref: fmt.Sprintf("escalation:%d", al.ID), PatientID: al.PatientID}
}

// escalationText is the text message of an escalation: like the email, no
// patient and no clinical detail, only where to look.
func (s *Service) escalationText(p store.Prescriber, al store.Alert) store.NewText {
	where := "Open the live board in ketacare."
	if s.baseURL != "" {
		where = "Open the live board: " + strings.TrimRight(s.baseURL, "/") + "/board"
	}
	return store.NewText{To: p.Mobile, Body: "ketacare: an alert in a dosing session at your clinic was not acknowledged in time and is escalated to you. " + where,
		Ref: fmt.Sprintf("escalation:%d", al.ID), PatientID: al.PatientID}
}
