package demo

import (
	"context"
	"fmt"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/store"
)

// demoCallers ask for callbacks. Numbers are from Ofcom's drama ranges.
var demoCallers = []struct {
	name, phone, reason string
	safe, voicemail     bool
}{
	{"Casey", "020 7946 0811", "I relapsed at the weekend and I'm scared to tell anyone.", true, true},
	{"Morgan", "0113 496 0822", "Would like to talk about cutting down before my next session.", true, false},
	{"Taylor", "020 7946 0833", "Not sure the treatment is working, can someone call me?", true, true},
	{"Jamie", "0113 496 0844", "Question about aftercare.", true, false},
}

// loadCallbacks adds callback requests: a few waiting in the queue (one
// urgent, one logged by staff for a patient), and two already closed, so
// the queue and the supervisor view have something to show.
func loadCallbacks(ctx context.Context, db *store.DB, patientIDs []int64) error {
	public := ketacare.Actor{Email: "demo-loader", ClientAddr: "127.0.0.1"}
	for _, c := range demoCallers {
		_, err := db.SubmitCallback(ctx, public, store.CallbackSourcePublic, store.CallbackInput{Name: c.name, Phone: c.phone,
			Reason: c.reason, SafeNow: c.safe, ConsentCall: true, ConsentVoicemail: c.voicemail}, store.SubmitGuard{})
		if err != nil {
			return fmt.Errorf("demo callback %s: %w", c.name, err)
		}
	}
	u, _, err := db.UserByEmail(ctx, "counsellor@demo.ketacare.test")
	if err != nil {
		return err
	}
	counsellor := ketacare.Actor{UserID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, ClinicIDs: u.ClinicIDs, ClientAddr: "127.0.0.1"}
	if len(patientIDs) > 0 {
		if _, err := db.SubmitCallback(ctx, counsellor, store.CallbackSourceStaff, store.CallbackInput{Name: "Alex Morgan", Phone: "020 7946 0855",
			Reason: "Asked for a call after a check-in.", SafeNow: true, ConsentCall: true, PatientID: patientIDs[0]}, store.SubmitGuard{}); err != nil {
			return fmt.Errorf("demo staff callback: %w", err)
		}
	}
	// The counsellor takes the first two requests of the queue and closes
	// them, so the supervisor view has outcomes and times to first call.
	for _, outcome := range []string{store.OutcomeAdviceGiven, store.OutcomeAppointmentBooked} {
		c, ok, err := db.ClaimNextCallback(ctx, counsellor)
		if err != nil || !ok {
			return fmt.Errorf("demo claim: %v", err)
		}
		if _, err := db.RecordCallbackAttempt(ctx, counsellor, c.ID, outcome, "Demo call."); err != nil {
			return fmt.Errorf("demo attempt: %w", err)
		}
	}
	return nil
}
