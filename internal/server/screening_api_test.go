package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/apptest"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/store"
)

// scAssessment is the API's answer to a recorded assessment.
type scAssessment struct {
	ID              int64
	Instrument      string
	Total           *float64
	Band            *string
	Flags           []string
	ProtocolVersion int
	Next            string
	CrisisContacts  []struct{ Name, Number string }
}

// scores spreads a total over n items scored 0..max, in item order.
func scScores(total, n, max int) []int {
	out := make([]int, n)
	for i := range out {
		v := min(total, max)
		out[i] = v
		total -= v
	}
	return out
}

func scPost(t *testing.T, env *apptest.Env, patient int64, instrument string, answers any) (apptest.Response, scAssessment) {
	t.Helper()
	r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/patients/%d/assessments", patient), map[string]any{"instrument": instrument, "answers": answers})
	var a scAssessment
	if r.Status == http.StatusCreated {
		r.JSON(t, &a)
	}
	return r, a
}

func scCreatePatient(t *testing.T, env *apptest.Env, given, sex string) int64 {
	t.Helper()
	r := env.As(ketacare.RoleNurse, "POST", "/api/v1/patients", map[string]any{"givenName": given, "familyName": "Test", "birthDate": "1980-05-06", "sex": sex})
	if r.Status != http.StatusCreated {
		t.Fatalf("creating patient: %d %s", r.Status, r.Body)
	}
	return int64(r.Map(t)["id"].(float64))
}

func TestInstrumentBandsAtEveryBoundary(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	female := env.CreatePatient("Alex", "Morgan")
	male := scCreatePatient(t, env, "Sam", "male")
	cases := []struct {
		instrument string
		patient    int64
		answers    []int
		total      float64
		band       string
	}{}
	for _, c := range []struct {
		total int
		band  string
	}{{0, "minimal"}, {4, "minimal"}, {5, "mild"}, {9, "mild"}, {10, "moderate"}, {14, "moderate"}, {15, "severe"}, {21, "severe"}} {
		cases = append(cases, struct {
			instrument string
			patient    int64
			answers    []int
			total      float64
			band       string
		}{"gad7", female, scScores(c.total, 7, 3), float64(c.total), c.band})
	}
	for _, c := range []struct {
		total int
		band  string
	}{{4, "minimal"}, {5, "mild"}, {9, "mild"}, {10, "moderate"}, {14, "moderate"}, {15, "moderately severe"}, {19, "moderately severe"}, {20, "severe"}, {27, "severe"}} {
		// Item 9 is last: keep it 0 unless the total needs it.
		cases = append(cases, struct {
			instrument string
			patient    int64
			answers    []int
			total      float64
			band       string
		}{"phq9", female, scScores(c.total, 9, 3), float64(c.total), c.band})
	}
	for _, c := range []struct {
		patient int64
		total   int
		band    string
	}{{female, 2, "negative"}, {female, 3, "positive"}, {male, 3, "negative"}, {male, 4, "positive"}, {male, 12, "positive"}} {
		cases = append(cases, struct {
			instrument string
			patient    int64
			answers    []int
			total      float64
			band       string
		}{"auditc", c.patient, scScores(c.total, 3, 4), float64(c.total), c.band})
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %v patient %d", c.instrument, c.answers, c.patient), func(t *testing.T) {
			r, a := scPost(t, env, c.patient, c.instrument, c.answers)
			if r.Status != http.StatusCreated {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			if a.Total == nil || *a.Total != c.total || a.Band == nil || *a.Band != c.band || a.ProtocolVersion != 1 || a.Instrument != c.instrument {
				t.Fatalf("got %s, want total %g band %q", r.Body, c.total, c.band)
			}
		})
	}
}

