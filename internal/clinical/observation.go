package clinical

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// Observation is one timed set of readings taken during a dosing session.
// Every reading is optional: nil (or empty) means not recorded this time.
type Observation struct {
	At        time.Time `json:"at"`
	Systolic  *int      `json:"systolic,omitempty"`  // mmHg
	Diastolic *int      `json:"diastolic,omitempty"` // mmHg
	Pulse     *int      `json:"pulse,omitempty"`     // beats/min
	SpO2      *int      `json:"spo2,omitempty"`      // %
	RespRate  *int      `json:"respRate,omitempty"`  // breaths/min
	TempC     *float64  `json:"tempC,omitempty"`     // °C
	// Consciousness is the ACVPU level: "A", "C", "V", "P" or "U"; empty
	// when not assessed.
	Consciousness string `json:"consciousness,omitempty"`
	// OnOxygen tells whether the patient was on supplemental oxygen.
	OnOxygen *bool `json:"onOxygen,omitempty"`
	Anxiety  *int  `json:"anxiety,omitempty"` // NRS 0–10
	MOAAS    *int  `json:"moaas,omitempty"`   // 0–5
	// CADSS holds the six CADSS-6 item answers (0–4 each) when asked.
	CADSS []int `json:"cadss,omitempty"`
	// Signs are the codes ticked on the signs checklist (ObservationSigns).
	// The checklist is part of every observation: a sign not listed was
	// not present.
	Signs []string `json:"signs,omitempty"`
	// Measures are the supportive measures given (SupportiveMeasures).
	Measures []string `json:"measures,omitempty"`
}

// CodeLabel is a code with its label for people.
type CodeLabel struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

// The codes of the signs checklist.
const (
	SignRestlessness          = "restlessness"
	SignHeightenedSensitivity = "heightened-sensitivity"
	SignIntrusiveThoughts     = "intrusive-thoughts"
	SignRacingHeart           = "racing-heart"
	SignPanic                 = "panic"
	SignNausea                = "nausea"
	SignHeadache              = "headache"
	SignChestPain             = "chest-pain"
	SignVisualChange          = "visual-change"
	SignConfusion             = "confusion"
)

// ObservationSigns is the signs checklist asked at each observation, in
// display order.
var ObservationSigns = CodeList{
	{SignRestlessness, "Restlessness"},
	{SignHeightenedSensitivity, "Heightened sensitivity to stimuli"},
	{SignIntrusiveThoughts, "Intrusive thoughts"},
	{SignRacingHeart, "Racing heart felt"},
	{SignPanic, "Panic"},
	{SignNausea, "Nausea"},
	{SignHeadache, "Headache"},
	{SignChestPain, "Chest pain"},
	{SignVisualChange, "Visual change"},
	{SignConfusion, "Confusion"},
}

// The codes of the supportive measures.
const (
	MeasureReassurance    = "reassurance"
	MeasureBreathing      = "breathing-exercise"
	MeasureMusic          = "music"
	MeasureEyeMask        = "eye-mask"
	MeasureLightsDimmed   = "lights-dimmed"
	MeasureTrustedPerson  = "trusted-person"
	MeasurePauseInfusion  = "pause-infusion"
	MeasureSessionStopped = "session-stopped"
)

// SupportiveMeasures lists the supportive measures that can be logged, in
// display order.
var SupportiveMeasures = CodeList{
	{MeasureReassurance, "Reassurance"},
	{MeasureBreathing, "Breathing or relaxation exercise"},
	{MeasureMusic, "Music"},
	{MeasureEyeMask, "Eye mask"},
	{MeasureLightsDimmed, "Lights dimmed"},
	{MeasureTrustedPerson, "Trusted person present"},
	{MeasurePauseInfusion, "Infusion paused or slowed"},
	{MeasureSessionStopped, "Session stopped"},
}

// ConsciousnessLevels are the ACVPU levels, in display order.
var ConsciousnessLevels = CodeList{
	{"A", "Alert"},
	{"C", "New confusion"},
	{"V", "Responds to voice"},
	{"P", "Responds to pain"},
	{"U", "Unresponsive"},
}

// The fixed scales of the in-session instruments. They define the
// instruments themselves, so they are not part of the protocol.
const (
	anxietyMax   = 10 // anxiety NRS 0–10
	moaasMax     = 5  // MOAA/S 0–5
	cadssItems   = 6  // CADSS-6: six items
	cadssItemMax = 4  // each 0–4
	spo2Max      = 100
)

