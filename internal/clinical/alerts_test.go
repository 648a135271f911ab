package clinical_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ketacare/ketacare/internal/clinical"
)

// alertRules evaluates a session dosed at obsDose with an optional baseline
// (5 min before the dose) and one observation 10 min after it, and returns
// the firings as "rule:tier".
func alertRules(p clinical.MonitoringProtocol, baseline, latest clinical.Observation) []string {
	s := clinical.SessionState{Route: clinical.RouteIV, DoseAt: obsDose, Now: obsDose.Add(10 * time.Minute)}
	if !baseline.At.IsZero() {
		s.Baseline = baseline
		s.Observations = append(s.Observations, baseline)
	}
	latest.At = s.Now
	s.Observations = append(s.Observations, latest)
	return firingCodes(clinical.EvaluateAlerts(&p, &s))
}

func firingCodes(fs []clinical.Firing) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s:%s", f.Rule, f.Tier))
	}
	return out
}

func TestAlertRulesAtThresholds(t *testing.T) {
	p := clinical.Default().Monitoring
	a := p.Alerts
	bp := func(sys, dia int) clinical.Observation {
		return clinical.Observation{Systolic: new(sys), Diastolic: new(dia)}
	}
	withSigns := func(o clinical.Observation, signs ...string) clinical.Observation { o.Signs = signs; return o }
	const normalSys, normalDia = 120, 70

	baseBP := a.BP.WarningSystolic - a.BP.RiseSystolic - 10 // a rise to warning level fires both rules
	baseAnxiety := a.Anxiety.Warning - a.Anxiety.Rise - 2
	before := obsDose.Add(-5 * time.Minute)
	bpBaseline := clinical.Observation{At: before, Systolic: new(baseBP), Diastolic: new(normalDia)}
	anxietyBaseline := clinical.Observation{At: before, Anxiety: new(baseAnxiety)}
	moaasBaseline := clinical.Observation{At: before, MOAAS: new(5)}
	sedation := "sedation:" + string(a.MOAAS.SedationTier)

	type tc struct {
		name     string
		baseline clinical.Observation
		latest   clinical.Observation
		want     []string
	}
	tests := []tc{
		{"systolic below warning", clinical.Observation{}, bp(a.BP.WarningSystolic-1, normalDia), nil},
		{"systolic at warning", clinical.Observation{}, bp(a.BP.WarningSystolic, normalDia), []string{"bp-warning:warning"}},
		{"systolic below critical", clinical.Observation{}, bp(a.BP.CriticalSystolic-1, normalDia), []string{"bp-warning:warning"}},
		{"systolic at critical", clinical.Observation{}, bp(a.BP.CriticalSystolic, normalDia), []string{"bp-critical:critical"}},
		{"diastolic below warning", clinical.Observation{}, bp(normalSys, a.BP.WarningDiastolic-1), nil},
		{"diastolic at warning", clinical.Observation{}, bp(normalSys+30, a.BP.WarningDiastolic), []string{"bp-warning:warning"}},
		{"diastolic below critical", clinical.Observation{}, bp(normalSys+30, a.BP.CriticalDiastolic-1), []string{"bp-warning:warning"}},
		{"diastolic at critical", clinical.Observation{}, bp(normalSys+30, a.BP.CriticalDiastolic), []string{"bp-critical:critical"}},
		{"systolic rise below threshold", bpBaseline, bp(baseBP+a.BP.RiseSystolic-1, normalDia), nil},
		{"systolic rise at threshold", bpBaseline, bp(baseBP+a.BP.RiseSystolic, normalDia), []string{"bp-rise:warning"}},
		{"systolic rise and warning", bpBaseline, bp(a.BP.WarningSystolic, normalDia), []string{"bp-warning:warning", "bp-rise:warning"}},
		{"critical hides rise", bpBaseline, bp(a.BP.CriticalSystolic, normalDia), []string{"bp-critical:critical"}},
		{"critical with nausea stays critical", clinical.Observation{}, withSigns(bp(a.BP.CriticalSystolic, normalDia), clinical.SignNausea),
			[]string{"bp-critical:critical"}},
		{"warning with headache stays warning", clinical.Observation{}, withSigns(bp(a.BP.CriticalSystolic-1, normalDia), clinical.SignHeadache),
			[]string{"bp-warning:warning"}},
		{"critical with new confusion on ACVPU", clinical.Observation{},
			clinical.Observation{Systolic: new(normalSys + 20), Diastolic: new(a.BP.CriticalDiastolic), Consciousness: "C"},
			[]string{"bp-emergency:emergency"}},

		{"pulse below high warning", clinical.Observation{}, clinical.Observation{Pulse: new(a.Pulse.WarningHigh - 1)}, nil},
		{"pulse at high warning", clinical.Observation{}, clinical.Observation{Pulse: new(a.Pulse.WarningHigh)}, []string{"pulse-warning:warning"}},
		{"pulse below high critical", clinical.Observation{}, clinical.Observation{Pulse: new(a.Pulse.CriticalHigh - 1)}, []string{"pulse-warning:warning"}},
		{"pulse at high critical", clinical.Observation{}, clinical.Observation{Pulse: new(a.Pulse.CriticalHigh)}, []string{"pulse-critical:critical"}},
		{"pulse above low warning", clinical.Observation{}, clinical.Observation{Pulse: new(a.Pulse.WarningLow + 1)}, nil},
		{"pulse at low warning", clinical.Observation{}, clinical.Observation{Pulse: new(a.Pulse.WarningLow)}, []string{"pulse-warning:warning"}},
		{"pulse above low critical", clinical.Observation{}, clinical.Observation{Pulse: new(a.Pulse.CriticalLow + 1)}, []string{"pulse-warning:warning"}},
		{"pulse at low critical", clinical.Observation{}, clinical.Observation{Pulse: new(a.Pulse.CriticalLow)}, []string{"pulse-critical:critical"}},

		{"SpO2 above warning", clinical.Observation{}, clinical.Observation{SpO2: new(a.SpO2.Warning + 1)}, nil},
		{"SpO2 at warning", clinical.Observation{}, clinical.Observation{SpO2: new(a.SpO2.Warning)}, []string{"spo2-warning:warning"}},
		{"SpO2 above critical", clinical.Observation{}, clinical.Observation{SpO2: new(a.SpO2.Critical + 1)}, []string{"spo2-warning:warning"}},
		{"SpO2 at critical", clinical.Observation{}, clinical.Observation{SpO2: new(a.SpO2.Critical)}, []string{"spo2-critical:critical"}},

		{"respiration above low", clinical.Observation{}, clinical.Observation{RespRate: new(a.Resp.CriticalLow + 1)}, nil},
		{"respiration at low", clinical.Observation{}, clinical.Observation{RespRate: new(a.Resp.CriticalLow)}, []string{"resp-critical:critical"}},
		{"respiration below high", clinical.Observation{}, clinical.Observation{RespRate: new(a.Resp.CriticalHigh - 1)}, nil},
		{"respiration at high", clinical.Observation{}, clinical.Observation{RespRate: new(a.Resp.CriticalHigh)}, []string{"resp-critical:critical"}},

		{"anxiety below warning", clinical.Observation{}, clinical.Observation{Anxiety: new(a.Anxiety.Warning - 1)}, nil},
		{"anxiety at warning", clinical.Observation{}, clinical.Observation{Anxiety: new(a.Anxiety.Warning)}, []string{"anxiety-warning:warning"}},
		{"anxiety below critical", clinical.Observation{}, clinical.Observation{Anxiety: new(a.Anxiety.Critical - 1)}, []string{"anxiety-warning:warning"}},
		{"anxiety at critical", clinical.Observation{}, clinical.Observation{Anxiety: new(a.Anxiety.Critical)}, []string{"anxiety-critical:critical"}},
		{"anxiety rise below threshold", anxietyBaseline, clinical.Observation{Anxiety: new(baseAnxiety + a.Anxiety.Rise - 1)}, nil},
		{"anxiety rise at threshold", anxietyBaseline, clinical.Observation{Anxiety: new(baseAnxiety + a.Anxiety.Rise)}, []string{"anxiety-rise:warning"}},
		{"anxiety rise and warning", anxietyBaseline, clinical.Observation{Anxiety: new(a.Anxiety.Warning)},
			[]string{"anxiety-warning:warning", "anxiety-rise:warning"}},
		{"panic ticked with low anxiety", clinical.Observation{}, clinical.Observation{Anxiety: new(1), Signs: []string{clinical.SignPanic}},
			[]string{"panic:critical"}},
		{"panic ticked hides anxiety warning", clinical.Observation{}, clinical.Observation{Anxiety: new(a.Anxiety.Warning), Signs: []string{clinical.SignPanic}},
			[]string{"panic:critical"}},
		{"panic ticked with critical anxiety", clinical.Observation{}, clinical.Observation{Anxiety: new(a.Anxiety.Critical), Signs: []string{clinical.SignPanic}},
			[]string{"panic:critical", "anxiety-critical:critical"}},

		{"MOAA/S above critical", clinical.Observation{}, clinical.Observation{MOAAS: new(a.MOAAS.Critical + 1)}, nil},
		{"MOAA/S at critical", clinical.Observation{}, clinical.Observation{MOAAS: new(a.MOAAS.Critical)}, []string{"moaas-critical:critical"}},
		{"MOAA/S as before the dose", moaasBaseline, clinical.Observation{MOAAS: new(5)}, nil},
		{"MOAA/S one below the dose", moaasBaseline, clinical.Observation{MOAAS: new(4)}, []string{sedation}},
		{"deep sedation hides sedation", moaasBaseline, clinical.Observation{MOAAS: new(a.MOAAS.Critical)}, []string{"moaas-critical:critical"}},

		{"several parameters at once", clinical.Observation{},
			clinical.Observation{Systolic: new(a.BP.WarningSystolic), Diastolic: new(normalDia), Pulse: new(a.Pulse.CriticalHigh),
				SpO2: new(a.SpO2.Warning), Anxiety: new(a.Anxiety.Warning)},
			[]string{"bp-warning:warning", "pulse-critical:critical", "spo2-warning:warning", "anxiety-warning:warning"}},
	}
	for _, sign := range a.BP.EmergencySigns {
		tests = append(tests, tc{"critical with " + sign, clinical.Observation{},
			withSigns(bp(a.BP.CriticalSystolic, normalDia), sign), []string{"bp-emergency:emergency"}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := alertRules(p, tt.baseline, tt.latest)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("firings (-want +got):\n%s", d)
			}
		})
	}
}

