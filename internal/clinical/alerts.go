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
func EvaluateAlerts(p MonitoringProtocol, s SessionState) []Firing {
	a := p.Alerts
	latest := func(has func(Observation) bool) (Observation, bool) {
		return latestObservation(s.Observations, time.Time{}, s.Now, has)
	}
	current, _ := latest(func(Observation) bool { return true })
	signs := current.Signs
	if current.Consciousness == "C" && !slices.Contains(signs, SignConfusion) {
		signs = append(slices.Clone(signs), SignConfusion)
	}

	// Each parameter's rules are collected by add into a group; flush keeps
	// the group's most urgent firings and starts the next group.
	var out, group []Firing
	add := func(rule AlertRule, tier AlertTier, value string, at time.Time, format string, args ...any) {
		group = append(group, Firing{Rule: rule, Tier: tier, Message: fmt.Sprintf(format, args...), Value: value, At: at})
	}
	flush := func() {
		out = append(out, highestTier(group)...)
		group = nil
	}

	if o, ok := latest(func(o Observation) bool { return o.Systolic != nil && o.Diastolic != nil }); ok {
		sys, dia := *o.Systolic, *o.Diastolic
		value := fmt.Sprintf("%d/%d mmHg", sys, dia)
		critical := sys >= a.BP.CriticalSystolic || dia >= a.BP.CriticalDiastolic
		if present := signsIn(signs, a.BP.EmergencySigns); critical && len(present) > 0 {
			add(RuleBPEmergency, TierEmergency, value, o.At,
				"Hypertensive emergency: blood pressure %s with %s", value, signLabels(present))
		}
		if critical {
			add(RuleBPCritical, TierCritical, value, o.At,
				"Blood pressure %s: critical at systolic ≥ %d or diastolic ≥ %d",
				value, a.BP.CriticalSystolic, a.BP.CriticalDiastolic)
		}
		if sys >= a.BP.WarningSystolic || dia >= a.BP.WarningDiastolic {
			add(RuleBPWarning, TierWarning, value, o.At,
				"Blood pressure %s: warning at systolic ≥ %d or diastolic ≥ %d",
				value, a.BP.WarningSystolic, a.BP.WarningDiastolic)
		}
		if b := s.Baseline.Systolic; b != nil && sys-*b >= a.BP.RiseSystolic {
			add(RuleBPRise, TierWarning, value, o.At,
				"Systolic %d mmHg is %d above the pre-dose %d: warning at a rise of %d",
				sys, sys-*b, *b, a.BP.RiseSystolic)
		}
	}
	flush()

	if o, ok := latest(func(o Observation) bool { return o.Pulse != nil }); ok {
		v := *o.Pulse
		value := fmt.Sprintf("%d/min", v)
		if v >= a.Pulse.CriticalHigh || v <= a.Pulse.CriticalLow {
			add(RulePulseCritical, TierCritical, value, o.At,
				"Pulse %s: critical at ≥ %d or ≤ %d", value, a.Pulse.CriticalHigh, a.Pulse.CriticalLow)
		}
		if v >= a.Pulse.WarningHigh || v <= a.Pulse.WarningLow {
			add(RulePulseWarning, TierWarning, value, o.At,
				"Pulse %s: warning at ≥ %d or ≤ %d", value, a.Pulse.WarningHigh, a.Pulse.WarningLow)
		}
	}
	flush()

	if o, ok := latest(func(o Observation) bool { return o.SpO2 != nil }); ok {
		v := *o.SpO2
		value := fmt.Sprintf("%d %%", v)
		if v <= a.SpO2.Critical {
			add(RuleSpO2Critical, TierCritical, value, o.At, "SpO2 %s: critical at ≤ %d %%", value, a.SpO2.Critical)
		}
		if v <= a.SpO2.Warning {
			add(RuleSpO2Warning, TierWarning, value, o.At, "SpO2 %s: warning at ≤ %d %%", value, a.SpO2.Warning)
		}
	}
	flush()

	if o, ok := latest(func(o Observation) bool { return o.RespRate != nil }); ok {
		v := *o.RespRate
		value := fmt.Sprintf("%d/min", v)
		if v <= a.Resp.CriticalLow || v >= a.Resp.CriticalHigh {
			add(RuleRespCritical, TierCritical, value, o.At,
				"Respiration rate %s: critical at ≤ %d or ≥ %d", value, a.Resp.CriticalLow, a.Resp.CriticalHigh)
		}
	}
	flush()

	if present := signsIn(current.Signs, a.Anxiety.CriticalSigns); len(present) > 0 {
		add(RulePanic, TierCritical, strings.Join(present, ", "), current.At,
			"Signs checklist: %s ticked", signLabels(present))
	}
	if o, ok := latest(func(o Observation) bool { return o.Anxiety != nil }); ok {
		v := *o.Anxiety
		value := fmt.Sprintf("%d/10", v)
		if v >= a.Anxiety.Critical {
			add(RuleAnxietyCritical, TierCritical, value, o.At, "Anxiety %s: critical at ≥ %d", value, a.Anxiety.Critical)
		}
		if v >= a.Anxiety.Warning {
			add(RuleAnxietyWarning, TierWarning, value, o.At, "Anxiety %s: warning at ≥ %d", value, a.Anxiety.Warning)
		}
		if b := s.Baseline.Anxiety; b != nil && v-*b >= a.Anxiety.Rise {
			add(RuleAnxietyRise, TierWarning, value, o.At,
				"Anxiety %s is %d above the pre-dose %d: warning at a rise of %d", value, v-*b, *b, a.Anxiety.Rise)
		}
	}
	flush()

	if o, ok := latest(func(o Observation) bool { return o.MOAAS != nil }); ok {
		v := *o.MOAAS
		value := fmt.Sprintf("MOAA/S %d", v)
		if v <= a.MOAAS.Critical {
			add(RuleMOAASCritical, TierCritical, value, o.At, "Deep sedation: %s (critical at ≤ %d)", value, a.MOAAS.Critical)
		}
		if b := s.Baseline.MOAAS; b != nil && v < *b {
			add(RuleSedation, a.MOAAS.SedationTier, value, o.At, "Sedation: %s, down from %d before the dose", value, *b)
		}
	}
	flush()

	if n := s.NEWS2; n != nil && n.Complete {
		value := fmt.Sprintf("NEWS2 %d", n.Total)
		switch n.Response {
		case NEWS2Emergency:
			add(RuleNEWS2Emergency, TierEmergency, value, s.Now,
				"%s: emergency response (aggregate ≥ %d)", value, p.NEWS2.EmergencyTotal)
		case NEWS2Urgent:
			add(RuleNEWS2Urgent, TierCritical, value, s.Now,
				"%s: urgent response (aggregate ≥ %d or a single parameter scoring %d)",
				value, p.NEWS2.UrgentTotal, p.NEWS2.UrgentSingle)
		}
	}
	flush()

	if !s.DoseAt.IsZero() && !s.Now.IsZero() {
		last := LastScheduledObservationAt(s.Observations, s.Now)
		if due, overdue := ObservationOverdue(p, s.Route, s.DoseAt, last, s.Now); overdue {
			late := int(s.Now.Sub(due) / time.Minute)
			add(RuleObservationOverdue, TierWarning, fmt.Sprintf("%d min late", late), due,
				"Observation overdue: due %d min after the dose, now %d min late", int(due.Sub(s.DoseAt)/time.Minute), late)
		}
	}
	flush()
	return out
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