// CodeList is a list of codes with their labels, in display order.
type CodeList []CodeLabel

// Label returns the label of code, or the code itself when the list does
// not have it.
func (l CodeList) Label(code string) string {
	for _, c := range l {
		if c.Code == code {
			return c.Label
		}
	}
	return code
}

// Has reports whether the list has code.
func (l CodeList) Has(code string) bool {
	return slices.ContainsFunc(l, func(c CodeLabel) bool { return c.Code == code })
}

func validConsciousness(level string) bool { return ConsciousnessLevels.Has(level) }

// ObservationError tells what is structurally wrong with an observation:
// a problem for each field, keyed by the field's JSON name ("observation"
// for the observation as a whole).
type ObservationError struct {
	Fields map[string]string
}

// Error implements error, listing the fields in name order.
func (e *ObservationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid observation")
	for _, k := range slices.Sorted(maps.Keys(e.Fields)) {
		fmt.Fprintf(&b, "; %s: %s", k, e.Fields[k])
	}
	return b.String()
}

// ValidateObservation checks an observation's structure: a time, at least
// one reading, both halves of a blood pressure with the diastolic below the
// systolic, no negative reading, SpO2 as a percentage, an ACVPU letter, the
// anxiety rating on 0–10, MOAA/S on 0–5, six CADSS-6 items on 0–4, and known
// sign and measure codes, each once. It returns nil or an *ObservationError.
// Believable ranges are checked separately by CheckPlausible.
func ValidateObservation(o Observation) error {
	fields := map[string]string{}
	if o.At.IsZero() {
		fields["at"] = "the time of the observation is required"
	}
	if o.Systolic == nil && o.Diastolic == nil && o.Pulse == nil && o.SpO2 == nil &&
		o.RespRate == nil && o.TempC == nil && o.Consciousness == "" && o.OnOxygen == nil &&
		o.Anxiety == nil && o.MOAAS == nil && len(o.CADSS) == 0 && len(o.Signs) == 0 && len(o.Measures) == 0 {
		fields["observation"] = "nothing was recorded"
	}

	switch {
	case (o.Systolic == nil) != (o.Diastolic == nil):
		if o.Systolic == nil {
			fields["systolic"] = "a blood pressure needs both the systolic and the diastolic"
		} else {
			fields["diastolic"] = "a blood pressure needs both the systolic and the diastolic"
		}
	case o.Systolic != nil && *o.Diastolic >= *o.Systolic:
		fields["diastolic"] = fmt.Sprintf("diastolic %d must be below systolic %d", *o.Diastolic, *o.Systolic)
	}
	for _, f := range []struct {
		name string
		v    *int
	}{
		{"systolic", o.Systolic},
		{"diastolic", o.Diastolic},
		{"pulse", o.Pulse},
		{"spo2", o.SpO2},
		{"respRate", o.RespRate},
	} {
		if f.v != nil && *f.v < 0 {
			fields[f.name] = fmt.Sprintf("%d is negative", *f.v)
		}
	}
	if o.SpO2 != nil && *o.SpO2 > spo2Max {
		fields["spo2"] = fmt.Sprintf("%d is above 100: SpO2 is a percentage", *o.SpO2)
	}
	if o.TempC != nil && (math.IsNaN(*o.TempC) || math.IsInf(*o.TempC, 0)) {
		fields["tempC"] = "not a number"
	}
	if o.Consciousness != "" && !validConsciousness(o.Consciousness) {
		fields["consciousness"] = fmt.Sprintf("%q is not an ACVPU level (A, C, V, P or U)", o.Consciousness)
	}
	if o.Anxiety != nil && (*o.Anxiety < 0 || *o.Anxiety > anxietyMax) {
		fields["anxiety"] = fmt.Sprintf("%d is outside the anxiety rating 0–10", *o.Anxiety)
	}
	if o.MOAAS != nil && (*o.MOAAS < 0 || *o.MOAAS > moaasMax) {
		fields["moaas"] = fmt.Sprintf("%d is outside MOAA/S 0–5", *o.MOAAS)
	}
	if len(o.CADSS) > 0 {
		if len(o.CADSS) != cadssItems {
			fields["cadss"] = fmt.Sprintf("CADSS-6 has 6 items, got %d", len(o.CADSS))
		} else {
			for i, v := range o.CADSS {
				if v < 0 || v > cadssItemMax {
					fields["cadss"] = fmt.Sprintf("item %d: %d is outside 0–4", i+1, v)
					break
				}
			}
		}
	}
	if msg := checkCodes(ObservationSigns, o.Signs, "sign"); msg != "" {
		fields["signs"] = msg
	}
	if msg := checkCodes(SupportiveMeasures, o.Measures, "measure"); msg != "" {
		fields["measures"] = msg
	}
	if len(fields) > 0 {
		return &ObservationError{Fields: fields}
	}
	return nil
}

