package monitoring_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/apptest"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/monitoring"
)

// BenchmarkRecordObservation records observations through the service
// (validation, group commit on SQLite with synchronous=FULL, audit, alert
// evaluation, live events) from many concurrent sessions, without HTTP.
// It reports observations per second.
func BenchmarkRecordObservation(b *testing.B) {
	env := apptest.Start(b, apptest.Options{})
	const sessions = 64
	ids := make([]int64, sessions)
	for i := range ids {
		p := readyPatient(b, env, "Bench"+string(rune('A'+i%26))+string(rune('a'+i/26)), "", clinical.RouteIV, "ketamine", 35)
		ids[i] = openDosed(b, env, p, map[string]any{"systolic": 120, "diastolic": 78, "anxiety": 2})
	}
	nurse := env.Actor(ketacare.RoleNurse)
	mon := env.App.Monitoring
	var next atomic.Int64
	b.SetParallelism(sessions / 2)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		sid := ids[int(next.Add(1)-1)%sessions]
		n := 0
		for pb.Next() {
			n++
			o := clinical.Observation{Systolic: new(120 + n%10), Diastolic: new(78), Pulse: new(70 + n%15), SpO2: new(98), Anxiety: new(2 + n%3)}
			if _, err := mon.RecordObservation(context.Background(), nurse, sid, monitoring.ObservationInput{Observation: o, Source: monitoring.SourceAPI}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "obs/s")
}
