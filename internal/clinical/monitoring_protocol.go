package clinical

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Route is how a dose is given. It chooses the observation schedule and the
// minimum wait before discharge.
type Route string

// The routes of administration. Intranasal is esketamine nasal spray; the
// others are racemic ketamine.
const (
	RouteIV         Route = "iv"
	RouteIM         Route = "im"
	RouteIntranasal Route = "intranasal"
	RouteOral       Route = "oral"
	RouteSublingual Route = "sublingual"
)

// Routes lists every route in display order. Every protocol version covers
// each of them.
var Routes = []Route{RouteIV, RouteIM, RouteIntranasal, RouteOral, RouteSublingual}

// Valid reports whether r is a known route.
func (r Route) Valid() bool { return slices.Contains(Routes, r) }

// Label names the route for people: "IV", "IM", "intranasal", ...
func (r Route) Label() string {
	switch r {
	case RouteIV, RouteIM:
		return strings.ToUpper(string(r))
	}
	return string(r)
}

// MonitoringProtocol holds every number used while a dosing session is
// monitored: the observation schedule, plausible ranges, alert thresholds and
// the NEWS2 chart.
type MonitoringProtocol struct {
	// Schedules is the observation schedule of each route.
	Schedules map[Route]ObservationSchedule `json:"schedules"`
	// OverdueGraceMinutes: an observation not recorded by its due time plus
	// this grace raises an overdue reminder.
	OverdueGraceMinutes int `json:"overdueGraceMinutes"`
	// TimepointToleranceMinutes: an observation recorded up to this many
	// minutes before a fixed time of the schedule counts as that time.
	TimepointToleranceMinutes int `json:"timepointToleranceMinutes"`
	// CADSSAtMinutes is when, after the dose, the CADSS-6 is asked (once).
	CADSSAtMinutes int `json:"cadssAtMinutes"`
	// CADSSToleranceMinutes: the CADSS-6 becomes due this many minutes
	// before CADSSAtMinutes.
	CADSSToleranceMinutes int `json:"cadssToleranceMinutes"`
	// Plausible holds the ranges outside which a reading is refused unless
	// the recorder confirms it as real.
	Plausible PlausibleRanges `json:"plausible"`
	// Alerts holds the in-session alert thresholds.
	Alerts AlertThresholds `json:"alerts"`
	// NEWS2 is the National Early Warning Score 2 chart and its responses.
	NEWS2 NEWS2Chart `json:"news2"`
}

// ObservationSchedule says when observations are due after the dose. The
// pre-dose baseline is always taken. AtMinutes are fixed times after the
// dose; EveryMinutes is the interval between observations after the last
// fixed time (from the dose when there are none). EveryMinutes 0 means no
// further scheduled observation after the fixed times.
type ObservationSchedule struct {
	AtMinutes    []int `json:"atMinutes,omitempty"`
	EveryMinutes int   `json:"everyMinutes"`
}

// PlausibleRange is an inclusive range of believable readings.
type PlausibleRange struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// Contains reports whether v lies within the range, bounds included.
func (r PlausibleRange) Contains(v float64) bool { return v >= r.Min && v <= r.Max }

// PlausibleRanges holds a believable range for each vital sign. The anxiety
// rating, MOAA/S and CADSS-6 have fixed scales and are checked by
// ValidateObservation instead.
type PlausibleRanges struct {
	Systolic  PlausibleRange `json:"systolic"`
	Diastolic PlausibleRange `json:"diastolic"`
	Pulse     PlausibleRange `json:"pulse"`
	SpO2      PlausibleRange `json:"spo2"`
	RespRate  PlausibleRange `json:"respRate"`
	TempC     PlausibleRange `json:"tempC"`
}