func TestCSSRSAndPHQ9Item9(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	p := env.CreatePatient("Alex", "Morgan")
	r, a := scPost(t, env, p, "phq9", []int{0, 0, 0, 0, 0, 0, 0, 0, 1})
	if r.Status != 201 || len(a.Flags) != 1 || a.Flags[0] != clinical.FlagPHQ9Item9 || a.Next != "cssrs" || len(a.CrisisContacts) == 0 {
		t.Fatalf("PHQ-9 with item 9 = 1: %s", r.Body)
	}
	if !strings.Contains(string(r.Body), "116 123") {
		t.Fatalf("crisis contacts do not include Samaritans: %s", r.Body)
	}
	r, a = scPost(t, env, p, "phq9", []int{3, 3, 3, 3, 3, 3, 3, 3, 0})
	if r.Status != 201 || len(a.Flags) != 0 || a.Next != "" || !strings.Contains(string(r.Body), `"flags":[]`) {
		t.Fatalf("PHQ-9 with item 9 = 0: %s", r.Body)
	}
	for _, c := range []struct {
		answers []any
		band    string
	}{
		{[]any{false, false, nil, nil, nil, false}, "none"},
		{[]any{false, false, false, false, false, false}, "none"},
		{[]any{true, false, nil, nil, nil, false}, "low"},
		{[]any{true, true, false, false, false, false}, "low"},
		{[]any{true, true, true, false, false, false}, "moderate"},
		{[]any{true, true, true, true, false, false}, "high"},
		{[]any{true, true, false, false, true, false}, "high"},
		{[]any{false, false, nil, nil, nil, true}, "high"},
	} {
		r, a := scPost(t, env, p, "cssrs", c.answers)
		if r.Status != 201 || a.Band == nil || *a.Band != c.band {
			t.Errorf("C-SSRS %v: %d %s, want band %s", c.answers, r.Status, r.Body, c.band)
		}
	}
}

func TestBadAnswersAreRefusedAndNothingStored(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	p := env.CreatePatient("Alex", "Morgan")
	for _, c := range []struct {
		instrument string
		answers    any
		want       string
	}{
		{"gad7", []int{1, 1, 1}, "3 answers given, 7 expected"},
		{"gad7", []int{0, 0, 0, 0, 0, 0, 4}, "item 7: answer 4 is not one of 0, 1, 2, 3"},
		{"phq9", []int{0, 0, 0, 0, 0, 0, 0, 0, -1}, "item 9"},
		{"auditc", []any{1, 2, 1.5}, "whole-number"},
		{"auditc", []int{0, 0, 5}, "answer 5 is not one of"},
		{"gad8", []int{0}, `Unknown instrument \"gad8\"`},
		{"cssrs", []bool{true, true}, "six answers"},
		{"cssrs", []any{true, false, true, false, false, false}, "Q3 is answered yes"},
		{"cssrs", []any{true, true, nil, false, false, false}, "Q3 is not answered"},
		{"history", map[string]any{"pregnant": true, "bogus": true}, `unknown field \"bogus\"`},
		{"history", map[string]any{"systolic": 130}, "both systolic and diastolic"},
		{"history", map[string]any{"systolic": 400, "diastolic": 80}, "plausible range"},
		{"history", []int{1}, "history answers are not valid"},
	} {
		r, _ := scPost(t, env, p, c.instrument, c.answers)
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), c.want) {
			t.Errorf("%s %v: %d %s, want 400 naming %q", c.instrument, c.answers, r.Status, r.Body, c.want)
		}
	}
	r := env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/patients/%d/assessments", p), nil)
	if r.Status != 200 || strings.TrimSpace(string(r.Body)) != "[]" {
		t.Fatalf("after refused answers: %d %s, want nothing stored", r.Status, r.Body)
	}
}

type scScreening struct {
	Susceptibility string
	Points         int
	Factors        []struct {
		Code   string
		Points int
	}
	Contraindications []struct {
		Code     string
		Override *struct{ Reason string }
	}
	ReviewItems     []struct{ Code string }
	Blocked         bool
	ProtocolVersion int
}

