package monitoring_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/app"
	"github.com/ketacare/ketacare/internal/apptest"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/live"
	"github.com/ketacare/ketacare/internal/monitoring"
	"github.com/ketacare/ketacare/internal/store"
	"github.com/ketacare/ketacare/internal/testutil"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// startMonitoring boots a server whose clock the test moves.
func startMonitoring(t testing.TB, opts apptest.Options) (*apptest.Env, *fakeClock) {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	prev := opts.Config
	opts.Config = func(c *app.Config) {
		c.Clock = clock.Now
		if prev != nil {
			prev(c)
		}
	}
	return apptest.Start(t, opts), clock
}

// readyPatient registers a patient who may be dosed: screened with nothing
// blocking, consented and countersigned, with a plan of route and dose.
func readyPatient(t testing.TB, env *apptest.Env, family, nhs string, route clinical.Route, drug string, doseMg float64) int64 {
	t.Helper()
	ctx := context.Background()
	body := map[string]any{"givenName": "Test", "familyName": family, "birthDate": "1980-05-06", "sex": "female"}
	if nhs != "" {
		body["nhsNumber"] = nhs
	}
	r := env.As(ketacare.RoleNurse, "POST", "/api/v1/patients", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("creating patient: %d %s", r.Status, r.Body)
	}
	var p struct{ ID int64 }
	r.JSON(t, &p)
	nurse, pres := env.Actor(ketacare.RoleNurse), env.Actor(ketacare.RolePrescriber)
	sys, dia := 120, 80
	if _, err := env.DB.RecordAssessment(ctx, nurse, p.ID, store.AssessmentInput{Instrument: "history", History: &store.HistoryAnswers{Systolic: &sys, Diastolic: &dia}}); err != nil {
		t.Fatalf("history: %v", err)
	}
	if _, err := env.DB.RecordAssessment(ctx, nurse, p.ID, store.AssessmentInput{Instrument: "gad7", Answers: []int{0, 0, 0, 0, 0, 0, 0}}); err != nil {
		t.Fatalf("gad7: %v", err)
	}
	ct, err := env.DB.CurrentConsentText(ctx)
	if err != nil {
		if ct, err = env.DB.SaveConsentText(ctx, env.Actor(ketacare.RoleAdmin), "Consent to ketamine treatment, its risks of anxiety and of addiction explained."); err != nil {
			t.Fatalf("consent text: %v", err)
		}
	}
	c, err := env.DB.SignConsent(ctx, nurse, p.ID, ct.Version, "Test "+family)
	if err != nil {
		t.Fatalf("consent: %v", err)
	}
	if _, err := env.DB.Countersign(ctx, pres, p.ID, c.ID); err != nil {
		t.Fatalf("countersign: %v", err)
	}
	if _, _, err := env.DB.SavePlan(ctx, pres, p.ID, store.PlanInput{Drug: drug, Route: string(route), DoseMg: &doseMg, Sessions: 6, IntervalDays: 7, Reason: "start"}); err != nil {
		t.Fatalf("plan: %v", err)
	}
	return p.ID
}

type sessionResp struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
}

type alertResp struct {
	ID             int64      `json:"id"`
	Rule           string     `json:"rule"`
	Tier           string     `json:"tier"`
	ClearedAt      *time.Time `json:"clearedAt"`
	AcknowledgedAt *time.Time `json:"acknowledgedAt"`
	AckBy          string     `json:"acknowledgedByName"`
	EscalatedAt    *time.Time `json:"escalatedAt"`
	EscalatedTo    string     `json:"escalatedTo"`
	Protocol       int        `json:"protocolVersion"`
}

type obsResp struct {
	ID    int64 `json:"id"`
	NEWS2 *struct {
		Total     int            `json:"total"`
		Subscores map[string]int `json:"subscores"`
		Response  string         `json:"response"`
	} `json:"news2"`
	Alerts []alertResp `json:"alerts"`
}

// openRules are the rules with an open alert in a response.
func (o obsResp) openRules() []string {
	var out []string
	for _, a := range o.Alerts {
		if a.ClearedAt == nil {
			out = append(out, a.Rule)
		}
	}
	return out
}

func has(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// openSession opens a session for the patient, not yet dosed.
func openSession(t testing.TB, env *apptest.Env, patient int64) int64 {
	t.Helper()
	r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/patients/%d/sessions", patient), map[string]any{})
	if r.Status != http.StatusCreated {
		t.Fatalf("open session: %d %s", r.Status, r.Body)
	}
	var s sessionResp
	r.JSON(t, &s)
	return s.ID
}

// openDosed opens a session for a ready patient, records a baseline and
// marks the dose.
func openDosed(t testing.TB, env *apptest.Env, patient int64, baseline map[string]any) int64 {
	t.Helper()
	r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/patients/%d/sessions", patient), map[string]any{})
	if r.Status != http.StatusCreated {
		t.Fatalf("open session: %d %s", r.Status, r.Body)
	}
	var s sessionResp
	r.JSON(t, &s)
	if baseline != nil {
		postObs(t, env, s.ID, baseline)
	}
	// A test of other rules may start from a partial baseline: the nurse
	// then confirms dosing without a complete one.
	dose := map[string]any{}
	if baseline["systolic"] == nil || baseline["anxiety"] == nil || baseline["moaas"] == nil {
		dose["withoutBaseline"] = true
	}
	if r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/sessions/%d/dose", s.ID), dose); r.Status != http.StatusOK {
		t.Fatalf("dose: %d %s", r.Status, r.Body)
	}
	return s.ID
}

func postObs(t testing.TB, env *apptest.Env, session int64, body map[string]any, headers ...string) obsResp {
	t.Helper()
	r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/sessions/%d/observations", session), body, headers...)
	if r.Status != http.StatusCreated {
		t.Fatalf("observation %v: %d %s", body, r.Status, r.Body)
	}
	var o obsResp
	r.JSON(t, &o)
	return o
}

func TestSessionRefusedWhileBlocked(t *testing.T) { forEachDB(t, testSessionRefusedWhileBlocked) }

func testSessionRefusedWhileBlocked(t *testing.T, opts apptest.Options) {
	env := apptest.Start(t, opts)
	id := env.CreatePatient("Ada", "Blocked")
	r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/patients/%d/sessions", id), map[string]any{"drug": "ketamine", "route": "iv", "doseMg": 35})
	if r.Status != http.StatusConflict {
		t.Fatalf("blocked patient: %d %s", r.Status, r.Body)
	}
	m := r.Map(t)
	detail, _ := m["detail"].(string)
	for _, want := range []string{"Screening has not been done", "treatment plan"} {
		if !strings.Contains(detail, want) {
			t.Errorf("reason %q does not say %q", detail, want)
		}
	}

	ok := readyPatient(t, env, "Ready", "", clinical.RouteIV, "ketamine", 35)
	// Opening with another dose than the plan's is refused; the plan's is used.
	if r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/patients/%d/sessions", ok), map[string]any{"doseMg": 50}); r.Status != http.StatusConflict {
		t.Errorf("dose not in the plan: %d %s", r.Status, r.Body)
	}
	r = env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/patients/%d/sessions", ok), map[string]any{})
	if r.Status != http.StatusCreated {
		t.Fatalf("ready patient: %d %s", r.Status, r.Body)
	}
	if m := r.Map(t); m["doseMg"] != 35.0 || m["route"] != "iv" || m["status"] != "open" {
		t.Errorf("session from the plan: %v", m)
	}
	if r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/patients/%d/sessions", ok), map[string]any{}); r.Status != http.StatusConflict {
		t.Errorf("second live session: %d %s", r.Status, r.Body)
	}
}

// TestAlertRulesFollowTheProtocol walks each alert rule below, at and
// above its threshold as read from the current protocol version, then
// changes a threshold and checks the rule follows.
func TestAlertRulesFollowTheProtocol(t *testing.T) { forEachDB(t, testAlertRulesFollowTheProtocol) }

