package clinical

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// AlertTier is how urgent an alert is.
type AlertTier string

// The alert tiers, least urgent first. Info is recorded on the session but
// needs no acknowledgement and is never escalated.
const (
	TierInfo      AlertTier = "info"
	TierWarning   AlertTier = "warning"
	TierCritical  AlertTier = "critical"
	TierEmergency AlertTier = "emergency"
)

// AlertTiers lists the tiers, least urgent first.
var AlertTiers = []AlertTier{TierInfo, TierWarning, TierCritical, TierEmergency}

// Valid reports whether t is a known tier.
func (t AlertTier) Valid() bool { return slices.Contains(AlertTiers, t) }

// NeedsAcknowledgement reports whether an alert of this tier must be
// acknowledged by a named user (and is escalated until it is).
func (t AlertTier) NeedsAcknowledgement() bool { return t.Valid() && t != TierInfo }

// rank orders tiers: higher is more urgent.
func (t AlertTier) rank() int { return slices.Index(AlertTiers, t) }

// AlertRule is the stable code of an alert rule. An alert is deduplicated
// per session and rule.
type AlertRule string

// The alert rules.
const (
	RuleBPWarning          AlertRule = "bp-warning"
	RuleBPCritical         AlertRule = "bp-critical"
	RuleBPRise             AlertRule = "bp-rise"
	RuleBPEmergency        AlertRule = "bp-emergency"
	RulePulseWarning       AlertRule = "pulse-warning"
	RulePulseCritical      AlertRule = "pulse-critical"
	RuleSpO2Warning        AlertRule = "spo2-warning"
	RuleSpO2Critical       AlertRule = "spo2-critical"
	RuleRespCritical       AlertRule = "resp-critical"
	RuleAnxietyWarning     AlertRule = "anxiety-warning"
	RuleAnxietyRise        AlertRule = "anxiety-rise"
	RuleAnxietyCritical    AlertRule = "anxiety-critical"
	RulePanic              AlertRule = "panic"
	RuleMOAASCritical      AlertRule = "moaas-critical"
	RuleSedation           AlertRule = "sedation"
	RuleNEWS2Urgent        AlertRule = "news2-urgent"
	RuleNEWS2Emergency     AlertRule = "news2-emergency"
	RuleObservationOverdue AlertRule = "observation-overdue"
)

// Firing is an alert rule whose condition holds now.
type Firing struct {
	Rule    AlertRule `json:"rule"`
	Tier    AlertTier `json:"tier"`
	Message string    `json:"message"`
	Value   string    `json:"value"` // the reading behind it, e.g. "182/96 mmHg"
	// At is when the reading behind the firing was taken; for an overdue
	// reminder, when the observation was due; for NEWS2, the time scored.
	At time.Time `json:"at"`
}

// SessionState is what the alert rules look at in a dosing session.
type SessionState struct {
	Route Route
	// DoseAt is the first dose (first device, or infusion start); zero
	// before dosing.
	DoseAt time.Time
	// Baseline is the pre-dose observation: the reference for rises and
	// for sedation.
	Baseline Observation
	// Observations are the session's observations, baseline included, in
	// any order. Those after Now are ignored.
	Observations []Observation
	Now          time.Time
	// NEWS2 is the current score (see SessionNEWS2); nil when it cannot be
	// computed.
	NEWS2 *NEWS2Result
}

// EvaluateAlerts returns every rule whose condition holds now. Each vital
// sign rule looks at the latest recorded value of its parameter, whichever
// observation recorded it; the signs checklist (and ACVPU "C", which counts
// as the confusion sign) is read from the latest observation. A rule that
// is not returned no longer holds, so the caller can deduplicate per session
// and rule and clear an alert whose condition has gone.
//
// For each parameter only the rules of the highest tier that fires are
// returned: a critical blood pressure returns bp-critical, not also
// bp-warning or bp-rise; with a headache it returns bp-emergency alone.
func EvaluateAlerts(p *MonitoringProtocol, s *SessionState) []Firing {
	e := alertEvaluation{p: p, s: s}
	e.current, _ = e.latest(anyReading)
	e.signs = e.current.Signs
	if e.current.Consciousness == "C" && !slices.Contains(e.signs, SignConfusion) {
		e.signs = append(slices.Clone(e.signs), SignConfusion)
	}
	// One parameter at a time, in the order alerts are listed: each keeps
	// only its most urgent firings.
	for _, rules := range []func(*alertEvaluation){
		(*alertEvaluation).bloodPressure,
		(*alertEvaluation).pulse,
		(*alertEvaluation).spo2,
		(*alertEvaluation).respiration,
		(*alertEvaluation).anxiety,
		(*alertEvaluation).sedation,
		(*alertEvaluation).news2,
		(*alertEvaluation).overdue,
	} {
		rules(&e)
		e.out = append(e.out, highestTier(e.group)...)
		e.group = e.group[:0]
	}
	return e.out
}

