// Command ketacare-load measures ketacare's monitoring under load: many
// simulated dosing sessions post observations over HTTP at once, while a
// board listens to the clinic's server-sent events. It reports the
// observations per second, the latency of the POSTs, and how long an alert
// takes from the POST that raises it to the board.
//
// It only ever talks to a server on the loopback interface, and stops by
// itself after -duration or -max observations.
//
// By default it starts ketacare in its own process on a fresh SQLite
// database (synchronous=FULL, as in production). With -url and -db it
// loads a server already running (for example `ketacare serve --db
// sqlite:/tmp/load.db`): it prepares the sessions directly in that
// database, and with -pid reports the server's resident memory.
//
//	go run ./cmd/ketacare-load -sessions 1000 -duration 30s
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/app"
	"github.com/ketacare/ketacare/internal/auth"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/live"
	"github.com/ketacare/ketacare/internal/monitoring"
	"github.com/ketacare/ketacare/internal/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ketacare-load:", err)
		os.Exit(1)
	}
}

// ackers is how many acknowledgements may be in flight at once, each on a
// connection of its own, enough to keep up at saturation (about 1,000
// alerts a second). With four, about one alert in seven was still waiting
// when the run ended, and the answers, which list every unacknowledged
// alert of the session, grew through the run.
const ackers = 256