// AlertThresholds holds the thresholds of the in-session alert rules. Every
// threshold is inclusive: a reading equal to it fires the rule.
type AlertThresholds struct {
	BP      BPAlerts      `json:"bp"`
	Pulse   PulseAlerts   `json:"pulse"`
	SpO2    SpO2Alerts    `json:"spo2"`
	Resp    RespAlerts    `json:"resp"`
	Anxiety AnxietyAlerts `json:"anxiety"`
	MOAAS   MOAASAlerts   `json:"moaas"`
	// EscalateAfterMinutes: an alert that needs acknowledgement and has not
	// been acknowledged after this long is escalated.
	EscalateAfterMinutes int `json:"escalateAfterMinutes"`
	// DutyHours: a prescriber's duty ends by itself this long after it
	// began, so that escalations do not go on to someone who left without
	// going off duty.
	DutyHours int `json:"dutyHours"`
}

// DefaultDutyHours is the shipped length of a duty, a long day's shift.
// Protocol versions saved before duties ended by themselves use it.
const DefaultDutyHours = 12

// maxDutyHours bounds a duty: nobody is on duty for more than a day.
const maxDutyHours = 24

// WithDefaults fills the settings a protocol version saved before they
// existed lacks with the shipped ones.
func (p MonitoringProtocol) WithDefaults() MonitoringProtocol {
	if p.Alerts.DutyHours == 0 {
		p.Alerts.DutyHours = DefaultDutyHours
	}
	return p
}

// BPAlerts are the blood pressure rules (mmHg). A critical reading together
// with one of EmergencySigns is a hypertensive emergency.
type BPAlerts struct {
	WarningSystolic   int      `json:"warningSystolic"`
	WarningDiastolic  int      `json:"warningDiastolic"`
	CriticalSystolic  int      `json:"criticalSystolic"`
	CriticalDiastolic int      `json:"criticalDiastolic"`
	RiseSystolic      int      `json:"riseSystolic"` // rise above the pre-dose systolic
	EmergencySigns    []string `json:"emergencySigns"`
}

// PulseAlerts are the pulse rules (beats/min): at or above High, or at or
// below Low.
type PulseAlerts struct {
	WarningHigh  int `json:"warningHigh"`
	WarningLow   int `json:"warningLow"`
	CriticalHigh int `json:"criticalHigh"`
	CriticalLow  int `json:"criticalLow"`
}

// SpO2Alerts are the oxygen saturation rules (%): at or below the value.
type SpO2Alerts struct {
	Warning  int `json:"warning"`
	Critical int `json:"critical"`
}

// RespAlerts are the respiration rate rules (breaths/min): at or below Low,
// or at or above High, is critical.
type RespAlerts struct {
	CriticalLow  int `json:"criticalLow"`
	CriticalHigh int `json:"criticalHigh"`
}

// AnxietyAlerts are the anxiety rating (NRS 0–10) rules. Rise is measured
// from the pre-dose rating. Any of CriticalSigns ticked is critical.
type AnxietyAlerts struct {
	Warning       int      `json:"warning"`
	Rise          int      `json:"rise"`
	Critical      int      `json:"critical"`
	CriticalSigns []string `json:"criticalSigns"`
}

// MOAASAlerts are the sedation rules. A MOAA/S at or below Critical is deep
// sedation. Any fall below the pre-dose score is recorded as sedation with
// SedationTier; the default tier is info: shown on the session record, with
// no acknowledgement or escalation, because a light fall is common and
// expected with ketamine and deep sedation has its own critical rule.
type MOAASAlerts struct {
	Critical     int       `json:"critical"`
	SedationTier AlertTier `json:"sedationTier"`
}

// NEWS2Band is one band of a NEWS2 chart row. A band covers the values above
// the previous band's UpTo, up to and including its own UpTo; the last band
// of a row has no UpTo and covers everything above. Bands can therefore
// neither overlap nor leave gaps.
type NEWS2Band struct {
	UpTo  *float64 `json:"upTo,omitempty"`
	Score int      `json:"score"`
}

