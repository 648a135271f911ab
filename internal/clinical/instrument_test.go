package clinical

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustLookup(t *testing.T, id string) Instrument {
	t.Helper()
	def, ok := Lookup(id)
	if !ok {
		t.Fatalf("Lookup(%q): not found", id)
	}
	return def
}

// answersSumming returns answers to def whose scores add up to total,
// filling items in order with their highest option. It suits instruments
// without reverse-scored items whose options run 0, 1, 2, ...
func answersSumming(t *testing.T, def Instrument, total int) []int {
	t.Helper()
	answers := make([]int, len(def.Items))
	left := total
	for i, item := range def.Items {
		_, hi := item.scoreRange()
		answers[i] = min(left, hi)
		left -= answers[i]
	}
	if left != 0 {
		t.Fatalf("%s cannot total %d", def.ID, total)
	}
	return answers
}

func TestBuiltinsValidate(t *testing.T) {
	want := []string{InstrumentGAD7, InstrumentPHQ9, InstrumentAUDITC, InstrumentCSSRS, InstrumentCADSS6, InstrumentSTAI6, InstrumentDAST10}
	var got []string
	for _, def := range Builtins() {
		got = append(got, def.ID)
		if err := def.Validate(); err != nil {
			t.Errorf("%s: %v", def.ID, err)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("built-in ids (-want +got):\n%s", diff)
	}
	if _, ok := Lookup("no-such-instrument"); ok {
		t.Error("Lookup of an unknown id succeeded")
	}
}

func TestLookupReturnsACopy(t *testing.T) {
	def := mustLookup(t, InstrumentGAD7)
	def.Items[0].Options[0].Score = 99
	def.Bands[0].Max = 99
	again := mustLookup(t, InstrumentGAD7)
	if again.Items[0].Options[0].Score != 0 || again.Bands[0].Max != 4 {
		t.Error("changing a looked-up instrument changed the built-in")
	}
}

func TestBuiltinCodesAndShape(t *testing.T) {
	cases := []struct {
		id, loinc, totalLOINC string
		items                 int
		maxTotal              float64
	}{
		{InstrumentGAD7, "69737-5", "70274-6", 7, 21},
		{InstrumentPHQ9, "44249-1", "44261-6", 9, 27},
		{InstrumentAUDITC, "", "75626-2", 3, 12},
		{InstrumentCSSRS, "", "", 6, 6},
		{InstrumentCADSS6, "", "", 6, 24},
		{InstrumentSTAI6, "", "", 6, 80},
		{InstrumentDAST10, "", "", 10, 10},
	}
	for _, c := range cases {
		def := mustLookup(t, c.id)
		if def.LOINC != c.loinc || def.TotalLOINC != c.totalLOINC {
			t.Errorf("%s: LOINC panel %q total %q, want %q %q", c.id, def.LOINC, def.TotalLOINC, c.loinc, c.totalLOINC)
		}
		if len(def.Items) != c.items || def.MaxTotal() != c.maxTotal {
			t.Errorf("%s: %d items, max total %g; want %d, %g", c.id, len(def.Items), def.MaxTotal(), c.items, c.maxTotal)
		}
	}
	phq9 := mustLookup(t, InstrumentPHQ9)
	if got := phq9.Items[8].LOINC; got != "44260-8" {
		t.Errorf("PHQ-9 item 9 LOINC = %q, want 44260-8", got)
	}
	var answerCodes []string
	for _, o := range mustLookup(t, InstrumentGAD7).Items[0].Options {
		answerCodes = append(answerCodes, fmt.Sprintf("%d=%s", o.Score, o.LOINC))
	}
	if diff := cmp.Diff([]string{"0=LA6568-5", "1=LA6569-3", "2=LA6570-1", "3=LA6571-9"}, answerCodes); diff != "" {
		t.Errorf("GAD-7 answer codes (-want +got):\n%s", diff)
	}
	for _, id := range []string{InstrumentSTAI6, InstrumentDAST10, InstrumentCADSS6} {
		for _, item := range mustLookup(t, id).Items {
			if item.Text != "" {
				t.Errorf("%s item %s ships text %q; licensed item text is the clinic's to load", id, item.LinkID, item.Text)
			}
		}
	}
}

// TestBandEdges scores a total at each side of every band edge.
func TestBandEdges(t *testing.T) {
	cases := []struct {
		id    string
		sex   string
		total int
		band  string
	}{
		{InstrumentGAD7, "", 0, "minimal"},
		{InstrumentGAD7, "", 4, "minimal"},
		{InstrumentGAD7, "", 5, "mild"},
		{InstrumentGAD7, "", 9, "mild"},
		{InstrumentGAD7, "", 10, "moderate"},
		{InstrumentGAD7, "", 14, "moderate"},
		{InstrumentGAD7, "", 15, "severe"},
		{InstrumentGAD7, "", 21, "severe"},

		{InstrumentPHQ9, "", 0, "minimal"},
		{InstrumentPHQ9, "", 4, "minimal"},
		{InstrumentPHQ9, "", 5, "mild"},
		{InstrumentPHQ9, "", 9, "mild"},
		{InstrumentPHQ9, "", 10, "moderate"},
		{InstrumentPHQ9, "", 14, "moderate"},
		{InstrumentPHQ9, "", 15, "moderately-severe"},
		{InstrumentPHQ9, "", 19, "moderately-severe"},
		{InstrumentPHQ9, "", 20, "severe"},
		{InstrumentPHQ9, "", 27, "severe"},

		{InstrumentAUDITC, "male", 0, "negative"},
		{InstrumentAUDITC, "male", 3, "negative"},
		{InstrumentAUDITC, "male", 4, "positive"},
		{InstrumentAUDITC, "male", 12, "positive"},
		{InstrumentAUDITC, "female", 2, "negative"},
		{InstrumentAUDITC, "female", 3, "positive"},
		{InstrumentAUDITC, " Male ", 3, "negative"}, // case and spaces ignored
		{InstrumentAUDITC, "FEMALE", 3, "positive"},
		{InstrumentAUDITC, "", 2, "negative"}, // sex not recorded: the lower cut-off
		{InstrumentAUDITC, "", 3, "positive"},
		{InstrumentAUDITC, "other", 3, "positive"},

		{InstrumentDAST10, "", 0, "none"},
		{InstrumentDAST10, "", 1, "low"},
		{InstrumentDAST10, "", 2, "low"},
		{InstrumentDAST10, "", 3, "moderate"},
		{InstrumentDAST10, "", 5, "moderate"},
		{InstrumentDAST10, "", 6, "substantial"},
		{InstrumentDAST10, "", 8, "substantial"},
		{InstrumentDAST10, "", 9, "severe"},
		{InstrumentDAST10, "", 10, "severe"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%q/%d", c.id, c.sex, c.total), func(t *testing.T) {
			def := mustLookup(t, c.id)
			var answers []int
			if c.id == InstrumentDAST10 {
				answers = dastAnswers(c.total)
			} else {
				answers = answersSumming(t, def, c.total)
			}
			s, err := Score(def, answers, Subject{Sex: c.sex})
			if err != nil {
				t.Fatal(err)
			}
			if s.Sum != c.total || s.Total != float64(c.total) || s.Band != c.band {
				t.Errorf("sum %d total %g band %q; want %d, %d, %q", s.Sum, s.Total, s.Band, c.total, c.total, c.band)
			}
		})
	}
}