type options struct {
	sessions   int
	duration   time.Duration
	warmup     time.Duration
	max        int64
	alertEvery int
	aligned    bool
	rate       float64
	url        string
	dsn        string
	pid        int
	idempotent bool
	randomKeys bool
	ack        bool
	cpuProfile string
	memProfile string
	trace      string
	timeline   time.Duration
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("ketacare-load", flag.ContinueOnError)
	var o options
	fs.IntVar(&o.sessions, "sessions", 1000, "simulated dosing sessions, each posting observations in a loop")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "how long to measure, after the warm-up")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "how long the sessions post before the measurement starts (connections opened, the server's per-session state loaded)")
	fs.Int64Var(&o.max, "max", 5_000_000, "stop after this many observations")
	fs.IntVar(&o.alertEvery, "alert-every", 50, "every Nth observation of a session raises an alert (anxiety 9) and the next clears it")
	fs.BoolVar(&o.aligned, "aligned-alerts", false, "every session raises its alerts at the same observation numbers (9, 19, …) instead of from its own random offset")
	fs.Float64Var(&o.rate, "rate", 0, "observations per second per session, each session at a random phase (0: as fast as answered)")
	fs.StringVar(&o.url, "url", "", "base URL of a running server on the loopback interface (empty: start one in this process)")
	fs.StringVar(&o.dsn, "db", "", "the running server's database (with -url), to prepare the sessions in")
	fs.IntVar(&o.pid, "pid", 0, "process id of the running server, to report its memory")
	fs.BoolVar(&o.idempotent, "idempotency-key", false, "send an Idempotency-Key with each observation, a UUID of version 7 (ordered by time) as the API advises")
	fs.BoolVar(&o.randomKeys, "random-keys", false, "with -idempotency-key: random keys (UUID version 4) instead, as a client that ignores the advice sends")
	fs.BoolVar(&o.ack, "ack", true, "acknowledge every alert the board shows, as the staff would (false: alerts pile up unacknowledged, and every answer lists them)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the load phase to this file")
	fs.StringVar(&o.trace, "trace", "", "write an execution trace of one second in the middle of the load to this file")
	fs.StringVar(&o.memProfile, "memprofile", "", "write a profile of the memory allocated during the run to this file")
	fs.DurationVar(&o.timeline, "timeline", 0, "also print the throughput and the alert latency of each interval of this length (0: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.sessions <= 0 || o.duration <= 0 || o.warmup < 0 {
		return errors.New("-sessions and -duration must be positive, -warmup not negative")
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	var db *store.DB
	base := o.url
	if base == "" {
		dir, err := os.MkdirTemp("", "ketacare-load-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		a, err := app.Open(ctx, app.Config{Addr: "127.0.0.1:0", DB: "sqlite:" + filepath.Join(dir, "load.db"), Logger: log})
		if err != nil {
			return err
		}
		defer a.Close()
		sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		done := make(chan error, 1)
		go func() { done <- a.Run(sctx) }()
		defer func() { cancel(); <-done }()
		db, base = a.DB, a.URL()
		o.pid = os.Getpid()
		fmt.Fprintf(out, "server: in process, SQLite %s (WAL, synchronous=FULL)\n", a.DB.Path())
	} else {
		if err := loopbackOnly(base); err != nil {
			return err
		}
		if o.dsn == "" {
			return errors.New("-url needs -db, the server's database, to prepare the sessions")
		}
		var err error
		if db, err = app.Prepare(ctx, o.dsn); err != nil {
			return err
		}
		defer db.Close()
		fmt.Fprintf(out, "server: %s, database %s\n", base, o.dsn)
	}

	start := time.Now()
	token, clinic, sessions, err := prepare(ctx, db, o.sessions)
	if err != nil {
		return fmt.Errorf("preparing sessions: %w", err)
	}
	fmt.Fprintf(out, "prepared %d dosed sessions in %v\n", len(sessions), time.Since(start).Round(time.Millisecond))
	return load(ctx, out, o, db, base, token, clinic, sessions)
}

// loopbackOnly refuses any server not on the loopback interface.
func loopbackOnly(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s is not on the loopback interface: the load tool only targets 127.0.0.1", base)
}

// prepare creates a nurse with a token and n patients, each with a dosed
// session (screened, consented and planned, as the dosing gate requires).
func prepare(ctx context.Context, db *store.DB, n int) (token string, clinic int64, sessions []int64, err error) {
	system := ketacare.Actor{Email: "load-tool", Role: ketacare.RoleAdmin}
	suffix := auth.RandomToken(4)
	mk := func(role ketacare.Role) (ketacare.Actor, error) {
		u, err := db.CreateUser(ctx, system, store.NewUser{Email: fmt.Sprintf("load-%s-%s@load.invalid", role, strings.ToLower(suffix)),
			Name: "Load " + string(role), Role: role, PasswordHash: "x"})
		if err != nil {
			return ketacare.Actor{}, err
		}
		return ketacare.Actor{UserID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, ClinicIDs: u.ClinicIDs}, nil
	}
	nurse, err := mk(ketacare.RoleNurse)
	if err != nil {
		return "", 0, nil, err
	}
	pres, err := mk(ketacare.RolePrescriber)
	if err != nil {
		return "", 0, nil, err
	}
	admin, err := mk(ketacare.RoleAdmin)
	if err != nil {
		return "", 0, nil, err
	}
	token = auth.NewAPIToken()
	if _, err := db.CreateToken(ctx, system, nurse.UserID, "load", auth.HashToken(token)); err != nil {
		return "", 0, nil, err
	}
	text, err := db.CurrentConsentText(ctx)
	if err != nil {
		if text, err = db.SaveConsentText(ctx, admin, "Consent text of the load test: the risks of anxiety and of addiction were explained."); err != nil {
			return "", 0, nil, err
		}
	}
	mon := monitoring.New(db, live.NewBroker(slog.New(slog.DiscardHandler)), monitoring.Config{NoCache: true, Logger: slog.New(slog.DiscardHandler)})
	sessions = make([]int64, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				id, err := prepareOne(ctx, db, mon, nurse, pres, text.Version, i)
				if err != nil {
					select {
					case errc <- err:
					default:
					}
					return
				}
				sessions[i] = id
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errc:
		return "", 0, nil, err
	default:
	}
	return token, nurse.HomeClinic(), sessions, nil
}

func prepareOne(ctx context.Context, db *store.DB, mon *monitoring.Service, nurse, pres ketacare.Actor, consent, i int) (int64, error) {
	p, err := db.CreatePatient(ctx, nurse, ketacare.Patient{GivenName: "Load", FamilyName: fmt.Sprintf("Patient %05d", i), BirthDate: "1980-01-01", Sex: "unknown"})
	if err != nil {
		return 0, err
	}
	sys, dia := 120, 78
	if _, err := db.RecordAssessments(ctx, nurse, p.ID, []store.AssessmentInput{
		{Instrument: "gad7", Answers: []int{0, 0, 0, 0, 0, 0, 0}},
		{Instrument: "history", History: &store.HistoryAnswers{Systolic: &sys, Diastolic: &dia}},
	}); err != nil {
		return 0, err
	}
	c, err := db.SignConsent(ctx, nurse, p.ID, consent, "Load Patient")
	if err != nil {
		return 0, err
	}
	if _, err := db.Countersign(ctx, pres, p.ID, c.ID); err != nil {
		return 0, err
	}
	dose := 35.0
	if _, _, err := db.SavePlan(ctx, pres, p.ID, store.PlanInput{Drug: "ketamine", Route: "iv", DoseMg: &dose, Sessions: 6, IntervalDays: 7, Reason: "load test"}); err != nil {
		return 0, err
	}
	s, err := mon.OpenSession(ctx, nurse, p.ID, monitoring.OpenInput{})
	if err != nil {
		return 0, err
	}
	base := clinicalBaseline()
	if _, err := mon.RecordObservation(ctx, nurse, s.ID, monitoring.ObservationInput{Observation: base, Source: monitoring.SourceAPI}); err != nil {
		return 0, err
	}
	if _, err := mon.MarkDose(ctx, nurse, s.ID, monitoring.DoseInput{}); err != nil {
		return 0, err
	}
	return s.ID, nil
}

// observation is the JSON body a simulated session posts.
type observation struct {
	Systolic  int `json:"systolic"`
	Diastolic int `json:"diastolic"`
	Pulse     int `json:"pulse"`
	SpO2      int `json:"spo2"`
	RespRate  int `json:"respRate"`
	Anxiety   int `json:"anxiety"`
	MOAAS     int `json:"moaas"`
}

// appendJSON appends the observation as JSON, as encoding/json would write it.
func (o observation) appendJSON(b []byte) []byte {
	field := func(b []byte, name string, v int) []byte {
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		return strconv.AppendInt(b, int64(v), 10)
	}
	b = append(b, '{')
	b = field(b, "systolic", o.Systolic)
	b = field(append(b, ','), "diastolic", o.Diastolic)
	b = field(append(b, ','), "pulse", o.Pulse)
	b = field(append(b, ','), "spo2", o.SpO2)
	b = field(append(b, ','), "respRate", o.RespRate)
	b = field(append(b, ','), "anxiety", o.Anxiety)
	b = field(append(b, ','), "moaas", o.MOAAS)
	return append(b, '}')
}

// stats collects latencies.
type stats struct {
	mu   sync.Mutex
	post []time.Duration
	warm []time.Duration // POST latency in the warm-up
	// alert latency: from the POST that raised an alert to the board
	alert []time.Duration
	// from the answer to that POST to the board (negative when the board
	// had it first)
	afterAnswer []time.Duration
	// alertSent[i] is when the POST behind alert[i] was sent (the timeline).
	alertSent []time.Time
}

// alertTiming follows one alert-raising POST: when it was sent, when its
// answer was read and when the board read the alert.
type alertTiming struct {
	sent, answered, onBoard time.Time
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(float64(len(d)-1) * p)
	return d[i]
}

func load(ctx context.Context, out io.Writer, o options, db *store.DB, base, token string, clinic int64, sessions []int64) error {
	var st stats
	// The sessions start posting at begin; what is measured starts after
	// the warm-up: every connection opened, every session's state loaded by
	// the server, the sessions spread over their intervals.
	begin := time.Now()
	measureFrom := begin.Add(o.warmup)
	deadline := measureFrom.Add(o.duration)
	// sent records when the POST that should raise an alert was sent, by
	// session: the board's alert.raised event is matched to it.
	var sentMu sync.Mutex
	sent := map[int64]*alertTiming{}
	// settle records the split once both the answer and the board's event
	// are in; the caller holds sentMu.
	settle := func(sid int64, t *alertTiming) {
		if t.answered.IsZero() || t.onBoard.IsZero() {
			return
		}
		delete(sent, sid)
		if t.sent.Before(measureFrom) {
			return
		}
		st.mu.Lock()
		st.alert = append(st.alert, t.onBoard.Sub(t.sent))
		st.alertSent = append(st.alertSent, t.sent)
		st.afterAnswer = append(st.afterAnswer, t.onBoard.Sub(t.answered))
		st.mu.Unlock()
	}

	// The staff acknowledge the alerts the board shows, on connections of
	// their own: the board's reader only hands them the alert's id.
	acks := make(chan int64, 1<<16)
	var acked, ackFailed atomic.Int64
	var ackErr atomic.Value
	var ackersDone sync.WaitGroup
	for i := 0; o.ack && i < ackers; i++ {
		ackersDone.Add(1)
		go func() {
			defer ackersDone.Done()
			p, err := newPoster(base, "", token)
			if err != nil {
				ackErr.CompareAndSwap(nil, err.Error())
				for range acks {
					ackFailed.Add(1)
				}
				return
			}
			defer p.close()
			var path []byte
			for id := range acks {
				path = strconv.AppendInt(append(path[:0], "/api/v1/alerts/"...), id, 10)
				path = append(path, "/ack"...)
				status, err := p.postTo(string(path), nil, nil)
				switch {
				case err != nil:
					ackErr.CompareAndSwap(nil, err.Error())
					ackFailed.Add(1)
				case status != http.StatusOK:
					ackErr.CompareAndSwap(nil, fmt.Sprintf("%d %s", status, http.StatusText(status)))
					ackFailed.Add(1)
				default:
					acked.Add(1)
				}
			}
		}()
	}

	// The board.
	boardCtx, stopBoard := context.WithCancel(ctx)
	defer stopBoard()
	boardReady := make(chan struct{})
	boardDone := make(chan struct{})
	var boardEvents atomic.Int64
	go func() {
		defer close(boardDone)
		req, _ := http.NewRequestWithContext(boardCtx, "GET", fmt.Sprintf("%s/api/v1/clinics/%d/events", base, clinic), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := (&http.Client{}).Do(req)
		if err != nil {
			close(boardReady)
			return
		}
		defer resp.Body.Close()
		close(boardReady)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		typ := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				typ = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && typ == monitoring.EventAlertRaised:
				now := time.Now()
				var ev monitoring.AlertEvent
				if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev) != nil {
					continue
				}
				if o.ack {
					select {
					case acks <- ev.Alert.ID:
					default:
						ackFailed.Add(1) // the staff are too far behind
					}
				}
				if ev.Alert.Rule == "anxiety-critical" {
					boardEvents.Add(1)
					sentMu.Lock()
					if t, ok := sent[ev.Alert.SessionID]; ok {
						t.onBoard = now
						settle(ev.Alert.SessionID, t)
					}
					sentMu.Unlock()
				}
			}
		}
	}()
	<-boardReady

	// total counts every observation stored, measured the ones of the
	// measurement.
	var total, measured, warm, failed atomic.Int64
	var perInterval []atomic.Int64 // observations stored, by interval of the timeline
	if o.timeline > 0 {
		perInterval = make([]atomic.Int64, int((o.duration+o.timeline-1)/o.timeline))
	}
	var firstErr atomic.Value
	runCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	var profile *os.File
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		profile = f
	}
	// The counters at the start of the measurement.
	var rss0 string
	var cpu0, self0 time.Duration
	var gc0 store.GroupCommitStats
	started := make(chan error, 1)
	go func() {
		time.Sleep(time.Until(measureFrom))
		if o.pid != 0 {
			rss0 = memory(o.pid)
			cpu0, _ = processCPU(o.pid)
		}
		self0 = ownCPU()
		gc0 = db.GroupCommitStats()
		if profile != nil {
			started <- pprof.StartCPUProfile(profile)
			return
		}
		started <- nil
	}()
	if o.memProfile != "" {
		defer func() {
			if err := writeAllocs(o.memProfile); err != nil {
				fmt.Fprintln(out, "memory profile:", err)
			}
		}()
	}
	var wg sync.WaitGroup
	for i, sid := range sessions {
		wg.Add(1)
		go func(i int, sid int64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			// With -rate, each session posts on its own schedule, at a random
			// phase within the interval: sessions observed by different nurses
			// do not all post in the same millisecond.
			var interval time.Duration
			var next time.Time
			pause := time.NewTimer(time.Hour) // one timer per session, reset before each wait
			defer pause.Stop()
			if o.rate > 0 {
				interval = time.Duration(float64(time.Second) / o.rate)
				next = begin.Add(time.Duration(rng.Int64N(int64(interval))))
			}
			// Each session starts its alert cycle at its own offset, so that
			// alerts are spread over the run as in a clinic rather than all
			// raised in the same tenth of each cycle.
			offset := 0
			if o.alertEvery > 0 && !o.aligned {
				offset = rng.IntN(o.alertEvery)
			}
			local := make([]time.Duration, 0, 1024)
			var warmLocal []time.Duration
			defer func() {
				st.mu.Lock()
				st.post = append(st.post, local...)
				st.warm = append(st.warm, warmLocal...)
				st.mu.Unlock()
			}()
			p, err := newPoster(base, fmt.Sprintf("/api/v1/sessions/%d/observations", sid), token)
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
				return
			}
			defer p.close()
			var body, extra []byte
			for n := 0; runCtx.Err() == nil; n++ {
				if total.Load() >= o.max {
					return
				}
				if interval > 0 {
					if wait := time.Until(next); wait > 0 {
						pause.Reset(wait)
						select {
						case <-runCtx.Done():
							return
						case <-pause.C:
						}
					}
					// A slot missed while a POST was waiting is skipped, not caught up.
					if next = next.Add(interval); next.Before(time.Now()) {
						next = time.Now()
					}
				}
				obs := observation{Systolic: 118 + rng.IntN(14), Diastolic: 74 + rng.IntN(10), Pulse: 66 + rng.IntN(20), SpO2: 96 + rng.IntN(4),
					RespRate: 12 + rng.IntN(6), Anxiety: 1 + rng.IntN(3), MOAAS: 5}
				raising := o.alertEvery > 0 && (n+offset)%o.alertEvery == o.alertEvery-1
				if raising {
					obs.Anxiety = 9
				}
				body = obs.appendJSON(body[:0])
				extra = extra[:0]
				if o.idempotent {
					extra = fmt.Appendf(extra, "Idempotency-Key: %s\r\n", idempotencyKey(o.randomKeys))
				}
				t0 := time.Now()
				var timing *alertTiming
				if raising {
					timing = &alertTiming{sent: t0}
					sentMu.Lock()
					sent[sid] = timing
					sentMu.Unlock()
				}
				status, err := p.post(body, extra)
				if timing != nil {
					sentMu.Lock()
					timing.answered = time.Now()
					settle(sid, timing)
					sentMu.Unlock()
				}
				if err != nil {
					if runCtx.Err() == nil {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, err.Error())
					}
					continue
				}
				if status != http.StatusCreated {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("%d %s", status, http.StatusText(status)))
					continue
				}
				total.Add(1)
				if t0.Before(measureFrom) {
					warmLocal = append(warmLocal, time.Since(t0))
					warm.Add(1)
					continue
				}
				local = append(local, time.Since(t0))
				measured.Add(1)
				if o.timeline > 0 {
					if i := int(t0.Sub(measureFrom) / o.timeline); i < len(perInterval) {
						perInterval[i].Add(1)
					}
				}
			}
		}(i, sid)
	}
	if o.trace != "" {
		go func() {
			time.Sleep(time.Until(measureFrom.Add(o.duration / 2)))
			if err := traceFor(o.trace, time.Second); err != nil {
				fmt.Fprintln(out, "trace:", err)
			}
		}()
	}
	// Memory at the peak of the load.
	var rssPeak string
	if o.pid != 0 {
		go func() {
			time.Sleep(time.Until(measureFrom.Add(o.duration / 2)))
			rssPeak = memory(o.pid)
		}()
	}
	wg.Wait()
	if err := <-started; err != nil {
		return fmt.Errorf("CPU profile: %w", err)
	}
	if profile != nil {
		pprof.StopCPUProfile()
	}
	elapsed := time.Since(measureFrom)
	selfCPU := ownCPU() - self0
	var serverCPU time.Duration
	if o.pid != 0 {
		if cpu1, err := processCPU(o.pid); err == nil {
			serverCPU = cpu1 - cpu0
		}
	}
	time.Sleep(200 * time.Millisecond) // the last events reach the board
	stopBoard()
	<-boardDone
	queued := len(acks) // acknowledgements still waiting when the load stopped
	close(acks)
	ackersDone.Wait()

	if o.timeline > 0 {
		printTimeline(out, o.timeline, measureFrom, perInterval, st.alertSent, st.alert)
	}
	slices.Sort(st.post)
	slices.Sort(st.warm)
	slices.Sort(st.alert)
	slices.Sort(st.afterAnswer)
	fmt.Fprintf(out, "\nmachine: %d CPUs (GOMAXPROCS %d), %s/%s, %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(out, "sessions: %d, warm-up %v, measured %v, alert every %d observations per session\n", o.sessions, o.warmup, elapsed.Round(time.Millisecond), o.alertEvery)
	fmt.Fprintf(out, "observations: %d stored (201) in the measurement, %d in the warm-up, %d failed", measured.Load(), warm.Load(), failed.Load())
	if e := firstErr.Load(); e != nil {
		fmt.Fprintf(out, " (first: %v)", e)
	}
	fmt.Fprintf(out, "\nthroughput: %.0f observations/s\n", float64(measured.Load())/elapsed.Seconds())
	fmt.Fprintf(out, "POST latency: p50 %v, p90 %v, p99 %v, max %v\n", percentile(st.post, 0.5).Round(time.Microsecond),
		percentile(st.post, 0.9).Round(time.Microsecond), percentile(st.post, 0.99).Round(time.Microsecond), percentile(st.post, 1).Round(time.Microsecond))
	if len(st.warm) > 0 {
		fmt.Fprintf(out, "  in the warm-up: p50 %v, p99 %v, max %v\n", percentile(st.warm, 0.5).Round(time.Microsecond),
			percentile(st.warm, 0.99).Round(time.Microsecond), percentile(st.warm, 1).Round(time.Microsecond))
	}
	fmt.Fprintf(out, "alert to board (POST sent to event read): %d alerts, p50 %v, p99 %v, max %v\n", len(st.alert),
		percentile(st.alert, 0.5).Round(time.Microsecond), percentile(st.alert, 0.99).Round(time.Microsecond), percentile(st.alert, 1).Round(time.Microsecond))
	fmt.Fprintf(out, "  of which after the POST's answer: p50 %v, p99 %v (negative: the board had it first)\n",
		percentile(st.afterAnswer, 0.5).Round(time.Microsecond), percentile(st.afterAnswer, 0.99).Round(time.Microsecond))
	if o.ack {
		fmt.Fprintf(out, "alerts acknowledged from the board: %d, %d failed, %d still queued when the load stopped", acked.Load(), ackFailed.Load(), queued)
		if e := ackErr.Load(); e != nil {
			fmt.Fprintf(out, " (first: %v)", e)
		}
		fmt.Fprintln(out)
	}
	if o.url == "" {
		gc := db.GroupCommitStats()
		gc.Batches -= gc0.Batches
		gc.Requests -= gc0.Requests
		gc.Exec -= gc0.Exec
		gc.Commit -= gc0.Commit
		gc.Retries -= gc0.Retries
		if gc.Batches > 0 {
			fmt.Fprintf(out, "group commit during the load: %d transactions in %d commits (%.1f per commit, %d run again with savepoints); running them %v, committing %v\n",
				gc.Requests, gc.Batches, float64(gc.Requests)/float64(gc.Batches), gc.Retries, gc.Exec.Round(time.Millisecond), gc.Commit.Round(time.Millisecond))
		}
	}
	if n := measured.Load(); n > 0 {
		perObs := func(d time.Duration) time.Duration { return (d / time.Duration(n)).Round(100 * time.Nanosecond) }
		if o.url == "" {
			fmt.Fprintf(out, "CPU during the load: %v per observation (server and load generator in one process)\n", perObs(selfCPU))
		} else {
			fmt.Fprintf(out, "CPU during the load: server %v per observation, load generator %v per observation\n", perObs(serverCPU), perObs(selfCPU))
		}
	}
	if o.pid != 0 {
		fmt.Fprintf(out, "server memory (pid %d): at the start of the measurement %s; during it %s; after %s\n", o.pid, rss0, rssPeak, memory(o.pid))
		if o.url == "" {
			fmt.Fprintln(out, "  (in-process server: the figures include the load generator's own goroutines and buffers)")
		}
	}
	return nil
}

