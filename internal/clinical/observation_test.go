package clinical_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ketacare/ketacare/internal/clinical"
)

// obsDose is the dose time used by the monitoring tests.
var obsDose = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func TestValidateObservation(t *testing.T) {
	at := obsDose.Add(15 * time.Minute)
	full := clinical.Observation{
		At: at, Systolic: new(150), Diastolic: new(90), Pulse: new(88), SpO2: new(97), RespRate: new(14),
		TempC: new(36.8), Consciousness: "A", OnOxygen: new(false), Anxiety: new(4), MOAAS: new(5),
		CADSS: []int{0, 1, 2, 3, 4, 0}, Signs: []string{clinical.SignRestlessness, clinical.SignNausea},
		Measures: []string{clinical.MeasureReassurance, clinical.MeasureMusic},
	}
	tests := []struct {
		name   string
		obs    clinical.Observation
		fields []string // the fields reported as wrong; none for a valid observation
	}{
		{"full observation", full, nil},
		{"anxiety only", clinical.Observation{At: at, Anxiety: new(0)}, nil},
		{"measure only", clinical.Observation{At: at, Measures: []string{clinical.MeasureEyeMask}}, nil},
		{"anxiety at 10", clinical.Observation{At: at, Anxiety: new(10)}, nil},
		{"MOAA/S at 0", clinical.Observation{At: at, MOAAS: new(0)}, nil},
		{"nothing recorded", clinical.Observation{At: at}, []string{"observation"}},
		{"no time", clinical.Observation{Pulse: new(80)}, []string{"at"}},
		{"systolic without diastolic", clinical.Observation{At: at, Systolic: new(120)}, []string{"diastolic"}},
		{"diastolic without systolic", clinical.Observation{At: at, Diastolic: new(80)}, []string{"systolic"}},
		{"diastolic equal to systolic", clinical.Observation{At: at, Systolic: new(90), Diastolic: new(90)}, []string{"diastolic"}},
		{"negative pulse", clinical.Observation{At: at, Pulse: new(-1)}, []string{"pulse"}},
		{"SpO2 above 100", clinical.Observation{At: at, SpO2: new(101)}, []string{"spo2"}},
		{"unknown ACVPU letter", clinical.Observation{At: at, Consciousness: "X"}, []string{"consciousness"}},
		{"lower-case ACVPU letter", clinical.Observation{At: at, Consciousness: "a"}, []string{"consciousness"}},
		{"anxiety 11", clinical.Observation{At: at, Anxiety: new(11)}, []string{"anxiety"}},
		{"anxiety -1", clinical.Observation{At: at, Anxiety: new(-1)}, []string{"anxiety"}},
		{"MOAA/S 6", clinical.Observation{At: at, MOAAS: new(6)}, []string{"moaas"}},
		{"CADSS-6 with five items", clinical.Observation{At: at, CADSS: []int{0, 0, 0, 0, 0}}, []string{"cadss"}},
		{"CADSS-6 item 5", clinical.Observation{At: at, CADSS: []int{0, 0, 5, 0, 0, 0}}, []string{"cadss"}},
		{"unknown sign", clinical.Observation{At: at, Signs: []string{"dizzy"}}, []string{"signs"}},
		{"sign twice", clinical.Observation{At: at, Signs: []string{clinical.SignPanic, clinical.SignPanic}}, []string{"signs"}},
		{"unknown measure", clinical.Observation{At: at, Measures: []string{"massage"}}, []string{"measures"}},
		{"several problems", clinical.Observation{Anxiety: new(12), MOAAS: new(9)}, []string{"anxiety", "at", "moaas"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := clinical.ValidateObservation(tt.obs)
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("ValidateObservation() = %v, want nil", err)
				}
				return
			}
			var oe *clinical.ObservationError
			if !errors.As(err, &oe) {
				t.Fatalf("ValidateObservation() = %v, want an *ObservationError", err)
			}
			var got []string
			for f, msg := range oe.Fields {
				got = append(got, f)
				if msg == "" {
					t.Errorf("field %s has an empty message", f)
				}
			}
			slices.Sort(got)
			if d := cmp.Diff(tt.fields, got); d != "" {
				t.Errorf("fields (-want +got):\n%s\nerror: %v", d, err)
			}
		})
	}
}

