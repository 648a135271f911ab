package clinical_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ketacare/ketacare/internal/clinical"
)

// dischargeReady returns an IV session that passes every gate item, with
// its pre-discharge observation 5 min before now.
func dischargeReady(p clinical.DischargeProtocol) clinical.DischargeInput {
	end := obsDose.Add(40 * time.Minute)
	now := end.Add(time.Duration(p.MinMinutesAfterDose[clinical.RouteIV]) * time.Minute)
	baseline := clinical.Observation{At: obsDose.Add(-5 * time.Minute), Systolic: new(130), Diastolic: new(80), Anxiety: new(2), MOAAS: new(5)}
	return clinical.DischargeInput{
		Route:     clinical.RouteIV,
		DoseEndAt: end,
		Baseline:  baseline,
		Observations: []clinical.Observation{
			baseline,
			{At: now.Add(-5 * time.Minute), Systolic: new(135), Diastolic: new(82), Anxiety: new(2), MOAAS: new(5)},
		},
		EscortConfirmed:    true,
		DrivingAdviceGiven: true,
		Now:                now,
	}
}

// withLast replaces the pre-discharge observation's readings.
func withLast(in clinical.DischargeInput, change func(o *clinical.Observation)) clinical.DischargeInput {
	in.Observations = append([]clinical.Observation(nil), in.Observations...)
	change(&in.Observations[len(in.Observations)-1])
	return in
}