// NEWS2Chart is the NEWS2 chart as data, with the responses its totals
// trigger. SpO2 scale 2 is for patients whose target saturation is 88–92 %:
// its row differs on air and on oxygen, so it has one table for each.
type NEWS2Chart struct {
	// WindowMinutes: NEWS2 uses the latest value of each parameter recorded
	// within this many minutes.
	WindowMinutes    int            `json:"windowMinutes"`
	RespRate         []NEWS2Band    `json:"respRate"`
	SpO2Scale1       []NEWS2Band    `json:"spo2Scale1"`
	SpO2Scale2Air    []NEWS2Band    `json:"spo2Scale2Air"`
	SpO2Scale2Oxygen []NEWS2Band    `json:"spo2Scale2Oxygen"`
	OxygenScore      int            `json:"oxygenScore"` // supplemental oxygen; air scores 0
	Systolic         []NEWS2Band    `json:"systolic"`
	Pulse            []NEWS2Band    `json:"pulse"`
	Consciousness    map[string]int `json:"consciousness"` // ACVPU letter -> score
	TempC            []NEWS2Band    `json:"tempC"`
	// UrgentTotal and UrgentSingle trigger the urgent response: a total at
	// or above UrgentTotal, or any one parameter scoring UrgentSingle or
	// more. EmergencyTotal triggers the emergency response.
	UrgentTotal    int `json:"urgentTotal"`
	UrgentSingle   int `json:"urgentSingle"`
	EmergencyTotal int `json:"emergencyTotal"`
}

// defaultMonitoring returns the shipped monitoring protocol. Oral and
// sublingual ketamine act more slowly and for longer than an injection, so
// their default is an observation every 30 minutes. For esketamine the fixed
// times are +40 min (the blood pressure peak) and +120 min (the pre-discharge
// observation at the earliest discharge); a patient who stays longer is
// observed every 30 minutes.
func defaultMonitoring() MonitoringProtocol {
	return MonitoringProtocol{
		Schedules: map[Route]ObservationSchedule{
			RouteIV:         {EveryMinutes: 15},
			RouteIM:         {EveryMinutes: 15},
			RouteIntranasal: {AtMinutes: []int{40, 120}, EveryMinutes: 30},
			RouteOral:       {EveryMinutes: 30},
			RouteSublingual: {EveryMinutes: 30},
		},
		OverdueGraceMinutes:       5,
		TimepointToleranceMinutes: 5,
		CADSSAtMinutes:            40,
		CADSSToleranceMinutes:     5,
		Plausible: PlausibleRanges{
			Systolic:  PlausibleRange{Min: 50, Max: 300},
			Diastolic: PlausibleRange{Min: 20, Max: 200},
			Pulse:     PlausibleRange{Min: 20, Max: 250},
			SpO2:      PlausibleRange{Min: 50, Max: 100},
			RespRate:  PlausibleRange{Min: 2, Max: 60},
			TempC:     PlausibleRange{Min: 25, Max: 45},
		},
		Alerts: AlertThresholds{
			BP: BPAlerts{
				WarningSystolic:   160,
				WarningDiastolic:  100,
				CriticalSystolic:  180,
				CriticalDiastolic: 110,
				RiseSystolic:      40,
				EmergencySigns:    []string{SignHeadache, SignChestPain, SignVisualChange, SignConfusion},
			},
			Pulse:                PulseAlerts{WarningHigh: 110, WarningLow: 50, CriticalHigh: 130, CriticalLow: 40},
			SpO2:                 SpO2Alerts{Warning: 93, Critical: 91},
			Resp:                 RespAlerts{CriticalLow: 8, CriticalHigh: 25},
			Anxiety:              AnxietyAlerts{Warning: 7, Rise: 3, Critical: 9, CriticalSigns: []string{SignPanic}},
			MOAAS:                MOAASAlerts{Critical: 2, SedationTier: TierInfo},
			EscalateAfterMinutes: 5,
			DutyHours:            DefaultDutyHours,
		},
		NEWS2: defaultNEWS2Chart(),
	}
}

