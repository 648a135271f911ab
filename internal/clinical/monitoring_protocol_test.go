package clinical

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMonitoringAndDischargeDefaultsAreValid(t *testing.T) {
	if err := defaultMonitoring().validate(); err != nil {
		t.Errorf("default monitoring protocol: %v", err)
	}
	if err := defaultDischarge().validate(); err != nil {
		t.Errorf("default discharge protocol: %v", err)
	}
}

func TestMonitoringProtocolJSONRoundTrip(t *testing.T) {
	type both struct {
		Monitoring MonitoringProtocol `json:"monitoring"`
		Discharge  DischargeProtocol  `json:"discharge"`
	}
	want := both{defaultMonitoring(), defaultDischarge()}
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var got both
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("protocol changed through JSON (-want +got):\n%s", d)
	}
	for _, key := range []string{`"schedules":{"im":`, `"upTo":8,"score":3`, `"overdueGraceMinutes":5`, `"minMinutesAfterDose":{`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON lacks %s:\n%s", key, b)
		}
	}
}

func TestMonitoringProtocolValidateRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *MonitoringProtocol)
		want   string // part of the error message
	}{
		{"route without schedule", func(p *MonitoringProtocol) { delete(p.Schedules, RouteIM) }, `no schedule for route "im"`},
		{"unknown route", func(p *MonitoringProtocol) { p.Schedules["rectal"] = ObservationSchedule{EveryMinutes: 15} }, `unknown route "rectal"`},
		{"empty schedule", func(p *MonitoringProtocol) { p.Schedules[RouteIV] = ObservationSchedule{} }, "schedules.iv: no observation"},
		{"fixed times out of order", func(p *MonitoringProtocol) {
			p.Schedules[RouteIntranasal] = ObservationSchedule{AtMinutes: []int{120, 40}}
		}, "times must increase"},
		{"fixed time at the dose", func(p *MonitoringProtocol) {
			p.Schedules[RouteIntranasal] = ObservationSchedule{AtMinutes: []int{0, 40}}
		}, "not after the dose"},
		{"negative grace", func(p *MonitoringProtocol) { p.OverdueGraceMinutes = -1 }, "overdueGraceMinutes"},
		{"empty plausible range", func(p *MonitoringProtocol) { p.Plausible.Pulse = PlausibleRange{Min: 250, Max: 20} }, "plausible.pulse"},
		{"SpO2 range above 100", func(p *MonitoringProtocol) { p.Plausible.SpO2.Max = 101 }, "plausible.spo2"},
		{"BP warning above critical", func(p *MonitoringProtocol) { p.Alerts.BP.WarningSystolic = 190 }, "warning systolic 190"},
		{"pulse thresholds crossed", func(p *MonitoringProtocol) { p.Alerts.Pulse.WarningLow = 35 }, "alerts.pulse"},
		{"SpO2 thresholds crossed", func(p *MonitoringProtocol) { p.Alerts.SpO2.Critical = 95 }, "alerts.spo2"},
		{"anxiety critical beyond the scale", func(p *MonitoringProtocol) { p.Alerts.Anxiety.Critical = 11 }, "alerts.anxiety"},
		{"unknown emergency sign", func(p *MonitoringProtocol) { p.Alerts.BP.EmergencySigns = []string{"dizzy"} }, `unknown sign "dizzy"`},
		{"unknown sedation tier", func(p *MonitoringProtocol) { p.Alerts.MOAAS.SedationTier = "loud" }, "sedationTier"},
		{"no escalation time", func(p *MonitoringProtocol) { p.Alerts.EscalateAfterMinutes = 0 }, "escalateAfterMinutes"},
		{"no duty length", func(p *MonitoringProtocol) { p.Alerts.DutyHours = 0 }, "alerts.dutyHours: 0 must be between 1 and 24"},
		{"duty over a day", func(p *MonitoringProtocol) { p.Alerts.DutyHours = 25 }, "alerts.dutyHours: 25"},
		{"band bounds out of order", func(p *MonitoringProtocol) { p.NEWS2.Pulse[1].UpTo = new(30.0) }, "news2.pulse: upper bounds must increase"},
		{"last band closed", func(p *MonitoringProtocol) { p.NEWS2.TempC[4].UpTo = new(45.0) }, "news2.tempC: the last band"},
		{"middle band open", func(p *MonitoringProtocol) { p.NEWS2.RespRate[2].UpTo = nil }, "news2.respRate: band 3"},
		{"score beyond 3", func(p *MonitoringProtocol) { p.NEWS2.Systolic[0].Score = 4 }, "news2.systolic: score 4"},
		{"missing ACVPU level", func(p *MonitoringProtocol) { delete(p.NEWS2.Consciousness, "U") }, `no score for "U"`},
		{"urgent above emergency", func(p *MonitoringProtocol) { p.NEWS2.UrgentTotal = 8 }, "urgentTotal"},
		{"no window", func(p *MonitoringProtocol) { p.NEWS2.WindowMinutes = 0 }, "windowMinutes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := defaultMonitoring()
			tt.change(&p)
			err := p.validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestDischargeProtocolValidateRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *DischargeProtocol)
		want   string
	}{
		{"route without wait", func(p *DischargeProtocol) { delete(p.MinMinutesAfterDose, RouteOral) }, `no wait for route "oral"`},
		{"negative wait", func(p *DischargeProtocol) { p.MinMinutesAfterDose[RouteIV] = -5 }, "minMinutesAfterDose.iv"},
		{"BP limit not a BP", func(p *DischargeProtocol) { p.BelowDiastolic = 170 }, "belowSystolic/belowDiastolic"},
		{"MOAA/S beyond the scale", func(p *DischargeProtocol) { p.MinMOAAS = 6 }, "minMoaas"},
		{"anxiety beyond the scale", func(p *DischargeProtocol) { p.AnxietyAtMost = 11 }, "anxietyAtMost"},
		{"negative reading age", func(p *DischargeProtocol) { p.ReadingMaxAgeMinutes = -1 }, "readingMaxAgeMinutes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := defaultDischarge()
			tt.change(&p)
			err := p.validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// A protocol version saved before duties ended by themselves reads the
// shipped length; a version that sets one keeps it.
func TestDutyHoursDefault(t *testing.T) {
	old := defaultMonitoring()
	old.Alerts.DutyHours = 0
	if got := old.WithDefaults().Alerts.DutyHours; got != DefaultDutyHours {
		t.Errorf("an older version's duty: %d hours, want %d", got, DefaultDutyHours)
	}
	set := defaultMonitoring()
	set.Alerts.DutyHours = 8
	if got := set.WithDefaults().Alerts.DutyHours; got != 8 {
		t.Errorf("a version with 8 hours reads %d", got)
	}
	if err := set.validate(); err != nil {
		t.Errorf("8 hours refused: %v", err)
	}
}