func testAlertRulesFollowTheProtocol(t *testing.T, opts apptest.Options) {
	env := apptest.Start(t, opts)
	pv, err := env.DB.CurrentProtocol(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a := pv.Protocol.Monitoring.Alerts
	base := map[string]any{"systolic": 120, "diastolic": 75, "pulse": 72, "spo2": 98, "respRate": 14, "anxiety": 2, "moaas": 5}
	type step struct {
		obs        map[string]any
		open, shut []string // rules that must be open, and must not be
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"blood pressure", []step{
			{map[string]any{"systolic": a.BP.WarningSystolic - 1, "diastolic": 80}, nil, []string{"bp-warning", "bp-critical"}},
			{map[string]any{"systolic": a.BP.WarningSystolic, "diastolic": 80}, []string{"bp-warning", "bp-rise"}, []string{"bp-critical"}},
			{map[string]any{"systolic": 130, "diastolic": a.BP.WarningDiastolic}, []string{"bp-warning"}, []string{"bp-rise"}},
			{map[string]any{"systolic": a.BP.CriticalSystolic - 1, "diastolic": 90}, []string{"bp-warning"}, []string{"bp-critical"}},
			{map[string]any{"systolic": a.BP.CriticalSystolic, "diastolic": 90}, []string{"bp-critical"}, []string{"bp-warning", "bp-emergency"}},
			{map[string]any{"systolic": 150, "diastolic": a.BP.CriticalDiastolic, "signs": []string{"headache"}}, []string{"bp-emergency"}, []string{"bp-critical"}},
			{map[string]any{"systolic": 125, "diastolic": 80}, nil, []string{"bp-emergency", "bp-critical", "bp-warning", "bp-rise"}},
		}},
		{"systolic rise", []step{
			{map[string]any{"systolic": 120 + a.BP.RiseSystolic - 1, "diastolic": 80}, nil, []string{"bp-rise"}},
			{map[string]any{"systolic": 120 + a.BP.RiseSystolic, "diastolic": 80}, []string{"bp-rise"}, nil},
		}},
		{"pulse", []step{
			{map[string]any{"pulse": a.Pulse.WarningHigh - 1}, nil, []string{"pulse-warning"}},
			{map[string]any{"pulse": a.Pulse.WarningHigh}, []string{"pulse-warning"}, nil},
			{map[string]any{"pulse": a.Pulse.CriticalHigh}, []string{"pulse-critical"}, []string{"pulse-warning"}},
			{map[string]any{"pulse": a.Pulse.WarningLow + 1}, nil, []string{"pulse-warning", "pulse-critical"}},
			{map[string]any{"pulse": a.Pulse.WarningLow}, []string{"pulse-warning"}, nil},
			{map[string]any{"pulse": a.Pulse.CriticalLow}, []string{"pulse-critical"}, nil},
		}},
		{"spo2", []step{
			{map[string]any{"spo2": a.SpO2.Warning + 1}, nil, []string{"spo2-warning"}},
			{map[string]any{"spo2": a.SpO2.Warning}, []string{"spo2-warning"}, nil},
			{map[string]any{"spo2": a.SpO2.Critical}, []string{"spo2-critical"}, []string{"spo2-warning"}},
		}},
		{"respiration", []step{
			{map[string]any{"respRate": a.Resp.CriticalLow + 1}, nil, []string{"resp-critical"}},
			{map[string]any{"respRate": a.Resp.CriticalLow}, []string{"resp-critical"}, nil},
			{map[string]any{"respRate": a.Resp.CriticalHigh - 1}, nil, []string{"resp-critical"}},
			{map[string]any{"respRate": a.Resp.CriticalHigh}, []string{"resp-critical"}, nil},
		}},
		{"anxiety", []step{
			{map[string]any{"anxiety": 2 + a.Anxiety.Rise - 1}, nil, []string{"anxiety-rise", "anxiety-warning"}},
			{map[string]any{"anxiety": 2 + a.Anxiety.Rise}, []string{"anxiety-rise"}, nil},
			{map[string]any{"anxiety": a.Anxiety.Warning}, []string{"anxiety-warning"}, nil},
			{map[string]any{"anxiety": a.Anxiety.Critical - 1}, []string{"anxiety-warning"}, []string{"anxiety-critical"}},
			{map[string]any{"anxiety": a.Anxiety.Critical}, []string{"anxiety-critical"}, []string{"anxiety-warning"}},
			{map[string]any{"anxiety": 3, "signs": []string{"panic"}}, []string{"panic"}, []string{"anxiety-critical"}},
		}},
		{"sedation", []step{
			{map[string]any{"moaas": 4}, []string{"sedation"}, []string{"moaas-critical"}},
			{map[string]any{"moaas": a.MOAAS.Critical + 1}, []string{"sedation"}, []string{"moaas-critical"}},
			{map[string]any{"moaas": a.MOAAS.Critical}, []string{"moaas-critical"}, nil},
			{map[string]any{"moaas": 5}, nil, []string{"moaas-critical", "sedation"}},
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := readyPatient(t, env, fmt.Sprintf("Rules%d", i), "", clinical.RouteIV, "ketamine", 35)
			s := openDosed(t, env, p, base)
			for _, st := range tc.steps {
				o := postObs(t, env, s, st.obs)
				open := o.openRules()
				for _, r := range st.open {
					if !has(open, r) {
						t.Errorf("%v: %s not open (open: %v)", st.obs, r, open)
					}
				}
				for _, r := range st.shut {
					if has(open, r) {
						t.Errorf("%v: %s open (open: %v)", st.obs, r, open)
					}
				}
			}
		})
	}

	t.Run("threshold change", func(t *testing.T) {
		p := readyPatient(t, env, "Changed", "", clinical.RouteIV, "ketamine", 35)
		s := openDosed(t, env, p, base)
		if o := postObs(t, env, s, map[string]any{"pulse": 100}); has(o.openRules(), "pulse-warning") {
			t.Fatalf("pulse 100 fires with the shipped protocol")
		}
		np := pv.Protocol
		np.Monitoring.Alerts.Pulse.WarningHigh = 100
		v2, err := env.DB.SaveProtocol(context.Background(), env.Actor(ketacare.RoleAdmin), np, "Lower pulse warning")
		if err != nil {
			t.Fatal(err)
		}
		o := postObs(t, env, s, map[string]any{"pulse": 100})
		if !has(o.openRules(), "pulse-warning") {
			t.Fatalf("pulse 100 does not fire after the change: %v", o.openRules())
		}
		for _, al := range o.Alerts {
			if al.Rule == "pulse-warning" && al.Protocol != v2.Version {
				t.Errorf("alert records protocol %d, want %d", al.Protocol, v2.Version)
			}
		}
	})
}

func TestNEWS2ThroughTheAPI(t *testing.T) { forEachDB(t, testNEWS2ThroughTheAPI) }

func testNEWS2ThroughTheAPI(t *testing.T, opts apptest.Options) {
	env := apptest.Start(t, opts)
	p := readyPatient(t, env, "News", "", clinical.RouteIV, "ketamine", 35)
	s := openDosed(t, env, p, nil)
	// Without a temperature NEWS2 is not computed.
	o := postObs(t, env, s, map[string]any{"respRate": 21, "spo2": 95, "onOxygen": false, "systolic": 105, "diastolic": 70,
		"pulse": 95, "consciousness": "A", "anxiety": 2, "moaas": 5})
	if o.NEWS2 != nil {
		t.Fatalf("NEWS2 without a temperature: %+v", o.NEWS2)
	}
	// RCP chart: resp 21 → 2, SpO2 95 → 1, air → 0, systolic 105 → 1,
	// pulse 95 → 1, alert → 0, 38.5 °C → 1: total 6, urgent.
	o = postObs(t, env, s, map[string]any{"tempC": 38.5})
	if o.NEWS2 == nil {
		t.Fatal("no NEWS2 with every parameter within the window")
	}
	want := map[string]int{"respRate": 2, "spo2": 1, "airOrOxygen": 0, "systolic": 1, "pulse": 1, "consciousness": 0, "tempC": 1}
	for k, v := range want {
		if o.NEWS2.Subscores[k] != v {
			t.Errorf("subscore %s = %d, want %d", k, o.NEWS2.Subscores[k], v)
		}
	}
	if o.NEWS2.Total != 6 || o.NEWS2.Response != "urgent" || !has(o.openRules(), "news2-urgent") {
		t.Errorf("NEWS2 %+v, open %v; want 6 urgent with news2-urgent", o.NEWS2, o.openRules())
	}
	// Confusion scores 3 and lifts the total to 9: emergency.
	o = postObs(t, env, s, map[string]any{"consciousness": "C"})
	if o.NEWS2 == nil || o.NEWS2.Total != 9 || o.NEWS2.Response != "emergency" || !has(o.openRules(), "news2-emergency") || has(o.openRules(), "news2-urgent") {
		t.Errorf("with confusion: %+v %v", o.NEWS2, o.openRules())
	}
}

