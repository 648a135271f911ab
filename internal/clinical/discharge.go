package clinical

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// DischargeProtocol holds the criteria of the discharge gate.
type DischargeProtocol struct {
	// MinMinutesAfterDose is the least time, per route, from the end of the
	// dose to discharge. Oral and sublingual ketamine are absorbed slowly
	// and act for longer than an injection, so they wait as long as
	// esketamine by default.
	MinMinutesAfterDose map[Route]int `json:"minMinutesAfterDose"`
	// The last blood pressure passes when it is below
	// BelowSystolic/BelowDiastolic, or when it is no more than
	// AboveBaselineSystolic/AboveBaselineDiastolic above the pre-dose
	// reading (a reading lower than the baseline is not held against it).
	BelowSystolic          int `json:"belowSystolic"`
	BelowDiastolic         int `json:"belowDiastolic"`
	AboveBaselineSystolic  int `json:"aboveBaselineSystolic"`
	AboveBaselineDiastolic int `json:"aboveBaselineDiastolic"`
	// MinMOAAS is the least MOAA/S at discharge.
	MinMOAAS int `json:"minMoaas"`
	// The last anxiety rating passes when it is at most AnxietyAboveBaseline
	// above the pre-dose rating, or at most AnxietyAtMost.
	AnxietyAboveBaseline int `json:"anxietyAboveBaseline"`
	AnxietyAtMost        int `json:"anxietyAtMost"`
	// ReadingMaxAgeMinutes: the blood pressure, MOAA/S and anxiety rating
	// used must have been taken this recently (the pre-discharge
	// observation); 0 sets no limit. They must always follow the end of
	// the dose.
	ReadingMaxAgeMinutes int `json:"readingMaxAgeMinutes"`
}

// defaultDischarge returns the shipped discharge gate.
func defaultDischarge() DischargeProtocol {
	return DischargeProtocol{
		MinMinutesAfterDose: map[Route]int{
			RouteIV:         60,
			RouteIM:         60,
			RouteIntranasal: 120,
			RouteOral:       120,
			RouteSublingual: 120,
		},
		BelowSystolic:          160,
		BelowDiastolic:         100,
		AboveBaselineSystolic:  20,
		AboveBaselineDiastolic: 10,
		MinMOAAS:               5,
		AnxietyAboveBaseline:   1,
		AnxietyAtMost:          3,
		ReadingMaxAgeMinutes:   30,
	}
}

// validate reports every inconsistency of the discharge protocol.
func (p DischargeProtocol) validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("discharge: "+format, args...))
	}
	for _, r := range Routes {
		m, ok := p.MinMinutesAfterDose[r]
		switch {
		case !ok:
			bad("minMinutesAfterDose: no wait for route %q", r)
		case m < 0:
			bad("minMinutesAfterDose.%s: %d is negative", r, m)
		}
	}
	for r := range p.MinMinutesAfterDose {
		if !r.Valid() {
			bad("minMinutesAfterDose: unknown route %q", r)
		}
	}
	if p.BelowSystolic <= 0 || p.BelowDiastolic <= 0 || p.BelowDiastolic >= p.BelowSystolic {
		bad("belowSystolic/belowDiastolic: %d/%d is not a blood pressure", p.BelowSystolic, p.BelowDiastolic)
	}
	if p.AboveBaselineSystolic < 0 || p.AboveBaselineDiastolic < 0 {
		bad("aboveBaseline: %d/%d is negative", p.AboveBaselineSystolic, p.AboveBaselineDiastolic)
	}
	if p.MinMOAAS < 0 || p.MinMOAAS > moaasMax {
		bad("minMoaas: %d is outside 0–%d", p.MinMOAAS, moaasMax)
	}
	if p.AnxietyAboveBaseline < 0 || p.AnxietyAboveBaseline > anxietyMax {
		bad("anxietyAboveBaseline: %d is outside 0–%d", p.AnxietyAboveBaseline, anxietyMax)
	}
	if p.AnxietyAtMost < 0 || p.AnxietyAtMost > anxietyMax {
		bad("anxietyAtMost: %d is outside 0–%d", p.AnxietyAtMost, anxietyMax)
	}
	if p.ReadingMaxAgeMinutes < 0 {
		bad("readingMaxAgeMinutes: %d is negative", p.ReadingMaxAgeMinutes)
	}
	return errors.Join(errs...)
}

// DischargeInput is what the discharge gate looks at.
type DischargeInput struct {
	Route Route
	// DoseEndAt is the end of the dose: the last nasal device, the end of an
	// infusion, the injection, or the oral or sublingual dose taken.
	DoseEndAt time.Time
	// Baseline is the pre-dose observation.
	Baseline Observation
	// Observations are the session's observations, in any order.
	Observations []Observation
	// UnacknowledgedAlerts names the session's alerts that still need
	// acknowledgement (info-tier records need none).
	UnacknowledgedAlerts []string
	EscortConfirmed      bool
	// DrivingAdviceGiven: the patient was told not to drive until the next
	// day, after sleep.
	DrivingAdviceGiven bool
	Now                time.Time
}

// The discharge gate items.
const (
	GateTimeSinceDose = "time-since-dose"
	GateBloodPressure = "blood-pressure"
	GateMOAAS         = "moaas"
	GateAnxiety       = "anxiety"
	GateAlerts        = "alerts-acknowledged"
	GateEscort        = "escort"
	GateDrivingAdvice = "driving-advice"
)

// GateItem is one criterion of the discharge gate and whether it is met.
type GateItem struct {
	Code   string `json:"code"`
	Label  string `json:"label"`
	Pass   bool   `json:"pass"`
	Detail string `json:"detail"`
}