// defaultNEWS2Chart is the Royal College of Physicians NEWS2 chart (2017).
func defaultNEWS2Chart() NEWS2Chart {
	return NEWS2Chart{
		WindowMinutes: 30,
		RespRate: []NEWS2Band{
			{UpTo: new(8.0), Score: 3},
			{UpTo: new(11.0), Score: 1},
			{UpTo: new(20.0), Score: 0},
			{UpTo: new(24.0), Score: 2},
			{Score: 3},
		},
		SpO2Scale1: []NEWS2Band{
			{UpTo: new(91.0), Score: 3},
			{UpTo: new(93.0), Score: 2},
			{UpTo: new(95.0), Score: 1},
			{Score: 0},
		},
		SpO2Scale2Air: []NEWS2Band{
			{UpTo: new(83.0), Score: 3},
			{UpTo: new(85.0), Score: 2},
			{UpTo: new(87.0), Score: 1},
			{Score: 0},
		},
		SpO2Scale2Oxygen: []NEWS2Band{
			{UpTo: new(83.0), Score: 3},
			{UpTo: new(85.0), Score: 2},
			{UpTo: new(87.0), Score: 1},
			{UpTo: new(92.0), Score: 0},
			{UpTo: new(94.0), Score: 1},
			{UpTo: new(96.0), Score: 2},
			{Score: 3},
		},
		OxygenScore: 2,
		Systolic: []NEWS2Band{
			{UpTo: new(90.0), Score: 3},
			{UpTo: new(100.0), Score: 2},
			{UpTo: new(110.0), Score: 1},
			{UpTo: new(219.0), Score: 0},
			{Score: 3},
		},
		Pulse: []NEWS2Band{
			{UpTo: new(40.0), Score: 3},
			{UpTo: new(50.0), Score: 1},
			{UpTo: new(90.0), Score: 0},
			{UpTo: new(110.0), Score: 1},
			{UpTo: new(130.0), Score: 2},
			{Score: 3},
		},
		Consciousness: map[string]int{"A": 0, "C": 3, "V": 3, "P": 3, "U": 3},
		TempC: []NEWS2Band{
			{UpTo: new(35.0), Score: 3},
			{UpTo: new(36.0), Score: 1},
			{UpTo: new(38.0), Score: 0},
			{UpTo: new(39.0), Score: 1},
			{Score: 2},
		},
		UrgentTotal:    5,
		UrgentSingle:   3,
		EmergencyTotal: 7,
	}
}

