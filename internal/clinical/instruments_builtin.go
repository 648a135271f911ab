package clinical

import "strconv"

// IDs of the built-in instruments.
const (
	InstrumentGAD7   = "gad-7"
	InstrumentPHQ9   = "phq-9"
	InstrumentAUDITC = "audit-c"
	InstrumentCSSRS  = "c-ssrs-screener"
	InstrumentCADSS6 = "cadss-6"
	InstrumentSTAI6  = "stai-6"
	InstrumentDAST10 = "dast-10"
)

// Flags raised by the built-in instruments.
const (
	// FlagPHQ9Item9: PHQ-9 item 9 above 0 needs a C-SSRS screener before the
	// contact ends. Item 9 at 0 is never a clearance.
	FlagPHQ9Item9 = "phq9-item9"
	// FlagGAD7Refer: a GAD-7 total of 10 or more suggests referral.
	FlagGAD7Refer = "gad7-refer"
)

// Lookup returns the built-in instrument with the given id. Each call
// returns a fresh copy that the caller may change freely.
func Lookup(id string) (Instrument, bool) {
	for _, def := range Builtins() {
		if def.ID == id {
			return def, true
		}
	}
	return Instrument{}, false
}

// Builtins returns every built-in instrument.
func Builtins() []Instrument {
	return []Instrument{gad7(), phq9(), auditC(), cssrsScreener(), cadss6(), stai6(), dast10()}
}

// frequencyItems builds items answered "not at all" (0) to "nearly every
// day" (3), the scale shared by GAD-7 and PHQ-9.
func frequencyItems(texts []string, loinc []string) []InstrumentItem {
	items := make([]InstrumentItem, len(texts))
	for i, text := range texts {
		items[i] = InstrumentItem{
			LinkID: strconv.Itoa(i + 1),
			Text:   text,
			LOINC:  loinc[i],
			Options: []AnswerOption{
				{Label: "Not at all", Score: 0, LOINC: "LA6568-5"},
				{Label: "Several days", Score: 1, LOINC: "LA6569-3"},
				{Label: "More than half the days", Score: 2, LOINC: "LA6570-1"},
				{Label: "Nearly every day", Score: 3, LOINC: "LA6571-9"},
			},
		}
	}
	return items
}

// options builds answer options scored from first, one label each; an empty
// label list gives count unlabelled options.
func options(first, count int, labels ...string) []AnswerOption {
	opts := make([]AnswerOption, count)
	for i := range opts {
		opts[i].Score = first + i
		if i < len(labels) {
			opts[i].Label = labels[i]
		}
	}
	return opts
}

// numberedItems builds items with the given linkIds, no text and the same
// options.
func numberedItems(linkIDs []string, opts []AnswerOption) []InstrumentItem {
	items := make([]InstrumentItem, len(linkIDs))
	for i, id := range linkIDs {
		items[i] = InstrumentItem{LinkID: id, Options: append([]AnswerOption(nil), opts...)}
	}
	return items
}

func gad7() Instrument {
	return Instrument{
		ID:         InstrumentGAD7,
		Name:       "Generalised Anxiety Disorder 7-item scale (GAD-7)",
		Recall:     "the last 2 weeks",
		Licence:    "Free to use: no permission required to reproduce, translate, display or distribute (Spitzer et al., Pfizer).",
		LOINC:      "69737-5",
		TotalLOINC: "70274-6",
		Items: frequencyItems([]string{
			"Feeling nervous, anxious or on edge",
			"Not being able to stop or control worrying",
			"Worrying too much about different things",
			"Trouble relaxing",
			"Being so restless that it is hard to sit still",
			"Becoming easily annoyed or irritable",
			"Feeling afraid as if something awful might happen",
		}, []string{"69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"}),
		Bands: []ScoreBand{
			{Code: "minimal", Label: "Minimal", Max: 4},
			{Code: "mild", Label: "Mild", Max: 9},
			{Code: "moderate", Label: "Moderate", Max: 14},
			{Code: "severe", Label: "Severe", Max: 21},
		},
		Flags: []FlagRule{{Code: FlagGAD7Refer, Min: 10}},
	}
}

func phq9() Instrument {
	return Instrument{
		ID:         InstrumentPHQ9,
		Name:       "Patient Health Questionnaire 9-item (PHQ-9)",
		Recall:     "the last 2 weeks",
		Licence:    "Free to use: no permission required to reproduce, translate, display or distribute (Kroenke et al., Pfizer).",
		LOINC:      "44249-1",
		TotalLOINC: "44261-6",
		Items: frequencyItems([]string{
			"Little interest or pleasure in doing things",
			"Feeling down, depressed or hopeless",
			"Trouble falling or staying asleep, or sleeping too much",
			"Feeling tired or having little energy",
			"Poor appetite or overeating",
			"Feeling bad about yourself, or that you are a failure or have let yourself or your family down",
			"Trouble concentrating on things, such as reading the newspaper or watching television",
			"Moving or speaking so slowly that other people could have noticed, or the opposite: being so fidgety or restless that you have been moving around a lot more than usual",
			"Thoughts that you would be better off dead, or of hurting yourself in some way",
		}, []string{"44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"}),
		Bands: []ScoreBand{
			{Code: "minimal", Label: "Minimal", Max: 4},
			{Code: "mild", Label: "Mild", Max: 9},
			{Code: "moderate", Label: "Moderate", Max: 14},
			{Code: "moderately-severe", Label: "Moderately severe", Max: 19},
			{Code: "severe", Label: "Severe", Max: 27},
		},
		Flags: []FlagRule{{Code: FlagPHQ9Item9, Item: "9", Min: 1}},
	}
}

