package monitoring

import (
	"maps"
	"slices"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/store"
)

// sessionState is what the alert rules, NEWS2, the board and the discharge
// gate need of one live session, kept small: not every observation, but
// the latest observation having each reading (which is all the clinical
// rules look at), before and after the dose. A state is never changed once
// published: changes are made on a clone.
type sessionState struct {
	session store.DosingSession
	patient ketacare.Patient
	// pre holds the pre-dose observations kept (see compact); obs all of
	// them, baseline included.
	pre []seqObs
	obs []seqObs
	seq int
	// alerts are the outstanding alerts (open or unacknowledged), by id.
	alerts map[int64]store.Alert
	// trend holds the last two values of each charted reading (named in
	// trendNames), for the board's trend arrows.
	trend [len(trendNames)]trendPair
	count int // observations recorded
	news2 *clinical.NEWS2Result
}

type seqObs struct {
	seq int
	o   clinical.Observation
}

// trendNames are the charted readings, as the board names them.
var trendNames = [...]string{"systolic", "diastolic", "pulse", "spo2", "respRate", "anxiety", "moaas", "tempC"}

// tempCTrend is the place of "tempC" in trendNames.
const tempCTrend = len(trendNames) - 1

type trendPair struct {
	cur, prev       float64
	curAt, prevAt   time.Time
	hasCur, hasPrev bool
}

func (t trendPair) push(at time.Time, v float64) trendPair {
	switch {
	case !t.hasCur || !at.Before(t.curAt):
		if t.hasCur {
			t.prev, t.prevAt, t.hasPrev = t.cur, t.curAt, true
		}
		t.cur, t.curAt, t.hasCur = v, at, true
	case !t.hasPrev || !at.Before(t.prevAt):
		t.prev, t.prevAt, t.hasPrev = v, at, true
	}
	return t
}

// clone returns a copy to change. The copy shares the observation lists,
// which add replaces rather than changes, and the alerts map, which is
// changed only through changeAlerts.
func (s *sessionState) clone() *sessionState {
	c := *s
	return &c
}

// changeAlerts applies change to a copy of the alerts map: the map may be
// shared with states already published.
func (s *sessionState) changeAlerts(change func(map[int64]store.Alert)) {
	s.alerts = maps.Clone(s.alerts)
	change(s.alerts)
}

func newState(sess store.DosingSession, p ketacare.Patient) *sessionState {
	return &sessionState{session: sess, patient: p, alerts: map[int64]store.Alert{}}
}

// preDose reports whether an observation belongs to the baseline: taken
// before the dose or at its very time (the dose has not acted yet), or
// while the session is not yet dosed.
func (s *sessionState) preDose(o clinical.Observation) bool {
	return s.session.DoseAt == nil || !o.At.After(*s.session.DoseAt)
}

// add takes in an observation.
func (s *sessionState) add(o clinical.Observation) {
	s.seq++
	so := seqObs{seq: s.seq, o: o}
	s.obs = compact(appendNew(s.obs, so))
	if s.preDose(o) {
		s.pre = compact(appendNew(s.pre, so))
	}
	s.count++
	// The whole-number readings, in the order of trendNames; tempC last.
	for i, v := range [...]*int{o.Systolic, o.Diastolic, o.Pulse, o.SpO2, o.RespRate, o.Anxiety, o.MOAAS} {
		if v != nil {
			s.trend[i] = s.trend[i].push(o.At, float64(*v))
		}
	}
	if o.TempC != nil {
		s.trend[tempCTrend] = s.trend[tempCTrend].push(o.At, *o.TempC)
	}
}

// readings are the predicates the clinical rules select observations by:
// an observation kept for any of them is kept.
// Tests of whether an observation holds a reading.
var (
	anyReading       = func(clinical.Observation) bool { return true }
	hasBP            = func(o clinical.Observation) bool { return o.Systolic != nil && o.Diastolic != nil }
	hasSystolic      = func(o clinical.Observation) bool { return o.Systolic != nil }
	hasDiastolic     = func(o clinical.Observation) bool { return o.Diastolic != nil }
	hasPulse         = func(o clinical.Observation) bool { return o.Pulse != nil }
	hasSpO2          = func(o clinical.Observation) bool { return o.SpO2 != nil }
	hasRespRate      = func(o clinical.Observation) bool { return o.RespRate != nil }
	hasTemp          = func(o clinical.Observation) bool { return o.TempC != nil }
	hasConsciousness = func(o clinical.Observation) bool { return o.Consciousness != "" }
	hasOxygen        = func(o clinical.Observation) bool { return o.OnOxygen != nil }
	hasAnxiety       = func(o clinical.Observation) bool { return o.Anxiety != nil }
	hasMOAAS         = func(o clinical.Observation) bool { return o.MOAAS != nil }
	hasCADSS         = func(o clinical.Observation) bool { return len(o.CADSS) > 0 }
)