func TestObservationValidationAndIdempotency(t *testing.T) {
	forEachDB(t, testObservationValidationAndIdempotency)
}

func testObservationValidationAndIdempotency(t *testing.T, opts apptest.Options) {
	env, clock := startMonitoring(t, opts)
	p := readyPatient(t, env, "Valid", "", clinical.RouteIV, "ketamine", 35)
	s := openDosed(t, env, p, nil)
	path := fmt.Sprintf("/api/v1/sessions/%d/observations", s)
	if r := env.As(ketacare.RoleNurse, "POST", path, map[string]any{}); r.Status != http.StatusBadRequest {
		t.Errorf("empty observation: %d %s", r.Status, r.Body)
	}
	r := env.As(ketacare.RoleNurse, "POST", path, map[string]any{"systolic": 320, "diastolic": 80, "pulse": 260})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("implausible: %d %s", r.Status, r.Body)
	}
	errs, _ := r.Map(t)["errors"].(map[string]any)
	if errs["systolic"] == nil || errs["pulse"] == nil || errs["diastolic"] != nil {
		t.Errorf("implausible fields named: %v", errs)
	}
	if r := env.As(ketacare.RoleNurse, "POST", path, map[string]any{"systolic": 320, "diastolic": 80, "confirmed": true}); r.Status != http.StatusCreated {
		t.Errorf("confirmed implausible: %d %s", r.Status, r.Body)
	}

	body := map[string]any{"pulse": 80, "anxiety": 3}
	first := env.As(ketacare.RoleNurse, "POST", path, body, "Idempotency-Key", "obs-1")
	again := env.As(ketacare.RoleNurse, "POST", path, body, "Idempotency-Key", "obs-1")
	if first.Status != http.StatusCreated || again.Status != http.StatusCreated || string(first.Body) != string(again.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %d %s / %d %s", first.Status, first.Body, again.Status, again.Body)
	}
	if r := env.As(ketacare.RoleNurse, "POST", path, map[string]any{"pulse": 81}, "Idempotency-Key", "obs-1"); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("same key, other body: %d", r.Status)
	}
	// A refused observation leaves its key free for the corrected one.
	implausible := map[string]any{"systolic": 321, "diastolic": 80}
	if r := env.As(ketacare.RoleNurse, "POST", path, implausible, "Idempotency-Key", "obs-2"); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("implausible with a key: %d %s", r.Status, r.Body)
	}
	implausible["confirmed"] = true
	if r := env.As(ketacare.RoleNurse, "POST", path, implausible, "Idempotency-Key", "obs-2"); r.Status != http.StatusCreated {
		t.Errorf("confirmed with the refused one's key: %d %s", r.Status, r.Body)
	}

	// The same request sent many times at once is stored once; every copy
	// is answered with the first answer or told to retry.
	var wg sync.WaitGroup
	statuses := make([]int, 12)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = env.As(ketacare.RoleNurse, "POST", path, map[string]any{"pulse": 82}, "Idempotency-Key", "obs-3").Status
		}()
	}
	wg.Wait()
	for _, st := range statuses {
		if st != http.StatusCreated && st != http.StatusConflict {
			t.Errorf("concurrent copies answered %v", statuses)
			break
		}
	}

	var list []map[string]any
	env.As(ketacare.RoleNurse, "GET", path, nil).JSON(t, &list)
	count := map[float64]int{}
	for _, o := range list {
		if p, ok := o["pulse"].(float64); ok {
			count[p]++
		}
	}
	if count[80] != 1 || count[82] != 1 {
		t.Errorf("stored %d observations with pulse 80 (retried) and %d with pulse 82 (sent at once), want 1 each", count[80], count[82])
	}

	// The housekeeping forgets keys, and the answers kept for them, after a day.
	clock.Add(23 * time.Hour)
	env.App.Server.Housekeep(context.Background())
	if r := env.As(ketacare.RoleNurse, "POST", path, map[string]any{"pulse": 83}, "Idempotency-Key", "obs-1"); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("a key used 23 hours ago, with another body: %d %s", r.Status, r.Body)
	}
	clock.Add(2 * time.Hour)
	env.App.Server.Housekeep(context.Background())
	if r := env.As(ketacare.RoleNurse, "POST", path, map[string]any{"pulse": 83}, "Idempotency-Key", "obs-1"); r.Status != http.StatusCreated || r.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("a key used 25 hours ago: %d %s", r.Status, r.Body)
	}
}

func TestDedupeAcknowledgeAndEscalate(t *testing.T) { forEachDB(t, testDedupeAcknowledgeAndEscalate) }

func testDedupeAcknowledgeAndEscalate(t *testing.T, opts apptest.Options) {
	env, clock := startMonitoring(t, opts)
	rx := env.Users[ketacare.RolePrescriber]
	if err := env.DB.UpdateStaffAccount(context.Background(), env.Actor(ketacare.RoleAdmin), rx.ID,
		store.StaffAccount{Name: rx.Name, Role: rx.Role, ClinicIDs: rx.ClinicIDs, Mobile: "07911 123456"}); err != nil {
		t.Fatal(err)
	}
	p := readyPatient(t, env, "Escalate", "", clinical.RouteIV, "ketamine", 35)
	s := openDosed(t, env, p, map[string]any{"systolic": 120, "diastolic": 75, "anxiety": 2})
	postObs(t, env, s, map[string]any{"systolic": 165, "diastolic": 85})
	clock.Add(time.Minute)
	postObs(t, env, s, map[string]any{"systolic": 168, "diastolic": 88})
	var alerts []alertResp
	env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/sessions/%d/alerts", s), nil).JSON(t, &alerts)
	if len(alerts) != 1 || alerts[0].Rule != "bp-warning" {
		t.Fatalf("alerts after two warning readings: %+v", alerts)
	}
	bp := alerts[0]

	// A second alert, to acknowledge before it escalates.
	o := postObs(t, env, s, map[string]any{"anxiety": 8})
	var anx alertResp
	for _, a := range o.Alerts {
		if a.Rule == "anxiety-warning" {
			anx = a
		}
	}
	r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/alerts/%d/ack", anx.ID), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("ack: %d %s", r.Status, r.Body)
	}
	var acked alertResp
	r.JSON(t, &acked)
	if acked.AcknowledgedAt == nil || acked.AckBy != env.Users[ketacare.RoleNurse].Name {
		t.Errorf("acknowledged: %+v", acked)
	}

	pv, _ := env.DB.CurrentProtocol(context.Background())
	after := time.Duration(pv.Protocol.Monitoring.Alerts.EscalateAfterMinutes) * time.Minute
	clock.Add(after - time.Minute - time.Second) // bp-warning raised after-1s ago
	if err := env.App.Monitoring.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/sessions/%d/alerts", s), nil).JSON(t, &alerts)
	for _, a := range alerts {
		if a.EscalatedAt != nil {
			t.Fatalf("%s escalated before %v", a.Rule, after)
		}
	}
	clock.Add(time.Second)
	if err := env.App.Monitoring.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/sessions/%d/alerts", s), nil).JSON(t, &alerts)
	for _, a := range alerts {
		switch a.ID {
		case bp.ID:
			if a.EscalatedAt == nil || !strings.Contains(a.EscalatedTo, env.Users[ketacare.RolePrescriber].Name) {
				t.Errorf("unacknowledged alert not escalated to the prescriber: %+v", a)
			}
		case anx.ID:
			if a.EscalatedAt != nil {
				t.Errorf("acknowledged alert escalated: %+v", a)
			}
		}
	}
	// The prescriber is emailed, once, without the patient's name.
	if err := env.App.Monitoring.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	mails, err := env.DB.OutboxMessages(context.Background(), "escalation:", 10)
	if err != nil {
		t.Fatal(err)
	}
	var emails, texts []store.OutboxMessage
	for _, m := range mails {
		if m.Kind == store.OutboxText {
			texts = append(texts, m)
		} else {
			emails = append(emails, m)
		}
	}
	if len(emails) != 1 || emails[0].Recipient != env.Users[ketacare.RolePrescriber].Email || emails[0].Ref != fmt.Sprintf("escalation:%d", bp.ID) ||
		!strings.Contains(emails[0].Body, "escalated to you") || strings.Contains(emails[0].Body, "Escalate") {
		t.Errorf("escalation emails: %+v", emails)
	}
	// The prescriber has a mobile: a text message too, as bare as the email.
	if len(texts) != 1 || texts[0].Recipient != "+447911123456" || !strings.Contains(texts[0].Body, "escalated to you") ||
		strings.Contains(texts[0].Body, "Escalate") || len(texts[0].Body) > 320 {
		t.Errorf("escalation texts: %+v", texts)
	}
}