// alertEvaluation is one evaluation of the alert rules: each parameter's
// rules are a method that adds its firings to group. A reading's value is
// formatted only when one of its rules fires.
type alertEvaluation struct {
	p       *MonitoringProtocol
	s       *SessionState
	current Observation // the latest observation, for the signs checklist
	signs   []string    // its signs, with confusion for ACVPU "C"
	out     []Firing
	group   []Firing
}

func (e *alertEvaluation) latest(has func(Observation) bool) (Observation, bool) {
	return latestObservation(e.s.Observations, time.Time{}, e.s.Now, has)
}

func (e *alertEvaluation) add(rule AlertRule, tier AlertTier, value string, at time.Time, format string, args ...any) {
	e.group = append(e.group, Firing{Rule: rule, Tier: tier, Message: fmt.Sprintf(format, args...), Value: value, At: at})
}

func anyReading(Observation) bool    { return true }
func hasBP(o Observation) bool       { return o.Systolic != nil && o.Diastolic != nil }
func hasPulse(o Observation) bool    { return o.Pulse != nil }
func hasSpO2(o Observation) bool     { return o.SpO2 != nil }
func hasRespRate(o Observation) bool { return o.RespRate != nil }
func hasAnxiety(o Observation) bool  { return o.Anxiety != nil }
func hasMOAAS(o Observation) bool    { return o.MOAAS != nil }

func (e *alertEvaluation) bloodPressure() {
	o, ok := e.latest(hasBP)
	if !ok {
		return
	}
	a := &e.p.Alerts.BP
	sys, dia := *o.Systolic, *o.Diastolic
	critical := sys >= a.CriticalSystolic || dia >= a.CriticalDiastolic
	warning := sys >= a.WarningSystolic || dia >= a.WarningDiastolic
	b := e.s.Baseline.Systolic
	rise := b != nil && sys-*b >= a.RiseSystolic
	if !critical && !warning && !rise {
		return
	}
	value := fmt.Sprintf("%d/%d mmHg", sys, dia)
	if present := signsIn(e.signs, a.EmergencySigns); critical && len(present) > 0 {
		e.add(RuleBPEmergency, TierEmergency, value, o.At,
			"Hypertensive emergency: blood pressure %s with %s", value, signLabels(present))
	}
	if critical {
		e.add(RuleBPCritical, TierCritical, value, o.At,
			"Blood pressure %s: critical at systolic ≥ %d or diastolic ≥ %d",
			value, a.CriticalSystolic, a.CriticalDiastolic)
	}
	if warning {
		e.add(RuleBPWarning, TierWarning, value, o.At,
			"Blood pressure %s: warning at systolic ≥ %d or diastolic ≥ %d",
			value, a.WarningSystolic, a.WarningDiastolic)
	}
	if rise {
		e.add(RuleBPRise, TierWarning, value, o.At,
			"Systolic %d mmHg is %d above the pre-dose %d: warning at a rise of %d",
			sys, sys-*b, *b, a.RiseSystolic)
	}
}

func (e *alertEvaluation) pulse() {
	o, ok := e.latest(hasPulse)
	if !ok {
		return
	}
	a := &e.p.Alerts.Pulse
	v := *o.Pulse
	critical := v >= a.CriticalHigh || v <= a.CriticalLow
	warning := v >= a.WarningHigh || v <= a.WarningLow
	if !critical && !warning {
		return
	}
	value := fmt.Sprintf("%d/min", v)
	if critical {
		e.add(RulePulseCritical, TierCritical, value, o.At,
			"Pulse %s: critical at ≥ %d or ≤ %d", value, a.CriticalHigh, a.CriticalLow)
	}
	if warning {
		e.add(RulePulseWarning, TierWarning, value, o.At,
			"Pulse %s: warning at ≥ %d or ≤ %d", value, a.WarningHigh, a.WarningLow)
	}
}

