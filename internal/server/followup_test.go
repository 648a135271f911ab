package server_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/app"
	"github.com/ketacare/ketacare/internal/apptest"
	bt "github.com/ketacare/ketacare/internal/browsertest"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/outbox/smtptest"
	"github.com/ketacare/ketacare/internal/store"
)

// followupClock is a settable clock for the server's database.
type followupClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *followupClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *followupClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// followupDischarged records a discharged dosing session for a patient
// directly in the store: baseline anxiety, in-session ratings and an
// anxiety warning when a rating reaches 6.
func followupDischarged(t *testing.T, env *apptest.Env, clk *followupClock, patientID int64, baseline int, ratings ...int) int64 {
	t.Helper()
	ctx := context.Background()
	a := env.Actor(ketacare.RoleNurse)
	var sess store.DosingSession
	step := func(fn func(tx *store.Tx) error) {
		t.Helper()
		if err := env.DB.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	step(func(tx *store.Tx) error {
		var err error
		sess, err = tx.InsertDosingSession(ctx, a, store.NewDosingSession{PatientID: patientID, ClinicID: a.HomeClinic(), Drug: "ketamine",
			Route: clinical.RouteIV, DoseMg: 35, Protocol: 1})
		if err != nil {
			return err
		}
		return tx.InsertObservation(ctx, &store.ObservationRecord{SessionID: sess.ID, Observation: clinical.Observation{At: tx.Now, Anxiety: &baseline},
			Source: "api", RecordedBy: a.UserID, ProtocolVersion: 1})
	})
	clk.Set(clk.Now().Add(5 * time.Minute))
	step(func(tx *store.Tx) error { return tx.MarkDose(ctx, a, &sess, tx.Now, nil) })
	for _, r := range ratings {
		clk.Set(clk.Now().Add(15 * time.Minute))
		step(func(tx *store.Tx) error {
			rec := &store.ObservationRecord{SessionID: sess.ID, Observation: clinical.Observation{At: tx.Now, Anxiety: &r}, Source: "api",
				RecordedBy: a.UserID, ProtocolVersion: 1}
			if err := tx.InsertObservation(ctx, rec); err != nil {
				return err
			}
			if r >= 6 {
				_, err := tx.RaiseAlert(ctx, a, sess, clinical.Firing{Rule: clinical.RuleAnxietyWarning, Tier: clinical.TierWarning, Message: "anxiety",
					Value: fmt.Sprint(r), At: tx.Now}, rec.ID, 1)
				return err
			}
			return nil
		})
	}
	clk.Set(clk.Now().Add(10 * time.Minute))
	step(func(tx *store.Tx) error {
		return tx.RecordDischarge(ctx, a, &sess, clinical.GateResult{Pass: true}, 1, "")
	})
	return sess.ID
}

var followupLinkPattern = regexp.MustCompile(`https?://\S+/checkin/[A-Za-z0-9_-]+`)

// A discharged session gets check-ins; the first is emailed through a real
// SMTP conversation when due; the patient answers it through the JSON API
// (documented in the OpenAPI description) with an elevated rating and asks
// for a call; the session becomes persistent with its evidence and a
// review opens; the prescriber records a decision.
func TestFollowupEndToEnd(t *testing.T) {
	smtp := smtptest.Start(t)
	clk := &followupClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	env := apptest.Start(t, apptest.Options{Config: func(c *app.Config) {
		c.Clock, c.SMTPURL, c.MailFrom, c.BaseURL = clk.Now, smtp.URL(), "clinic@ketacare.example", "https://clinic.example"
	}})
	ctx := context.Background()
	r := env.As(ketacare.RoleNurse, "POST", "/api/v1/patients", map[string]any{"givenName": "Alex", "familyName": "Morgan", "birthDate": "1985-04-12",
		"sex": "female", "email": "alex@example.com", "phone": "020 7946 0001"})
	if r.Status != http.StatusCreated {
		t.Fatalf("patient: %d %s", r.Status, r.Body)
	}
	var pt struct{ ID int64 }
	r.JSON(t, &pt)
	sid := followupDischarged(t, env, clk, pt.ID, 2, 7, 3)

	r = env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/sessions/%d/checkins", sid), nil)
	var checkins []struct {
		ID          int64
		OffsetHours int
		DueAt       time.Time
		Status      string
	}
	r.JSON(t, &checkins)
	if r.Status != 200 || len(checkins) < 3 || checkins[0].OffsetHours != 24 {
		t.Fatalf("check-ins: %d %s", r.Status, r.Body)
	}
	clk.Set(checkins[0].DueAt.Add(time.Minute))
	if _, err := env.DB.FollowupPass(ctx, "https://clinic.example"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-smtp.Accepted():
	case <-time.After(15 * time.Second):
		t.Fatal("no email reached the SMTP server")
	}
	msg := smtp.Messages()[0]
	link := followupLinkPattern.FindString(msg.Body())
	if msg.To[0] != "alex@example.com" || !strings.HasPrefix(link, "https://clinic.example/checkin/") {
		t.Fatalf("email to %v with body %q", msg.To, msg.Body())
	}
	token := link[strings.LastIndex(link, "/")+1:]

	// Missing answers: refused naming the fields, and the link stays open.
	r = env.Do("POST", "/api/v1/checkins/"+token, "", map[string]any{"ownWords": "shaky"})
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "nrs") {
		t.Fatalf("incomplete check-in: %d %s", r.Status, r.Body)
	}
	r = env.Do("POST", "/api/v1/checkins/"+token, "", map[string]any{"nrs": 8, "ownWords": "Still very on edge", "wantCallback": true})
	if r.Status != http.StatusOK {
		t.Fatalf("check-in: %d %s", r.Status, r.Body)
	}
	var res struct {
		Status     string
		CallbackID int64
	}
	r.JSON(t, &res)
	if res.Status != "completed" || res.CallbackID == 0 {
		t.Fatalf("check-in result %s", r.Body)
	}
	if r = env.Do("POST", "/api/v1/checkins/"+token, "", map[string]any{"nrs": 1, "wantCallback": false}); r.Status != http.StatusGone {
		t.Fatalf("second use of the link: %d %s", r.Status, r.Body)
	}

	r = env.As(ketacare.RolePrescriber, "GET", fmt.Sprintf("/api/v1/sessions/%d/classification", sid), nil)
	var cl struct {
		Class           string
		ProtocolVersion int
		Evidence        []clinical.Evidence
	}
	r.JSON(t, &cl)
	if cl.Class != "persistent" || cl.ProtocolVersion != 1 || len(cl.Evidence) == 0 || cl.Evidence[0].Rule != clinical.EvidenceCheckinElevated {
		t.Fatalf("classification %s", r.Body)
	}
	r = env.As(ketacare.RolePrescriber, "GET", "/api/v1/reviews?status=open", nil)
	var reviews []struct {
		ID     int64
		DueAt  time.Time
		Urgent bool
	}
	r.JSON(t, &reviews)
	if len(reviews) != 1 {
		t.Fatalf("open reviews %s", r.Body)
	}
	r = env.As(ketacare.RolePrescriber, "POST", fmt.Sprintf("/api/v1/reviews/%d/decision", reviews[0].ID),
		map[string]any{"options": []string{"supportive-measures", "refer-mindfulness"}, "reason": "Settling; more support"})
	if r.Status != 200 || !strings.Contains(string(r.Body), `"status":"decided"`) {
		t.Fatalf("decision: %d %s", r.Status, r.Body)
	}
	if r = env.As(ketacare.RolePrescriber, "GET", "/api/v1/reviews?status=open", nil); string(r.Body) != "[]\n" {
		t.Fatalf("open reviews after the decision %s", r.Body)
	}
	// The reviews page and the timeline render.
	for _, path := range []string{"/reviews", fmt.Sprintf("/reviews/%d", reviews[0].ID), fmt.Sprintf("/patients/%d/timeline", pt.ID),
		fmt.Sprintf("/sessions/%d/followup", sid)} {
		if r := env.As(ketacare.RolePrescriber, "GET", path, nil); r.Status != 200 {
			t.Errorf("GET %s: %d %s", path, r.Status, r.Body)
		}
	}
	// The submission endpoint is described in the OpenAPI document.
	if r := env.Do("GET", "/api/v1/openapi.json", "", nil); !strings.Contains(string(r.Body), "/api/v1/checkins/{token}") {
		t.Error("the check-in endpoint is missing from the OpenAPI description")
	}
}