func TestDischargeGateItems(t *testing.T) {
	p := clinical.Default().Discharge
	ready := dischargeReady(p)
	if r := clinical.DischargeGate(p, ready); !r.Pass {
		t.Fatalf("ready session does not pass: %+v", r)
	}
	wantCodes := []string{clinical.GateTimeSinceDose, clinical.GateBloodPressure, clinical.GateMOAAS, clinical.GateAnxiety,
		clinical.GateAlerts, clinical.GateEscort, clinical.GateDrivingAdvice}
	var codes []string
	for _, it := range clinical.DischargeGate(p, ready).Items {
		codes = append(codes, it.Code)
		if it.Label == "" || it.Detail == "" {
			t.Errorf("item %s lacks a label or detail: %+v", it.Code, it)
		}
	}
	if d := cmp.Diff(wantCodes, codes); d != "" {
		t.Errorf("items (-want +got):\n%s", d)
	}

	minute := time.Minute
	at := func(in clinical.DischargeInput, d time.Duration) clinical.DischargeInput {
		in.Now = in.DoseEndAt.Add(d)
		return in
	}
	wait := func(r clinical.Route) time.Duration { return time.Duration(p.MinMinutesAfterDose[r]) * minute }
	route := func(in clinical.DischargeInput, r clinical.Route) clinical.DischargeInput { in.Route = r; return in }
	bp := func(sys, dia int) func(o *clinical.Observation) {
		return func(o *clinical.Observation) { o.Systolic, o.Diastolic = new(sys), new(dia) }
	}
	baselineAnxiety := func(in clinical.DischargeInput, v *int) clinical.DischargeInput { in.Baseline.Anxiety = v; return in }
	anxiety := func(v int) func(o *clinical.Observation) { return func(o *clinical.Observation) { o.Anxiety = new(v) } }
	bSys, bDia := 150, 95 // a high baseline, so "near baseline" is tested apart from "below"

	tests := []struct {
		name string
		in   clinical.DischargeInput
		item string
		pass bool
	}{
		{"IV at the minimum wait", at(ready, wait(clinical.RouteIV)), clinical.GateTimeSinceDose, true},
		{"IV just before the minimum wait", at(ready, wait(clinical.RouteIV)-time.Second), clinical.GateTimeSinceDose, false},
		{"IM at the minimum wait", at(route(ready, clinical.RouteIM), wait(clinical.RouteIM)), clinical.GateTimeSinceDose, true},
		{"IM just before the minimum wait", at(route(ready, clinical.RouteIM), wait(clinical.RouteIM)-time.Second), clinical.GateTimeSinceDose, false},
		{"esketamine at the minimum wait", at(route(ready, clinical.RouteIntranasal), wait(clinical.RouteIntranasal)), clinical.GateTimeSinceDose, true},
		{"esketamine just before the minimum wait", at(route(ready, clinical.RouteIntranasal), wait(clinical.RouteIntranasal)-time.Second), clinical.GateTimeSinceDose, false},
		{"esketamine after the IV wait", at(route(ready, clinical.RouteIntranasal), wait(clinical.RouteIV)), clinical.GateTimeSinceDose, false},
		{"oral at the minimum wait", at(route(ready, clinical.RouteOral), wait(clinical.RouteOral)), clinical.GateTimeSinceDose, true},
		{"sublingual before the minimum wait", at(route(ready, clinical.RouteSublingual), wait(clinical.RouteSublingual)-minute), clinical.GateTimeSinceDose, false},
		{"end of dose not recorded", func() clinical.DischargeInput { in := ready; in.DoseEndAt = time.Time{}; return in }(), clinical.GateTimeSinceDose, false},
		{"unknown route", route(ready, "rectal"), clinical.GateTimeSinceDose, false},

		{"BP just below the limit", withLast(ready, bp(p.BelowSystolic-1, p.BelowDiastolic-1)), clinical.GateBloodPressure, true},
		{"systolic at the limit", withLast(ready, bp(p.BelowSystolic, 80)), clinical.GateBloodPressure, false},
		{"diastolic at the limit", withLast(ready, bp(140, p.BelowDiastolic)), clinical.GateBloodPressure, false},
		{"BP at the limit within the baseline margin", withLast(baselineBPInput(ready, bSys, bDia),
			bp(bSys+p.AboveBaselineSystolic, bDia+p.AboveBaselineDiastolic)), clinical.GateBloodPressure, true},
		{"systolic just beyond the baseline margin", withLast(baselineBPInput(ready, bSys, bDia),
			bp(bSys+p.AboveBaselineSystolic+1, bDia+p.AboveBaselineDiastolic)), clinical.GateBloodPressure, false},
		{"diastolic just beyond the baseline margin", withLast(baselineBPInput(ready, bSys, bDia),
			bp(bSys+p.AboveBaselineSystolic, bDia+p.AboveBaselineDiastolic+1)), clinical.GateBloodPressure, false},
		{"no baseline BP: only the limit", withLast(func() clinical.DischargeInput {
			in := ready
			in.Baseline.Systolic, in.Baseline.Diastolic = nil, nil
			return in
		}(), bp(p.BelowSystolic, 80)), clinical.GateBloodPressure, false},
		{"BP reading at the maximum age", func() clinical.DischargeInput {
			in := ready
			in.Observations = append(in.Observations[:1:1], clinical.Observation{
				At: in.Now.Add(-time.Duration(p.ReadingMaxAgeMinutes) * minute), Systolic: new(130), Diastolic: new(80)})
			return in
		}(), clinical.GateBloodPressure, true},
		{"BP reading too old", func() clinical.DischargeInput {
			in := ready
			in.Observations = append(in.Observations[:1:1], clinical.Observation{
				At: in.Now.Add(-time.Duration(p.ReadingMaxAgeMinutes)*minute - time.Second), Systolic: new(130), Diastolic: new(80)})
			return in
		}(), clinical.GateBloodPressure, false},
		{"only the pre-dose BP", func() clinical.DischargeInput {
			in := ready
			in.Observations = in.Observations[:1]
			in.Now = in.DoseEndAt.Add(10 * time.Minute)
			return in
		}(), clinical.GateBloodPressure, false},

		{"MOAA/S at the minimum", withLast(ready, func(o *clinical.Observation) { o.MOAAS = new(p.MinMOAAS) }), clinical.GateMOAAS, true},
		{"MOAA/S below the minimum", withLast(ready, func(o *clinical.Observation) { o.MOAAS = new(p.MinMOAAS - 1) }), clinical.GateMOAAS, false},
		{"MOAA/S not recorded", withLast(ready, func(o *clinical.Observation) { o.MOAAS = nil }), clinical.GateMOAAS, false},

		{"anxiety at the absolute limit", withLast(baselineAnxiety(ready, new(0)), anxiety(p.AnxietyAtMost)), clinical.GateAnxiety, true},
		{"anxiety above the absolute limit", withLast(baselineAnxiety(ready, new(0)), anxiety(p.AnxietyAtMost+1)), clinical.GateAnxiety, false},
		{"anxiety at baseline plus margin", withLast(baselineAnxiety(ready, new(5)), anxiety(5+p.AnxietyAboveBaseline)), clinical.GateAnxiety, true},
		{"anxiety above baseline plus margin", withLast(baselineAnxiety(ready, new(5)), anxiety(5+p.AnxietyAboveBaseline+1)), clinical.GateAnxiety, false},
		{"no baseline anxiety: only the limit", withLast(baselineAnxiety(ready, nil), anxiety(p.AnxietyAtMost+1)), clinical.GateAnxiety, false},
		{"anxiety not recorded", withLast(ready, func(o *clinical.Observation) { o.Anxiety = nil }), clinical.GateAnxiety, false},

		{"an unacknowledged alert", func() clinical.DischargeInput {
			in := ready
			in.UnacknowledgedAlerts = []string{string(clinical.RuleBPWarning)}
			return in
		}(), clinical.GateAlerts, false},
		{"no escort", func() clinical.DischargeInput { in := ready; in.EscortConfirmed = false; return in }(), clinical.GateEscort, false},
		{"no driving advice", func() clinical.DischargeInput { in := ready; in.DrivingAdviceGiven = false; return in }(), clinical.GateDrivingAdvice, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := clinical.DischargeGate(p, tt.in)
			var item *clinical.GateItem
			failing := 0
			for i := range r.Items {
				if r.Items[i].Code == tt.item {
					item = &r.Items[i]
				}
				if !r.Items[i].Pass {
					failing++
				}
			}
			if item == nil {
				t.Fatalf("no %s item in %+v", tt.item, r.Items)
			}
			if item.Pass != tt.pass {
				t.Errorf("%s pass = %v, want %v (%s)", tt.item, item.Pass, tt.pass, item.Detail)
			}
			if r.Pass != (failing == 0) {
				t.Errorf("gate pass = %v with %d failing items", r.Pass, failing)
			}
			if !tt.pass && r.Pass {
				t.Error("gate passes with a failing item")
			}
		})
	}
}

