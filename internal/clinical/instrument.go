package clinical

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// An Instrument is a questionnaire or rating scale as data: its items and
// answer options, how it is scored, and how a score is read. Built-in
// instruments come from Lookup; a clinic can load more with
// ParseInstrument (for example a licensed STAI-6 with its own item text),
// and Score handles them all the same way.
type Instrument struct {
	ID      string `json:"id"` // stable lowercase-hyphen code, e.g. "gad-7"
	Name    string `json:"name"`
	Recall  string `json:"recall,omitempty"` // period the answers cover, e.g. "the last 2 weeks"
	Licence string `json:"licence"`          // who may use it and on what terms
	// LOINC codes where they exist: the panel and the total score.
	LOINC      string           `json:"loinc,omitempty"`
	TotalLOINC string           `json:"totalLoinc,omitempty"`
	Items      []InstrumentItem `json:"items"`
	Scoring    Scoring          `json:"scoring"`
	// Bands read the total, lowest first. SexBands replace them for a
	// subject of that sex ("male", "female"); Bands apply otherwise,
	// including when sex is not recorded.
	Bands    []ScoreBand            `json:"bands,omitempty"`
	SexBands map[string][]ScoreBand `json:"sexBands,omitempty"`
	// Rules read individual answers and take precedence over Bands: the
	// first rule that matches gives the band. With no match, Bands apply.
	Rules []ItemRule `json:"rules,omitempty"`
	Flags []FlagRule `json:"flags,omitempty"`
}

// InstrumentItem is one question.
type InstrumentItem struct {
	// LinkID names the item within the instrument ("1", "2", ...), as in a
	// FHIR Questionnaire. Rules refer to items by LinkID.
	LinkID string `json:"linkId"`
	// Text may be empty for licensed instruments whose wording the clinic
	// loads from its own licensed copy.
	Text    string         `json:"text,omitempty"`
	LOINC   string         `json:"loinc,omitempty"`
	Options []AnswerOption `json:"options"`
}

// AnswerOption is one permitted answer. An answer is recorded as the
// option's Score, the number printed beside it on the form.
type AnswerOption struct {
	Label string `json:"label,omitempty"`
	Score int    `json:"score"`
	LOINC string `json:"loinc,omitempty"` // LOINC answer code (LA…)
}

// Scoring says how answers become a total: the sum of item scores (a
// reversed item scores lowest+highest−answer), times Multiply/Divide when
// they are set. Skip rules name items that are not asked after a given
// answer.
type Scoring struct {
	Reverse  []string   `json:"reverse,omitempty"` // LinkIDs of reverse-scored items
	Multiply int        `json:"multiply,omitempty"`
	Divide   int        `json:"divide,omitempty"`
	Skip     []SkipRule `json:"skip,omitempty"`
}

// SkipRule: when item When is answered Equals, the items in Skip are not
// asked, and their answers must be Skipped.
type SkipRule struct {
	When   string   `json:"when"`
	Equals int      `json:"equals"`
	Skip   []string `json:"skip"`
}

// ScoreBand is a named range of totals: every total up to and including
// Max that no earlier band took.
type ScoreBand struct {
	Code  string  `json:"code"`
	Label string  `json:"label"`
	Max   float64 `json:"max"`
}

// ItemRule gives band Code when any item in AnyOf has a score of at least
// Min.
type ItemRule struct {
	Code  string   `json:"code"`
	Label string   `json:"label"`
	AnyOf []string `json:"anyOf"`
	Min   int      `json:"min"`
}

// FlagRule raises flag Code when the score of item Item (or the total, when
// Item is empty) is at least Min.
type FlagRule struct {
	Code string  `json:"code"`
	Item string  `json:"item,omitempty"`
	Min  float64 `json:"min"`
}

// Skipped is the answer recorded for an item a skip rule left unasked.
const Skipped = -1

// Subject is what scoring may need to know about the person answering.
type Subject struct {
	Sex string `json:"sex,omitempty"` // "male", "female" or empty when not recorded
}

// InstrumentScore is the scored result of one completed instrument.
type InstrumentScore struct {
	Instrument string `json:"instrument"`
	// Sum is the sum of item scores after reverse scoring; Total is Sum
	// scaled by the instrument's multiplier (equal to Sum without one).
	Sum       int      `json:"sum"`
	Total     float64  `json:"total"`
	Band      string   `json:"band,omitempty"` // empty for report-only instruments
	BandLabel string   `json:"bandLabel,omitempty"`
	Flags     []string `json:"flags"`
}