func TestOverdueObservationReminder(t *testing.T) { forEachDB(t, testOverdueObservationReminder) }

func testOverdueObservationReminder(t *testing.T, opts apptest.Options) {
	env, clock := startMonitoring(t, opts)
	p := readyPatient(t, env, "Overdue", "", clinical.RouteIV, "ketamine", 35)
	s := openDosed(t, env, p, map[string]any{"systolic": 120, "diastolic": 75})
	pv, _ := env.DB.CurrentProtocol(context.Background())
	mp := pv.Protocol.Monitoring
	limit := time.Duration(mp.Schedules[clinical.RouteIV].EveryMinutes+mp.OverdueGraceMinutes) * time.Minute
	overdue := func() *alertResp {
		var alerts []alertResp
		env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/sessions/%d/alerts", s), nil).JSON(t, &alerts)
		for _, a := range alerts {
			if a.Rule == "observation-overdue" {
				return &a
			}
		}
		return nil
	}
	clock.Add(limit)
	env.App.Monitoring.Tick(context.Background())
	if a := overdue(); a != nil {
		t.Fatalf("overdue at exactly interval + grace: %+v", a)
	}
	clock.Add(time.Second)
	env.App.Monitoring.Tick(context.Background())
	a := overdue()
	if a == nil || a.ClearedAt != nil {
		t.Fatalf("no overdue reminder after interval + grace: %+v", a)
	}
	env.App.Monitoring.Tick(context.Background())
	// A blood pressure alone (a bedside monitor's) is not the observation:
	// the anxiety rating and MOAA/S are due with it.
	o := postObs(t, env, s, map[string]any{"systolic": 122, "diastolic": 76})
	if !slices.Contains(o.openRules(), "observation-overdue") {
		t.Errorf("a blood pressure alone cleared the overdue reminder: %v", o.openRules())
	}
	o = postObs(t, env, s, map[string]any{"anxiety": 2, "moaas": 5})
	for _, al := range o.Alerts {
		if al.Rule == "observation-overdue" {
			t.Errorf("overdue reminder still outstanding after the observation: %+v", al)
		}
	}
	if a := overdue(); a == nil || a.ClearedAt == nil {
		t.Errorf("overdue reminder not cleared: %+v", a)
	}
}

func TestDischargeGate(t *testing.T) { forEachDB(t, testDischargeGate) }

func testDischargeGate(t *testing.T, opts apptest.Options) {
	env, clock := startMonitoring(t, opts)
	p := readyPatient(t, env, "Discharge", "", clinical.RouteIV, "ketamine", 35)
	s := openDosed(t, env, p, map[string]any{"systolic": 120, "diastolic": 75, "anxiety": 2, "moaas": 5})
	path := fmt.Sprintf("/api/v1/sessions/%d/discharge", s)
	r := env.As(ketacare.RoleNurse, "POST", path, map[string]any{"escortConfirmed": true, "drivingAdviceGiven": true})
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "reason") {
		t.Fatalf("early discharge without a reason: %d %s", r.Status, r.Body)
	}
	// An infusion's wait runs from its end, which must be marked: an hour
	// after the infusion started is not an hour after it ended.
	clock.Add(40 * time.Minute)
	if r := env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/sessions/%d/gate", s), nil); !strings.Contains(string(r.Body), "the end of the dose is not recorded") {
		t.Fatalf("gate of an infusion with no end marked: %s", r.Body)
	}
	if r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/sessions/%d/dose", s), map[string]any{"endAt": clock.Now()}); r.Status != http.StatusOK {
		t.Fatalf("mark the end of the infusion: %d %s", r.Status, r.Body)
	}
	pv, _ := env.DB.CurrentProtocol(context.Background())
	for m := 15; m <= pv.Protocol.Discharge.MinMinutesAfterDose[clinical.RouteIV]; m += 15 {
		clock.Add(15 * time.Minute)
		postObs(t, env, s, map[string]any{"systolic": 125, "diastolic": 78, "anxiety": 2, "moaas": 5})
	}
	var gate struct {
		Pass  bool
		Items []struct {
			Code string
			Pass bool
		}
	}
	env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/sessions/%d/gate", s), nil).JSON(t, &gate)
	for _, it := range gate.Items {
		if want := it.Code == "escort" || it.Code == "driving-advice"; it.Pass == want {
			t.Errorf("gate item %s pass %t", it.Code, it.Pass)
		}
	}
	r = env.As(ketacare.RoleNurse, "POST", path, map[string]any{"escortConfirmed": true, "drivingAdviceGiven": true})
	if r.Status != http.StatusOK {
		t.Fatalf("discharge within the gate: %d %s", r.Status, r.Body)
	}
	var d struct {
		Session struct {
			Status       string
			WithinGate   *bool  `json:"dischargeWithinGate"`
			DischargedBy string `json:"dischargedBy"`
		}
		Gate struct {
			Pass            bool
			ProtocolVersion int
		}
	}
	r.JSON(t, &d)
	if d.Session.Status != "discharged" || d.Session.WithinGate == nil || !*d.Session.WithinGate || !d.Gate.Pass || d.Gate.ProtocolVersion != pv.Version ||
		d.Session.DischargedBy != env.Users[ketacare.RoleNurse].Name {
		t.Errorf("discharge: %+v", d)
	}
	if r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/sessions/%d/observations", s), map[string]any{"pulse": 70}); r.Status != http.StatusConflict {
		t.Errorf("observation after discharge: %d", r.Status)
	}

	// Outside the gate, with a reason.
	p2 := readyPatient(t, env, "Outside", "", clinical.RouteIV, "ketamine", 35)
	s2 := openDosed(t, env, p2, nil)
	r = env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/sessions/%d/discharge", s2), map[string]any{"reason": "Patient left against advice with escort"})
	r.JSON(t, &d)
	if r.Status != http.StatusOK || d.Session.WithinGate == nil || *d.Session.WithinGate || d.Gate.Pass {
		t.Errorf("discharge outside the gate: %d %s", r.Status, r.Body)
	}
}

