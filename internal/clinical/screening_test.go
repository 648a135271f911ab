package clinical

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDefaultScreeningMatchesReference pins the shipped defaults to section 2
// of the clinical protocol reference.
func TestDefaultScreeningMatchesReference(t *testing.T) {
	p := defaultScreening()
	got := []int{
		p.GAD7HighMin, p.GAD7HighPoints, p.GAD7RaisedMin, p.GAD7RaisedPoints,
		p.AnxietyDisorderPoints, p.KetamineReactionPoints, p.SubstanceUsePoints, p.PsychostimulantPoints,
		p.PHQ9HighMin, p.PHQ9HighPoints, p.ModerateMin, p.HighMin,
		p.BlockSystolicMin, p.BlockDiastolicMin, p.ReviewSystolicAbove, p.ReviewDiastolicAbove,
		p.ReviewAgeMin, p.ReviewFirstSessions,
	}
	want := []int{10, 2, 5, 1, 2, 3, 1, 1, 20, 1, 2, 4, 180, 110, 140, 90, 65, 3}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults differ from the protocol reference (-want +got):\n%s", diff)
	}
	if err := p.validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
}

// cleanScreening is a fully answered screening with nothing of note: it
// produces no factor, contraindication or review item.
func cleanScreening(p ScreeningProtocol) ScreeningInput {
	no := func() *bool { return new(false) }
	return ScreeningInput{
		GAD7Total: new(0), PHQ9Total: new(0), PHQ9Item9: new(0), AUDITCPositive: new(false), CSSRS: CSSRSNone,
		History: History{
			AnxietyDisorder: no(), PanicDisorder: no(), KetamineAdverseReaction: no(), SubstanceUse: no(),
			Psychosis: no(), ActivePsychosis: no(), Hypertension: no(), AneurysmOrAVM: no(),
			IntracerebralHaemorrhage: no(), Pregnant: no(),
		},
		Medicines: Medicines{
			Benzodiazepine: no(), Sedative: no(), Psychostimulant: no(), MAOI: no(), Opioid: no(), SSRI: no(),
		},
		BaselineSystolic: new(120), BaselineDiastolic: new(80), Age: new(40),
		SessionsCompleted: p.ReviewFirstSessions,
	}
}

func findingCodes(fs []ScreeningFinding) []string {
	codes := []string{}
	for _, f := range fs {
		codes = append(codes, f.Code)
	}
	return codes
}

func factorCodes(fs []ScreeningFactor) []string {
	codes := []string{}
	for _, f := range fs {
		codes = append(codes, f.Code)
	}
	return codes
}

func TestScreenCleanInputHasNoFindings(t *testing.T) {
	p := defaultScreening()
	r := Screen(p, cleanScreening(p))
	want := ScreeningResult{
		Level: SusceptibilityLow, Factors: []ScreeningFactor{}, Contraindications: []ScreeningFinding{},
		ReviewItems: []ScreeningFinding{}, SuggestedAdjustments: []ScreeningFinding{},
	}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("Screen(clean) (-want +got):\n%s", diff)
	}
	if r.Blocked() {
		t.Error("Blocked() = true with no contraindication")
	}
}

// tunedScreening moves every threshold away from the defaults, so the
// threshold tests show that Screen reads the protocol rather than constants.
func tunedScreening() ScreeningProtocol {
	p := defaultScreening()
	p.GAD7HighMin, p.GAD7HighPoints, p.GAD7RaisedMin, p.GAD7RaisedPoints = 12, 3, 7, 2
	p.PHQ9HighMin, p.PHQ9HighPoints = 18, 2
	p.AnxietyDisorderPoints, p.KetamineReactionPoints, p.SubstanceUsePoints, p.PsychostimulantPoints = 1, 4, 2, 3
	p.ModerateMin, p.HighMin = 3, 6
	p.BlockSystolicMin, p.BlockDiastolicMin = 170, 105
	p.ReviewSystolicAbove, p.ReviewDiastolicAbove = 150, 95
	p.ReviewAgeMin, p.ReviewFirstSessions = 70, 5
	p.ReviewMedicines = []Medicine{MedicineSSRI}
	return p
}

