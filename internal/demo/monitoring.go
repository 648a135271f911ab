package demo

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/live"
	"github.com/ketacare/ketacare/internal/monitoring"
	"github.com/ketacare/ketacare/internal/store"
)

// demoActor is a demo staff account as an actor.
func demoActor(ctx context.Context, db *store.DB, email string) (ketacare.Actor, error) {
	u, _, err := db.UserByEmail(ctx, email)
	if err != nil {
		return ketacare.Actor{}, fmt.Errorf("demo account %s: %w", email, err)
	}
	return ketacare.Actor{UserID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, ClinicIDs: u.ClinicIDs, ClientAddr: "demo"}, nil
}

// reading is one scripted observation.
type reading struct {
	min                int // minutes after the dose; negative before it
	sys, dia, pulse    int
	spo2, resp, anx, m int
	signs, measures    []string
}

func (r reading) observation(at time.Time) clinical.Observation {
	return clinical.Observation{At: at, Systolic: new(r.sys), Diastolic: new(r.dia), Pulse: new(r.pulse), SpO2: new(r.spo2),
		RespRate: new(r.resp), TempC: new(36.8), Anxiety: new(r.anx), MOAAS: new(r.m), Consciousness: "A", OnOxygen: new(false),
		Signs: r.signs, Measures: r.measures}
}

// completed sessions of the demo: Alex's esketamine session three days
// ago, with the blood pressure peak around +40 min; Jordan's IM session a
// week ago, with an anxiety rise eased by reassurance and music.
var (
	alexSession = []reading{
		{min: -10, sys: 124, dia: 80, pulse: 76, spo2: 98, resp: 14, anx: 3, m: 5},
		{min: 40, sys: 152, dia: 94, pulse: 84, spo2: 97, resp: 15, anx: 4, m: 4},
		{min: 80, sys: 138, dia: 86, pulse: 80, spo2: 98, resp: 14, anx: 3, m: 5},
		{min: 120, sys: 128, dia: 82, pulse: 76, spo2: 98, resp: 14, anx: 3, m: 5},
	}
	jordanSession = []reading{
		{min: -10, sys: 118, dia: 76, pulse: 70, spo2: 99, resp: 13, anx: 2, m: 5},
		{min: 15, sys: 134, dia: 84, pulse: 88, spo2: 98, resp: 16, anx: 6, m: 4, signs: []string{clinical.SignRestlessness, clinical.SignRacingHeart}},
		{min: 30, sys: 130, dia: 82, pulse: 84, spo2: 98, resp: 15, anx: 4, m: 4, measures: []string{clinical.MeasureReassurance, clinical.MeasureMusic}},
		{min: 45, sys: 124, dia: 80, pulse: 76, spo2: 98, resp: 14, anx: 3, m: 5},
		{min: 60, sys: 120, dia: 78, pulse: 72, spo2: 99, resp: 13, anx: 2, m: 5},
		{min: 65, sys: 120, dia: 77, pulse: 72, spo2: 99, resp: 13, anx: 2, m: 5},
	}
)

// loadMonitoring adds completed dosing sessions for the demo patients
// whose screening, consent and plan allow dosing. It runs before the
// server starts, moving the database clock back to when each session
// happened.
func loadMonitoring(ctx context.Context, db *store.DB, patientIDs []int64) error {
	if len(patientIDs) < 3 {
		return nil
	}
	nurse, err := demoActor(ctx, db, "nurse@demo.ketacare.test")
	if err != nil {
		return err
	}
	realNow := db.Now
	defer func() { db.Now = realNow }()
	mon := monitoring.New(db, live.NewBroker(nil), monitoring.Config{Logger: slog.New(slog.DiscardHandler), NoCache: true})
	for _, c := range []struct {
		patient int64
		ago     time.Duration
		script  []reading
	}{
		{patientIDs[0], 72 * time.Hour, alexSession},
		{patientIDs[2], 7 * 24 * time.Hour, jordanSession},
	} {
		dose := realNow().Add(-c.ago).UTC().Truncate(time.Minute)
		at := func(min int) time.Time { return dose.Add(time.Duration(min) * time.Minute) }
		db.Now = func() time.Time { return at(-15) }
		sess, err := mon.OpenSession(ctx, nurse, c.patient, monitoring.OpenInput{})
		if err != nil {
			return fmt.Errorf("demo session of patient %d: %w", c.patient, err)
		}
		for i, r := range c.script {
			if i == 1 {
				db.Now = func() time.Time { return dose }
				if _, err := mon.MarkDose(ctx, nurse, sess.ID, monitoring.DoseInput{At: &dose}); err != nil {
					return err
				}
			}
			db.Now = func() time.Time { return at(r.min) }
			res, err := mon.RecordObservation(ctx, nurse, sess.ID, monitoring.ObservationInput{Observation: r.observation(at(r.min)), Source: monitoring.SourceWeb})
			if err != nil {
				return fmt.Errorf("demo observation: %w", err)
			}
			db.Now = func() time.Time { return at(r.min + 2) }
			for _, a := range res.Raised {
				if a.Tier.NeedsAcknowledgement() {
					if _, err := mon.Acknowledge(ctx, nurse, a.ID); err != nil {
						return err
					}
				}
			}
		}
		last := c.script[len(c.script)-1].min
		db.Now = func() time.Time { return at(last + 3) }
		if _, err := mon.Discharge(ctx, nurse, sess.ID, monitoring.DischargeInput{EscortConfirmed: true, DrivingAdviceGiven: true,
			Reason: "Demo record."}); err != nil {
			return fmt.Errorf("demo discharge: %w", err)
		}
	}
	return nil
}

