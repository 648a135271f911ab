package clinical

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// ReportsProtocol sets how the reports group sessions: the width of the
// dose bands, per kilogram when the plan gave a weight (racemic ketamine is
// usually prescribed per kilogram) and in milligrams otherwise.
type ReportsProtocol struct {
	DoseBandMgPerKg float64 `json:"doseBandMgPerKg"`
	DoseBandMg      float64 `json:"doseBandMg"`
	// GAD7MinimalChange is the smallest change of the GAD-7 total that
	// matters clinically (4 points); GAD7ReliableChange the change beyond
	// measurement error (6 points). The patient's timeline reads the
	// change since the first GAD-7 against them.
	GAD7MinimalChange  int `json:"gad7MinimalChange"`
	GAD7ReliableChange int `json:"gad7ReliableChange"`
}

// DefaultReports is the shipped grouping: 0.25 mg/kg bands, and 25 mg bands
// (esketamine's 28, 56 and 84 mg fall in three different ones). Protocol
// versions saved before reports had settings use it.
func DefaultReports() ReportsProtocol {
	return ReportsProtocol{DoseBandMgPerKg: 0.25, DoseBandMg: 25, GAD7MinimalChange: 4, GAD7ReliableChange: 6}
}

// WithDefaults fills the settings a protocol version saved before they
// existed lacks with the shipped ones.
func (p ReportsProtocol) WithDefaults() ReportsProtocol {
	d := DefaultReports()
	if p.DoseBandMgPerKg == 0 && p.DoseBandMg == 0 {
		p.DoseBandMgPerKg, p.DoseBandMg = d.DoseBandMgPerKg, d.DoseBandMg
	}
	if p.GAD7MinimalChange == 0 && p.GAD7ReliableChange == 0 {
		p.GAD7MinimalChange, p.GAD7ReliableChange = d.GAD7MinimalChange, d.GAD7ReliableChange
	}
	return p
}

// GAD7Change reads the change of the GAD-7 total from first to latest
// against the protocol's thresholds: a fall is an improvement.
func GAD7Change(p ReportsProtocol, first, latest int) string {
	d := latest - first
	size := d
	if size < 0 {
		size = -size
	}
	direction := "improvement"
	if d > 0 {
		direction = "worsening"
	}
	switch {
	case size >= p.GAD7ReliableChange:
		return "a reliable " + direction
	case size >= p.GAD7MinimalChange:
		return "a clinically important " + direction
	default:
		return "no clinically important change"
	}
}

func (p ReportsProtocol) validate() error {
	if !(p.DoseBandMgPerKg >= 0.01 && p.DoseBandMgPerKg <= 10) || !(p.DoseBandMg >= 1 && p.DoseBandMg <= 1000) {
		return fmt.Errorf("reports: must have 0.01 ≤ doseBandMgPerKg ≤ 10 and 1 ≤ doseBandMg ≤ 1000 (got %g, %g)", p.DoseBandMgPerKg, p.DoseBandMg)
	}
	if !(p.GAD7MinimalChange >= 1 && p.GAD7MinimalChange <= p.GAD7ReliableChange && p.GAD7ReliableChange <= 21) {
		return fmt.Errorf("reports: must have 1 ≤ gad7MinimalChange ≤ gad7ReliableChange ≤ 21 (got %d, %d)", p.GAD7MinimalChange, p.GAD7ReliableChange)
	}
	return nil
}

// SessionOutcome is one dosed session as the anxiety incidence report
// counts it: how it was dosed, the patient's screened susceptibility before
// it, the protocol version it was opened under, and its anxiety class.
type SessionOutcome struct {
	Drug   string
	Route  Route
	DoseMg float64
	// WeightKg is the weight of the treatment plan the session was dosed
	// on, when the plan gave one: the dose is then banded per kilogram.
	WeightKg *float64
	// Susceptibility is the latest screening level before the session
	// opened; empty when the patient had not been screened.
	Susceptibility  Susceptibility
	ProtocolVersion int
	// Class is empty while the session is not classified yet (not
	// discharged).
	Class AnxietyClass
}

// Proportion is Count out of Of, with the 95 % Wilson score interval of the
// rate: a clinic's groups are small, and the interval says how little a
// rate from a few sessions shows. All zero when Of is 0.
type Proportion struct {
	Count int     `json:"count"`
	Of    int     `json:"of"`
	Rate  float64 `json:"rate"`
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
}

// z95 is the standard normal quantile of a two-sided 95 % interval.
const z95 = 1.959964

// Wilson returns k of n with its 95 % Wilson score interval.
func Wilson(k, n int) Proportion {
	p := Proportion{Count: k, Of: n}
	if n <= 0 {
		return p
	}
	fn, phat := float64(n), float64(k)/float64(n)
	z2 := z95 * z95
	centre := (phat + z2/(2*fn)) / (1 + z2/fn)
	half := z95 * math.Sqrt(phat*(1-phat)/fn+z2/(4*fn*fn)) / (1 + z2/fn)
	p.Rate = phat
	p.Low = math.Max(0, centre-half)
	p.High = math.Min(1, centre+half)
	return p
}