func TestScreenThresholds(t *testing.T) {
	for name, p := range map[string]ScreeningProtocol{"default": defaultScreening(), "tuned": tunedScreening()} {
		if err := p.validate(); err != nil {
			t.Fatalf("%s protocol invalid: %v", name, err)
		}
		type tc struct {
			name       string
			edit       func(*ScreeningInput)
			factors    []string
			points     int
			blocks     []string
			reviews    []string
			level      Susceptibility
			levelCheck bool
		}
		cases := []tc{
			{name: "GAD-7 just below raised", edit: func(in *ScreeningInput) { in.GAD7Total = new(p.GAD7RaisedMin - 1) }},
			{name: "GAD-7 at raised", edit: func(in *ScreeningInput) { in.GAD7Total = new(p.GAD7RaisedMin) },
				factors: []string{"gad7-raised"}, points: p.GAD7RaisedPoints},
			{name: "GAD-7 just below high", edit: func(in *ScreeningInput) { in.GAD7Total = new(p.GAD7HighMin - 1) },
				factors: []string{"gad7-raised"}, points: p.GAD7RaisedPoints},
			{name: "GAD-7 at high", edit: func(in *ScreeningInput) { in.GAD7Total = new(p.GAD7HighMin) },
				factors: []string{"gad7-high"}, points: p.GAD7HighPoints},
			{name: "GAD-7 maximum", edit: func(in *ScreeningInput) { in.GAD7Total = new(21) },
				factors: []string{"gad7-high"}, points: p.GAD7HighPoints},
			{name: "PHQ-9 just below high", edit: func(in *ScreeningInput) { in.PHQ9Total = new(p.PHQ9HighMin - 1) }},
			{name: "PHQ-9 at high", edit: func(in *ScreeningInput) { in.PHQ9Total = new(p.PHQ9HighMin) },
				factors: []string{"phq9-high"}, points: p.PHQ9HighPoints},
			{name: "anxiety disorder", edit: func(in *ScreeningInput) { in.History.AnxietyDisorder = new(true) },
				factors: []string{"anxiety-disorder-history"}, points: p.AnxietyDisorderPoints},
			{name: "panic disorder", edit: func(in *ScreeningInput) { in.History.PanicDisorder = new(true) },
				factors: []string{"anxiety-disorder-history"}, points: p.AnxietyDisorderPoints},
			{name: "anxiety and panic disorder count once", edit: func(in *ScreeningInput) {
				in.History.AnxietyDisorder, in.History.PanicDisorder = new(true), new(true)
			}, factors: []string{"anxiety-disorder-history"}, points: p.AnxietyDisorderPoints},
			{name: "ketamine adverse reaction", edit: func(in *ScreeningInput) { in.History.KetamineAdverseReaction = new(true) },
				factors: []string{"ketamine-adverse-reaction"}, points: p.KetamineReactionPoints},
			{name: "substance use scores and needs review", edit: func(in *ScreeningInput) { in.History.SubstanceUse = new(true) },
				factors: []string{"substance-use"}, points: p.SubstanceUsePoints, reviews: []string{"substance-use"}},
			{name: "psychostimulant", edit: func(in *ScreeningInput) { in.Medicines.Psychostimulant = new(true) },
				factors: []string{"psychostimulant"}, points: p.PsychostimulantPoints,
				reviews: medicineReview(p, MedicinePsychostimulant)},

			{name: "systolic at review limit", edit: func(in *ScreeningInput) { in.BaselineSystolic = new(p.ReviewSystolicAbove) }},
			{name: "systolic above review limit", edit: func(in *ScreeningInput) { in.BaselineSystolic = new(p.ReviewSystolicAbove + 1) },
				reviews: []string{"baseline-bp-raised"}},
			{name: "diastolic at review limit", edit: func(in *ScreeningInput) { in.BaselineDiastolic = new(p.ReviewDiastolicAbove) }},
			{name: "diastolic above review limit", edit: func(in *ScreeningInput) { in.BaselineDiastolic = new(p.ReviewDiastolicAbove + 1) },
				reviews: []string{"baseline-bp-raised"}},
			{name: "systolic just below block", edit: func(in *ScreeningInput) { in.BaselineSystolic = new(p.BlockSystolicMin - 1) },
				reviews: []string{"baseline-bp-raised"}},
			{name: "systolic at block", edit: func(in *ScreeningInput) { in.BaselineSystolic = new(p.BlockSystolicMin) },
				blocks: []string{"baseline-bp-very-high"}},
			{name: "diastolic just below block", edit: func(in *ScreeningInput) { in.BaselineDiastolic = new(p.BlockDiastolicMin - 1) },
				reviews: []string{"baseline-bp-raised"}},
			{name: "diastolic at block", edit: func(in *ScreeningInput) { in.BaselineDiastolic = new(p.BlockDiastolicMin) },
				blocks: []string{"baseline-bp-very-high"}},
			{name: "blood pressure missing", edit: func(in *ScreeningInput) { in.BaselineDiastolic = nil },
				reviews: []string{"missing-baseline-bp"}},

			{name: "age just below review", edit: func(in *ScreeningInput) { in.Age = new(p.ReviewAgeMin - 1) }},
			{name: "age at review", edit: func(in *ScreeningInput) { in.Age = new(p.ReviewAgeMin) }, reviews: []string{"age"}},
			{name: "first dosing session", edit: func(in *ScreeningInput) { in.SessionsCompleted = 0 }, reviews: []string{"first-sessions"}},
			{name: "last of the first sessions", edit: func(in *ScreeningInput) { in.SessionsCompleted = p.ReviewFirstSessions - 1 },
				reviews: []string{"first-sessions"}},
			{name: "after the first sessions", edit: func(in *ScreeningInput) { in.SessionsCompleted = p.ReviewFirstSessions }},

			{name: "aneurysm or AVM", edit: func(in *ScreeningInput) { in.History.AneurysmOrAVM = new(true) }, blocks: []string{"aneurysm-or-avm"}},
			{name: "intracerebral haemorrhage", edit: func(in *ScreeningInput) { in.History.IntracerebralHaemorrhage = new(true) },
				blocks: []string{"intracerebral-haemorrhage"}},
			{name: "active psychosis", edit: func(in *ScreeningInput) { in.History.ActivePsychosis = new(true) }, blocks: []string{"active-psychosis"}},
			{name: "pregnancy", edit: func(in *ScreeningInput) { in.History.Pregnant = new(true) }, blocks: []string{"pregnancy"}},
			{name: "psychosis history", edit: func(in *ScreeningInput) { in.History.Psychosis = new(true) }, reviews: []string{"psychosis-history"}},
			{name: "hypertension history", edit: func(in *ScreeningInput) { in.History.Hypertension = new(true) },
				reviews: []string{"hypertension-history"}},
			{name: "AUDIT-C positive", edit: func(in *ScreeningInput) { in.AUDITCPositive = new(true) }, reviews: []string{"audit-c-positive"}},

			{name: "C-SSRS high", edit: func(in *ScreeningInput) { in.CSSRS = CSSRSHigh }, blocks: []string{"cssrs-high-risk"}},
			{name: "C-SSRS moderate", edit: func(in *ScreeningInput) { in.CSSRS = CSSRSModerate }, reviews: []string{"cssrs-moderate-risk"}},
			{name: "C-SSRS low", edit: func(in *ScreeningInput) { in.CSSRS = CSSRSLow }, reviews: []string{"cssrs-low-risk"}},
			{name: "C-SSRS missing", edit: func(in *ScreeningInput) { in.CSSRS = "" }, reviews: []string{"missing-cssrs"}},
			{name: "C-SSRS unrecognised", edit: func(in *ScreeningInput) { in.CSSRS = "HIGH" }, reviews: []string{"missing-cssrs"}},
			{name: "PHQ-9 item 9 with C-SSRS done", edit: func(in *ScreeningInput) { in.PHQ9Item9 = new(1) }},
			{name: "PHQ-9 item 9 without C-SSRS", edit: func(in *ScreeningInput) { in.PHQ9Item9, in.CSSRS = new(1), "" },
				reviews: []string{"missing-cssrs", "phq9-item9-needs-cssrs"}},
			{name: "PHQ-9 item 9 after the last C-SSRS", edit: func(in *ScreeningInput) { in.PHQ9Item9, in.PHQ9Item9Unscreened = new(2), true },
				reviews: []string{"phq9-item9-needs-cssrs"}},
		}
		// Susceptibility levels at each band edge, using one factor worth
		// exactly the points wanted.
		for _, pts := range []int{0, p.ModerateMin - 1, p.ModerateMin, p.HighMin - 1, p.HighMin} {
			want := SusceptibilityLow
			if pts >= p.HighMin {
				want = SusceptibilityHigh
			} else if pts >= p.ModerateMin {
				want = SusceptibilityModerate
			}
			c := tc{name: fmt.Sprintf("level at %d points", pts), level: want, levelCheck: true, points: pts}
			if pts > 0 {
				c.edit = func(in *ScreeningInput) { in.History.KetamineAdverseReaction = new(true) }
				c.factors = []string{"ketamine-adverse-reaction"}
			}
			cases = append(cases, c)
		}

		for _, c := range cases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				q := p
				if c.levelCheck {
					q.KetamineReactionPoints = c.points
				}
				in := cleanScreening(q)
				if c.edit != nil {
					c.edit(&in)
				}
				r := Screen(q, in)
				if diff := cmp.Diff(nonNil(c.factors), factorCodes(r.Factors)); diff != "" {
					t.Errorf("factors (-want +got):\n%s", diff)
				}
				if r.Points != c.points {
					t.Errorf("points = %d, want %d", r.Points, c.points)
				}
				if diff := cmp.Diff(nonNil(c.blocks), findingCodes(r.Contraindications)); diff != "" {
					t.Errorf("contraindications (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(nonNil(c.reviews), findingCodes(r.ReviewItems)); diff != "" {
					t.Errorf("review items (-want +got):\n%s", diff)
				}
				if r.Blocked() != (len(c.blocks) > 0) {
					t.Errorf("Blocked() = %v with contraindications %v", r.Blocked(), c.blocks)
				}
				if c.levelCheck && r.Level != c.level {
					t.Errorf("level = %q, want %q", r.Level, c.level)
				}
			})
		}
	}
}