func auditC() Instrument {
	// Positive from 4 for men and from 3 for women; the lower cut-off is
	// also used when sex is not recorded.
	lower := func() []ScoreBand {
		return []ScoreBand{
			{Code: "negative", Label: "Negative", Max: 2},
			{Code: "positive", Label: "Positive", Max: 12},
		}
	}
	return Instrument{
		ID:         InstrumentAUDITC,
		Name:       "Alcohol Use Disorders Identification Test, consumption questions (AUDIT-C)",
		Recall:     "the last year",
		Licence:    "World Health Organization AUDIT: free to use under the WHO's terms.",
		TotalLOINC: "75626-2",
		Items: []InstrumentItem{
			{LinkID: "1", Text: "How often do you have a drink containing alcohol?",
				Options: options(0, 5, "Never", "Monthly or less", "2 to 4 times a month", "2 to 3 times a week", "4 or more times a week")},
			{LinkID: "2", Text: "How many drinks containing alcohol do you have on a typical day when you are drinking?",
				Options: options(0, 5, "1 or 2", "3 or 4", "5 or 6", "7 to 9", "10 or more")},
			{LinkID: "3", Text: "How often do you have six or more drinks on one occasion?",
				Options: options(0, 5, "Never", "Less than monthly", "Monthly", "Weekly", "Daily or almost daily")},
		},
		Bands: lower(),
		SexBands: map[string][]ScoreBand{
			"female": lower(),
			"male": {
				{Code: "negative", Label: "Negative", Max: 3},
				{Code: "positive", Label: "Positive", Max: 12},
			},
		},
	}
}

func cssrsScreener() Instrument {
	yesNo := func(id, text string) InstrumentItem {
		return InstrumentItem{LinkID: id, Text: text, Options: options(0, 2, "No", "Yes")}
	}
	return Instrument{
		ID:      InstrumentCSSRS,
		Name:    "Columbia Suicide Severity Rating Scale, screener (C-SSRS)",
		Recall:  "the past month; behaviour in the past 3 months",
		Licence: "Free for clinical use (The Columbia Lighthouse Project).",
		Items: []InstrumentItem{
			yesNo("1", "In the past month, have you wished you were dead or wished you could go to sleep and not wake up?"),
			yesNo("2", "In the past month, have you had any actual thoughts of killing yourself?"),
			yesNo("3", "Have you been thinking about how you might do this?"),
			yesNo("4", "Have you had these thoughts and had some intention of acting on them?"),
			yesNo("5", "Have you started to work out or worked out the details of how to kill yourself? Do you intend to carry out this plan?"),
			yesNo("6", "In the past 3 months, have you done anything, started to do anything, or prepared to do anything to end your life?"),
		},
		// If question 2 is no, go straight to question 6.
		Scoring: Scoring{Skip: []SkipRule{{When: "2", Equals: 0, Skip: []string{"3", "4", "5"}}}},
		Rules: []ItemRule{
			{Code: string(CSSRSHigh), Label: "High risk", AnyOf: []string{"4", "5", "6"}, Min: 1},
			{Code: string(CSSRSModerate), Label: "Moderate risk", AnyOf: []string{"3"}, Min: 1},
			{Code: string(CSSRSLow), Label: "Low risk", AnyOf: []string{"1", "2"}, Min: 1},
		},
		// No rule matched: every answer was no.
		Bands: []ScoreBand{{Code: string(CSSRSNone), Label: "No risk identified", Max: 6}},
	}
}

func cadss6() Instrument {
	// Items keep their numbers in the full CADSS.
	return Instrument{
		ID:      InstrumentCADSS6,
		Name:    "Clinician-Administered Dissociative States Scale, 6 items (CADSS-6)",
		Recall:  "now",
		Licence: "Check the licence before use. Item text is not shipped: load it from the clinic's copy. Reported and trended; high dissociation is expected and not by itself an alert.",
		Items: numberedItems([]string{"1", "2", "6", "7", "15", "22"},
			options(0, 5, "Not at all", "Slightly", "Moderately", "Considerably", "Extremely")),
	}
}

func stai6() Instrument {
	// Items in order: calm, tense, upset, relaxed, content, worried. The
	// calm, relaxed and content items are reverse-scored.
	return Instrument{
		ID:      InstrumentSTAI6,
		Name:    "State-Trait Anxiety Inventory, short form (STAI-6)",
		Recall:  "now",
		Licence: "Licensed instrument (STAI, Mind Garden). Only the scoring rule is shipped: load the item text and answer labels from the clinic's licensed copy.",
		Items:   numberedItems([]string{"1", "2", "3", "4", "5", "6"}, options(1, 4)),
		Scoring: Scoring{Reverse: []string{"1", "4", "5"}, Multiply: 20, Divide: 6},
		Bands: []ScoreBand{
			{Code: "not-significant", Label: "Not significant", Max: 40},
			{Code: "significant", Label: "Significant anxiety", Max: 80},
		},
	}
}

func dast10() Instrument {
	return Instrument{
		ID:      InstrumentDAST10,
		Name:    "Drug Abuse Screening Test, 10 items (DAST-10)",
		Recall:  "the last 12 months",
		Licence: "Licensed instrument (Skinner). Only the scoring rule is shipped: load the item text from the clinic's licensed copy.",
		Items:   numberedItems([]string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}, options(0, 2, "No", "Yes")),
		Scoring: Scoring{Reverse: []string{"3"}},
		Bands: []ScoreBand{
			{Code: "none", Label: "No problems reported", Max: 0},
			{Code: "low", Label: "Low level", Max: 2},
			{Code: "moderate", Label: "Moderate level", Max: 5},
			{Code: "substantial", Label: "Substantial level", Max: 8},
			{Code: "severe", Label: "Severe level", Max: 10},
		},
	}
}