func TestAlertRulesFollowProtocol(t *testing.T) {
	def := clinical.Default().Monitoring
	changed := clinical.Default().Monitoring
	changed.Alerts.BP.WarningSystolic = 150
	changed.Alerts.Anxiety.Warning = 5
	changed.Alerts.MOAAS.SedationTier = clinical.TierWarning
	changed.Alerts.BP.EmergencySigns = []string{clinical.SignChestPain}

	before := obsDose.Add(-5 * time.Minute)
	tests := []struct {
		name         string
		baseline     clinical.Observation
		latest       clinical.Observation
		def, changed []string
	}{
		{"systolic 155", clinical.Observation{}, clinical.Observation{Systolic: new(155), Diastolic: new(80)},
			nil, []string{"bp-warning:warning"}},
		{"anxiety 5", clinical.Observation{}, clinical.Observation{Anxiety: new(5)},
			nil, []string{"anxiety-warning:warning"}},
		{"sedation tier", clinical.Observation{At: before, MOAAS: new(5)}, clinical.Observation{MOAAS: new(4)},
			[]string{"sedation:info"}, []string{"sedation:warning"}},
		{"emergency signs", clinical.Observation{}, clinical.Observation{Systolic: new(185), Diastolic: new(90), Signs: []string{clinical.SignHeadache}},
			[]string{"bp-emergency:emergency"}, []string{"bp-critical:critical"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.def, alertRules(def, tt.baseline, tt.latest)); d != "" {
				t.Errorf("default protocol (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.changed, alertRules(changed, tt.baseline, tt.latest)); d != "" {
				t.Errorf("changed protocol (-want +got):\n%s", d)
			}
		})
	}
}

