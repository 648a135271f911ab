package clinical_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ketacare/ketacare/internal/clinical"
)

// news2Normal returns inputs in which every parameter scores 0.
func news2Normal() clinical.NEWS2Inputs {
	return clinical.NEWS2Inputs{
		RespRate: new(16), SpO2: new(97), OnOxygen: new(false), Systolic: new(130),
		Pulse: new(70), Consciousness: "A", TempC: new(37.0),
	}
}

// TestNEWS2ChartEdges checks the default chart against the Royal College of
// Physicians NEWS2 chart (2017) on both sides of every band edge.
func TestNEWS2ChartEdges(t *testing.T) {
	p := clinical.Default().Monitoring
	type edge struct {
		value int
		score int
	}
	intRows := []struct {
		param  string
		scale2 bool
		oxygen bool
		set    func(in *clinical.NEWS2Inputs, v int)
		edges  []edge
	}{
		{clinical.NEWS2RespRate, false, false, func(in *clinical.NEWS2Inputs, v int) { in.RespRate = new(v) },
			[]edge{{4, 3}, {8, 3}, {9, 1}, {11, 1}, {12, 0}, {20, 0}, {21, 2}, {24, 2}, {25, 3}, {40, 3}}},
		{clinical.NEWS2SpO2, false, false, func(in *clinical.NEWS2Inputs, v int) { in.SpO2 = new(v) },
			[]edge{{70, 3}, {91, 3}, {92, 2}, {93, 2}, {94, 1}, {95, 1}, {96, 0}, {100, 0}}},
		// Scale 1 scores saturation alike on air and on oxygen (oxygen is scored on its own row).
		{clinical.NEWS2SpO2, false, true, func(in *clinical.NEWS2Inputs, v int) { in.SpO2 = new(v) },
			[]edge{{91, 3}, {92, 2}, {96, 0}, {100, 0}}},
		{clinical.NEWS2SpO2, true, false, func(in *clinical.NEWS2Inputs, v int) { in.SpO2 = new(v) },
			[]edge{{70, 3}, {83, 3}, {84, 2}, {85, 2}, {86, 1}, {87, 1}, {88, 0}, {92, 0}, {93, 0}, {94, 0}, {96, 0}, {97, 0}, {100, 0}}},
		{clinical.NEWS2SpO2, true, true, func(in *clinical.NEWS2Inputs, v int) { in.SpO2 = new(v) },
			[]edge{{70, 3}, {83, 3}, {84, 2}, {85, 2}, {86, 1}, {87, 1}, {88, 0}, {92, 0}, {93, 1}, {94, 1}, {95, 2}, {96, 2}, {97, 3}, {100, 3}}},
		{clinical.NEWS2Systolic, false, false, func(in *clinical.NEWS2Inputs, v int) { in.Systolic = new(v) },
			[]edge{{60, 3}, {90, 3}, {91, 2}, {100, 2}, {101, 1}, {110, 1}, {111, 0}, {219, 0}, {220, 3}, {260, 3}}},
		{clinical.NEWS2Pulse, false, false, func(in *clinical.NEWS2Inputs, v int) { in.Pulse = new(v) },
			[]edge{{30, 3}, {40, 3}, {41, 1}, {50, 1}, {51, 0}, {90, 0}, {91, 1}, {110, 1}, {111, 2}, {130, 2}, {131, 3}, {180, 3}}},
	}
	for _, row := range intRows {
		for _, e := range row.edges {
			in := news2Normal()
			in.OnOxygen = new(row.oxygen)
			row.set(&in, e.value)
			r, ok := clinical.NEWS2(p, in, row.scale2)
			if !ok {
				t.Fatalf("%s %d: not computed: %+v", row.param, e.value, r)
			}
			if got := r.Subscores[row.param]; got != e.score {
				t.Errorf("%s %d (scale 2 %v, oxygen %v): score %d, want %d", row.param, e.value, row.scale2, row.oxygen, got, e.score)
			}
		}
	}

	for _, e := range []struct {
		value float64
		score int
	}{{33.0, 3}, {35.0, 3}, {35.1, 1}, {36.0, 1}, {36.1, 0}, {38.0, 0}, {38.1, 1}, {39.0, 1}, {39.1, 2}, {41.0, 2}} {
		in := news2Normal()
		in.TempC = new(e.value)
		r, _ := clinical.NEWS2(p, in, false)
		if got := r.Subscores[clinical.NEWS2TempC]; got != e.score {
			t.Errorf("temperature %.1f: score %d, want %d", e.value, got, e.score)
		}
	}

	for level, score := range map[string]int{"A": 0, "C": 3, "V": 3, "P": 3, "U": 3} {
		in := news2Normal()
		in.Consciousness = level
		r, _ := clinical.NEWS2(p, in, false)
		if got := r.Subscores[clinical.NEWS2Consciousness]; got != score {
			t.Errorf("consciousness %s: score %d, want %d", level, got, score)
		}
	}

	for _, scale2 := range []bool{false, true} {
		for oxygen, score := range map[bool]int{false: 0, true: 2} {
			in := news2Normal()
			in.SpO2 = new(90)
			in.OnOxygen = new(oxygen)
			r, _ := clinical.NEWS2(p, in, scale2)
			if got := r.Subscores[clinical.NEWS2AirOrOxygen]; got != score {
				t.Errorf("scale 2 %v, oxygen %v: air-or-oxygen score %d, want %d", scale2, oxygen, got, score)
			}
		}
	}
}