func (e *alertEvaluation) spo2() {
	o, ok := e.latest(hasSpO2)
	if !ok {
		return
	}
	a := &e.p.Alerts.SpO2
	v := *o.SpO2
	if v > a.Critical && v > a.Warning {
		return
	}
	value := fmt.Sprintf("%d %%", v)
	if v <= a.Critical {
		e.add(RuleSpO2Critical, TierCritical, value, o.At, "SpO2 %s: critical at ≤ %d %%", value, a.Critical)
	}
	if v <= a.Warning {
		e.add(RuleSpO2Warning, TierWarning, value, o.At, "SpO2 %s: warning at ≤ %d %%", value, a.Warning)
	}
}

func (e *alertEvaluation) respiration() {
	o, ok := e.latest(hasRespRate)
	if !ok {
		return
	}
	a := &e.p.Alerts.Resp
	if v := *o.RespRate; v <= a.CriticalLow || v >= a.CriticalHigh {
		value := fmt.Sprintf("%d/min", v)
		e.add(RuleRespCritical, TierCritical, value, o.At,
			"Respiration rate %s: critical at ≤ %d or ≥ %d", value, a.CriticalLow, a.CriticalHigh)
	}
}

// anxiety holds the panic signs with the anxiety rating: one group.
func (e *alertEvaluation) anxiety() {
	a := &e.p.Alerts.Anxiety
	if present := signsIn(e.current.Signs, a.CriticalSigns); len(present) > 0 {
		e.add(RulePanic, TierCritical, strings.Join(present, ", "), e.current.At,
			"Signs checklist: %s ticked", signLabels(present))
	}
	o, ok := e.latest(hasAnxiety)
	if !ok {
		return
	}
	v := *o.Anxiety
	b := e.s.Baseline.Anxiety
	rise := b != nil && v-*b >= a.Rise
	if v < a.Critical && v < a.Warning && !rise {
		return
	}
	value := fmt.Sprintf("%d/10", v)
	if v >= a.Critical {
		e.add(RuleAnxietyCritical, TierCritical, value, o.At, "Anxiety %s: critical at ≥ %d", value, a.Critical)
	}
	if v >= a.Warning {
		e.add(RuleAnxietyWarning, TierWarning, value, o.At, "Anxiety %s: warning at ≥ %d", value, a.Warning)
	}
	if rise {
		e.add(RuleAnxietyRise, TierWarning, value, o.At,
			"Anxiety %s is %d above the pre-dose %d: warning at a rise of %d", value, v-*b, *b, a.Rise)
	}
}

func (e *alertEvaluation) sedation() {
	o, ok := e.latest(hasMOAAS)
	if !ok {
		return
	}
	a := &e.p.Alerts.MOAAS
	v := *o.MOAAS
	b := e.s.Baseline.MOAAS
	lower := b != nil && v < *b
	if v > a.Critical && !lower {
		return
	}
	value := fmt.Sprintf("MOAA/S %d", v)
	if v <= a.Critical {
		e.add(RuleMOAASCritical, TierCritical, value, o.At, "Deep sedation: %s (critical at ≤ %d)", value, a.Critical)
	}
	if lower {
		e.add(RuleSedation, a.SedationTier, value, o.At, "Sedation: %s, down from %d before the dose", value, *b)
	}
}

func (e *alertEvaluation) news2() {
	n := e.s.NEWS2
	if n == nil || !n.Complete || (n.Response != NEWS2Emergency && n.Response != NEWS2Urgent) {
		return
	}
	value := fmt.Sprintf("NEWS2 %d", n.Total)
	if n.Response == NEWS2Emergency {
		e.add(RuleNEWS2Emergency, TierEmergency, value, e.s.Now,
			"%s: emergency response (aggregate ≥ %d)", value, e.p.NEWS2.EmergencyTotal)
		return
	}
	e.add(RuleNEWS2Urgent, TierCritical, value, e.s.Now,
		"%s: urgent response (aggregate ≥ %d or a single parameter scoring %d)",
		value, e.p.NEWS2.UrgentTotal, e.p.NEWS2.UrgentSingle)
}