// dastAnswers answers DAST-10 for a wanted total. Item 3 ("able to
// stop") is reverse-scored: answering no to it scores 1.
func dastAnswers(total int) []int {
	answers := make([]int, 10)
	answers[2] = 1 // yes to item 3 scores 0
	for i := 0; total > 0; i++ {
		if i == 2 {
			answers[2] = 0
		} else {
			answers[i] = 1
		}
		total--
	}
	return answers
}

func TestFlags(t *testing.T) {
	gad7, phq9 := mustLookup(t, InstrumentGAD7), mustLookup(t, InstrumentPHQ9)
	cases := []struct {
		name    string
		def     Instrument
		answers []int
		flags   []string
	}{
		{"GAD-7 9: no referral flag", gad7, []int{3, 3, 3, 0, 0, 0, 0}, []string{}},
		{"GAD-7 10: referral flag", gad7, []int{3, 3, 3, 1, 0, 0, 0}, []string{FlagGAD7Refer}},
		{"PHQ-9 item 9 at 0 with a high total", phq9, []int{3, 3, 3, 3, 3, 3, 3, 3, 0}, []string{}},
		{"PHQ-9 item 9 at 1 with a low total", phq9, []int{0, 0, 0, 0, 0, 0, 0, 0, 1}, []string{FlagPHQ9Item9}},
		{"PHQ-9 item 9 at 3", phq9, []int{0, 0, 0, 0, 0, 0, 0, 0, 3}, []string{FlagPHQ9Item9}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Score(c.def, c.answers, Subject{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.flags, s.Flags); diff != "" {
				t.Errorf("flags (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCSSRSScreener(t *testing.T) {
	const S = Skipped
	cases := []struct {
		name    string
		answers []int
		risk    CSSRSRisk
	}{
		{"all no", []int{0, 0, S, S, S, 0}, CSSRSNone},
		{"wish to be dead only", []int{1, 0, S, S, S, 0}, CSSRSLow},
		{"active thoughts only", []int{0, 1, 0, 0, 0, 0}, CSSRSLow},
		{"both ideation questions", []int{1, 1, 0, 0, 0, 0}, CSSRSLow},
		{"method", []int{1, 1, 1, 0, 0, 0}, CSSRSModerate},
		{"intent", []int{1, 1, 0, 1, 0, 0}, CSSRSHigh},
		{"plan", []int{1, 1, 1, 0, 1, 0}, CSSRSHigh},
		{"behaviour with ideation", []int{1, 1, 0, 0, 0, 1}, CSSRSHigh},
		{"behaviour without active thoughts", []int{0, 0, S, S, S, 1}, CSSRSHigh},
	}
	def := mustLookup(t, InstrumentCSSRS)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Score(def, c.answers, Subject{})
			if err != nil {
				t.Fatal(err)
			}
			if s.Band != string(c.risk) {
				t.Errorf("risk = %q, want %q", s.Band, c.risk)
			}
		})
	}
}

func TestSTAI6(t *testing.T) {
	// Items: calm, tense, upset, relaxed, content, worried; 1–4 each; calm,
	// relaxed and content reverse-scored; total = sum × 20/6.
	cases := []struct {
		name    string
		answers []int
		sum     int
		total   float64
		band    string
	}{
		{"least anxious", []int{4, 1, 1, 4, 4, 1}, 6, 20, "not-significant"},
		{"most anxious", []int{1, 4, 4, 1, 1, 4}, 24, 80, "significant"},
		{"all answered 1", []int{1, 1, 1, 1, 1, 1}, 15, 50, "significant"},
		{"sum 12 is exactly 40", []int{4, 4, 4, 4, 4, 1}, 12, 40, "not-significant"},
		{"sum 13 is above 40", []int{4, 4, 4, 4, 4, 2}, 13, 13 * 20.0 / 6, "significant"},
	}
	def := mustLookup(t, InstrumentSTAI6)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Score(def, c.answers, Subject{})
			if err != nil {
				t.Fatal(err)
			}
			if s.Sum != c.sum || s.Total != c.total || s.Band != c.band {
				t.Errorf("sum %d total %g band %q; want %d, %g, %q", s.Sum, s.Total, s.Band, c.sum, c.total, c.band)
			}
		})
	}
}