func TestNEWS2Responses(t *testing.T) {
	p := clinical.Default().Monitoring
	tests := []struct {
		name     string
		change   func(in *clinical.NEWS2Inputs)
		total    int
		response string
	}{
		{"all normal", func(in *clinical.NEWS2Inputs) {}, 0, clinical.NEWS2Low},
		{"aggregate 4", func(in *clinical.NEWS2Inputs) {
			in.Pulse = new(111)   // 2
			in.RespRate = new(21) // 2
		}, 4, clinical.NEWS2Low},
		{"aggregate 5", func(in *clinical.NEWS2Inputs) {
			in.Pulse, in.RespRate = new(111), new(21) // 2 + 2
			in.TempC = new(38.5)                      // 1
		}, 5, clinical.NEWS2Urgent},
		{"aggregate 6", func(in *clinical.NEWS2Inputs) {
			in.Pulse, in.RespRate, in.TempC = new(111), new(21), new(38.5) // 2 + 2 + 1
			in.SpO2 = new(94)                                              // 1
		}, 6, clinical.NEWS2Urgent},
		{"aggregate 7", func(in *clinical.NEWS2Inputs) {
			in.Pulse, in.RespRate, in.TempC, in.SpO2 = new(111), new(21), new(38.5), new(94) // 6
			in.Systolic = new(105)                                                           // 1
		}, 7, clinical.NEWS2Emergency},
		{"single respiration 3", func(in *clinical.NEWS2Inputs) { in.RespRate = new(25) }, 3, clinical.NEWS2Urgent},
		{"single consciousness 3", func(in *clinical.NEWS2Inputs) { in.Consciousness = "V" }, 3, clinical.NEWS2Urgent},
		{"oxygen alone is 2", func(in *clinical.NEWS2Inputs) { in.OnOxygen = new(true) }, 2, clinical.NEWS2Low},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := news2Normal()
			tt.change(&in)
			r, ok := clinical.NEWS2(p, in, false)
			if !ok || !r.Complete {
				t.Fatalf("NEWS2() not computed: %+v", r)
			}
			if r.Total != tt.total || r.Response != tt.response {
				t.Errorf("NEWS2() = total %d %s, want %d %s (subscores %v)", r.Total, r.Response, tt.total, tt.response, r.Subscores)
			}
		})
	}

	t.Run("responses follow the protocol", func(t *testing.T) {
		q := clinical.Default().Monitoring
		q.NEWS2.UrgentTotal = 4
		in := news2Normal()
		in.Pulse, in.RespRate = new(111), new(21)
		if r, _ := clinical.NEWS2(q, in, false); r.Response != clinical.NEWS2Urgent {
			t.Errorf("aggregate 4 with urgent total 4: %s, want urgent", r.Response)
		}
		q.NEWS2.Pulse[4].Score = 3 // 111–130 now scores 3
		if r, _ := clinical.NEWS2(q, in, false); r.Total != 5 || r.Subscores[clinical.NEWS2Pulse] != 3 {
			t.Errorf("pulse 111 with a changed band: %+v", r)
		}
	})
}

