package monitoring_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/app"
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
	ids := dosedSessions(b, env, sessions)
	nurse := env.Actor(ketacare.RoleNurse)
	mon := env.App.Monitoring
	postFromSessions(b, ids, func(sid int64, n int) error {
		o := clinical.Observation{Systolic: new(120 + n%10), Diastolic: new(78), Pulse: new(70 + n%15), SpO2: new(98), Anxiety: new(2 + n%3)}
		_, err := mon.RecordObservation(context.Background(), nurse, sid, monitoring.ObservationInput{Observation: o, Source: monitoring.SourceAPI})
		return err
	})
}

// BenchmarkObservationPOST records observations through the HTTP handler
// (authentication, routing, JSON in and out, the audit, the group commit),
// without a network connection: what the server spends per POST besides
// net/http's reading and writing of the connection.
func BenchmarkObservationPOST(b *testing.B) {
	env := apptest.Start(b, apptest.Options{Config: func(c *app.Config) {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
	}})
	ids := dosedSessions(b, env, sessions)
	token := env.Tokens[ketacare.RoleNurse]
	handler := env.App.Server
	postFromSessions(b, ids, func(sid int64, n int) error {
		body := fmt.Sprintf(`{"systolic":%d,"diastolic":78,"pulse":%d,"spo2":98,"respRate":14,"anxiety":%d,"moaas":5}`, 120+n%10, 70+n%15, 2+n%3)
		req := httptest.NewRequest("POST", fmt.Sprintf("/api/v1/sessions/%d/observations", sid), strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, req)
		if w.Code != http.StatusCreated {
			return fmt.Errorf("%d %s", w.Code, w.Body)
		}
		return nil
	})
}

// postFromSessions runs post for the benchmark's iterations, from
// goroutines each posting to one of the sessions, and reports
// observations per second.
func postFromSessions(b *testing.B, ids []int64, post func(sid int64, n int) error) {
	var next atomic.Int64
	b.SetParallelism(len(ids) / 2)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		sid := ids[int(next.Add(1)-1)%len(ids)]
		for n := 1; pb.Next(); n++ {
			if err := post(sid, n); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "obs/s")
}

// sessions is how many dosed sessions the benchmarks post to, from half as
// many goroutines per core.
const sessions = 64

func dosedSessions(b *testing.B, env *apptest.Env, n int) []int64 {
	ids := make([]int64, n)
	for i := range ids {
		p := readyPatient(b, env, "Bench"+string(rune('A'+i%26))+string(rune('a'+i/26)), "", clinical.RouteIV, "ketamine", 35)
		ids[i] = openDosed(b, env, p, map[string]any{"systolic": 120, "diastolic": 78, "anxiety": 2})
	}
	return ids
}

// BenchmarkTick runs the background check (overdue reminders, alerts
// cleared by time, escalations) over 200 live sessions in which nothing
// is due: its cost every TickEvery on a busy clinic.
func BenchmarkTick(b *testing.B) {
	env := apptest.Start(b, apptest.Options{})
	dosedSessions(b, env, 200)
	mon := env.App.Monitoring
	for b.Loop() {
		if _, err := mon.TickCount(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