// A patient account reads its own timeline and nothing else: another
// patient's timeline is not found, and staff pages are forbidden.
func TestPatientAccountReadsOnlyOwnTimeline(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	mine := env.CreatePatient("Alex", "Morgan")
	other := env.CreatePatient("Sam", "Okafor")
	r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/patients/%d/account", mine),
		map[string]any{"email": "alex.patient@example.com", "password": "lantern meadow pebble"})
	if r.Status != http.StatusCreated {
		t.Fatalf("account: %d %s", r.Status, r.Body)
	}
	u, _, err := env.DB.UserByEmail(context.Background(), "alex.patient@example.com")
	if err != nil || u.Role != ketacare.RolePatient || u.PatientID != mine {
		t.Fatalf("account %+v %v", u, err)
	}
	tok := env.NewToken(u)
	if r := env.Do("GET", "/api/v1/me/timeline", tok, nil); r.Status != 200 || !strings.Contains(string(r.Body), fmt.Sprintf(`"patientId":%d`, mine)) {
		t.Fatalf("own timeline: %d %s", r.Status, r.Body)
	}
	if r := env.Do("GET", fmt.Sprintf("/api/v1/patients/%d/timeline", mine), tok, nil); r.Status != 200 {
		t.Fatalf("own timeline by id: %d", r.Status)
	}
	if r := env.Do("GET", fmt.Sprintf("/api/v1/patients/%d/timeline", other), tok, nil); r.Status != http.StatusNotFound {
		t.Fatalf("another patient's timeline: %d %s", r.Status, r.Body)
	}
	for _, path := range []string{fmt.Sprintf("/api/v1/patients/%d", mine), "/api/v1/patients", "/api/v1/reviews"} {
		if r := env.Do("GET", path, tok, nil); r.Status != http.StatusForbidden {
			t.Errorf("GET %s as a patient: %d", path, r.Status)
		}
	}
}