func TestNEWS2Missing(t *testing.T) {
	p := clinical.Default().Monitoring
	tests := []struct {
		name    string
		change  func(in *clinical.NEWS2Inputs)
		scale2  bool
		missing []string
	}{
		{"no temperature", func(in *clinical.NEWS2Inputs) { in.TempC = nil }, false, []string{clinical.NEWS2TempC}},
		{"no consciousness", func(in *clinical.NEWS2Inputs) { in.Consciousness = "" }, false, []string{clinical.NEWS2Consciousness}},
		{"air or oxygen unknown on scale 1", func(in *clinical.NEWS2Inputs) { in.OnOxygen = nil }, false, []string{clinical.NEWS2AirOrOxygen}},
		{"air or oxygen unknown on scale 2", func(in *clinical.NEWS2Inputs) { in.OnOxygen = nil }, true,
			[]string{clinical.NEWS2SpO2, clinical.NEWS2AirOrOxygen}},
		{"nothing", func(in *clinical.NEWS2Inputs) { *in = clinical.NEWS2Inputs{} }, false, clinical.NEWS2Parameters},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := news2Normal()
			tt.change(&in)
			r, ok := clinical.NEWS2(p, in, tt.scale2)
			if ok || r.Complete {
				t.Fatalf("NEWS2() computed from an incomplete set: %+v", r)
			}
			if r.Total != 0 || r.Response != "" {
				t.Errorf("incomplete NEWS2 has total %d response %q", r.Total, r.Response)
			}
			if d := cmp.Diff(tt.missing, r.Missing); d != "" {
				t.Errorf("missing (-want +got):\n%s", d)
			}
			if len(r.Subscores)+len(r.Missing) != len(clinical.NEWS2Parameters) {
				t.Errorf("subscores %v and missing %v do not cover the seven parameters", r.Subscores, r.Missing)
			}
		})
	}
}

func TestLatestNEWS2Inputs(t *testing.T) {
	p := clinical.Default().Monitoring
	now := obsDose.Add(90 * time.Minute)
	window := time.Duration(p.NEWS2.WindowMinutes) * time.Minute
	complete := func(at time.Time) clinical.Observation {
		return clinical.Observation{
			At: at, RespRate: new(16), SpO2: new(97), OnOxygen: new(false), Systolic: new(130), Diastolic: new(80),
			Pulse: new(70), Consciousness: "A", TempC: new(37.0),
		}
	}

	t.Run("complete set at the window's edge", func(t *testing.T) {
		r, ok := clinical.SessionNEWS2(p, []clinical.Observation{complete(now.Add(-window))}, now, false)
		if !ok || r.Total != 0 {
			t.Errorf("SessionNEWS2() = %+v, %v; want total 0", r, ok)
		}
	})
	t.Run("complete set just outside the window", func(t *testing.T) {
		r, ok := clinical.SessionNEWS2(p, []clinical.Observation{complete(now.Add(-window - time.Second))}, now, false)
		if ok {
			t.Errorf("SessionNEWS2() = %+v, want not computed", r)
		}
		if d := cmp.Diff(clinical.NEWS2Parameters, r.Missing); d != "" {
			t.Errorf("missing (-want +got):\n%s", d)
		}
	})
	t.Run("latest value of each parameter from different observations", func(t *testing.T) {
		obs := []clinical.Observation{
			complete(now.Add(-window - time.Minute)), // too old: ignored
			{At: now.Add(-25 * time.Minute), TempC: new(38.5), Consciousness: "A", OnOxygen: new(false)},
			{At: now.Add(-20 * time.Minute), RespRate: new(25), SpO2: new(92), Systolic: new(100), Diastolic: new(60), Pulse: new(120)},
			{At: now.Add(-5 * time.Minute), RespRate: new(18), Pulse: new(95)},
			{At: now.Add(time.Minute), RespRate: new(4), Consciousness: "U"}, // after now: ignored
		}
		got := clinical.LatestNEWS2Inputs(p, obs, now)
		want := clinical.NEWS2Inputs{
			RespRate: new(18), SpO2: new(92), OnOxygen: new(false), Systolic: new(100),
			Pulse: new(95), Consciousness: "A", TempC: new(38.5),
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("LatestNEWS2Inputs (-want +got):\n%s", d)
		}
		r, ok := clinical.NEWS2(p, got, false)
		// resp 18: 0, SpO2 92: 2, air: 0, systolic 100: 2, pulse 95: 1, alert: 0, 38.5: 1.
		if !ok || r.Total != 6 || r.Response != clinical.NEWS2Urgent {
			t.Errorf("NEWS2() = %+v, want total 6, urgent", r)
		}
	})
	t.Run("window follows the protocol", func(t *testing.T) {
		q := clinical.Default().Monitoring
		q.NEWS2.WindowMinutes = 60
		obs := []clinical.Observation{complete(now.Add(-45 * time.Minute))}
		if _, ok := clinical.SessionNEWS2(p, obs, now, false); ok {
			t.Error("45 min old readings scored with the default window")
		}
		if _, ok := clinical.SessionNEWS2(q, obs, now, false); !ok {
			t.Error("45 min old readings not scored with a 60 min window")
		}
	})
}

func TestEveryNEWS2ParameterHasAName(t *testing.T) {
	for _, p := range clinical.NEWS2Parameters {
		if clinical.NEWS2ParameterNames[p] == "" {
			t.Errorf("NEWS2 parameter %q has no name", p)
		}
	}
}