func TestAlertFiringDetail(t *testing.T) {
	p := clinical.Default().Monitoring
	at := obsDose.Add(40 * time.Minute)
	s := clinical.SessionState{
		Route: clinical.RouteIntranasal, DoseAt: obsDose, Now: at.Add(time.Minute),
		Observations: []clinical.Observation{{At: at, Systolic: new(182), Diastolic: new(96),
			Signs: []string{clinical.SignHeadache, clinical.SignVisualChange}}},
	}
	got := clinical.EvaluateAlerts(&p, &s)
	want := []clinical.Firing{{
		Rule: clinical.RuleBPEmergency, Tier: clinical.TierEmergency, Value: "182/96 mmHg", At: at,
		Message: "Hypertensive emergency: blood pressure 182/96 mmHg with headache, visual change",
	}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}

	s.Observations[0].Signs = nil
	got = clinical.EvaluateAlerts(&p, &s)
	if len(got) != 1 || !strings.Contains(got[0].Message, fmt.Sprint(p.Alerts.BP.CriticalSystolic)) ||
		!strings.Contains(got[0].Message, fmt.Sprint(p.Alerts.BP.CriticalDiastolic)) {
		t.Errorf("critical BP message does not name the protocol's thresholds: %+v", got)
	}
}

// TestAlertsTrackLatestReadings follows one session: each rule looks at the
// latest value of its parameter, so an alert holds until a new reading of
// that parameter is normal.
func TestAlertsTrackLatestReadings(t *testing.T) {
	p := clinical.Default().Monitoring
	at := func(m int) time.Time { return obsDose.Add(time.Duration(m) * time.Minute) }
	obs := []clinical.Observation{
		{At: at(-5), Systolic: new(125), Diastolic: new(80), Pulse: new(72), Anxiety: new(2), MOAAS: new(5)},
		{At: at(15), Systolic: new(185), Diastolic: new(95), Pulse: new(90), Anxiety: new(5), MOAAS: new(5), Signs: []string{clinical.SignPanic}},
		{At: at(20), Anxiety: new(5)}, // a re-rating without a blood pressure; panic no longer ticked
		{At: at(30), Systolic: new(140), Diastolic: new(85), Pulse: new(80), Anxiety: new(3), MOAAS: new(5)},
		{At: at(45), Systolic: new(190), Diastolic: new(100), Pulse: new(80), Anxiety: new(3), MOAAS: new(5)},
	}
	tests := []struct {
		now  int
		want []string
	}{
		{0, nil},
		// Panic (critical) hides the anxiety rise (warning).
		{15, []string{"bp-critical:critical", "panic:critical"}},
		{20, []string{"bp-critical:critical", "anxiety-rise:warning"}},
		{30, nil},
		// The reading at +45 is in the future at +40 and ignored.
		{40, nil},
	}
	for _, tt := range tests {
		s := clinical.SessionState{Route: clinical.RouteIV, DoseAt: obsDose, Baseline: obs[0], Observations: obs, Now: at(tt.now)}
		if d := cmp.Diff(tt.want, firingCodes(clinical.EvaluateAlerts(&p, &s))); d != "" {
			t.Errorf("at +%d min (-want +got):\n%s", tt.now, d)
		}
	}
}