// TestObservationAudited: every observation is audited under the nurse,
// the patient and the clinic, including those recorded from the session
// state kept in memory (every one after the first on SQLite).
func TestObservationAudited(t *testing.T) {
	forEachDB(t, func(t *testing.T, opts apptest.Options) {
		env := apptest.Start(t, opts)
		p := readyPatient(t, env, "Audited", "", clinical.RouteIV, "ketamine", 35)
		s := openDosed(t, env, p, nil)
		for range 3 {
			postObs(t, env, s, map[string]any{"pulse": 80})
		}
		nurse := env.Users[ketacare.RoleNurse]
		got, err := env.DB.ListAudit(context.Background(), store.AuditFilter{PatientID: p, Action: "observation.create"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("%d observation.create entries, want 3", len(got))
		}
		for _, e := range got {
			if e.UserID != nurse.ID || e.ClinicID != nurse.ClinicIDs[0] || e.Outcome != "success" {
				t.Errorf("entry %+v", e)
			}
		}
	})
}

func TestAnotherClinicsSessionIsNotFound(t *testing.T) {
	forEachDB(t, testAnotherClinicsSessionIsNotFound)
}

func testAnotherClinicsSessionIsNotFound(t *testing.T, opts apptest.Options) {
	env := apptest.Start(t, opts)
	ctx := context.Background()
	p := readyPatient(t, env, "Private", "", clinical.RouteIV, "ketamine", 35)
	s := openDosed(t, env, p, nil)
	o := postObs(t, env, s, map[string]any{"pulse": 135})
	u := otherClinicsNurse(t, env, "West clinic", "west@test.example")
	tok := env.NewToken(u)
	clinic := env.Users[ketacare.RoleNurse].ClinicIDs[0]
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"GET", fmt.Sprintf("/api/v1/sessions/%d", s), nil},
		{"GET", fmt.Sprintf("/api/v1/sessions/%d/observations", s), nil},
		{"GET", fmt.Sprintf("/api/v1/sessions/%d/alerts", s), nil},
		{"POST", fmt.Sprintf("/api/v1/sessions/%d/observations", s), map[string]any{"pulse": 70}},
		{"POST", fmt.Sprintf("/api/v1/alerts/%d/ack", o.Alerts[0].ID), nil},
		{"POST", fmt.Sprintf("/api/v1/sessions/%d/discharge", s), map[string]any{"reason": "x"}},
		{"POST", fmt.Sprintf("/api/v1/patients/%d/sessions", p), map[string]any{}},
		{"GET", fmt.Sprintf("/api/v1/clinics/%d/board", clinic), nil},
		{"GET", fmt.Sprintf("/api/v1/clinics/%d/events", clinic), nil},
		{"GET", fmt.Sprintf("/api/v1/sessions/%d/events", s), nil},
		{"GET", fmt.Sprintf("/sessions/%d", s), nil},
	} {
		r := env.Do(c.method, c.path, tok, c.body)
		if r.Status != http.StatusNotFound || strings.Contains(string(r.Body), "Private") || strings.Contains(string(r.Body), "Patient not found") &&
			!strings.Contains(c.path, "/patients/") {
			t.Errorf("%s %s from another clinic: %d %s", c.method, c.path, r.Status, r.Body)
		}
	}
	// The session in progress answers as a session that does not exist.
	var detail = func(path string) string {
		var p struct{ Detail string }
		env.Do("POST", path, tok, map[string]any{"pulse": 70}).JSON(t, &p)
		return p.Detail
	}
	if live, none := detail(fmt.Sprintf("/api/v1/sessions/%d/observations", s)), detail("/api/v1/sessions/999999/observations"); live != none {
		t.Errorf("another clinic's session in progress answers %q, a missing one %q", live, none)
	}
	denied, err := env.DB.ListAudit(ctx, store.AuditFilter{UserID: u.ID, Outcome: "denied"})
	if err != nil || len(denied) < 5 {
		t.Errorf("denials audited: %d (%v)", len(denied), err)
	}
}

// sseReader reads a server-sent event stream.
type sseReader struct {
	resp *http.Response
	sc   *bufio.Scanner
}

func openStream(t *testing.T, base, path, token string) *sseReader {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return &sseReader{resp: resp, sc: bufio.NewScanner(resp.Body)}
}

// next returns the next event of the given type and its data, failing the
// test after timeout.
func (r *sseReader) next(t *testing.T, typ string, timeout time.Duration) string {
	t.Helper()
	type ev struct{ typ, data string }
	ch := make(chan ev, 1)
	go func() {
		var cur ev
		for r.sc.Scan() {
			line := r.sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				cur.typ = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				cur.data += strings.TrimPrefix(line, "data: ")
			case line == "":
				if cur.typ == typ {
					ch <- cur
					return
				}
				cur = ev{}
			}
		}
		close(ch)
	}()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatalf("stream ended before a %s event", typ)
		}
		return e.data
	case <-time.After(timeout):
		r.resp.Body.Close()
		t.Fatalf("no %s event within %v", typ, timeout)
	}
	return ""
}

func TestServerSentEvents(t *testing.T) { forEachDB(t, testServerSentEvents) }

func testServerSentEvents(t *testing.T, opts apptest.Options) {
	env := apptest.Start(t, opts)
	p := readyPatient(t, env, "Stream", "", clinical.RouteIV, "ketamine", 35)
	s := openDosed(t, env, p, map[string]any{"anxiety": 2})
	clinic := env.Users[ketacare.RoleNurse].ClinicIDs[0]
	board := openStream(t, env.URL, fmt.Sprintf("/api/v1/clinics/%d/events", clinic), env.Tokens[ketacare.RolePrescriber])
	session := openStream(t, env.URL, fmt.Sprintf("/api/v1/sessions/%d/events", s), env.Tokens[ketacare.RoleNurse])
	o := postObs(t, env, s, map[string]any{"anxiety": 9})
	data := board.next(t, "alert.raised", 5*time.Second)
	if !strings.Contains(data, `"rule":"anxiety-critical"`) || !strings.Contains(data, "Stream") {
		t.Errorf("board event: %s", data)
	}
	if data := session.next(t, "observation", 5*time.Second); !strings.Contains(data, fmt.Sprintf(`"observationId":%d`, o.ID)) {
		t.Errorf("session event: %s", data)
	}
	env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/alerts/%d/ack", o.Alerts[0].ID), nil)
	if data := board.next(t, "alert.acknowledged", 5*time.Second); !strings.Contains(data, env.Users[ketacare.RoleNurse].Name) {
		t.Errorf("ack event: %s", data)
	}
}

// forEachDB runs a test on SQLite and, when configured, on PostgreSQL.
func forEachDB(t *testing.T, f func(*testing.T, apptest.Options)) {
	for _, target := range testutil.Targets(t) {
		t.Run(target.Name, func(t *testing.T) { f(t, apptest.Options{DSN: target.DSN}) })
	}
}

// TestAnswersCarryTheirLength: JSON answers are sent with a Content-Length,
// not in chunks, however long they are.
func TestAnswersCarryTheirLength(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	p := readyPatient(t, env, "Length", "", clinical.RouteIV, "ketamine", 35)
	s := openDosed(t, env, p, nil)
	path := fmt.Sprintf("/api/v1/sessions/%d/observations", s)
	for i := range 20 {
		r := env.As(ketacare.RoleNurse, "POST", path, map[string]any{"systolic": 120 + i, "diastolic": 80, "pulse": 70, "spo2": 98, "respRate": 14, "anxiety": 2, "signs": []string{"restlessness"}})
		if r.Status != http.StatusCreated || r.Header.Get("Content-Length") != strconv.Itoa(len(r.Body)) {
			t.Fatalf("POST answer: %d, Content-Length %q for %d bytes", r.Status, r.Header.Get("Content-Length"), len(r.Body))
		}
	}
	r := env.As(ketacare.RoleNurse, "GET", path, nil)
	if len(r.Body) <= 4096 { // longer than net/http's buffers
		t.Fatalf("the list is too short to test: %d bytes", len(r.Body))
	}
	if r.Header.Get("Content-Length") != strconv.Itoa(len(r.Body)) {
		t.Errorf("list of %d bytes sent with Content-Length %q", len(r.Body), r.Header.Get("Content-Length"))
	}
}

// Ticking panic counts as anxiety in the session's classification, as the
// anxiety rating alone does: panic is then the alert kept of the anxiety
// group, and the session must not look free of anxiety.
func TestPanicCountsAsAnxiety(t *testing.T) { forEachDB(t, testPanicCountsAsAnxiety) }

