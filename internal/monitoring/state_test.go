package monitoring

import (
	"testing"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/store"
)

// A state, once published, never changes: adding observations or alerts to
// clones of it (two from the same state, as when an observation is worked
// out again) leaves it, and each other, as they were.
func TestStateClonesLeaveTheOriginal(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	dose := t0.Add(10*time.Minute - 30*time.Second) // between two observations
	st := newState(store.DosingSession{ID: 1, DoseAt: &dose}, ketacare.Patient{})
	for i := 0; i < 20; i++ {
		st.add(clinical.Observation{At: t0.Add(time.Duration(i) * time.Minute), Pulse: new(60 + i), Anxiety: new(i % 5)})
	}
	st.alerts[1] = store.Alert{ID: 1}
	obs, pre, trend := plain(st.obs), plain(st.pre), st.trend

	a, b := st.clone(), st.clone()
	// Before the dose, so both lists grow.
	a.add(clinical.Observation{At: dose.Add(-time.Second), Pulse: new(140), Systolic: new(150), Diastolic: new(90)})
	b.add(clinical.Observation{At: dose.Add(-time.Second), Pulse: new(40)})
	a.changeAlerts(func(m map[int64]store.Alert) { m[2] = store.Alert{ID: 2} })
	b.changeAlerts(func(m map[int64]store.Alert) { delete(m, 1) })

	if got := plain(st.obs); !sameObservations(got, obs) {
		t.Errorf("the original's observations changed")
	}
	if got := plain(st.pre); !sameObservations(got, pre) {
		t.Errorf("the original's pre-dose observations changed")
	}
	if st.trend != trend || len(st.alerts) != 1 {
		t.Errorf("the original's trend or alerts changed: %d alerts", len(st.alerts))
	}
	if len(a.alerts) != 2 || len(b.alerts) != 0 {
		t.Errorf("alerts: a %d, b %d", len(a.alerts), len(b.alerts))
	}
	last := func(l []seqObs) int { return *l[len(l)-1].o.Pulse }
	// b's observation is older than the latest of each of its readings,
	// so only its pre-dose list keeps it.
	if last(a.obs) != 140 || last(a.pre) != 140 || last(b.obs) != 79 || last(b.pre) != 40 {
		t.Errorf("latest pulse: a %d %d, b %d %d", last(a.obs), last(a.pre), last(b.obs), last(b.pre))
	}
}

func sameObservations(x, y []clinical.Observation) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if !x[i].At.Equal(y[i].At) || *x[i].Pulse != *y[i].Pulse {
			return false
		}
	}
	return true
}