// IncidenceRow counts the sessions of one group and their anxiety classes.
// Anxiety is the sessions with transient or persistent anxiety, and
// Persistent those with persistent anxiety, both out of the classified
// sessions.
type IncidenceRow struct {
	Group        string     `json:"group"`
	Sessions     int        `json:"sessions"`
	Unclassified int        `json:"unclassified"`
	None         int        `json:"none"`
	Transient    int        `json:"transient"`
	Persistent   int        `json:"persistent"`
	Anxiety      Proportion `json:"anxiety"`
	PersistentOf Proportion `json:"persistentRate"`

	// The groups of a dimension sort by sortText, then order, then name.
	sortText string
	order    []float64
}

func (r *IncidenceRow) add(o SessionOutcome) {
	r.Sessions++
	switch o.Class {
	case AnxietyNone:
		r.None++
	case AnxietyTransient:
		r.Transient++
	case AnxietyPersistent:
		r.Persistent++
	default:
		r.Unclassified++
	}
}

func (r *IncidenceRow) finish() {
	classified := r.None + r.Transient + r.Persistent
	r.Anxiety = Wilson(r.Transient+r.Persistent, classified)
	r.PersistentOf = Wilson(r.Persistent, classified)
}

// IncidenceReport is how often anxiety followed dosing, overall and by
// drug and route, dose, screened susceptibility and protocol version.
type IncidenceReport struct {
	Overall          IncidenceRow   `json:"overall"`
	ByDrugRoute      []IncidenceRow `json:"byDrugRoute"`
	ByDose           []IncidenceRow `json:"byDose"`
	BySusceptibility []IncidenceRow `json:"bySusceptibility"`
	ByProtocol       []IncidenceRow `json:"byProtocolVersion"`
}

// Incidence counts the outcomes into a report, with the dose bands of p.
// Groups are sorted: drugs and routes by name, doses by drug and amount,
// susceptibility from low to high with the unscreened last, protocol
// versions in order.
func Incidence(outcomes []SessionOutcome, p ReportsProtocol) IncidenceReport {
	rep := IncidenceReport{Overall: IncidenceRow{Group: "All dosed sessions"}}
	type dim struct {
		rows map[string]*IncidenceRow
		key  func(SessionOutcome) group
		out  *[]IncidenceRow
	}
	dims := []dim{
		{key: drugRouteGroup, out: &rep.ByDrugRoute},
		{key: func(o SessionOutcome) group { return doseGroup(o, p) }, out: &rep.ByDose},
		{key: susceptibilityGroup, out: &rep.BySusceptibility},
		{key: protocolGroup, out: &rep.ByProtocol},
	}
	for i := range dims {
		dims[i].rows = map[string]*IncidenceRow{}
	}
	for _, o := range outcomes {
		rep.Overall.add(o)
		for _, d := range dims {
			g := d.key(o)
			r := d.rows[g.name]
			if r == nil {
				r = &IncidenceRow{Group: g.name, sortText: g.sortText, order: g.order}
				d.rows[g.name] = r
			}
			r.add(o)
		}
	}
	rep.Overall.finish()
	for _, d := range dims {
		*d.out = []IncidenceRow{}
		for _, r := range d.rows {
			r.finish()
			*d.out = append(*d.out, *r)
		}
		slices.SortFunc(*d.out, func(a, b IncidenceRow) int {
			if c := cmp.Compare(a.sortText, b.sortText); c != 0 {
				return c
			}
			if c := slices.Compare(a.order, b.order); c != 0 {
				return c
			}
			return cmp.Compare(a.Group, b.Group)
		})
	}
	return rep
}

// group is where a session falls in one dimension of the report.
type group struct {
	name     string
	sortText string
	order    []float64
}

func drugRouteGroup(o SessionOutcome) group {
	return group{name: o.Drug + " " + o.Route.Label()}
}

// DoseBand names the band of a session's dose, with the drug: a milligram
// of one drug is not a milligram of another.
func DoseBand(o SessionOutcome, p ReportsProtocol) string { return doseGroup(o, p).name }

func doseGroup(o SessionOutcome, p ReportsProtocol) group {
	if o.WeightKg != nil && *o.WeightKg > 0 {
		w := p.DoseBandMgPerKg
		lo := math.Floor(o.DoseMg / *o.WeightKg / w + 1e-9) * w
		return group{name: fmt.Sprintf("%s %.2f–%.2f mg/kg", o.Drug, lo, lo+w-0.01), sortText: o.Drug, order: []float64{0, lo}}
	}
	w := p.DoseBandMg
	lo := math.Floor(o.DoseMg/w+1e-9) * w
	return group{name: fmt.Sprintf("%s %g–%g mg", o.Drug, lo, lo+w-1), sortText: o.Drug, order: []float64{1, lo}}
}

func susceptibilityGroup(o SessionOutcome) group {
	switch o.Susceptibility {
	case SusceptibilityLow:
		return group{name: "Low susceptibility", order: []float64{0}}
	case SusceptibilityModerate:
		return group{name: "Moderate susceptibility", order: []float64{1}}
	case SusceptibilityHigh:
		return group{name: "High susceptibility", order: []float64{2}}
	}
	return group{name: "Not screened before the session", order: []float64{3}}
}

func protocolGroup(o SessionOutcome) group {
	return group{name: "Protocol version " + strconv.Itoa(o.ProtocolVersion), order: []float64{float64(o.ProtocolVersion)}}
}