// GateResult is the discharge checklist. Pass is true when every item
// passes; a discharge outside the gate needs a written reason.
type GateResult struct {
	Pass  bool       `json:"pass"`
	Items []GateItem `json:"items"`
}

// DischargeGate checks each criterion of the discharge protocol, in a fixed
// order: time since the dose, blood pressure, MOAA/S, anxiety, alerts
// acknowledged, escort, driving advice. Readings are the latest taken after
// the end of the dose, not after Now, and within ReadingMaxAgeMinutes.
func DischargeGate(p DischargeProtocol, in DischargeInput) GateResult {
	var items []GateItem
	add := func(code, label string, pass bool, detail string, args ...any) {
		items = append(items, GateItem{Code: code, Label: label, Pass: pass, Detail: fmt.Sprintf(detail, args...)})
	}

	// Time since the dose.
	{
		const label = "Time since the end of the dose"
		need, ok := p.MinMinutesAfterDose[in.Route]
		switch {
		case !ok:
			add(GateTimeSinceDose, label, false, "no discharge wait is set for route %q", in.Route)
		case in.DoseEndAt.IsZero():
			add(GateTimeSinceDose, label, false, "the end of the dose is not recorded; at least %d min needed", need)
		default:
			since := in.Now.Sub(in.DoseEndAt)
			add(GateTimeSinceDose, label, since >= monitorMinutes(need),
				"%d min since the end of the dose; at least %d min needed", int(since/time.Minute), need)
		}
	}

	notBefore := in.DoseEndAt
	if p.ReadingMaxAgeMinutes > 0 {
		if recent := in.Now.Add(-monitorMinutes(p.ReadingMaxAgeMinutes)); recent.After(notBefore) {
			notBefore = recent
		}
	}
	latest := func(has func(Observation) bool) (Observation, bool) {
		return latestObservation(in.Observations, notBefore, in.Now, has)
	}
	noReading := func(what string) string {
		if p.ReadingMaxAgeMinutes > 0 {
			return fmt.Sprintf("no %s after the end of the dose in the last %d min", what, p.ReadingMaxAgeMinutes)
		}
		return fmt.Sprintf("no %s after the end of the dose", what)
	}

	// Blood pressure.
	{
		const label = "Blood pressure settled"
		o, ok := latest(func(o Observation) bool { return o.Systolic != nil && o.Diastolic != nil })
		if !ok {
			add(GateBloodPressure, label, false, "%s", noReading("blood pressure"))
		} else {
			sys, dia := *o.Systolic, *o.Diastolic
			below := sys < p.BelowSystolic && dia < p.BelowDiastolic
			b := in.Baseline
			nearBaseline := b.Systolic != nil && b.Diastolic != nil &&
				sys <= *b.Systolic+p.AboveBaselineSystolic && dia <= *b.Diastolic+p.AboveBaselineDiastolic
			detail := fmt.Sprintf("%d/%d mmHg; needs below %d/%d", sys, dia, p.BelowSystolic, p.BelowDiastolic)
			if b.Systolic != nil && b.Diastolic != nil {
				detail += fmt.Sprintf(" or at most %d/%d above the pre-dose %d/%d",
					p.AboveBaselineSystolic, p.AboveBaselineDiastolic, *b.Systolic, *b.Diastolic)
			}
			add(GateBloodPressure, label, below || nearBaseline, "%s", detail)
		}
	}

	// MOAA/S.
	{
		const label = "Fully responsive (MOAA/S)"
		o, ok := latest(func(o Observation) bool { return o.MOAAS != nil })
		if !ok {
			add(GateMOAAS, label, false, "%s", noReading("MOAA/S"))
		} else {
			add(GateMOAAS, label, *o.MOAAS >= p.MinMOAAS, "MOAA/S %d; needs %d", *o.MOAAS, p.MinMOAAS)
		}
	}

	// Anxiety.
	{
		const label = "Anxiety back to baseline"
		o, ok := latest(func(o Observation) bool { return o.Anxiety != nil })
		if !ok {
			add(GateAnxiety, label, false, "%s", noReading("anxiety rating"))
		} else {
			v := *o.Anxiety
			pass := v <= p.AnxietyAtMost
			detail := fmt.Sprintf("anxiety %d/10; needs at most %d", v, p.AnxietyAtMost)
			if b := in.Baseline.Anxiety; b != nil {
				pass = pass || v <= *b+p.AnxietyAboveBaseline
				detail += fmt.Sprintf(" or at most %d above the pre-dose %d", p.AnxietyAboveBaseline, *b)
			}
			add(GateAnxiety, label, pass, "%s", detail)
		}
	}

	if n := len(in.UnacknowledgedAlerts); n > 0 {
		add(GateAlerts, "No unacknowledged alert", false, "%d unacknowledged: %s", n, strings.Join(in.UnacknowledgedAlerts, ", "))
	} else {
		add(GateAlerts, "No unacknowledged alert", true, "every alert acknowledged")
	}
	add(GateEscort, "Escort confirmed", in.EscortConfirmed, "%s", gateDetail(in.EscortConfirmed,
		"an escort will take the patient home", "no escort confirmed"))
	add(GateDrivingAdvice, "Told not to drive", in.DrivingAdviceGiven, "%s", gateDetail(in.DrivingAdviceGiven,
		"told not to drive until the next day, after sleep", "driving advice not yet given"))

	res := GateResult{Pass: true, Items: items}
	for _, it := range items {
		res.Pass = res.Pass && it.Pass
	}
	return res
}

func gateDetail(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}