// liveScript is the simulated session in progress: a baseline, the dose,
// then an anxiety rise with a blood pressure climb (firing alerts), eased
// by supportive measures, and a settled patient.
var liveScript = []reading{
	{sys: 122, dia: 78, pulse: 72, spo2: 98, resp: 14, anx: 2, m: 5},
	{sys: 128, dia: 80, pulse: 76, spo2: 98, resp: 14, anx: 3, m: 5},
	{sys: 138, dia: 86, pulse: 84, spo2: 98, resp: 15, anx: 4, m: 4, signs: []string{clinical.SignRestlessness}},
	{sys: 150, dia: 92, pulse: 96, spo2: 97, resp: 17, anx: 6, m: 4, signs: []string{clinical.SignRestlessness, clinical.SignRacingHeart}},
	{sys: 164, dia: 98, pulse: 104, spo2: 97, resp: 18, anx: 8, m: 4, signs: []string{clinical.SignRacingHeart, clinical.SignIntrusiveThoughts}},
	{sys: 158, dia: 96, pulse: 98, spo2: 97, resp: 17, anx: 7, m: 4, measures: []string{clinical.MeasureReassurance, clinical.MeasureBreathing}},
	{sys: 146, dia: 90, pulse: 90, spo2: 98, resp: 16, anx: 5, m: 4, measures: []string{clinical.MeasureMusic, clinical.MeasureLightsDimmed}},
	{sys: 136, dia: 86, pulse: 82, spo2: 98, resp: 15, anx: 4, m: 5},
	{sys: 128, dia: 82, pulse: 76, spo2: 98, resp: 14, anx: 3, m: 5},
	{sys: 124, dia: 80, pulse: 74, spo2: 99, resp: 14, anx: 2, m: 5},
}

// SimulateEvery is how often the simulated session records an observation.
const SimulateEvery = 20 * time.Second

// Simulate keeps one dosing session of the demo clinic in progress until
// ctx ends: a patient (Jordan Reid, IM ketamine) observed every
// SimulateEvery, with an anxiety rise that fires alerts, a nurse who
// acknowledges them a little later, and, at the end of the script, a
// discharge and a new session. It goes through mon, so boards and session
// pages update live.
func Simulate(ctx context.Context, mon *monitoring.Service, log *slog.Logger) {
	if log == nil {
		log = slog.Default()
	}
	if err := simulate(ctx, mon, SimulateEvery); err != nil && ctx.Err() == nil {
		log.Error("demo simulation stopped", "err", err)
	}
}

func simulate(ctx context.Context, mon *monitoring.Service, every time.Duration) error {
	db := mon.DB()
	nurse, err := demoActor(ctx, db, "nurse@demo.ketacare.test")
	if err != nil {
		return err
	}
	var patient int64
	page, err := db.ListPatients(ctx, nurse, "Reid", 1, 0)
	if err != nil {
		return err
	}
	if len(page.Patients) == 0 {
		return fmt.Errorf("demo patient Jordan Reid not found")
	}
	patient = page.Patients[0].ID
	wait := func() bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(every):
			return true
		}
	}
	for ctx.Err() == nil {
		_, sessions, err := mon.SessionsOfPatient(ctx, nurse, patient)
		if err != nil {
			return err
		}
		var sess store.DosingSession
		if len(sessions) > 0 && sessions[0].Live() {
			sess = sessions[0]
		} else if sess, err = mon.OpenSession(ctx, nurse, patient, monitoring.OpenInput{}); err != nil {
			return err
		}
		for i, r := range liveScript {
			if i == 1 && sess.DoseAt == nil {
				if sess, err = mon.MarkDose(ctx, nurse, sess.ID, monitoring.DoseInput{}); err != nil {
					return err
				}
			}
			res, err := mon.RecordObservation(ctx, nurse, sess.ID, monitoring.ObservationInput{Observation: r.observation(time.Time{}), Source: monitoring.SourceWeb})
			if err != nil {
				return err
			}
			if !wait() {
				return nil
			}
			// The nurse acknowledges what fired a moment ago.
			for _, a := range res.Raised {
				if a.Tier.NeedsAcknowledgement() {
					if _, err := mon.Acknowledge(ctx, nurse, a.ID); err != nil {
						return err
					}
				}
			}
		}
		if _, err := mon.Discharge(ctx, nurse, sess.ID, monitoring.DischargeInput{EscortConfirmed: true, DrivingAdviceGiven: true,
			Reason: "Simulated session of the demo, compressed in time."}); err != nil {
			return err
		}
		if !wait() {
			return nil
		}
	}
	return nil
}