// A patient opens the emailed check-in link on a phone-sized window,
// forgets the rating, corrects it, asks for a call and sees the thanks;
// every page passes axe-core.
func TestBrowserCheckinOnAPhone(t *testing.T) {
	ctx := bt.New(t, 390, 844)
	clk := &followupClock{t: time.Now().Add(-48 * time.Hour)}
	env := apptest.Start(t, apptest.Options{Config: func(c *app.Config) { c.Clock = clk.Now }})
	r := env.As(ketacare.RoleNurse, "POST", "/api/v1/patients", map[string]any{"givenName": "Jordan", "familyName": "Reid", "birthDate": "1999-07-28",
		"sex": "other", "phone": "020 7946 0003"})
	var pt struct{ ID int64 }
	r.JSON(t, &pt)
	sid := followupDischarged(t, env, clk, pt.ID, 1, 2, 1)
	clk.Set(time.Now())
	r = env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/sessions/%d/checkins", sid), nil)
	var checkins []struct{ ID int64 }
	r.JSON(t, &checkins)
	r = env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/checkins/%d/links", checkins[0].ID), nil)
	var link struct{ URL string }
	r.JSON(t, &link)
	if r.Status != http.StatusCreated || link.URL == "" {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}

	bt.Run(t, ctx, chromedp.Navigate(env.URL+link.URL), chromedp.WaitVisible(chromedp.CSS("form button[type=submit]")))
	bt.CheckAccessibility(t, ctx)
	if over := bt.SidewaysOverflow(t, ctx); over > 0 {
		t.Errorf("page is %.0f px wider than a 390 px screen", over)
	}
	bt.Run(t, ctx, chromedp.SendKeys(chromedp.ID("ownWords"), "A bit wobbly this morning"), chromedp.Click(chromedp.ID("callback")))
	bt.Submit(t, ctx, chromedp.CSS("form button[type=submit]"))
	if s := bt.Get(t, ctx, chromedp.Text(chromedp.CSS(".nhsuk-error-summary"))); !strings.Contains(s, "0 to 10") {
		t.Fatalf("error summary %q", s)
	}
	bt.CheckAccessibility(t, ctx)
	bt.Run(t, ctx, chromedp.Click(chromedp.ID("nrs-4")))
	bt.Submit(t, ctx, chromedp.CSS("form button[type=submit]"))
	if h := bt.Get(t, ctx, chromedp.Text(chromedp.CSS("h1"))); h != "Thank you" {
		t.Fatalf("after submitting: %q", h)
	}
	if body := bt.Get(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(body, "counsellor will call") || !strings.Contains(body, "116 123") {
		t.Fatalf("thanks page %q", body)
	}
	bt.CheckAccessibility(t, ctx)
	tl, err := env.DB.Timeline(context.Background(), env.Actor(ketacare.RoleNurse), pt.ID)
	if err != nil || tl.Checkins[0].Status != store.CheckinCompleted || *tl.Checkins[0].NRS != 4 || tl.Checkins[0].CallbackID == 0 {
		t.Fatalf("stored check-in %+v %v", tl.Checkins[0], err)
	}
}

// A check-in link that does not work (mistyped, cut off) says what to do
// and shows the crisis lines; the API answers a plain 404.
func TestBrokenCheckinLink(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	r := env.Do("GET", "/checkin/not-a-real-token", "", nil)
	if r.Status != http.StatusNotFound || !strings.Contains(string(r.Body), "This link does not work") || !strings.Contains(string(r.Body), `href="tel:116123"`) ||
		strings.Contains(string(r.Body), `href="/login"`) {
		t.Errorf("broken link page: %d\n%s", r.Status, r.Body)
	}
	if r := env.Do("POST", "/api/v1/checkins/not-a-real-token", "", map[string]any{"wantCallback": false}); r.Status != http.StatusNotFound {
		t.Errorf("API with a broken token: %d %s", r.Status, r.Body)
	}
}

// The timeline reads the change of the GAD-7 since the first against the
// protocol's thresholds.
func TestTimelineReadsGAD7Change(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	p := env.CreatePatient("Alex", "Morgan")
	for _, answers := range [][]int{{2, 2, 2, 2, 2, 2, 2}, {1, 1, 1, 1, 1, 1, 1}} { // 14, then 7
		if r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/patients/%d/assessments", p),
			map[string]any{"instrument": "gad7", "answers": answers}); r.Status != http.StatusCreated {
			t.Fatalf("GAD-7: %d %s", r.Status, r.Body)
		}
	}
	r := env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/patients/%d/timeline", p), nil)
	if r.Status != 200 || !regexp.MustCompile(`GAD-7 14 on [^,]+, 7 on [^:]+: -7, a reliable improvement \(protocol version 1: 4 points matter clinically, 6 are a reliable change\)`).Match(r.Body) {
		t.Errorf("timeline: %d\n%s", r.Status, r.Body)
	}
}

// An address that tries too many link tokens that do not exist is refused
// for a minute; used links are not counted, since they exist.
func TestUnknownLinkTokensAreLimited(t *testing.T) {
	env := apptest.Start(t, apptest.Options{Config: func(c *app.Config) { c.PublicRateLimit = 2 }}) // 6 unknown tokens a minute
	for i := range 6 {
		if r := env.Do("GET", fmt.Sprintf("/checkin/unknown-%d", i), "", nil); r.Status != http.StatusNotFound {
			t.Fatalf("unknown token %d: %d", i, r.Status)
		}
	}
	for _, path := range []string{"/checkin/unknown-7", "/screen/another", "/consent/another"} {
		if r := env.Do("GET", path, "", nil); r.Status != http.StatusTooManyRequests {
			t.Errorf("%s after six unknown tokens: %d", path, r.Status)
		}
	}
	if r := env.Do("POST", "/api/v1/checkins/unknown-8", "", map[string]any{"wantCallback": false}); r.Status != http.StatusTooManyRequests {
		t.Errorf("the check-in API after six unknown tokens: %d %s", r.Status, r.Body)
	}
}