func TestAlertsNEWS2(t *testing.T) {
	p := clinical.Default().Monitoring
	tests := []struct {
		name  string
		news2 *clinical.NEWS2Result
		want  []string
	}{
		{"not computable", nil, nil},
		{"incomplete", &clinical.NEWS2Result{Complete: false, Missing: []string{clinical.NEWS2TempC}}, nil},
		{"low", &clinical.NEWS2Result{Total: 4, Response: clinical.NEWS2Low, Complete: true}, nil},
		{"urgent", &clinical.NEWS2Result{Total: 5, Response: clinical.NEWS2Urgent, Complete: true}, []string{"news2-urgent:critical"}},
		{"emergency", &clinical.NEWS2Result{Total: 7, Response: clinical.NEWS2Emergency, Complete: true}, []string{"news2-emergency:emergency"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := clinical.SessionState{Route: clinical.RouteIV, DoseAt: obsDose, Now: obsDose.Add(5 * time.Minute), NEWS2: tt.news2}
			if d := cmp.Diff(tt.want, firingCodes(clinical.EvaluateAlerts(&p, &s))); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}

	t.Run("from a session's readings", func(t *testing.T) {
		now := obsDose.Add(30 * time.Minute)
		obs := []clinical.Observation{{At: now, RespRate: new(26), SpO2: new(96), OnOxygen: new(false), Systolic: new(130),
			Diastolic: new(80), Pulse: new(80), Consciousness: "A", TempC: new(37.0), Anxiety: new(2), MOAAS: new(5)}}
		r, ok := clinical.SessionNEWS2(p, obs, now, false)
		if !ok {
			t.Fatalf("SessionNEWS2() not computed: %+v", r)
		}
		s := clinical.SessionState{Route: clinical.RouteIV, DoseAt: obsDose, Observations: obs, Now: now, NEWS2: &r}
		want := []string{"resp-critical:critical", "news2-urgent:critical"}
		if d := cmp.Diff(want, firingCodes(clinical.EvaluateAlerts(&p, &s))); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
}

func TestNextObservationDue(t *testing.T) {
	p := clinical.Default().Monitoring
	min := func(m int) time.Time { return obsDose.Add(time.Duration(m) * time.Minute) }
	every := func(r clinical.Route) int { return p.Schedules[r].EveryMinutes }
	esk := p.Schedules[clinical.RouteIntranasal]
	tol := p.TimepointToleranceMinutes
	tests := []struct {
		name   string
		route  clinical.Route
		dose   time.Time
		last   time.Time
		want   time.Time
		wantOK bool
	}{
		{"IV, nothing after the dose", clinical.RouteIV, obsDose, time.Time{}, min(every(clinical.RouteIV)), true},
		{"IV, only the baseline", clinical.RouteIV, obsDose, min(-10), min(every(clinical.RouteIV)), true},
		{"IV, interval from the last observation", clinical.RouteIV, obsDose, min(17), min(17 + every(clinical.RouteIV)), true},
		{"IM", clinical.RouteIM, obsDose, min(30), min(30 + every(clinical.RouteIM)), true},
		{"oral", clinical.RouteOral, obsDose, time.Time{}, min(every(clinical.RouteOral)), true},
		{"sublingual", clinical.RouteSublingual, obsDose, min(30), min(30 + every(clinical.RouteSublingual)), true},
		{"esketamine, first fixed time", clinical.RouteIntranasal, obsDose, min(-5), min(esk.AtMinutes[0]), true},
		{"esketamine, just before the tolerance", clinical.RouteIntranasal, obsDose, min(esk.AtMinutes[0] - tol - 1), min(esk.AtMinutes[0]), true},
		{"esketamine, within the tolerance", clinical.RouteIntranasal, obsDose, min(esk.AtMinutes[0] - tol), min(esk.AtMinutes[1]), true},
		{"esketamine, late for the first time", clinical.RouteIntranasal, obsDose, min(esk.AtMinutes[0] + 12), min(esk.AtMinutes[1]), true},
		{"esketamine, after the last fixed time", clinical.RouteIntranasal, obsDose, min(esk.AtMinutes[1] - tol),
			min(esk.AtMinutes[1] - tol + esk.EveryMinutes), true},
		{"not dosed yet", clinical.RouteIV, time.Time{}, min(-5), time.Time{}, false},
		{"unknown route", clinical.Route("rectal"), obsDose, time.Time{}, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := clinical.NextObservationDue(p, tt.route, tt.dose, tt.last)
			if ok != tt.wantOK || !got.Equal(tt.want) {
				t.Errorf("NextObservationDue() = +%v, %v; want +%v, %v", got.Sub(obsDose), ok, tt.want.Sub(obsDose), tt.wantOK)
			}
		})
	}

	t.Run("schedule follows the protocol", func(t *testing.T) {
		q := clinical.Default().Monitoring
		q.Schedules[clinical.RouteIntranasal] = clinical.ObservationSchedule{AtMinutes: []int{20, 40, 120}}
		if got, _ := clinical.NextObservationDue(q, clinical.RouteIntranasal, obsDose, time.Time{}); !got.Equal(min(20)) {
			t.Errorf("first due +%v, want +20m", got.Sub(obsDose))
		}
		if _, ok := clinical.NextObservationDue(q, clinical.RouteIntranasal, obsDose, min(121)); ok {
			t.Error("a schedule with no interval has an observation due after its last fixed time")
		}
	})
}

func TestObservationOverdue(t *testing.T) {
	p := clinical.Default().Monitoring
	every := time.Duration(p.Schedules[clinical.RouteIV].EveryMinutes) * time.Minute
	grace := time.Duration(p.OverdueGraceMinutes) * time.Minute
	last := obsDose.Add(15 * time.Minute)
	due := last.Add(every)
	obs := []clinical.Observation{
		{At: obsDose.Add(-5 * time.Minute), Systolic: new(120), Diastolic: new(80), Anxiety: new(2), MOAAS: new(5)},
		{At: last, Systolic: new(125), Diastolic: new(80), Anxiety: new(2), MOAAS: new(5)},
		{At: last.Add(every), Anxiety: new(2)},                        // a re-rating on time does not count as the observation
		{At: last.Add(every), Systolic: new(124), Diastolic: new(80)}, // nor does a blood pressure without MOAA/S
	}
	tests := []struct {
		now  time.Time
		want []string
	}{
		{due, nil},
		{due.Add(grace), nil},
		{due.Add(grace + time.Second), []string{"observation-overdue:warning"}},
	}
	for _, tt := range tests {
		_, overdue := clinical.ObservationOverdue(p, clinical.RouteIV, obsDose, last, tt.now)
		if overdue != (tt.want != nil) {
			t.Errorf("ObservationOverdue at due+%v = %v", tt.now.Sub(due), overdue)
		}
		s := clinical.SessionState{Route: clinical.RouteIV, DoseAt: obsDose, Observations: obs, Now: tt.now}
		fs := clinical.EvaluateAlerts(&p, &s)
		if d := cmp.Diff(tt.want, firingCodes(fs)); d != "" {
			t.Errorf("at due+%v (-want +got):\n%s", tt.now.Sub(due), d)
		}
		if len(fs) == 1 && !fs[0].At.Equal(due) {
			t.Errorf("overdue firing at %v, want the due time %v", fs[0].At, due)
		}
	}

	t.Run("grace follows the protocol", func(t *testing.T) {
		q := clinical.Default().Monitoring
		q.OverdueGraceMinutes = 10
		if _, overdue := clinical.ObservationOverdue(q, clinical.RouteIV, obsDose, last, due.Add(7*time.Minute)); overdue {
			t.Error("overdue 7 min after the due time with a 10 min grace")
		}
	})
	t.Run("no reminder before dosing", func(t *testing.T) {
		s := clinical.SessionState{Route: clinical.RouteIV, Observations: obs[:1], Now: obsDose.Add(3 * time.Hour)}
		if fs := clinical.EvaluateAlerts(&p, &s); len(fs) != 0 {
			t.Errorf("firings before dosing: %v", firingCodes(fs))
		}
	})
}

func TestEscalationDue(t *testing.T) {
	p := clinical.Default().Monitoring
	raised := obsDose.Add(20 * time.Minute)
	after := time.Duration(p.Alerts.EscalateAfterMinutes) * time.Minute
	tests := []struct {
		tier clinical.AlertTier
		now  time.Time
		want bool
	}{
		{clinical.TierWarning, raised.Add(after - time.Second), false},
		{clinical.TierWarning, raised.Add(after), true},
		{clinical.TierCritical, raised.Add(after), true},
		{clinical.TierEmergency, raised.Add(after), true},
		{clinical.TierInfo, raised.Add(time.Hour), false},
	}
	for _, tt := range tests {
		if got := clinical.EscalationDue(p, tt.tier, raised, tt.now); got != tt.want {
			t.Errorf("EscalationDue(%s, raised+%v) = %v, want %v", tt.tier, tt.now.Sub(raised), got, tt.want)
		}
	}
	for tier, want := range map[clinical.AlertTier]bool{
		clinical.TierInfo: false, clinical.TierWarning: true, clinical.TierCritical: true, clinical.TierEmergency: true, "other": false,
	} {
		if got := tier.NeedsAcknowledgement(); got != want {
			t.Errorf("%q.NeedsAcknowledgement() = %v, want %v", tier, got, want)
		}
	}
}

func TestCADSSDue(t *testing.T) {
	p := clinical.Default().Monitoring
	from := obsDose.Add(time.Duration(p.CADSSAtMinutes-p.CADSSToleranceMinutes) * time.Minute)
	cadss := []int{1, 2, 1, 0, 3, 1}
	tests := []struct {
		name string
		dose time.Time
		obs  []clinical.Observation
		now  time.Time
		want bool
	}{
		{"before it is due", obsDose, nil, from.Add(-time.Second), false},
		{"due", obsDose, nil, from, true},
		{"still due later", obsDose, nil, from.Add(time.Hour), true},
		{"recorded", obsDose, []clinical.Observation{{At: from.Add(2 * time.Minute), CADSS: cadss}}, from.Add(10 * time.Minute), false},
		{"recorded before the dose does not count", obsDose, []clinical.Observation{{At: obsDose.Add(-5 * time.Minute), CADSS: cadss}}, from, true},
		{"not dosed", time.Time{}, nil, from, false},
	}
	for _, tt := range tests {
		if got := clinical.CADSSDue(p, tt.dose, tt.obs, tt.now); got != tt.want {
			t.Errorf("%s: CADSSDue() = %v, want %v", tt.name, got, tt.want)
		}
	}
}
