package clinical

import (
	"math"
	"slices"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 0.0005 }

// TestWilsonInterval against published values (Newcombe 1998, table I:
// 81/263 gives 0.2553–0.3662; 15/148 gives 0.0624–0.1605) and at the edges.
func TestWilsonInterval(t *testing.T) {
	for _, c := range []struct {
		k, n           int
		rate, low, hig float64
	}{
		{81, 263, 0.3080, 0.2553, 0.3662},
		{15, 148, 0.1014, 0.0624, 0.1605},
		{0, 10, 0, 0, 0.2775},
		{10, 10, 1, 0.7225, 1},
	} {
		p := Wilson(c.k, c.n)
		if p.Count != c.k || p.Of != c.n || !near(p.Rate, c.rate) || !near(p.Low, c.low) || !near(p.High, c.hig) {
			t.Errorf("Wilson(%d, %d) = %+v, want rate %.4f, %.4f–%.4f", c.k, c.n, p, c.rate, c.low, c.hig)
		}
	}
	if p := Wilson(0, 0); p != (Proportion{}) {
		t.Errorf("Wilson(0, 0) = %+v, want zero", p)
	}
}

func TestDoseBands(t *testing.T) {
	kg := func(v float64) *float64 { return &v }
	for _, c := range []struct {
		o    SessionOutcome
		want string
	}{
		{SessionOutcome{Drug: "ketamine", DoseMg: 35, WeightKg: kg(70)}, "ketamine 0.50–0.74 mg/kg"},
		{SessionOutcome{Drug: "ketamine", DoseMg: 52.5, WeightKg: kg(70)}, "ketamine 0.75–0.99 mg/kg"},
		{SessionOutcome{Drug: "ketamine", DoseMg: 70, WeightKg: kg(70)}, "ketamine 1.00–1.24 mg/kg"},
		{SessionOutcome{Drug: "ketamine", DoseMg: 35}, "ketamine 25–49 mg"},
		{SessionOutcome{Drug: "esketamine", DoseMg: 28}, "esketamine 25–49 mg"},
		{SessionOutcome{Drug: "esketamine", DoseMg: 56}, "esketamine 50–74 mg"},
		{SessionOutcome{Drug: "esketamine", DoseMg: 84}, "esketamine 75–99 mg"},
		{SessionOutcome{Drug: "esketamine", DoseMg: 84, WeightKg: kg(0)}, "esketamine 75–99 mg"},
	} {
		if got := DoseBand(c.o, DefaultReports()); got != c.want {
			t.Errorf("DoseBand(%v mg, %v) = %q, want %q", c.o.DoseMg, c.o.WeightKg, got, c.want)
		}
	}
}

// The bands follow the protocol record.
func TestDoseBandsFollowTheProtocol(t *testing.T) {
	w := 70.0
	narrow := ReportsProtocol{DoseBandMgPerKg: 0.1, DoseBandMg: 10}
	if got := DoseBand(SessionOutcome{Drug: "ketamine", DoseMg: 35, WeightKg: &w}, narrow); got != "ketamine 0.50–0.59 mg/kg" {
		t.Errorf("per kg: %q", got)
	}
	if got := DoseBand(SessionOutcome{Drug: "esketamine", DoseMg: 56}, narrow); got != "esketamine 50–59 mg" {
		t.Errorf("mg: %q", got)
	}
	if err := (ReportsProtocol{}).validate(); err == nil {
		t.Error("zero-width bands accepted")
	}
	if err := DefaultReports().validate(); err != nil {
		t.Error(err)
	}
}