func TestDischargeGateFollowsProtocol(t *testing.T) {
	p := clinical.Default().Discharge
	in := withLast(dischargeReady(p), func(o *clinical.Observation) { o.Anxiety = new(4) })
	if r := clinical.DischargeGate(p, in); r.Pass {
		t.Fatalf("anxiety 4 (baseline 2) passes with the default protocol: %+v", r)
	}
	p.AnxietyAtMost = 4
	if r := clinical.DischargeGate(p, in); !r.Pass {
		t.Errorf("anxiety 4 fails with a limit of 4: %+v", r)
	}

	q := clinical.Default().Discharge
	q.MinMinutesAfterDose[clinical.RouteIV] = 90
	if r := clinical.DischargeGate(q, dischargeReady(clinical.Default().Discharge)); r.Pass {
		t.Errorf("60 min after an IV dose passes with a 90 min wait: %+v", r)
	}
}

func TestDischargeGateDetail(t *testing.T) {
	p := clinical.Default().Discharge
	in := withLast(baselineBPInput(dischargeReady(p), 140, 85), func(o *clinical.Observation) {
		o.Systolic, o.Diastolic = new(172), new(96)
	})
	in.UnacknowledgedAlerts = []string{"bp-warning", "anxiety-rise"}
	r := clinical.DischargeGate(p, in)
	got := map[string]clinical.GateItem{}
	for _, it := range r.Items {
		got[it.Code] = it
	}
	want := map[string]string{
		clinical.GateTimeSinceDose: "60 min since the end of the dose; at least 60 min needed",
		clinical.GateBloodPressure: "172/96 mmHg; needs below 160/100 or at most 20/10 above the pre-dose 140/85",
		clinical.GateAlerts:        "2 unacknowledged: bp-warning, anxiety-rise",
	}
	for code, detail := range want {
		if got[code].Detail != detail {
			t.Errorf("%s detail = %q, want %q", code, got[code].Detail, detail)
		}
	}
	if r.Pass || got[clinical.GateBloodPressure].Pass || got[clinical.GateAlerts].Pass {
		t.Errorf("gate passes: %+v", r)
	}
}

// baselineBPInput sets the pre-dose blood pressure.
func baselineBPInput(in clinical.DischargeInput, sys, dia int) clinical.DischargeInput {
	in.Baseline.Systolic, in.Baseline.Diastolic = new(sys), new(dia)
	return in
}