// Errors returned by Score and ParseInstrument, wrapped with detail.
var (
	ErrInvalidAnswers    = errors.New("invalid answers")
	ErrInvalidInstrument = errors.New("invalid instrument definition")
)

// Score scores answers to def, one answer per item in item order: the
// option's score, or Skipped for an item a skip rule left unasked. It
// rejects a wrong number of answers, an answer that is not an option, an
// unanswered item that should have been asked and an answer to an item that
// should have been skipped.
func Score(def Instrument, answers []int, subject Subject) (InstrumentScore, error) {
	if err := def.Validate(); err != nil {
		return InstrumentScore{}, err
	}
	fail := func(format string, args ...any) (InstrumentScore, error) {
		return InstrumentScore{}, fmt.Errorf("%s: %w: %s", def.ID, ErrInvalidAnswers, fmt.Sprintf(format, args...))
	}
	if len(answers) != len(def.Items) {
		return fail("%d answers given, %d expected", len(answers), len(def.Items))
	}
	index := def.itemIndex()
	skippedBy := map[int]SkipRule{} // item index -> the rule that skips it
	for _, rule := range def.Scoring.Skip {
		if answers[index[rule.When]] == rule.Equals {
			for _, id := range rule.Skip {
				skippedBy[index[id]] = rule
			}
		}
	}

	scores := make([]int, len(answers)) // item scores after reverse scoring
	sum := 0
	for i, item := range def.Items {
		a := answers[i]
		rule, skip := skippedBy[i]
		switch {
		case skip && a != Skipped:
			return fail("item %s is answered, but item %s was answered %d, so it must be skipped", item.LinkID, rule.When, rule.Equals)
		case skip:
			continue
		case a == Skipped:
			return fail("item %s is not answered", item.LinkID)
		case !item.hasOption(a):
			return fail("item %s: answer %d is not one of %s", item.LinkID, a, item.optionList())
		}
		scores[i] = a
		if slices.Contains(def.Scoring.Reverse, item.LinkID) {
			lo, hi := item.scoreRange()
			scores[i] = lo + hi - a
		}
		sum += scores[i]
	}

	s := InstrumentScore{Instrument: def.ID, Sum: sum, Total: def.Scoring.scale(sum), Flags: []string{}}
	s.Band, s.BandLabel = def.band(scores, s.Total, subject)
	for _, f := range def.Flags {
		value := s.Total
		if f.Item != "" {
			i := index[f.Item]
			if _, skip := skippedBy[i]; skip {
				continue
			}
			value = float64(scores[i])
		}
		if value >= f.Min {
			s.Flags = append(s.Flags, f.Code)
		}
	}
	return s, nil
}

// band returns the band code and label for the given item scores and total.
func (def Instrument) band(scores []int, total float64, subject Subject) (code, label string) {
	index := def.itemIndex()
	for _, r := range def.Rules {
		for _, id := range r.AnyOf {
			if scores[index[id]] >= r.Min {
				return r.Code, r.Label
			}
		}
	}
	bands := def.Bands
	if sb, ok := def.SexBands[strings.ToLower(strings.TrimSpace(subject.Sex))]; ok {
		bands = sb
	}
	for _, b := range bands {
		if total <= b.Max {
			return b.Code, b.Label
		}
	}
	return "", ""
}

// MaxTotal is the highest total the instrument can give.
func (def Instrument) MaxTotal() float64 {
	sum := 0
	for _, item := range def.Items {
		_, hi := item.scoreRange()
		sum += hi
	}
	return def.Scoring.scale(sum)
}

func (s Scoring) scale(sum int) float64 {
	if s.Multiply == 0 && s.Divide == 0 {
		return float64(sum)
	}
	return float64(sum*s.Multiply) / float64(s.Divide)
}

func (def Instrument) itemIndex() map[string]int {
	index := make(map[string]int, len(def.Items))
	for i, item := range def.Items {
		index[item.LinkID] = i
	}
	return index
}

func (item InstrumentItem) hasOption(score int) bool {
	for _, o := range item.Options {
		if o.Score == score {
			return true
		}
	}
	return false
}

func (item InstrumentItem) scoreRange() (lo, hi int) {
	lo, hi = item.Options[0].Score, item.Options[0].Score
	for _, o := range item.Options[1:] {
		lo, hi = min(lo, o.Score), max(hi, o.Score)
	}
	return lo, hi
}

func (item InstrumentItem) optionList() string {
	var s []string
	for _, o := range item.Options {
		s = append(s, strconv.Itoa(o.Score))
	}
	return strings.Join(s, ", ")
}