// checkCodes returns a problem with codes (unknown or repeated), or "".
func checkCodes(list CodeList, codes []string, what string) string {
	seen := map[string]bool{}
	for _, c := range codes {
		if !list.Has(c) {
			return fmt.Sprintf("unknown %s %q", what, c)
		}
		if seen[c] {
			return fmt.Sprintf("%s %q is listed twice", what, c)
		}
		seen[c] = true
	}
	return ""
}

// Implausible is a reading outside its plausible range.
type Implausible struct {
	Field   string  `json:"field"` // the observation's JSON field name
	Value   float64 `json:"value"`
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
	Message string  `json:"message"`
}

// CheckPlausible returns every reading of o outside the protocol's plausible
// ranges (bounds included in the range). Such a reading is refused unless
// the person recording it confirms that it is real.
func CheckPlausible(p *MonitoringProtocol, o Observation) []Implausible {
	var out []Implausible
	check := func(field, label, unit string, v *float64, r PlausibleRange) {
		if v == nil || r.Contains(*v) {
			return
		}
		out = append(out, Implausible{
			Field: field, Value: *v, Min: r.Min, Max: r.Max,
			Message: fmt.Sprintf("%s %g %s is outside the plausible range %g–%g; check the reading or confirm it is real",
				label, *v, unit, r.Min, r.Max),
		})
	}
	pr := p.Plausible
	check("systolic", "Systolic", "mmHg", intToFloat(o.Systolic), pr.Systolic)
	check("diastolic", "Diastolic", "mmHg", intToFloat(o.Diastolic), pr.Diastolic)
	check("pulse", "Pulse", "/min", intToFloat(o.Pulse), pr.Pulse)
	check("spo2", "SpO2", "%", intToFloat(o.SpO2), pr.SpO2)
	check("respRate", "Respiration rate", "/min", intToFloat(o.RespRate), pr.RespRate)
	check("tempC", "Temperature", "°C", o.TempC, pr.TempC)
	return out
}

func intToFloat(v *int) *float64 {
	if v == nil {
		return nil
	}
	return new(float64(*v))
}

// latestObservation returns the latest observation in obs for which has
// reports true, taken at or after notBefore and at or before now (a zero
// bound is no bound). Of two observations at the same time, the later in obs
// wins.
func latestObservation(obs []Observation, notBefore, now time.Time, has func(Observation) bool) (Observation, bool) {
	var best Observation
	found := false
	for _, o := range obs {
		if !now.IsZero() && o.At.After(now) {
			continue
		}
		if !notBefore.IsZero() && o.At.Before(notBefore) {
			continue
		}
		if !has(o) {
			continue
		}
		if !found || !o.At.Before(best.At) {
			best, found = o, true
		}
	}
	return best, found
}

// LastScheduledObservationAt returns the time up to which the scheduled
// observations are complete at now: every scheduled observation includes a
// blood pressure, the anxiety rating and MOAA/S, so it is the oldest of
// the latest times each was recorded (a bedside monitor's blood pressure
// alone, or a quick anxiety re-rating, does not reset the schedule; the
// three may come in separate entries). It returns the zero time when one
// of them was never recorded.
func LastScheduledObservationAt(obs []Observation, now time.Time) time.Time {
	var at time.Time
	for _, has := range []func(Observation) bool{
		func(o Observation) bool { return o.Systolic != nil },
		func(o Observation) bool { return o.Anxiety != nil },
		func(o Observation) bool { return o.MOAAS != nil },
	} {
		o, ok := latestObservation(obs, time.Time{}, now, has)
		if !ok {
			return time.Time{}
		}
		if at.IsZero() || o.At.Before(at) {
			at = o.At
		}
	}
	return at
}