func medicineReview(p ScreeningProtocol, m Medicine) []string {
	if slices.Contains(p.ReviewMedicines, m) {
		return []string{"medicine-" + string(m)}
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func TestScreenHighSusceptibilitySuggestsAdjustments(t *testing.T) {
	p := defaultScreening()
	in := cleanScreening(p)
	in.GAD7Total = new(12)               // +2
	in.History.PanicDisorder = new(true) // +2
	r := Screen(p, in)
	if r.Level != SusceptibilityHigh || r.Points != 4 {
		t.Fatalf("level %q with %d points, want high with 4", r.Level, r.Points)
	}
	want := []string{"lower-starting-dose", "closer-monitoring", "trusted-professional-present"}
	if diff := cmp.Diff(want, findingCodes(r.SuggestedAdjustments)); diff != "" {
		t.Errorf("suggested adjustments (-want +got):\n%s", diff)
	}
	wantFactors := []ScreeningFactor{
		{Code: "gad7-high", Points: 2, Reason: "GAD-7 total 12 (≥ 10)"},
		{Code: "anxiety-disorder-history", Points: 2, Reason: "History of panic disorder"},
	}
	if diff := cmp.Diff(wantFactors, r.Factors); diff != "" {
		t.Errorf("factors (-want +got):\n%s", diff)
	}

	in.GAD7Total = new(5) // +1: moderate, no adjustments
	r = Screen(p, in)
	if r.Level != SusceptibilityModerate || len(r.SuggestedAdjustments) != 0 {
		t.Errorf("level %q with adjustments %v, want moderate with none", r.Level, r.SuggestedAdjustments)
	}
}

func TestScreenMissingInformationBecomesReviewItems(t *testing.T) {
	p := defaultScreening()
	r := Screen(p, ScreeningInput{})
	want := []string{
		"missing-gad7", "missing-phq9", "missing-cssrs", "missing-baseline-bp", "missing-age",
		"missing-audit-c", "first-sessions", "history-incomplete",
	}
	if diff := cmp.Diff(want, findingCodes(r.ReviewItems)); diff != "" {
		t.Errorf("review items (-want +got):\n%s", diff)
	}
	if r.Level != SusceptibilityLow || r.Points != 0 || r.Blocked() {
		t.Errorf("empty input: level %q, %d points, blocked %v", r.Level, r.Points, r.Blocked())
	}
	last := r.ReviewItems[len(r.ReviewItems)-1].Reason
	for _, q := range []string{"anxietyDisorder", "pregnant", "aneurysmOrAvm", "maoi", "ssri"} {
		if !strings.Contains(last, q) {
			t.Errorf("history-incomplete reason %q does not name %q", last, q)
		}
	}

	in := cleanScreening(p)
	in.History.Pregnant = nil
	r = Screen(p, in)
	if diff := cmp.Diff([]ScreeningFinding{{"history-incomplete", "History not answered: pregnant"}}, r.ReviewItems); diff != "" {
		t.Errorf("one unanswered question (-want +got):\n%s", diff)
	}
}

func TestScreenInteractingMedicines(t *testing.T) {
	p := defaultScreening()
	in := cleanScreening(p)
	in.Medicines = Medicines{
		Benzodiazepine: new(true), Sedative: new(true), Psychostimulant: new(true),
		MAOI: new(true), Opioid: new(true), SSRI: new(true),
	}
	r := Screen(p, in)
	want := []string{"medicine-benzodiazepine", "medicine-sedative", "medicine-psychostimulant", "medicine-maoi", "medicine-opioid"}
	if diff := cmp.Diff(want, findingCodes(r.ReviewItems)); diff != "" {
		t.Errorf("default review medicines (-want +got):\n%s", diff)
	}

	p.ReviewMedicines = []Medicine{MedicineSSRI}
	r = Screen(p, in)
	if diff := cmp.Diff([]string{"medicine-ssri"}, findingCodes(r.ReviewItems)); diff != "" {
		t.Errorf("clinic's own review list (-want +got):\n%s", diff)
	}
}

func TestScreeningProtocolValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(*ScreeningProtocol)
		want string
	}{
		{"negative points", func(p *ScreeningProtocol) { p.SubstanceUsePoints = -1 }, "substanceUsePoints"},
		{"GAD-7 thresholds crossed", func(p *ScreeningProtocol) { p.GAD7RaisedMin = 10 }, "gad7RaisedMin"},
		{"GAD-7 beyond scale", func(p *ScreeningProtocol) { p.GAD7HighMin = 22 }, "gad7HighMin"},
		{"PHQ-9 beyond scale", func(p *ScreeningProtocol) { p.PHQ9HighMin = 28 }, "phq9HighMin"},
		{"levels crossed", func(p *ScreeningProtocol) { p.ModerateMin = 4 }, "moderateMin"},
		{"block below review", func(p *ScreeningProtocol) { p.BlockSystolicMin = 140 }, "blockSystolicMin"},
		{"diastolic block below review", func(p *ScreeningProtocol) { p.BlockDiastolicMin = 90 }, "blockDiastolicMin"},
		{"age", func(p *ScreeningProtocol) { p.ReviewAgeMin = 0 }, "reviewAgeMin"},
		{"unknown medicine", func(p *ScreeningProtocol) { p.ReviewMedicines = append(p.ReviewMedicines, "aspirin") }, `unknown medicine "aspirin"`},
		{"medicine twice", func(p *ScreeningProtocol) { p.ReviewMedicines = append(p.ReviewMedicines, MedicineMAOI) }, "listed twice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := defaultScreening()
			c.edit(&p)
			err := p.validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("validate() = %v, want an error mentioning %q", err, c.want)
			}
		})
	}
}

// TestProtocolSectionsJSONRoundTrip checks that the screening, follow-up
// and callback sections survive being stored as JSON.
func TestProtocolSectionsJSONRoundTrip(t *testing.T) {
	roundTrip := func(name string, v, into any) {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, into); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	var s ScreeningProtocol
	roundTrip("screening", defaultScreening(), &s)
	if diff := cmp.Diff(defaultScreening(), s); diff != "" {
		t.Errorf("screening (-want +got):\n%s", diff)
	}
	var f FollowupProtocol
	roundTrip("followup", defaultFollowup(), &f)
	if diff := cmp.Diff(defaultFollowup(), f); diff != "" {
		t.Errorf("followup (-want +got):\n%s", diff)
	}
	var c CallbackProtocol
	roundTrip("callback", defaultCallback(), &c)
	if diff := cmp.Diff(defaultCallback(), c); diff != "" {
		t.Errorf("callback (-want +got):\n%s", diff)
	}
}