func TestObservationCodeLists(t *testing.T) {
	wantSigns := []string{"restlessness", "heightened-sensitivity", "intrusive-thoughts", "racing-heart", "panic",
		"nausea", "headache", "chest-pain", "visual-change", "confusion"}
	wantMeasures := []string{"reassurance", "breathing-exercise", "music", "eye-mask", "lights-dimmed",
		"trusted-person", "pause-infusion", "session-stopped"}
	for _, l := range []struct {
		name string
		list clinical.CodeList
		want []string
	}{
		{"signs", clinical.ObservationSigns, wantSigns},
		{"measures", clinical.SupportiveMeasures, wantMeasures},
		{"ACVPU", clinical.ConsciousnessLevels, []string{"A", "C", "V", "P", "U"}},
	} {
		var codes []string
		for _, c := range l.list {
			codes = append(codes, c.Code)
			if c.Label == "" || c.Label == c.Code {
				t.Errorf("%s: %q has no label for people", l.name, c.Code)
			}
		}
		if d := cmp.Diff(l.want, codes); d != "" {
			t.Errorf("%s codes (-want +got):\n%s", l.name, d)
		}
	}
	if got := clinical.ObservationSigns.Label(clinical.SignChestPain); got != "Chest pain" {
		t.Errorf("Label(chest-pain) = %q", got)
	}
	if got := clinical.ObservationSigns.Label("unknown"); got != "unknown" {
		t.Errorf("Label(unknown) = %q, want the code back", got)
	}
}

func TestCheckPlausible(t *testing.T) {
	p := clinical.Default().Monitoring
	pr := p.Plausible
	at := obsDose
	// sys and dia build a blood pressure whose other half is inside its range.
	sys := func(v int) clinical.Observation {
		return clinical.Observation{At: at, Systolic: new(v), Diastolic: new(int(pr.Diastolic.Min))}
	}
	dia := func(v int) clinical.Observation {
		return clinical.Observation{At: at, Systolic: new(int(pr.Systolic.Max)), Diastolic: new(v)}
	}
	tests := []struct {
		name  string
		obs   clinical.Observation
		field string // "" when plausible
	}{
		{"systolic at minimum", sys(int(pr.Systolic.Min)), ""},
		{"systolic below minimum", sys(int(pr.Systolic.Min) - 1), "systolic"},
		{"systolic at maximum", sys(int(pr.Systolic.Max)), ""},
		{"systolic above maximum", sys(int(pr.Systolic.Max) + 1), "systolic"},
		{"diastolic at minimum", dia(int(pr.Diastolic.Min)), ""},
		{"diastolic below minimum", dia(int(pr.Diastolic.Min) - 1), "diastolic"},
		{"diastolic at maximum", dia(int(pr.Diastolic.Max)), ""},
		{"diastolic above maximum", dia(int(pr.Diastolic.Max) + 1), "diastolic"},
		{"pulse at minimum", clinical.Observation{At: at, Pulse: new(int(pr.Pulse.Min))}, ""},
		{"pulse below minimum", clinical.Observation{At: at, Pulse: new(int(pr.Pulse.Min) - 1)}, "pulse"},
		{"pulse at maximum", clinical.Observation{At: at, Pulse: new(int(pr.Pulse.Max))}, ""},
		{"pulse above maximum", clinical.Observation{At: at, Pulse: new(int(pr.Pulse.Max) + 1)}, "pulse"},
		{"SpO2 at minimum", clinical.Observation{At: at, SpO2: new(int(pr.SpO2.Min))}, ""},
		{"SpO2 below minimum", clinical.Observation{At: at, SpO2: new(int(pr.SpO2.Min) - 1)}, "spo2"},
		{"SpO2 at maximum", clinical.Observation{At: at, SpO2: new(int(pr.SpO2.Max))}, ""},
		{"SpO2 above maximum", clinical.Observation{At: at, SpO2: new(int(pr.SpO2.Max) + 1)}, "spo2"},
		{"respiration at minimum", clinical.Observation{At: at, RespRate: new(int(pr.RespRate.Min))}, ""},
		{"respiration below minimum", clinical.Observation{At: at, RespRate: new(int(pr.RespRate.Min) - 1)}, "respRate"},
		{"respiration at maximum", clinical.Observation{At: at, RespRate: new(int(pr.RespRate.Max))}, ""},
		{"respiration above maximum", clinical.Observation{At: at, RespRate: new(int(pr.RespRate.Max) + 1)}, "respRate"},
		{"temperature at minimum", clinical.Observation{At: at, TempC: new(pr.TempC.Min)}, ""},
		{"temperature below minimum", clinical.Observation{At: at, TempC: new(pr.TempC.Min - 0.1)}, "tempC"},
		{"temperature at maximum", clinical.Observation{At: at, TempC: new(pr.TempC.Max)}, ""},
		{"temperature above maximum", clinical.Observation{At: at, TempC: new(pr.TempC.Max + 0.1)}, "tempC"},
		{"no vital signs", clinical.Observation{At: at, Anxiety: new(3)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := clinical.CheckPlausible(&p, tt.obs)
			if tt.field == "" {
				if len(got) != 0 {
					t.Fatalf("CheckPlausible() = %+v, want none", got)
				}
				return
			}
			if len(got) != 1 || got[0].Field != tt.field {
				t.Fatalf("CheckPlausible() = %+v, want one for %s", got, tt.field)
			}
			if got[0].Message == "" {
				t.Error("no message")
			}
		})
	}

	t.Run("reports every implausible reading with its range", func(t *testing.T) {
		o := clinical.Observation{At: at, Systolic: new(320), Diastolic: new(10), Pulse: new(80), SpO2: new(40)}
		got := clinical.CheckPlausible(&p, o)
		want := []clinical.Implausible{
			{Field: "systolic", Value: 320, Min: pr.Systolic.Min, Max: pr.Systolic.Max},
			{Field: "diastolic", Value: 10, Min: pr.Diastolic.Min, Max: pr.Diastolic.Max},
			{Field: "spo2", Value: 40, Min: pr.SpO2.Min, Max: pr.SpO2.Max},
		}
		if d := cmp.Diff(want, got, cmpIgnoreMessage); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})

	t.Run("follows the protocol", func(t *testing.T) {
		o := clinical.Observation{At: at, Pulse: new(230)}
		if got := clinical.CheckPlausible(&p, o); len(got) != 0 {
			t.Fatalf("pulse 230 with the default range: %+v", got)
		}
		q := clinical.Default().Monitoring
		q.Plausible.Pulse.Max = 220
		if got := clinical.CheckPlausible(&q, o); len(got) != 1 || got[0].Max != 220 {
			t.Errorf("pulse 230 with maximum 220: %+v, want one finding", got)
		}
	})
}