func TestCADSS6IsReportedOnly(t *testing.T) {
	s, err := Score(mustLookup(t, InstrumentCADSS6), []int{4, 4, 4, 4, 4, 4}, Subject{})
	if err != nil {
		t.Fatal(err)
	}
	want := InstrumentScore{Instrument: InstrumentCADSS6, Sum: 24, Total: 24, Flags: []string{}}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("CADSS-6 score (-want +got):\n%s", diff)
	}
}

func TestScoreRejectsInvalidAnswers(t *testing.T) {
	const S = Skipped
	gad7, cssrs, stai := mustLookup(t, InstrumentGAD7), mustLookup(t, InstrumentCSSRS), mustLookup(t, InstrumentSTAI6)
	cases := []struct {
		name    string
		def     Instrument
		answers []int
		want    string
	}{
		{"too few", gad7, []int{0, 0, 0, 0, 0, 0}, "6 answers given, 7 expected"},
		{"too many", gad7, []int{0, 0, 0, 0, 0, 0, 0, 0}, "8 answers given, 7 expected"},
		{"none", gad7, nil, "0 answers given, 7 expected"},
		{"above the scale", gad7, []int{0, 0, 4, 0, 0, 0, 0}, "item 3: answer 4 is not one of 0, 1, 2, 3"},
		{"negative", gad7, []int{0, -2, 0, 0, 0, 0, 0}, "item 2: answer -2 is not one of 0, 1, 2, 3"},
		{"zero on a 1–4 scale", stai, []int{0, 1, 1, 1, 1, 1}, "item 1: answer 0 is not one of 1, 2, 3, 4"},
		{"skipped without a rule", gad7, []int{0, 0, 0, 0, S, 0, 0}, "item 5 is not answered"},
		{"C-SSRS: answered after Q2 no", cssrs, []int{1, 0, 1, S, S, 0}, "item 3 is answered, but item 2 was answered 0, so it must be skipped"},
		{"C-SSRS: skipped after Q2 yes", cssrs, []int{1, 1, S, S, S, 0}, "item 3 is not answered"},
		{"C-SSRS: Q6 is always asked", cssrs, []int{0, 0, S, S, S, S}, "item 6 is not answered"},
		{"C-SSRS: not yes or no", cssrs, []int{2, 0, S, S, S, 0}, "item 1: answer 2 is not one of 0, 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Score(c.def, c.answers, Subject{})
			if !errors.Is(err, ErrInvalidAnswers) {
				t.Fatalf("error %v is not ErrInvalidAnswers", err)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), c.def.ID+": ") {
				t.Errorf("error %q does not start with %q and mention %q", err, c.def.ID, c.want)
			}
		})
	}
}