func (e *alertEvaluation) overdue() {
	s := e.s
	if s.DoseAt.IsZero() || s.Now.IsZero() {
		return
	}
	last := LastScheduledObservationAt(s.Observations, s.Now)
	if due, overdue := ObservationOverdue(*e.p, s.Route, s.DoseAt, last, s.Now); overdue {
		late := int(s.Now.Sub(due) / time.Minute)
		e.add(RuleObservationOverdue, TierWarning, fmt.Sprintf("%d min late", late), due,
			"Observation overdue: due %d min after the dose, now %d min late", int(due.Sub(s.DoseAt)/time.Minute), late)
	}
}

// highestTier keeps the firings of the most urgent tier in g.
func highestTier(g []Firing) []Firing {
	top := -1
	for _, f := range g {
		top = max(top, f.Tier.rank())
	}
	var out []Firing
	for _, f := range g {
		if f.Tier.rank() == top {
			out = append(out, f)
		}
	}
	return out
}

// signsIn returns the codes of want that are in signs, in want's order.
func signsIn(signs, want []string) []string {
	var out []string
	for _, w := range want {
		if slices.Contains(signs, w) {
			out = append(out, w)
		}
	}
	return out
}

// signLabels joins the labels of sign codes, in lower case, for a message.
func signLabels(codes []string) string {
	labels := make([]string, len(codes))
	for i, c := range codes {
		labels[i] = strings.ToLower(ObservationSigns.Label(c))
	}
	return strings.Join(labels, ", ")
}

// NextObservationDue returns when the next observation is due for a session
// dosed at doseAt whose latest scheduled observation was at lastObsAt (zero,
// or before the dose, when only the baseline has been taken). A fixed time
// of the schedule counts as done once an observation was recorded at or
// after it, or up to TimepointToleranceMinutes before it. ok is false before
// dosing, for a route with no schedule, and once the schedule has nothing
// further.
func NextObservationDue(p MonitoringProtocol, route Route, doseAt, lastObsAt time.Time) (due time.Time, ok bool) {
	s, found := p.Schedules[route]
	if !found || doseAt.IsZero() {
		return time.Time{}, false
	}
	ref := lastObsAt
	if ref.Before(doseAt) {
		ref = doseAt
	}
	tolerance := monitorMinutes(p.TimepointToleranceMinutes)
	for _, m := range s.AtMinutes {
		if at := doseAt.Add(monitorMinutes(m)); at.After(ref.Add(tolerance)) {
			return at, true
		}
	}
	if s.EveryMinutes <= 0 {
		return time.Time{}, false
	}
	return ref.Add(monitorMinutes(s.EveryMinutes)), true
}

// ObservationOverdue returns when the next observation was due and whether
// it is overdue at now: not recorded by its due time plus
// OverdueGraceMinutes.
func ObservationOverdue(p MonitoringProtocol, route Route, doseAt, lastObsAt, now time.Time) (due time.Time, overdue bool) {
	due, ok := NextObservationDue(p, route, doseAt, lastObsAt)
	if !ok {
		return time.Time{}, false
	}
	return due, now.After(due.Add(monitorMinutes(p.OverdueGraceMinutes)))
}

// EscalationDue reports whether an alert of tier raised at raisedAt, and
// still unacknowledged at now, is due for escalation.
func EscalationDue(p MonitoringProtocol, tier AlertTier, raisedAt, now time.Time) bool {
	return tier.NeedsAcknowledgement() && !now.Before(raisedAt.Add(monitorMinutes(p.Alerts.EscalateAfterMinutes)))
}

// CADSSDue reports whether the CADSS-6 should be asked at now: from
// CADSSToleranceMinutes before CADSSAtMinutes after the dose, until one
// observation after the dose has recorded it.
func CADSSDue(p MonitoringProtocol, doseAt time.Time, obs []Observation, now time.Time) bool {
	if doseAt.IsZero() || now.Before(doseAt.Add(monitorMinutes(p.CADSSAtMinutes-p.CADSSToleranceMinutes))) {
		return false
	}
	_, done := latestObservation(obs, doseAt, now, func(o Observation) bool { return len(o.CADSS) > 0 })
	return !done
}