// readings are every reading the clinical rules look for.
var readings = []func(clinical.Observation) bool{
	anyReading, hasBP, hasSystolic, hasDiastolic, hasPulse, hasSpO2, hasRespRate, hasTemp,
	hasConsciousness, hasOxygen, hasAnxiety, hasMOAAS, hasCADSS,
}

// compact keeps, for each reading, the latest observation that has it (of
// two at the same time, the later recorded), in recording order. The
// clinical rules pick the latest observation having each reading, so they
// give the same answer on the compacted list as on every observation; the
// list stays at most one observation per reading long however long the
// session lasts.
//
// It keeps them in list's own array: list must not be shared.
func compact(list []seqObs) []seqObs {
	var keepSeqs [16]int // at most one observation per reading
	keep := keepSeqs[:0]
	for _, has := range readings {
		best := -1
		for i, so := range list {
			if !has(so.o) {
				continue
			}
			if best < 0 || !so.o.At.Before(list[best].o.At) {
				best = i
			}
		}
		if best >= 0 && !slices.Contains(keep, list[best].seq) {
			keep = append(keep, list[best].seq)
		}
	}
	out := list[:0]
	for _, so := range list {
		if slices.Contains(keep, so.seq) {
			out = append(out, so)
		}
	}
	clear(list[len(out):]) // no stale copies of observations in the tail
	return out
}

// appendNew returns list with so appended, in a new array: list's may be
// shared with a published state.
func appendNew(list []seqObs, so seqObs) []seqObs {
	return append(list[:len(list):len(list)], so)
}

func plain(list []seqObs) []clinical.Observation {
	out := make([]clinical.Observation, len(list))
	for i, so := range list {
		out[i] = so.o
	}
	return out
}

// baseline merges the latest pre-dose value of each reading.
func (s *sessionState) baseline() clinical.Observation {
	var b clinical.Observation
	latest := func(has func(clinical.Observation) bool) (clinical.Observation, bool) {
		var best clinical.Observation
		found := false
		for _, so := range s.pre {
			if has(so.o) && (!found || !so.o.At.Before(best.At)) {
				best, found = so.o, true
			}
		}
		return best, found
	}
	if o, ok := latest(hasBP); ok {
		b.Systolic, b.Diastolic = o.Systolic, o.Diastolic
	}
	if o, ok := latest(hasPulse); ok {
		b.Pulse = o.Pulse
	}
	if o, ok := latest(hasSpO2); ok {
		b.SpO2 = o.SpO2
	}
	if o, ok := latest(hasRespRate); ok {
		b.RespRate = o.RespRate
	}
	if o, ok := latest(hasTemp); ok {
		b.TempC = o.TempC
	}
	if o, ok := latest(hasConsciousness); ok {
		b.Consciousness = o.Consciousness
	}
	if o, ok := latest(hasAnxiety); ok {
		b.Anxiety = o.Anxiety
	}
	if o, ok := latest(hasMOAAS); ok {
		b.MOAAS = o.MOAAS
	}
	if o, ok := latest(anyReading); ok {
		b.At = o.At
	}
	return b
}

// clinicalState is the input of the alert rules at now.
func (s *sessionState) clinicalState(p *clinical.MonitoringProtocol, now time.Time) clinical.SessionState {
	obs := plain(s.obs)
	st := clinical.SessionState{Route: s.session.Route, Baseline: s.baseline(), Observations: obs, Now: now}
	if s.session.DoseAt != nil {
		st.DoseAt = *s.session.DoseAt
	}
	if n, ok := clinical.SessionNEWS2(*p, obs, now, s.session.SpO2Scale2); ok {
		st.NEWS2 = &n
	}
	return st
}

// openAlerts maps each rule with an open alert to it.
func (s *sessionState) openAlerts() map[clinical.AlertRule]store.Alert {
	m := map[clinical.AlertRule]store.Alert{}
	for _, a := range s.alerts {
		if a.Open() {
			m[a.Rule] = a
		}
	}
	return m
}

// diff compares the rules firing now with the open alerts: which to raise
// and which to clear.
func (s *sessionState) diff(firings []clinical.Firing) (raise []clinical.Firing, clear []store.Alert) {
	open := s.openAlerts()
	firing := map[clinical.AlertRule]bool{}
	for _, f := range firings {
		firing[f.Rule] = true
		if _, ok := open[f.Rule]; !ok {
			raise = append(raise, f)
		}
	}
	for rule, a := range open {
		if !firing[rule] {
			clear = append(clear, a)
		}
	}
	return raise, clear
}

// lastScheduledAt is the time of the latest observation with a blood
// pressure (what resets the observation schedule).
func (s *sessionState) lastScheduledAt(now time.Time) time.Time {
	return clinical.LastScheduledObservationAt(plain(s.obs), now)
}