func TestValidateRejectsBadDefinitions(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Instrument)
		want string
	}{
		{"id", func(d *Instrument) { d.ID = "GAD 7" }, `id "GAD 7"`},
		{"name", func(d *Instrument) { d.Name = "" }, "name is empty"},
		{"licence", func(d *Instrument) { d.Licence = "" }, "licence note is empty"},
		{"no items", func(d *Instrument) { d.Items = nil }, "no items"},
		{"duplicate linkId", func(d *Instrument) { d.Items[1].LinkID = "1" }, `linkId "1" used twice`},
		{"empty linkId", func(d *Instrument) { d.Items[0].LinkID = "" }, "item 1 has no linkId"},
		{"one option", func(d *Instrument) { d.Items[0].Options = d.Items[0].Options[:1] }, "fewer than two options"},
		{"duplicate score", func(d *Instrument) { d.Items[0].Options[1].Score = 0 }, "option score 0 used twice"},
		{"negative score", func(d *Instrument) { d.Items[0].Options[0].Score = -1 }, "is negative"},
		{"unknown reverse item", func(d *Instrument) { d.Scoring.Reverse = []string{"8"} }, `reverse refers to unknown item "8"`},
		{"multiplier half set", func(d *Instrument) { d.Scoring.Multiply = 20 }, "multiply and divide"},
		{"skip unknown item", func(d *Instrument) { d.Scoring.Skip = []SkipRule{{When: "1", Equals: 0, Skip: []string{"9"}}} }, `unknown item "9"`},
		{"skip own item", func(d *Instrument) { d.Scoring.Skip = []SkipRule{{When: "1", Equals: 0, Skip: []string{"1"}}} }, "skips its own item"},
		{"skip value not an option", func(d *Instrument) { d.Scoring.Skip = []SkipRule{{When: "1", Equals: 7, Skip: []string{"2"}}} }, "7 is not an option"},
		{"chained skip", func(d *Instrument) {
			d.Scoring.Skip = []SkipRule{{When: "1", Equals: 0, Skip: []string{"2"}}, {When: "2", Equals: 0, Skip: []string{"3"}}}
		}, "can itself be skipped"},
		{"bands out of order", func(d *Instrument) { d.Bands[1].Max = 3 }, "not above the previous band"},
		{"bands too short", func(d *Instrument) { d.Bands[3].Max = 20 }, "below the highest total 21"},
		{"band code", func(d *Instrument) { d.Bands[0].Code = "Minimal" }, `code "Minimal"`},
		{"sex band key", func(d *Instrument) { d.SexBands = map[string][]ScoreBand{"Male": d.Bands} }, `key "Male"`},
		{"empty sex bands", func(d *Instrument) { d.SexBands = map[string][]ScoreBand{"male": nil} }, `sexBands "male" is empty`},
		{"rule without items", func(d *Instrument) { d.Rules = []ItemRule{{Code: "high", Min: 1}} }, "names no items"},
		{"rule min", func(d *Instrument) { d.Rules = []ItemRule{{Code: "high", AnyOf: []string{"1"}}} }, "min must be at least 1"},
		{"flag on unknown item", func(d *Instrument) { d.Flags = []FlagRule{{Code: "x", Item: "0", Min: 1}} }, `unknown item "0"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			def := mustLookup(t, InstrumentGAD7)
			c.edit(&def)
			err := def.Validate()
			if !errors.Is(err, ErrInvalidInstrument) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate() = %v, want ErrInvalidInstrument mentioning %q", err, c.want)
			}
			if _, err := Score(def, make([]int, len(def.Items)), Subject{}); !errors.Is(err, ErrInvalidInstrument) {
				t.Errorf("Score with a bad definition: %v, want ErrInvalidInstrument", err)
			}
		})
	}
}

func TestBuiltinsJSONRoundTrip(t *testing.T) {
	for _, def := range Builtins() {
		data, err := json.Marshal(def)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseInstrument(data)
		if err != nil {
			t.Fatalf("%s: %v", def.ID, err)
		}
		if diff := cmp.Diff(def, back); diff != "" {
			t.Errorf("%s JSON round trip (-want +got):\n%s", def.ID, diff)
		}
	}
}

// TestCustomInstrumentFromJSON loads an instrument that is not built in and
// scores it with the same engine: reverse scoring, a multiplier, skip
// logic, an item rule, sex-dependent bands and flags.
func TestCustomInstrumentFromJSON(t *testing.T) {
	const doc = `{
	  "id": "clinic-anxiety-4",
	  "name": "Clinic anxiety check",
	  "licence": "Written by the clinic",
	  "items": [
	    {"linkId": "a", "text": "I feel at ease", "options": [{"label": "No", "score": 0}, {"label": "Somewhat", "score": 1}, {"label": "Yes", "score": 2}]},
	    {"linkId": "b", "text": "I feel panicky", "options": [{"label": "No", "score": 0}, {"label": "Somewhat", "score": 1}, {"label": "Yes", "score": 2}]},
	    {"linkId": "c", "text": "Did the panic stop you doing things?", "options": [{"label": "No", "score": 0}, {"label": "Yes", "score": 2}]},
	    {"linkId": "d", "text": "I am worried", "options": [{"label": "No", "score": 0}, {"label": "Somewhat", "score": 1}, {"label": "Yes", "score": 2}]}
	  ],
	  "scoring": {"reverse": ["a"], "multiply": 10, "divide": 4, "skip": [{"when": "b", "equals": 0, "skip": ["c"]}]},
	  "bands": [{"code": "low", "label": "Low", "max": 10}, {"code": "high", "label": "High", "max": 20}],
	  "sexBands": {"female": [{"code": "low", "label": "Low", "max": 5}, {"code": "high", "label": "High", "max": 20}]},
	  "rules": [{"code": "disabling", "label": "Disabling panic", "anyOf": ["c"], "min": 2}],
	  "flags": [{"code": "panic", "item": "b", "min": 2}, {"code": "over-ten", "min": 10}]
	}`
	def, err := ParseInstrument([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	const S = Skipped
	cases := []struct {
		name    string
		answers []int
		sex     string
		want    InstrumentScore
	}{
		{"at ease, panic skipped", []int{2, 0, S, 0}, "",
			InstrumentScore{Instrument: "clinic-anxiety-4", Sum: 0, Total: 0, Band: "low", BandLabel: "Low", Flags: []string{}}},
		{"not at ease", []int{0, 0, S, 2}, "male", // item a reversed: 2; sum 4 → 10
			InstrumentScore{Instrument: "clinic-anxiety-4", Sum: 4, Total: 10, Band: "low", BandLabel: "Low", Flags: []string{"over-ten"}}},
		{"same answers, female cut-off", []int{0, 0, S, 2}, "female",
			InstrumentScore{Instrument: "clinic-anxiety-4", Sum: 4, Total: 10, Band: "high", BandLabel: "High", Flags: []string{"over-ten"}}},
		{"disabling panic", []int{1, 2, 2, 0}, "",
			InstrumentScore{Instrument: "clinic-anxiety-4", Sum: 5, Total: 12.5, Band: "disabling", BandLabel: "Disabling panic", Flags: []string{"panic", "over-ten"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Score(def, c.answers, Subject{Sex: c.sex})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, s); diff != "" {
				t.Errorf("score (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := Score(def, []int{2, 0, 0, 0}, Subject{}); !errors.Is(err, ErrInvalidAnswers) {
		t.Errorf("answering a skipped item: %v, want ErrInvalidAnswers", err)
	}
	if _, err := Score(def, []int{2, 1, 1, 0}, Subject{}); err == nil || !strings.Contains(err.Error(), "item c: answer 1 is not one of 0, 2") {
		t.Errorf("an answer between options: %v", err)
	}
}

// TestLicensedSTAI6FromJSON shows a clinic adding its licensed item text to
// the shipped STAI-6 scoring rule without a code change.
func TestLicensedSTAI6FromJSON(t *testing.T) {
	def := mustLookup(t, InstrumentSTAI6)
	data, err := json.Marshal(def)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	doc["id"] = "stai-6-licensed"
	for i, item := range doc["items"].([]any) {
		item.(map[string]any)["text"] = fmt.Sprintf("licensed text %d", i+1)
	}
	data, err = json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	licensed, err := ParseInstrument(data)
	if err != nil {
		t.Fatal(err)
	}
	if licensed.Items[3].Text != "licensed text 4" {
		t.Errorf("item 4 text = %q", licensed.Items[3].Text)
	}
	s, err := Score(licensed, []int{1, 1, 1, 1, 1, 1}, Subject{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Total != 50 || s.Band != "significant" {
		t.Errorf("licensed STAI-6: total %g band %q, want 50 significant", s.Total, s.Band)
	}
}

func TestParseInstrumentRejects(t *testing.T) {
	good, err := json.Marshal(mustLookup(t, InstrumentGAD7))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, doc, want string
	}{
		{"not JSON", "{", "unexpected EOF"},
		{"unknown field", strings.Replace(string(good), `"name"`, `"nmae"`, 1), `unknown field "nmae"`},
		{"trailing data", string(good) + "{}", "data after the definition"},
		{"invalid definition", strings.Replace(string(good), `"max":21`, `"max":20`, 1), "below the highest total"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseInstrument([]byte(c.doc))
			if !errors.Is(err, ErrInvalidInstrument) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("ParseInstrument: %v, want ErrInvalidInstrument mentioning %q", err, c.want)
			}
		})
	}
}