func testPanicCountsAsAnxiety(t *testing.T, opts apptest.Options) {
	env, clock := startMonitoring(t, opts)
	run := func(family string, panic bool) string {
		p := readyPatient(t, env, family, "", clinical.RouteIM, "ketamine", 35)
		s := openDosed(t, env, p, map[string]any{"systolic": 120, "diastolic": 75, "anxiety": 2, "moaas": 5})
		clock.Add(15 * time.Minute)
		body := map[string]any{"systolic": 125, "diastolic": 78, "anxiety": 8, "moaas": 5}
		if panic {
			body["signs"] = []string{"panic"}
		}
		postObs(t, env, s, body)
		for range 4 {
			clock.Add(15 * time.Minute)
			postObs(t, env, s, map[string]any{"systolic": 122, "diastolic": 76, "anxiety": 2, "moaas": 5})
		}
		var alerts []alertResp
		env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/sessions/%d/alerts", s), nil).JSON(t, &alerts)
		for _, a := range alerts {
			if a.AcknowledgedAt == nil {
				env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/alerts/%d/ack", a.ID), nil)
			}
		}
		if r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/sessions/%d/discharge", s), map[string]any{"escortConfirmed": true, "drivingAdviceGiven": true}); r.Status != http.StatusOK {
			t.Fatalf("discharge: %d %s", r.Status, r.Body)
		}
		sc, err := env.DB.Classification(context.Background(), env.Actor(ketacare.RoleNurse), s)
		if err != nil {
			t.Fatal(err)
		}
		return string(sc.Class)
	}
	without, with := run("NoPanic", false), run("Panic", true)
	if without != string(clinical.AnxietyTransient) || with != without {
		t.Errorf("anxiety rated 8: class %s; with panic ticked too: %s; want transient both", without, with)
	}
}

// A session opened in error, or in which the dose is not given, is closed
// with the reason; the patient's next session can then be opened. A dosed
// session is discharged, never closed.
func TestCloseWithoutADose(t *testing.T) { forEachDB(t, testCloseWithoutADose) }