var cmpIgnoreMessage = cmp.FilterPath(func(p cmp.Path) bool {
	return p.Last().String() == ".Message"
}, cmp.Ignore())

// A scheduled observation is complete with a blood pressure, the anxiety
// rating and MOAA/S, in one entry or several.
func TestLastScheduledObservationAt(t *testing.T) {
	obs := []clinical.Observation{
		{At: obsDose.Add(-5 * time.Minute), Systolic: new(130), Diastolic: new(80), Anxiety: new(2), MOAAS: new(5)},
		{At: obsDose.Add(15 * time.Minute), Systolic: new(140), Diastolic: new(85), Anxiety: new(3), MOAAS: new(5)},
		{At: obsDose.Add(20 * time.Minute), Anxiety: new(6)},                        // a quick re-rating: not a scheduled observation
		{At: obsDose.Add(30 * time.Minute), Systolic: new(150), Diastolic: new(90)}, // a monitor's blood pressure alone
		{At: obsDose.Add(40 * time.Minute), Systolic: new(150), Diastolic: new(90)},
		{At: obsDose.Add(41 * time.Minute), Anxiety: new(4), MOAAS: new(4)}, // the nurse's ratings a minute later
	}
	tests := []struct {
		now  time.Time
		want time.Time
	}{
		{obsDose.Add(-10 * time.Minute), time.Time{}},
		{obsDose, obsDose.Add(-5 * time.Minute)},
		{obsDose.Add(25 * time.Minute), obsDose.Add(15 * time.Minute)},
		{obsDose.Add(35 * time.Minute), obsDose.Add(15 * time.Minute)}, // MOAA/S last at +15
		{obsDose.Add(40 * time.Minute), obsDose.Add(15 * time.Minute)},
		{obsDose.Add(41 * time.Minute), obsDose.Add(40 * time.Minute)},
	}
	for _, tt := range tests {
		if got := clinical.LastScheduledObservationAt(obs, tt.now); !got.Equal(tt.want) {
			t.Errorf("at %v: got %v, want %v", tt.now.Sub(obsDose), got, tt.want)
		}
	}
}