// validate reports every inconsistency of the monitoring protocol.
func (p MonitoringProtocol) validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("monitoring: "+format, args...))
	}

	for _, r := range Routes {
		s, ok := p.Schedules[r]
		if !ok {
			bad("schedules: no schedule for route %q", r)
			continue
		}
		if s.EveryMinutes < 0 {
			bad("schedules.%s.everyMinutes: %d is negative", r, s.EveryMinutes)
		}
		if len(s.AtMinutes) == 0 && s.EveryMinutes == 0 {
			bad("schedules.%s: no observation after the dose (give atMinutes or everyMinutes)", r)
		}
		for i, m := range s.AtMinutes {
			if m <= 0 {
				bad("schedules.%s.atMinutes: %d is not after the dose", r, m)
			}
			if i > 0 && m <= s.AtMinutes[i-1] {
				bad("schedules.%s.atMinutes: times must increase (%d after %d)", r, m, s.AtMinutes[i-1])
			}
		}
	}
	for r := range p.Schedules {
		if !r.Valid() {
			bad("schedules: unknown route %q", r)
		}
	}
	if p.OverdueGraceMinutes < 0 {
		bad("overdueGraceMinutes: %d is negative", p.OverdueGraceMinutes)
	}
	if p.TimepointToleranceMinutes < 0 {
		bad("timepointToleranceMinutes: %d is negative", p.TimepointToleranceMinutes)
	}
	if p.CADSSAtMinutes <= 0 {
		bad("cadssAtMinutes: %d is not after the dose", p.CADSSAtMinutes)
	}
	if p.CADSSToleranceMinutes < 0 || p.CADSSToleranceMinutes >= p.CADSSAtMinutes {
		bad("cadssToleranceMinutes: %d must be between 0 and cadssAtMinutes", p.CADSSToleranceMinutes)
	}

	for _, r := range []struct {
		name string
		r    PlausibleRange
	}{
		{"systolic", p.Plausible.Systolic},
		{"diastolic", p.Plausible.Diastolic},
		{"pulse", p.Plausible.Pulse},
		{"spo2", p.Plausible.SpO2},
		{"respRate", p.Plausible.RespRate},
		{"tempC", p.Plausible.TempC},
	} {
		if r.r.Min < 0 || r.r.Min >= r.r.Max {
			bad("plausible.%s: range %g–%g is empty or negative", r.name, r.r.Min, r.r.Max)
		}
	}
	if p.Plausible.SpO2.Max > 100 {
		bad("plausible.spo2: maximum %g is above 100 %%", p.Plausible.SpO2.Max)
	}

	a := p.Alerts
	if a.BP.WarningSystolic <= 0 || a.BP.WarningSystolic >= a.BP.CriticalSystolic {
		bad("alerts.bp: warning systolic %d must be positive and below critical %d", a.BP.WarningSystolic, a.BP.CriticalSystolic)
	}
	if a.BP.WarningDiastolic <= 0 || a.BP.WarningDiastolic >= a.BP.CriticalDiastolic {
		bad("alerts.bp: warning diastolic %d must be positive and below critical %d", a.BP.WarningDiastolic, a.BP.CriticalDiastolic)
	}
	if a.BP.RiseSystolic <= 0 {
		bad("alerts.bp.riseSystolic: %d must be positive", a.BP.RiseSystolic)
	}
	errs = append(errs, validateSignList("alerts.bp.emergencySigns", a.BP.EmergencySigns))
	if a.Pulse.CriticalLow <= 0 || a.Pulse.CriticalLow >= a.Pulse.WarningLow ||
		a.Pulse.WarningLow >= a.Pulse.WarningHigh || a.Pulse.WarningHigh >= a.Pulse.CriticalHigh {
		bad("alerts.pulse: need 0 < criticalLow %d < warningLow %d < warningHigh %d < criticalHigh %d",
			a.Pulse.CriticalLow, a.Pulse.WarningLow, a.Pulse.WarningHigh, a.Pulse.CriticalHigh)
	}
	if a.SpO2.Critical <= 0 || a.SpO2.Critical >= a.SpO2.Warning || a.SpO2.Warning > 100 {
		bad("alerts.spo2: need 0 < critical %d < warning %d ≤ 100", a.SpO2.Critical, a.SpO2.Warning)
	}
	if a.Resp.CriticalLow < 0 || a.Resp.CriticalLow >= a.Resp.CriticalHigh {
		bad("alerts.resp: criticalLow %d must be below criticalHigh %d", a.Resp.CriticalLow, a.Resp.CriticalHigh)
	}
	if a.Anxiety.Warning <= 0 || a.Anxiety.Warning >= a.Anxiety.Critical || a.Anxiety.Critical > anxietyMax {
		bad("alerts.anxiety: need 0 < warning %d < critical %d ≤ %d", a.Anxiety.Warning, a.Anxiety.Critical, anxietyMax)
	}
	if a.Anxiety.Rise <= 0 || a.Anxiety.Rise > anxietyMax {
		bad("alerts.anxiety.rise: %d must be between 1 and %d", a.Anxiety.Rise, anxietyMax)
	}
	errs = append(errs, validateSignList("alerts.anxiety.criticalSigns", a.Anxiety.CriticalSigns))
	if a.MOAAS.Critical < 0 || a.MOAAS.Critical >= moaasMax {
		bad("alerts.moaas.critical: %d must be between 0 and %d", a.MOAAS.Critical, moaasMax-1)
	}
	if !a.MOAAS.SedationTier.Valid() {
		bad("alerts.moaas.sedationTier: unknown tier %q", a.MOAAS.SedationTier)
	}
	if a.EscalateAfterMinutes <= 0 {
		bad("alerts.escalateAfterMinutes: %d must be positive", a.EscalateAfterMinutes)
	}
	if a.DutyHours <= 0 || a.DutyHours > maxDutyHours {
		bad("alerts.dutyHours: %d must be between 1 and %d", a.DutyHours, maxDutyHours)
	}

	errs = append(errs, p.NEWS2.validate())
	return errors.Join(errs...)
}