// printTimeline prints, for each interval of the measurement, the
// observations stored per second and the latency of the alerts sent in it:
// a tail that grows through a run and one made of a few stalls look alike
// in the run's percentiles.
func printTimeline(out io.Writer, step time.Duration, from time.Time, observations []atomic.Int64, sent []time.Time, latency []time.Duration) {
	alerts := make([][]time.Duration, len(observations))
	for k, t := range sent {
		if i := int(t.Sub(from) / step); i >= 0 && i < len(alerts) {
			alerts[i] = append(alerts[i], latency[k])
		}
	}
	fmt.Fprintf(out, "timeline (every %v from the start of the measurement):\n", step)
	for i := range observations {
		a := alerts[i]
		slices.Sort(a)
		fmt.Fprintf(out, "  %6v  %6.0f observations/s  %5d alerts: p50 %v, p99 %v, max %v\n", step*time.Duration(i),
			float64(observations[i].Load())/step.Seconds(), len(a), percentile(a, 0.5).Round(100*time.Microsecond),
			percentile(a, 0.99).Round(100*time.Microsecond), percentile(a, 1).Round(100*time.Microsecond))
	}
}

// traceFor writes an execution trace of this process for d to path.
func traceFor(path string, d time.Duration) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := trace.Start(f); err != nil {
		return err
	}
	time.Sleep(d)
	trace.Stop()
	return nil
}

// processCPU reads a process's user and system CPU time from /proc.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command name (in parentheses, which may hold
	// spaces): utime and stime are the 12th and 13th, in clock ticks of
	// 1/100 s on Linux.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}

// ownCPU is this process's user and system CPU time so far.
func ownCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// writeAllocs writes the allocations made so far.
func writeAllocs(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("allocs").WriteTo(f, 0)
}

// memory reads the resident set size and its peak from /proc.
func memory(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unknown"
	}
	var rss, hwm string
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			rss = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			hwm = strings.TrimSpace(v)
		}
	}
	return fmt.Sprintf("RSS %s (peak %s)", rss, hwm)
}

// clinicalBaseline is the pre-dose observation of every simulated session.
func clinicalBaseline() clinical.Observation {
	return clinical.Observation{Systolic: new(120), Diastolic: new(78), Pulse: new(72), SpO2: new(98), RespRate: new(14),
		Anxiety: new(2), MOAAS: new(5), Consciousness: "A"}
}