func (s scScreening) codes() (factors, blocks, reviews []string) {
	for _, f := range s.Factors {
		factors = append(factors, fmt.Sprintf("%s+%d", f.Code, f.Points))
	}
	for _, c := range s.Contraindications {
		blocks = append(blocks, c.Code)
	}
	for _, r := range s.ReviewItems {
		reviews = append(reviews, r.Code)
	}
	return
}

func scGetScreening(t *testing.T, env *apptest.Env, p int64) scScreening {
	t.Helper()
	r := env.As(ketacare.RolePrescriber, "GET", fmt.Sprintf("/api/v1/patients/%d/screening", p), nil)
	if r.Status != 200 {
		t.Fatalf("screening: %d %s", r.Status, r.Body)
	}
	var s scScreening
	r.JSON(t, &s)
	return s
}

// history is a complete history with every answer no and a normal blood
// pressure, changed by the given fields.
func scHistory(change map[string]any) map[string]any {
	h := map[string]any{"systolic": 120, "diastolic": 80}
	for _, q := range store.HistoryQuestions {
		h[q.Name] = false
	}
	for k, v := range change {
		h[k] = v
	}
	return h
}

func TestScreeningSusceptibilityAndContraindications(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	cases := []struct {
		name     string
		gad7     int
		phq9     int
		history  map[string]any
		cssrs    []any
		level    string
		points   int
		factors  []string
		blocks   []string
		reviewed []string
	}{
		{name: "nothing raised", gad7: 4, phq9: 3, level: "low", points: 0},
		{name: "GAD-7 5 is raised", gad7: 5, level: "low", points: 1, factors: []string{"gad7-raised+1"}},
		{name: "GAD-7 10 is high", gad7: 10, level: "moderate", points: 2, factors: []string{"gad7-high+2"}},
		{name: "prior ketamine reaction and psychostimulant", gad7: 0, history: map[string]any{"ketamineAdverseReaction": true, "psychostimulant": true},
			level: "high", points: 4, factors: []string{"ketamine-adverse-reaction+3", "psychostimulant+1"}, reviewed: []string{"medicine-psychostimulant"}},
		{name: "panic disorder, substance use, PHQ-9 20", gad7: 0, phq9: 20, history: map[string]any{"panicDisorder": true, "substanceUse": true},
			level: "high", points: 4, factors: []string{"anxiety-disorder-history+2", "substance-use+1", "phq9-high+1"}, reviewed: []string{"substance-use"}},
		{name: "aneurysm and pregnancy block", history: map[string]any{"aneurysmOrAVM": true, "pregnant": true}, level: "low",
			blocks: []string{"aneurysm-or-avm", "pregnancy"}},
		{name: "baseline 180/100 blocks", history: map[string]any{"systolic": 180, "diastolic": 100}, level: "low", blocks: []string{"baseline-bp-very-high"}},
		{name: "baseline 179/109 is for review", history: map[string]any{"systolic": 179, "diastolic": 109}, level: "low", reviewed: []string{"baseline-bp-raised"}},
		{name: "baseline 140/90 is fine", history: map[string]any{"systolic": 140, "diastolic": 90}, level: "low"},
		{name: "active psychosis blocks, past psychosis reviewed", history: map[string]any{"activePsychosis": true, "psychosisHistory": true}, level: "low",
			blocks: []string{"active-psychosis"}, reviewed: []string{"psychosis-history"}},
		{name: "C-SSRS high risk blocks", phq9: 1, cssrs: []any{true, true, false, true, false, false}, level: "low", blocks: []string{"cssrs-high-risk"}},
		{name: "C-SSRS moderate is for review", cssrs: []any{true, true, true, false, false, false}, level: "low", reviewed: []string{"cssrs-moderate-risk"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := env.CreatePatient("Case", "Patient")
			phq := scScores(c.phq9, 9, 3)
			if c.cssrs != nil && c.phq9 > 0 { // put the PHQ-9 point on item 9
				phq = []int{0, 0, 0, 0, 0, 0, 0, 0, c.phq9}
			}
			for _, x := range []struct {
				instrument string
				answers    any
			}{{"gad7", scScores(c.gad7, 7, 3)}, {"phq9", phq}, {"auditc", []int{0, 0, 0}}, {"history", scHistory(c.history)}} {
				if r, _ := scPost(t, env, p, x.instrument, x.answers); r.Status != 201 {
					t.Fatalf("%s: %d %s", x.instrument, r.Status, r.Body)
				}
			}
			cssrs := c.cssrs
			if cssrs == nil {
				cssrs = []any{false, false, nil, nil, nil, false}
			}
			if r, _ := scPost(t, env, p, "cssrs", cssrs); r.Status != 201 {
				t.Fatalf("cssrs: %d %s", r.Status, r.Body)
			}
			s := scGetScreening(t, env, p)
			factors, blocks, reviews := s.codes()
			if s.Susceptibility != c.level || s.Points != c.points || strings.Join(factors, ",") != strings.Join(c.factors, ",") ||
				strings.Join(blocks, ",") != strings.Join(c.blocks, ",") || s.Blocked != (len(c.blocks) > 0) || s.ProtocolVersion != 1 {
				t.Fatalf("got %s %d factors %v blocks %v; want %s %d %v %v", s.Susceptibility, s.Points, factors, blocks, c.level, c.points, c.factors, c.blocks)
			}
			for _, want := range c.reviewed {
				if !strings.Contains(","+strings.Join(reviews, ",")+",", ","+want+",") {
					t.Errorf("review items %v lack %s", reviews, want)
				}
			}
		})
	}
}