// validate reports every inconsistency of the NEWS2 chart.
func (c NEWS2Chart) validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("monitoring: news2."+format, args...))
	}
	if c.WindowMinutes <= 0 {
		bad("windowMinutes: %d must be positive", c.WindowMinutes)
	}
	rows := []struct {
		name  string
		bands []NEWS2Band
	}{
		{"respRate", c.RespRate},
		{"spo2Scale1", c.SpO2Scale1},
		{"spo2Scale2Air", c.SpO2Scale2Air},
		{"spo2Scale2Oxygen", c.SpO2Scale2Oxygen},
		{"systolic", c.Systolic},
		{"pulse", c.Pulse},
		{"tempC", c.TempC},
	}
	for _, row := range rows {
		if len(row.bands) == 0 {
			bad("%s: no bands", row.name)
			continue
		}
		for i, b := range row.bands {
			last := i == len(row.bands)-1
			switch {
			case last && b.UpTo != nil:
				bad("%s: the last band must have no upper bound", row.name)
			case !last && b.UpTo == nil:
				bad("%s: band %d needs an upper bound (only the last band is open)", row.name, i+1)
			case !last && i > 0 && row.bands[i-1].UpTo != nil && *b.UpTo <= *row.bands[i-1].UpTo:
				bad("%s: upper bounds must increase (%g after %g)", row.name, *b.UpTo, *row.bands[i-1].UpTo)
			}
			if b.Score < 0 || b.Score > 3 {
				bad("%s: score %d is outside 0–3", row.name, b.Score)
			}
		}
	}
	if c.OxygenScore < 0 || c.OxygenScore > 3 {
		bad("oxygenScore: %d is outside 0–3", c.OxygenScore)
	}
	for _, l := range ConsciousnessLevels {
		s, ok := c.Consciousness[l.Code]
		if !ok {
			bad("consciousness: no score for %q", l.Code)
		} else if s < 0 || s > 3 {
			bad("consciousness: score %d for %q is outside 0–3", s, l.Code)
		}
	}
	for k := range c.Consciousness {
		if !validConsciousness(k) {
			bad("consciousness: unknown level %q", k)
		}
	}
	if c.UrgentTotal <= 0 || c.UrgentTotal >= c.EmergencyTotal {
		bad("urgentTotal %d must be positive and below emergencyTotal %d", c.UrgentTotal, c.EmergencyTotal)
	}
	if c.UrgentSingle <= 0 || c.UrgentSingle > 3 {
		bad("urgentSingle: %d must be between 1 and 3", c.UrgentSingle)
	}
	return errors.Join(errs...)
}

// validateSignList checks that a protocol list names known sign codes.
func validateSignList(name string, codes []string) error {
	if len(codes) == 0 {
		return fmt.Errorf("monitoring: %s: empty", name)
	}
	for _, c := range codes {
		if !ObservationSigns.Has(c) {
			return fmt.Errorf("monitoring: %s: unknown sign %q", name, c)
		}
	}
	return nil
}