func testCloseWithoutADose(t *testing.T, opts apptest.Options) {
	env, _ := startMonitoring(t, opts)
	p := readyPatient(t, env, "Declined", "", clinical.RouteIM, "ketamine", 35)
	s := openSession(t, env, p)
	postObs(t, env, s, map[string]any{"systolic": 185, "diastolic": 112, "anxiety": 3, "moaas": 5})
	if r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/patients/%d/sessions", p), map[string]any{}); r.Status != http.StatusConflict {
		t.Fatalf("a second session while one is open: %d", r.Status)
	}
	if r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/sessions/%d/discharge", s), map[string]any{"reason": "x"}); r.Status != http.StatusConflict ||
		!strings.Contains(string(r.Body), "close it instead") {
		t.Fatalf("discharging a session without a dose: %d %s", r.Status, r.Body)
	}
	path := fmt.Sprintf("/api/v1/sessions/%d/close", s)
	if r := env.As(ketacare.RoleNurse, "POST", path, map[string]any{"reason": "  "}); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"reason"`) {
		t.Fatalf("closing without a reason: %d %s", r.Status, r.Body)
	}
	r := env.As(ketacare.RoleNurse, "POST", path, map[string]any{"reason": "Baseline blood pressure 185/112: not dosed, GP letter sent."})
	var closed sessionResp
	if r.JSON(t, &closed); r.Status != http.StatusOK || closed.Status != "closed" {
		t.Fatalf("close: %d %s", r.Status, r.Body)
	}
	if r := env.As(ketacare.RoleNurse, "POST", path, map[string]any{"reason": "again"}); r.Status != http.StatusConflict {
		t.Errorf("closing twice: %d", r.Status)
	}
	if r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/sessions/%d/dose", s), map[string]any{}); r.Status != http.StatusConflict {
		t.Errorf("dosing a closed session: %d %s", r.Status, r.Body)
	}
	board := env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/clinics/%d/board", env.Users[ketacare.RoleNurse].ClinicIDs[0]), nil)
	if strings.Contains(string(board.Body), fmt.Sprintf(`"id":%d,`, s)) {
		t.Errorf("the closed session is still on the board: %s", board.Body)
	}
	entries, err := env.DB.ListAudit(context.Background(), store.AuditFilter{PatientID: p, Action: "session.close"})
	found := false
	for _, e := range entries {
		found = found || strings.Contains(e.Detail, "closed without a dose: Baseline blood pressure 185/112")
	}
	if err != nil || !found {
		t.Errorf("audit of the closing: %+v %v", entries, err)
	}
	// The next session opens; once dosed it cannot be closed.
	next := openDosed(t, env, p, map[string]any{"systolic": 130, "diastolic": 80, "anxiety": 2, "moaas": 5})
	if r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/sessions/%d/close", next), map[string]any{"reason": "x"}); r.Status != http.StatusConflict ||
		!strings.Contains(string(r.Body), "discharge") {
		t.Errorf("closing a dosed session: %d %s", r.Status, r.Body)
	}
}

// The session takes the plan's dose, whatever it is: no ceiling of its own
// refuses what the prescriber wrote.
func TestSessionTakesThePlansDose(t *testing.T) {
	env, _ := startMonitoring(t, apptest.Options{})
	p := readyPatient(t, env, "Large", "", clinical.RouteIV, "ketamine", 1500)
	r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/patients/%d/sessions", p), map[string]any{})
	if r.Status != http.StatusCreated || !strings.Contains(string(r.Body), `"doseMg":1500`) {
		t.Fatalf("opening the session of a 1500 mg plan: %d %s", r.Status, r.Body)
	}
}

// The dose waits for a complete pre-dose baseline (a blood pressure, the
// anxiety rating and MOAA/S, in one entry or several), unless the nurse
// confirms that none was taken; that is audited.
func TestDoseNeedsABaseline(t *testing.T) { forEachDB(t, testDoseNeedsABaseline) }

func testDoseNeedsABaseline(t *testing.T, opts apptest.Options) {
	env, clock := startMonitoring(t, opts)
	open := func(family string) int64 {
		return openSession(t, env, readyPatient(t, env, family, "", clinical.RouteIM, "ketamine", 35))
	}
	dose := func(s int64, body map[string]any) apptest.Response {
		return env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/sessions/%d/dose", s), body)
	}
	s := open("Baseline")
	if r := dose(s, map[string]any{}); r.Status != http.StatusConflict || !strings.Contains(string(r.Body), `"withoutBaseline"`) {
		t.Fatalf("dose with no baseline: %d %s", r.Status, r.Body)
	}
	postObs(t, env, s, map[string]any{"systolic": 124, "diastolic": 80, "pulse": 72})
	if r := dose(s, map[string]any{}); r.Status != http.StatusConflict {
		t.Fatalf("dose with a blood pressure only: %d %s", r.Status, r.Body)
	}
	clock.Add(time.Minute)
	postObs(t, env, s, map[string]any{"anxiety": 3, "moaas": 5})
	if r := dose(s, map[string]any{}); r.Status != http.StatusOK {
		t.Fatalf("dose after the baseline in two entries: %d %s", r.Status, r.Body)
	}
	// The rise rules then compare with that baseline.
	clock.Add(15 * time.Minute)
	if o := postObs(t, env, s, map[string]any{"systolic": 166, "diastolic": 90, "anxiety": 6, "moaas": 3}); !slices.Contains(o.openRules(), "bp-rise") ||
		!slices.Contains(o.openRules(), "anxiety-rise") {
		t.Errorf("rules against the baseline: %v", o.openRules())
	}

	other := open("NoBaseline")
	if r := dose(other, map[string]any{"withoutBaseline": true}); r.Status != http.StatusOK {
		t.Fatalf("dose confirmed without a baseline: %d %s", r.Status, r.Body)
	}
	entries, err := env.DB.ListAudit(context.Background(), store.AuditFilter{Action: "session.dose"})
	found := false
	for _, e := range entries {
		found = found || strings.Contains(e.Detail, fmt.Sprintf("session %d: dose marked without a complete pre-dose baseline", other))
	}
	if err != nil || !found {
		t.Errorf("no audit of the dose without a baseline: %v", err)
	}
}

func TestEscalationGoesToThePrescriberOnDuty(t *testing.T) {
	forEachDB(t, testEscalationGoesToThePrescriberOnDuty)
}

// Prescribers go on and off duty themselves (an administrator may only take
// someone off); an unacknowledged alert is escalated to the prescribers on
// duty, and to every prescriber of the clinic when none is.
func testEscalationGoesToThePrescriberOnDuty(t *testing.T, opts apptest.Options) {
	env, clock := startMonitoring(t, opts)
	ctx := context.Background()
	rx := env.Users[ketacare.RolePrescriber]
	other, err := env.DB.CreateUser(ctx, ketacare.Actor{Email: "test"}, store.NewUser{Email: "second@test.example", Name: "Second Prescriber", Role: ketacare.RolePrescriber})
	if err != nil {
		t.Fatal(err)
	}
	otherToken := env.NewToken(other)
	clinic := rx.ClinicIDs[0]
	duty := fmt.Sprintf("/api/v1/clinics/%d/duty", clinic)
	onDuty := func() []string {
		var d struct {
			OnDuty []store.OnDuty `json:"onDuty"`
		}
		env.As(ketacare.RoleNurse, "GET", duty, nil).JSON(t, &d)
		var names []string
		for _, x := range d.OnDuty {
			names = append(names, x.Name)
		}
		return names
	}

	// Who may change what.
	for _, tc := range []struct {
		role ketacare.Role
		body map[string]any
		want int
	}{
		{ketacare.RoleNurse, map[string]any{"onDuty": true}, http.StatusForbidden},
		{ketacare.RoleAdmin, map[string]any{"onDuty": true, "userId": other.ID}, http.StatusForbidden},
		{ketacare.RolePrescriber, map[string]any{"onDuty": true, "userId": other.ID}, http.StatusForbidden},
		{ketacare.RolePrescriber, map[string]any{}, http.StatusBadRequest},
		{ketacare.RoleCounsellor, map[string]any{"onDuty": true}, http.StatusForbidden},
	} {
		if r := env.As(tc.role, "PUT", duty, tc.body); r.Status != tc.want {
			t.Errorf("%s PUT %v: %d %s, want %d", tc.role, tc.body, r.Status, r.Body, tc.want)
		}
	}
	if r := env.As(ketacare.RolePrescriber, "PUT", "/api/v1/clinics/999999/duty", map[string]any{"onDuty": true}); r.Status != http.StatusNotFound {
		t.Errorf("another clinic: %d", r.Status)
	}
	if got := onDuty(); len(got) != 0 {
		t.Fatalf("on duty before anyone went on: %v", got)
	}
	board := openStream(t, env.URL, fmt.Sprintf("/api/v1/clinics/%d/events", clinic), env.Tokens[ketacare.RoleNurse])
	if r := env.Do("PUT", duty, otherToken, map[string]any{"onDuty": true}); r.Status != http.StatusOK {
		t.Fatalf("going on duty: %d %s", r.Status, r.Body)
	}
	if data := board.next(t, "duty.changed", 5*time.Second); !strings.Contains(data, fmt.Sprintf(`"userId":%d,"onDuty":true`, other.ID)) {
		t.Errorf("the board's event: %s", data)
	}
	env.Do("PUT", duty, otherToken, map[string]any{"onDuty": true}) // again: no change
	if got := onDuty(); !slices.Equal(got, []string{"Second Prescriber"}) {
		t.Fatalf("on duty: %v", got)
	}
	// Editing the account (a new mobile number) leaves the duty as it was.
	if err := env.DB.UpdateStaffAccount(ctx, env.Actor(ketacare.RoleAdmin), other.ID,
		store.StaffAccount{Name: other.Name, Role: other.Role, ClinicIDs: other.ClinicIDs, Mobile: "07911 123457"}); err != nil {
		t.Fatal(err)
	}
	if got := onDuty(); !slices.Equal(got, []string{"Second Prescriber"}) {
		t.Fatalf("on duty after an edit of the account: %v", got)
	}
	entries, err := env.DB.ListAudit(ctx, store.AuditFilter{Action: "duty.start"})
	if err != nil || len(entries) != 1 || entries[0].UserID != other.ID {
		t.Errorf("duty.start audited %d times (%v): %+v", len(entries), err, entries)
	}

	escalatedTo := func(first map[string]any) string {
		p := readyPatient(t, env, "Duty", "", clinical.RouteIV, "ketamine", 35)
		s := openDosed(t, env, p, map[string]any{"systolic": 120, "diastolic": 75, "anxiety": 2})
		postObs(t, env, s, first)
		pv, _ := env.DB.CurrentProtocol(ctx)
		clock.Add(time.Duration(pv.Protocol.Monitoring.Alerts.EscalateAfterMinutes) * time.Minute)
		if err := env.App.Monitoring.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		var alerts []alertResp
		env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/sessions/%d/alerts", s), nil).JSON(t, &alerts)
		if len(alerts) != 1 || alerts[0].EscalatedAt == nil {
			t.Fatalf("alerts: %+v", alerts)
		}
		return alerts[0].EscalatedTo
	}
	if got := escalatedTo(map[string]any{"systolic": 165, "diastolic": 85}); got != "Second Prescriber" {
		t.Errorf("escalated to %q, want the prescriber on duty alone", got)
	}
	// Its email and text message go to the prescriber on duty alone.
	mails, err := env.DB.OutboxMessages(ctx, "escalation:", 10)
	if err != nil || len(mails) != 2 {
		t.Errorf("escalation messages (%v): %+v", err, mails)
	}
	for _, m := range mails {
		if m.Recipient != other.Email && m.Recipient != "+447911123457" {
			t.Errorf("escalation message to %s", m.Recipient)
		}
	}

	// The administrator takes them off duty (they left without doing so):
	// the next escalation goes to every prescriber, and says why.
	if r := env.As(ketacare.RoleAdmin, "PUT", duty, map[string]any{"onDuty": false, "userId": other.ID}); r.Status != http.StatusOK {
		t.Fatalf("administrator ending a duty: %d %s", r.Status, r.Body)
	}
	if got := onDuty(); len(got) != 0 {
		t.Fatalf("still on duty: %v", got)
	}
	got := escalatedTo(map[string]any{"pulse": 115})
	if !strings.Contains(got, rx.Name) || !strings.Contains(got, "Second Prescriber") || !strings.Contains(got, "no prescriber on duty") {
		t.Errorf("escalated to %q, want every prescriber, saying none was on duty", got)
	}
	// A disabled prescriber is not on duty.
	if r := env.As(ketacare.RolePrescriber, "PUT", duty, map[string]any{"onDuty": true}); r.Status != http.StatusOK {
		t.Fatalf("going on duty: %d %s", r.Status, r.Body)
	}
	if err := env.DB.SetUserDisabled(ctx, env.Actor(ketacare.RoleAdmin), rx.ID, true); err != nil {
		t.Fatal(err)
	}
	if got := onDuty(); len(got) != 0 {
		t.Errorf("a disabled prescriber listed on duty: %v", got)
	}
	// Enabled again, months later: not on duty from long ago.
	if err := env.DB.SetUserDisabled(ctx, env.Actor(ketacare.RoleAdmin), rx.ID, false); err != nil {
		t.Fatal(err)
	}
	if got := onDuty(); len(got) != 0 {
		t.Errorf("a prescriber enabled again is on duty: %v", got)
	}
	// Made a nurse: off duty, even if made a prescriber again.
	if r := env.Do("PUT", duty, otherToken, map[string]any{"onDuty": true}); r.Status != http.StatusOK {
		t.Fatalf("going on duty: %d %s", r.Status, r.Body)
	}
	for _, role := range []ketacare.Role{ketacare.RoleNurse, ketacare.RolePrescriber} {
		if err := env.DB.UpdateStaffAccount(ctx, env.Actor(ketacare.RoleAdmin), other.ID,
			store.StaffAccount{Name: other.Name, Role: role, ClinicIDs: other.ClinicIDs}); err != nil {
			t.Fatal(err)
		}
	}
	if got := onDuty(); len(got) != 0 {
		t.Errorf("on duty after being made a nurse and a prescriber again: %v", got)
	}
}

// A process that starts while sessions are live (a restart in a busy
// clinic) reads each session's state at its next observation: the alerts
// still outstanding are there, another clinic's nurse is refused as for a
// session that does not exist, and the refusal is audited.
func TestFirstObservationAfterARestart(t *testing.T) {
	forEachDB(t, testFirstObservationAfterARestart)
}

func testFirstObservationAfterARestart(t *testing.T, opts apptest.Options) {
	env := apptest.Start(t, opts)
	ctx := context.Background()
	p := readyPatient(t, env, "Restart", "", clinical.RouteIV, "ketamine", 35)
	s := openDosed(t, env, p, nil)
	raised := postObs(t, env, s, map[string]any{"pulse": 135})
	if len(raised.Alerts) != 1 {
		t.Fatalf("alerts before the restart: %+v", raised.Alerts)
	}
	u := otherClinicsNurse(t, env, "North clinic", "north@test.example")
	stranger := ketacare.Actor{UserID: u.ID, Email: u.Email, Role: u.Role, ClinicIDs: u.ClinicIDs, ClientAddr: "127.0.0.1"}

	restarted := monitoring.New(env.DB, live.NewBroker(nil), monitoring.Config{})
	pulse := 70
	in := monitoring.ObservationInput{Observation: clinical.Observation{Pulse: &pulse}}
	if _, err := restarted.RecordObservation(ctx, stranger, s, in); ketacare.ErrorCode(err) != ketacare.ENOTFOUND {
		t.Errorf("another clinic's nurse, first after the restart: %v", err)
	}
	denied, err := env.DB.ListAudit(ctx, store.AuditFilter{UserID: u.ID, Outcome: "denied"})
	if err != nil || len(denied) != 1 {
		t.Errorf("refusal audited: %d entries (%v)", len(denied), err)
	}
	res, err := restarted.RecordObservation(ctx, env.Actor(ketacare.RoleNurse), s, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cleared) != 1 || res.Cleared[0].ID != raised.Alerts[0].ID || len(res.Alerts) != 1 || res.Alerts[0].ID != raised.Alerts[0].ID {
		t.Errorf("the alert raised before the restart: cleared %+v, outstanding %+v", res.Cleared, res.Alerts)
	}
	obs, err := restarted.Observations(ctx, env.Actor(ketacare.RoleNurse), s)
	if err != nil || len(obs) != 2 {
		t.Errorf("observations after the restart: %d (%v)", len(obs), err)
	}
}

// A duty ends by itself after the protocol's alerts.dutyHours: the next
// background check takes the prescriber off duty, once, audited, and tells
// the open boards; the prescriber may go on duty again. A protocol with
// another length is followed.
func TestDutyEndsByItself(t *testing.T) {
	forEachDB(t, testDutyEndsByItself)
}

func testDutyEndsByItself(t *testing.T, opts apptest.Options) {
	env, clock := startMonitoring(t, opts)
	ctx := context.Background()
	rx := env.Users[ketacare.RolePrescriber]
	clinic := rx.ClinicIDs[0]
	duty := fmt.Sprintf("/api/v1/clinics/%d/duty", clinic)
	onDuty := func() []store.OnDuty {
		var d struct {
			OnDuty []store.OnDuty `json:"onDuty"`
		}
		env.As(ketacare.RoleNurse, "GET", duty, nil).JSON(t, &d)
		return d.OnDuty
	}
	tick := func() int {
		t.Helper()
		res, err := env.App.Monitoring.TickCount(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return res.DutiesEnded
	}
	goOnDuty := func() store.OnDuty {
		t.Helper()
		if r := env.As(ketacare.RolePrescriber, "PUT", duty, map[string]any{"onDuty": true}); r.Status != http.StatusOK {
			t.Fatalf("going on duty: %d %s", r.Status, r.Body)
		}
		d := onDuty()
		if len(d) != 1 || d[0].UserID != rx.ID {
			t.Fatalf("on duty: %+v", d)
		}
		return d[0]
	}

	start := clock.Now()
	d := goOnDuty()
	if !d.Since.Equal(start) || !d.Until.Equal(start.Add(clinical.DefaultDutyHours*time.Hour)) {
		t.Errorf("on duty since %v until %v, want %v for %d hours", d.Since, d.Until, start, clinical.DefaultDutyHours)
	}
	board := openStream(t, env.URL, fmt.Sprintf("/api/v1/clinics/%d/events", clinic), env.Tokens[ketacare.RoleNurse])
	clock.Add(clinical.DefaultDutyHours*time.Hour - time.Minute)
	if n := tick(); n != 0 || len(onDuty()) != 1 {
		t.Fatalf("a minute before the end: %d ended, on duty %+v", n, onDuty())
	}
	clock.Add(time.Minute)
	if n := tick(); n != 1 || len(onDuty()) != 0 {
		t.Fatalf("at the end: %d ended, on duty %+v", n, onDuty())
	}
	if data := board.next(t, "duty.changed", 5*time.Second); !strings.Contains(data, fmt.Sprintf(`"userId":%d,"onDuty":false`, rx.ID)) {
		t.Errorf("the board's event: %s", data)
	}
	if n := tick(); n != 0 {
		t.Errorf("ended again: %d", n)
	}
	ended, err := env.DB.ListAudit(ctx, store.AuditFilter{Action: "duty.end"})
	if err != nil || len(ended) != 1 || ended[0].UserID != 0 ||
		!strings.Contains(ended[0].Detail, fmt.Sprintf("user %d", rx.ID)) || !strings.Contains(ended[0].Detail, "ended after 12 hours") {
		t.Errorf("duty.end audited (%v): %+v", err, ended)
	}
	// Escalations now go to every prescriber, saying none was on duty.
	p := readyPatient(t, env, "Ended", "", clinical.RouteIV, "ketamine", 35)
	s := openDosed(t, env, p, map[string]any{"systolic": 120, "diastolic": 75, "anxiety": 2})
	postObs(t, env, s, map[string]any{"pulse": 115})
	clock.Add(5 * time.Minute)
	tick()
	var alerts []alertResp
	env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/sessions/%d/alerts", s), nil).JSON(t, &alerts)
	if len(alerts) != 1 || !strings.Contains(alerts[0].EscalatedTo, "no prescriber on duty") {
		t.Errorf("escalated after the duty ended: %+v", alerts)
	}

	// The clinic's protocol sets eight-hour duties.
	pv, err := env.DB.CurrentProtocol(ctx)
	if err != nil {
		t.Fatal(err)
	}
	np := pv.Protocol
	np.Monitoring.Alerts.DutyHours = 8
	if _, err := env.DB.SaveProtocol(ctx, env.Actor(ketacare.RoleAdmin), np, "Eight-hour duties"); err != nil {
		t.Fatal(err)
	}
	d = goOnDuty()
	if got := d.Until.Sub(d.Since); got != 8*time.Hour {
		t.Errorf("a duty under the new protocol lasts %v", got)
	}
	clock.Add(8 * time.Hour)
	if n := tick(); n != 1 || len(onDuty()) != 0 {
		t.Errorf("after eight hours: %d ended, on duty %+v", n, onDuty())
	}
	// Going on duty again when the last duty has run its hours but the
	// background check has not yet ended it starts a new duty, which the
	// check then leaves alone.
	goOnDuty()
	clock.Add(8 * time.Hour)
	d = goOnDuty()
	if !d.Since.Equal(clock.Now()) {
		t.Errorf("a new duty over one that had run its hours: since %v, want %v", d.Since, clock.Now())
	}
	if n := tick(); n != 0 || len(onDuty()) != 1 {
		t.Errorf("the new duty: %d ended, on duty %+v", n, onDuty())
	}
}

// otherClinicsNurse adds a clinic and a nurse who works in it alone.
func otherClinicsNurse(t *testing.T, env *apptest.Env, clinic, email string) ketacare.User {
	t.Helper()
	ctx := context.Background()
	c, err := env.DB.CreateClinic(ctx, env.Actor(ketacare.RoleAdmin), clinic)
	if err != nil {
		t.Fatal(err)
	}
	u, err := env.DB.CreateUser(ctx, env.Actor(ketacare.RoleAdmin), store.NewUser{Email: email, Role: ketacare.RoleNurse, ClinicIDs: []int64{c.ID}, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}