// ParseInstrument reads an instrument definition from JSON, rejecting
// unknown fields and definitions that Validate rejects.
func ParseInstrument(data []byte) (Instrument, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var def Instrument
	if err := dec.Decode(&def); err != nil {
		return Instrument{}, fmt.Errorf("%w: %v", ErrInvalidInstrument, err)
	}
	if dec.More() {
		return Instrument{}, fmt.Errorf("%w: data after the definition", ErrInvalidInstrument)
	}
	return def, def.Validate()
}

var codePattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Validate reports every inconsistency in the definition: missing names,
// duplicate items or options, references to unknown items, bands out of
// order or not reaching the highest total, and so on.
func (def Instrument) Validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(codePattern.MatchString(def.ID), "id %q is not a lowercase-hyphen code", def.ID)
	check(def.Name != "", "name is empty")
	check(def.Licence != "", "licence note is empty")
	check(len(def.Items) > 0, "no items")

	index := map[string]int{}
	for i, item := range def.Items {
		check(item.LinkID != "", "item %d has no linkId", i+1)
		_, dup := index[item.LinkID]
		check(!dup, "linkId %q used twice", item.LinkID)
		index[item.LinkID] = i
		check(len(item.Options) >= 2, "item %s has fewer than two options", item.LinkID)
		seen := map[int]bool{}
		for _, o := range item.Options {
			check(o.Score >= 0, "item %s: option score %d is negative", item.LinkID, o.Score)
			check(!seen[o.Score], "item %s: option score %d used twice", item.LinkID, o.Score)
			seen[o.Score] = true
		}
	}
	known := func(what, id string) {
		_, ok := index[id]
		check(ok, "%s refers to unknown item %q", what, id)
	}

	sc := def.Scoring
	for _, id := range sc.Reverse {
		known("reverse", id)
	}
	check((sc.Multiply == 0) == (sc.Divide == 0) && sc.Multiply >= 0 && sc.Divide >= 0,
		"multiply and divide must both be positive or both unset (got %d, %d)", sc.Multiply, sc.Divide)
	skippable := map[string]bool{}
	for _, r := range sc.Skip {
		for _, id := range r.Skip {
			known("skip rule", id)
			check(id != r.When, "skip rule on item %q skips its own item", r.When)
			skippable[id] = true
		}
	}
	for _, r := range sc.Skip {
		known("skip rule", r.When)
		if i, ok := index[r.When]; ok {
			check(def.Items[i].hasOption(r.Equals), "skip rule on item %q: %d is not an option", r.When, r.Equals)
		}
		// A trigger that may itself be skipped would make the rules depend on
		// their order, so chains are not allowed.
		check(!skippable[r.When], "skip rule on item %q: that item can itself be skipped", r.When)
	}

	if len(errs) == 0 { // band checks need valid items to compute the highest total
		top := def.MaxTotal()
		checkBands := func(name string, bands []ScoreBand) {
			for i, b := range bands {
				check(codePattern.MatchString(b.Code), "%s band %d: code %q is not a lowercase-hyphen code", name, i+1, b.Code)
				check(i == 0 || b.Max > bands[i-1].Max, "%s band %q: max %g is not above the previous band's", name, b.Code, b.Max)
			}
			if len(bands) > 0 {
				check(bands[len(bands)-1].Max >= top, "%s bands stop at %g, below the highest total %g", name, bands[len(bands)-1].Max, top)
			}
		}
		checkBands("default", def.Bands)
		for _, sex := range slices.Sorted(maps.Keys(def.SexBands)) {
			bands := def.SexBands[sex]
			check(sex == strings.ToLower(strings.TrimSpace(sex)) && sex != "", "sexBands key %q must be lowercase", sex)
			check(len(bands) > 0, "sexBands %q is empty", sex)
			checkBands(sex, bands)
		}
	}
	for _, r := range def.Rules {
		check(codePattern.MatchString(r.Code), "rule code %q is not a lowercase-hyphen code", r.Code)
		check(len(r.AnyOf) > 0, "rule %q names no items", r.Code)
		check(r.Min > 0, "rule %q: min must be at least 1 (got %d)", r.Code, r.Min)
		for _, id := range r.AnyOf {
			known("rule "+r.Code, id)
		}
	}
	for _, f := range def.Flags {
		check(codePattern.MatchString(f.Code), "flag code %q is not a lowercase-hyphen code", f.Code)
		if f.Item != "" {
			known("flag "+f.Code, f.Item)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w %q: %w", ErrInvalidInstrument, def.ID, err)
	}
	return nil
}