func TestIncidenceCountsEachDimension(t *testing.T) {
	w := 80.0
	iv := func(class AnxietyClass, s Susceptibility, version int) SessionOutcome {
		return SessionOutcome{Drug: "ketamine", Route: RouteIV, DoseMg: 40, WeightKg: &w, Susceptibility: s, ProtocolVersion: version, Class: class}
	}
	nasal := func(class AnxietyClass, dose float64) SessionOutcome {
		return SessionOutcome{Drug: "esketamine", Route: RouteIntranasal, DoseMg: dose, Susceptibility: SusceptibilityHigh, ProtocolVersion: 2, Class: class}
	}
	rep := Incidence([]SessionOutcome{
		iv(AnxietyNone, SusceptibilityLow, 1),
		iv(AnxietyTransient, SusceptibilityLow, 1),
		iv(AnxietyPersistent, SusceptibilityModerate, 2),
		iv("", "", 2), // dosed, not classified yet, never screened
		nasal(AnxietyTransient, 56),
		nasal(AnxietyPersistent, 84),
		nasal(AnxietyNone, 84),
	}, DefaultReports())
	o := rep.Overall
	if o.Sessions != 7 || o.Unclassified != 1 || o.None != 2 || o.Transient != 2 || o.Persistent != 2 {
		t.Fatalf("overall %+v", o)
	}
	if o.Anxiety.Count != 4 || o.Anxiety.Of != 6 || o.PersistentOf.Count != 2 || o.PersistentOf.Of != 6 {
		t.Errorf("overall rates %+v %+v", o.Anxiety, o.PersistentOf)
	}
	groups := func(rows []IncidenceRow) []string {
		var out []string
		for _, r := range rows {
			out = append(out, r.Group)
		}
		return out
	}
	for name, c := range map[string]struct {
		rows []IncidenceRow
		want []string
	}{
		"drug and route": {rep.ByDrugRoute, []string{"esketamine intranasal", "ketamine IV"}},
		"dose":           {rep.ByDose, []string{"esketamine 50–74 mg", "esketamine 75–99 mg", "ketamine 0.50–0.74 mg/kg"}},
		"susceptibility": {rep.BySusceptibility, []string{"Low susceptibility", "Moderate susceptibility", "High susceptibility", "Not screened before the session"}},
		"protocol":       {rep.ByProtocol, []string{"Protocol version 1", "Protocol version 2"}},
	} {
		if got := groups(c.rows); !slices.Equal(got, c.want) {
			t.Errorf("%s groups %q, want %q", name, got, c.want)
		}
	}
	high := rep.BySusceptibility[2]
	if high.Sessions != 3 || high.Transient != 1 || high.Persistent != 1 || high.None != 1 || !near(high.Anxiety.Rate, 2.0/3) {
		t.Errorf("high susceptibility %+v", high)
	}
	v2 := rep.ByProtocol[1]
	if v2.Sessions != 5 || v2.Unclassified != 1 || v2.Anxiety.Of != 4 || v2.PersistentOf.Count != 2 {
		t.Errorf("protocol 2 %+v", v2)
	}
	if empty := Incidence(nil, DefaultReports()); empty.Overall.Sessions != 0 || empty.ByDose == nil || len(empty.ByDose) != 0 {
		t.Errorf("empty report %+v", empty)
	}
}

// GAD7Change reads a change at and around each threshold of the protocol,
// and follows the thresholds when they change.
func TestGAD7Change(t *testing.T) {
	p := DefaultReports()
	for _, c := range []struct {
		first, latest int
		want          string
	}{
		{14, 14, "no clinically important change"},
		{14, 11, "no clinically important change"},
		{14, 10, "a clinically important improvement"},
		{14, 9, "a clinically important improvement"},
		{14, 8, "a reliable improvement"},
		{10, 13, "no clinically important change"},
		{10, 14, "a clinically important worsening"},
		{10, 16, "a reliable worsening"},
	} {
		if got := GAD7Change(p, c.first, c.latest); got != c.want {
			t.Errorf("GAD7Change(%d -> %d) = %q, want %q", c.first, c.latest, got, c.want)
		}
	}
	p.GAD7MinimalChange, p.GAD7ReliableChange = 5, 8
	if got := GAD7Change(p, 14, 10); got != "no clinically important change" {
		t.Errorf("with a minimal change of 5, 14 -> 10 reads %q", got)
	}
	if got := GAD7Change(p, 14, 7); got != "a clinically important improvement" {
		t.Errorf("with a reliable change of 8, 14 -> 7 reads %q", got)
	}
	old := ReportsProtocol{DoseBandMgPerKg: 0.5, DoseBandMg: 20}.WithDefaults()
	if old.GAD7MinimalChange != 4 || old.GAD7ReliableChange != 6 || old.DoseBandMg != 20 {
		t.Errorf("a version saved before the GAD-7 settings reads %+v", old)
	}
}