func TestScreeningFollowsAProtocolChange(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	p := env.CreatePatient("Alex", "Morgan")
	if r, _ := scPost(t, env, p, "gad7", scScores(8, 7, 3)); r.Status != 201 {
		t.Fatal(r.Status)
	}
	s := scGetScreening(t, env, p)
	if s.Points != 1 || s.ProtocolVersion != 1 {
		t.Fatalf("version 1: %+v", s)
	}
	prot := clinical.Default()
	prot.Screening.GAD7HighMin = 8
	r := env.As(ketacare.RoleAdmin, "PUT", "/api/v1/protocol", map[string]any{"protocol": prot, "reason": "GAD-7 high from 8"})
	if r.Status != 200 {
		t.Fatalf("saving protocol: %d %s", r.Status, r.Body)
	}
	s = scGetScreening(t, env, p)
	if s.Points != 2 || s.Susceptibility != "moderate" || s.ProtocolVersion != 2 {
		t.Fatalf("version 2: %+v", s)
	}
	if _, a := scPost(t, env, p, "gad7", scScores(8, 7, 3)); a.ProtocolVersion != 2 {
		t.Fatalf("new score recorded protocol version %d, want 2", a.ProtocolVersion)
	}
}

func TestAuthorisation(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	p := env.CreatePatient("Alex", "Morgan")
	ctx := context.Background()
	c2, err := env.DB.CreateClinic(ctx, ketacare.Actor{Email: "test"}, "Elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	u, err := env.DB.CreateUser(ctx, ketacare.Actor{Email: "test"}, store.NewUser{Email: "far@test.example", Role: ketacare.RolePrescriber, ClinicIDs: []int64{c2.ID}, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	far := env.NewToken(u)
	base := fmt.Sprintf("/api/v1/patients/%d", p)
	for _, c := range []struct{ method, path string }{
		{"GET", base + "/screening"}, {"GET", base + "/assessments"}, {"GET", base + "/plan"}, {"GET", base + "/consents"},
	} {
		if r := env.Do(c.method, c.path, far, nil); r.Status != http.StatusNotFound {
			t.Errorf("other clinic %s %s: %d, want 404", c.method, c.path, r.Status)
		}
	}
	if r := env.Do("POST", base+"/assessments", far, map[string]any{"instrument": "gad7", "answers": scScores(0, 7, 3)}); r.Status != http.StatusNotFound {
		t.Errorf("other clinic records an assessment: %d", r.Status)
	}
	entries, err := env.DB.ListAudit(ctx, store.AuditFilter{PatientID: p, Outcome: "denied"})
	if err != nil || len(entries) == 0 {
		t.Errorf("denials not audited: %v %v", entries, err)
	}
	plan := map[string]any{"drug": "ketamine", "route": "iv", "doseMg": 35, "sessions": 6, "intervalDays": 7, "reason": "start"}
	if r := env.As(ketacare.RoleNurse, "PUT", base+"/plan", plan); r.Status != http.StatusForbidden {
		t.Errorf("nurse PUT plan: %d, want 403", r.Status)
	}
	if r := env.As(ketacare.RoleCounsellor, "GET", base+"/screening", nil); r.Status != http.StatusForbidden {
		t.Errorf("counsellor reads screening: %d, want 403", r.Status)
	}
	if r := env.As(ketacare.RoleNurse, "PUT", "/api/v1/consent-text", map[string]any{"text": "x"}); r.Status != http.StatusForbidden {
		t.Errorf("nurse PUT consent text: %d, want 403", r.Status)
	}
}

func TestPlanConsentAndOverrideThroughTheAPI(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	p := env.CreatePatient("Alex", "Morgan")
	base := fmt.Sprintf("/api/v1/patients/%d", p)
	status := func() []string {
		t.Helper()
		var s struct {
			Blocked bool
			Reasons []string
		}
		env.As(ketacare.RoleNurse, "GET", base+"/dosing-status", nil).JSON(t, &s)
		return s.Reasons
	}
	// High susceptibility (+4) with a very high baseline blood pressure.
	scPost(t, env, p, "gad7", scScores(10, 7, 3))
	scPost(t, env, p, "history", scHistory(map[string]any{"anxietyDisorder": true, "systolic": 190, "diastolic": 100}))
	for _, c := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"drug": "esketamine", "route": "intranasal", "doseMg": 60, "sessions": 8, "intervalDays": 3, "reason": "x"}, "multiple of 28"},
		{map[string]any{"drug": "ketamine", "route": "iv", "doseMgPerKg": 0.5, "sessions": 6, "intervalDays": 7, "reason": "x"}, "weight"},
		{map[string]any{"drug": "ketamine", "route": "iv", "doseMg": 35, "sessions": 6, "intervalDays": 7, "reason": " "}, "reason"},
		{map[string]any{"drug": "lsd", "route": "iv", "doseMg": 35, "sessions": 6, "intervalDays": 7, "reason": "x"}, "drug"},
		{map[string]any{"drug": "ketamine", "route": "rectal", "doseMg": 35, "sessions": 6, "intervalDays": 7, "reason": "x"}, "route"},
	} {
		if r := env.As(ketacare.RolePrescriber, "PUT", base+"/plan", c.body); r.Status != 400 || !strings.Contains(string(r.Body), c.want) {
			t.Errorf("plan %v: %d %s", c.body, r.Status, r.Body)
		}
	}
	r := env.As(ketacare.RolePrescriber, "PUT", base+"/plan", map[string]any{"drug": "ketamine", "route": "iv", "doseMgPerKg": 0.5, "weightKg": 70,
		"sessions": 6, "intervalDays": 7, "reason": "Start of course"})
	var plan struct {
		Plan struct {
			Revision       int
			DoseMg         float64
			Susceptibility string
		}
		History     []struct{ Reason string }
		Suggestions []struct{ Code string }
	}
	r.JSON(t, &plan)
	if r.Status != 200 || plan.Plan.DoseMg != 35 || plan.Plan.Susceptibility != "high" || len(plan.History) != 1 || len(plan.Suggestions) == 0 {
		t.Fatalf("plan: %d %s", r.Status, r.Body)
	}
	r = env.As(ketacare.RolePrescriber, "PUT", base+"/plan", map[string]any{"drug": "ketamine", "route": "sublingual", "doseMg": 50,
		"sessions": 6, "intervalDays": 7, "reason": "Lower starting dose at home-like setting"})
	r.JSON(t, &plan)
	if r.Status != 200 || plan.Plan.Revision != 2 || len(plan.History) != 2 || plan.History[1].Reason != "Start of course" {
		t.Fatalf("second revision: %d %s", r.Status, r.Body)
	}

	if got := status(); len(got) != 2 || !strings.Contains(got[0], "190/100") || !strings.Contains(got[1], "not given consent") {
		t.Fatalf("dosing status: %q", got)
	}
	if r := env.As(ketacare.RoleNurse, "POST", base+"/screening/overrides", map[string]any{"code": "baseline-bp-very-high", "reason": "x"}); r.Status != 403 {
		t.Fatalf("nurse override: %d", r.Status)
	}
	if r := env.As(ketacare.RolePrescriber, "POST", base+"/screening/overrides", map[string]any{"code": "baseline-bp-very-high", "reason": ""}); r.Status != 400 {
		t.Fatalf("override without reason: %d", r.Status)
	}
	if r := env.As(ketacare.RolePrescriber, "POST", base+"/screening/overrides", map[string]any{"code": "baseline-bp-very-high", "reason": "White-coat: home readings 135/85"}); r.Status != 201 {
		t.Fatalf("override: %d %s", r.Status, r.Body)
	}
	if s := scGetScreening(t, env, p); s.Blocked || len(s.Contraindications) != 1 || s.Contraindications[0].Override == nil {
		t.Fatalf("after override: %+v", s)
	}

	var text struct{ Version int }
	env.As(ketacare.RoleNurse, "GET", "/api/v1/consent-text", nil).JSON(t, &text)
	r = env.As(ketacare.RoleNurse, "POST", base+"/consents", map[string]any{"version": text.Version, "signedName": "Alex Morgan"})
	if r.Status != 201 {
		t.Fatalf("consent: %d %s", r.Status, r.Body)
	}
	cid := int64(r.Map(t)["id"].(float64))
	if r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("%s/consents/%d/countersign", base, cid), nil); r.Status != 403 {
		t.Fatalf("nurse countersign: %d", r.Status)
	}
	if r := env.As(ketacare.RolePrescriber, "POST", fmt.Sprintf("%s/consents/%d/countersign", base, cid), nil); r.Status != 200 {
		t.Fatalf("countersign: %d %s", r.Status, r.Body)
	}
	if got := status(); len(got) != 0 {
		t.Fatalf("dosing still blocked: %q", got)
	}
	r = env.As(ketacare.RoleAdmin, "PUT", "/api/v1/consent-text", map[string]any{"text": store.DefaultConsentText + "\nNew paragraph."})
	if r.Status != 200 || r.Map(t)["version"].(float64) != 2 {
		t.Fatalf("new consent text: %d %s", r.Status, r.Body)
	}
	if got := status(); len(got) != 1 || !strings.Contains(got[0], "consent again") {
		t.Fatalf("after a new consent version: %q", got)
	}
}

var scCSRF = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// linkBrowser is a cookie-keeping client for the web pages.
type linkBrowser struct {
	t *testing.T
	c *http.Client
}

func newLinkBrowser(t *testing.T) *linkBrowser {
	jar, _ := cookiejar.New(nil)
	return &linkBrowser{t: t, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *linkBrowser) get(u string) (int, string) {
	b.t.Helper()
	resp, err := b.c.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (b *linkBrowser) post(u string, form url.Values) (int, string) {
	b.t.Helper()
	resp, err := b.c.PostForm(u, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// screeningForm answers every question of the link's form.
func scForm(csrf string, item9 int) url.Values {
	f := url.Values{"csrf_token": {csrf}}
	for i := 1; i <= 7; i++ {
		f.Set(fmt.Sprintf("gad7-%d", i), "2")
	}
	for i := 1; i <= 9; i++ {
		f.Set(fmt.Sprintf("phq9-%d", i), "1")
	}
	f.Set("phq9-9", fmt.Sprint(item9))
	for i := 1; i <= 3; i++ {
		f.Set(fmt.Sprintf("auditc-%d", i), "1")
	}
	for _, q := range store.HistoryQuestions {
		f.Set("history-"+q.Name, "0")
	}
	return f
}

func TestScreeningLinkOpensOnlyItsPatientOnce(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	alex := env.CreatePatient("Alex", "Morgan")
	sam := env.CreatePatient("Sam", "Okafor")
	r := env.As(ketacare.RoleNurse, "POST", fmt.Sprintf("/api/v1/patients/%d/links", alex), map[string]any{"purpose": "screening"})
	if r.Status != 201 {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	path := r.Map(t)["url"].(string)
	b := newLinkBrowser(t)
	status, page := b.get(env.URL + path)
	if status != 200 || !strings.Contains(page, "GAD-7") || strings.Contains(page, "Morgan") {
		t.Fatalf("link page: %d (must show the forms and no patient data)", status)
	}
	if st, _ := b.get(env.URL + path + "x"); st != 404 {
		t.Fatalf("mangled link: %d, want 404", st)
	}
	csrf := scCSRF.FindStringSubmatch(page)[1]
	// Missing answers: errors shown, link still open.
	incomplete := scForm(csrf, 0)
	incomplete.Del("gad7-3")
	if st, body := b.post(env.URL+path, incomplete); st != 400 || !strings.Contains(body, "Answer question 3 of GAD-7") {
		t.Fatalf("incomplete form: %d", st)
	}
	// PHQ-9 item 9 above 0 opens the C-SSRS with the crisis contacts.
	st, body := b.post(env.URL+path, scForm(csrf, 2))
	if st != 200 || !strings.Contains(body, "cssrs-6") || !strings.Contains(body, "116 123") {
		t.Fatalf("after PHQ-9 item 9 = 2: %d %s", st, body)
	}
	if !strings.Contains(body, `href="tel:116123"`) || !strings.Contains(body, `href="sms:85258"`) {
		t.Errorf("the crisis lines cannot be tapped: %s", body)
	}
	action := regexp.MustCompile(`action="(/screen/[^"]+/cssrs)"`).FindStringSubmatch(body)[1]
	if st, _ := b.post(env.URL+path, scForm(csrf, 0)); st != http.StatusGone {
		t.Fatalf("second use of the link: %d, want 410", st)
	}
	if st, body := b.get(env.URL + path); st != http.StatusGone || !strings.Contains(body, "already been used") {
		t.Fatalf("reopening the used link: %d", st)
	}
	// With question 2 unanswered, questions 3 to 5 are not asked for yet.
	if st, body := b.post(env.URL+action, url.Values{"csrf_token": {csrf}, "cssrs-1": {"1"}, "cssrs-6": {"0"}}); st != 400 ||
		!strings.Contains(body, "Answer question 2") || strings.Contains(body, "Answer question 3") {
		t.Fatalf("C-SSRS with question 2 unanswered: %d", st)
	}
	cssrs := url.Values{"csrf_token": {csrf}, "cssrs-1": {"1"}, "cssrs-2": {"0"}, "cssrs-6": {"0"}}
	if st, body := b.post(env.URL+action, cssrs); st != 200 || !strings.Contains(body, "Samaritans") {
		t.Fatalf("C-SSRS step: %d %s", st, body)
	}
	if st, _ := b.post(env.URL+action, cssrs); st != http.StatusGone {
		t.Fatalf("C-SSRS step twice: %d, want 410", st)
	}
	var list []scAssessment
	env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/patients/%d/assessments", alex), nil).JSON(t, &list)
	if len(list) != 5 || list[0].Instrument != "cssrs" || *list[0].Band != "low" {
		t.Fatalf("Alex's assessments: %+v", list)
	}
	r = env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/patients/%d/assessments", sam), nil)
	if strings.TrimSpace(string(r.Body)) != "[]" {
		t.Fatalf("Sam got answers from Alex's link: %s", r.Body)
	}
}
