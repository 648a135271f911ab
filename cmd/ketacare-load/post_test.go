package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
)

// The poster's requests are valid HTTP/1.1 that net/http's server reads
// as sent, over one kept-alive connection, and it dials again when the
// server closes the connection.
func TestPoster(t *testing.T) {
	var conns atomic.Int64
	var n atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && r.URL.Path == "/api/v1/alerts/9/ack" && r.Header.Get("Authorization") == "Bearer tok" {
			w.WriteHeader(200)
			return
		}
		var o observation
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &o); err != nil || r.Method != "POST" || r.URL.Path != "/api/v1/sessions/7/observations" ||
			r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("Idempotency-Key") != "k" || o.Pulse != 80 {
			t.Errorf("request: %s %s %q %q %s", r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Idempotency-Key"), b)
			w.WriteHeader(400)
			return
		}
		if n.Add(1) == 3 {
			w.Header().Set("Connection", "close")
		}
		w.WriteHeader(201)
		_, _ = w.Write([]byte(`{"id":1}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	p, err := newPoster(srv.URL, "/api/v1/sessions/7/observations", "tok")
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	body := observation{Systolic: 120, Diastolic: 80, Pulse: 80, SpO2: 98, RespRate: 14, Anxiety: 2, MOAAS: 5}.appendJSON(nil)
	for i := 0; i < 5; i++ {
		status, err := p.post(body, []byte("Idempotency-Key: k\r\n"))
		if err != nil || status != 201 {
			t.Fatalf("post %d: %d %v", i, status, err)
		}
	}
	if status, err := p.postTo("/api/v1/alerts/9/ack", nil, nil); err != nil || status != 200 {
		t.Fatalf("post to another path: %d %v", status, err)
	}
	if got := conns.Load(); got != 2 {
		t.Errorf("connections: %d, want 2 (one closed by the server after the third answer)", got)
	}
	var o observation
	if err := json.Unmarshal(body, &o); err != nil || o.Systolic != 120 || o.MOAAS != 5 {
		t.Errorf("body %s: %v %+v", body, err, o)
	}
}

// The CPU time read from /proc for this process agrees with getrusage's,
// to the 10 ms of a clock tick.
func TestProcessCPU(t *testing.T) {
	deadline := time.Now().Add(50 * time.Millisecond)
	for n := 0; time.Now().Before(deadline); n++ {
		_ = n * n
	}
	got, err := processCPU(os.Getpid())
	own := ownCPU()
	if err != nil || got <= 0 || got > own+20*time.Millisecond || got < own-20*time.Millisecond {
		t.Errorf("processCPU %v (%v), getrusage %v", got, err, own)
	}
}

// readAnswer reads answers of every shape net/http's server writes: with a
// length, in chunks, without a body, and one that closes the connection.
func TestReadAnswerShapes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked":
			w.WriteHeader(201)
			for i := 0; i < 3; i++ {
				_, _ = w.Write(bytes.Repeat([]byte("x"), 3000))
				w.(http.Flusher).Flush()
			}
		case "/empty":
			w.WriteHeader(204)
		case "/close":
			w.Header().Set("Connection", "close")
			w.WriteHeader(409)
			_, _ = w.Write([]byte("no"))
		default:
			w.WriteHeader(201)
			_, _ = w.Write([]byte(`{"id":1}`))
		}
	}))
	defer srv.Close()
	for _, c := range []struct {
		path   string
		status int
		closes bool
	}{{"/chunked", 201, false}, {"/empty", 204, false}, {"/plain", 201, false}, {"/close", 409, true}, {"/plain", 201, false}} {
		p, err := newPoster(srv.URL, c.path, "tok")
		if err != nil {
			t.Fatal(err)
		}
		// Twice on one connection: the first answer was read to its end.
		for i := 0; i < 2; i++ {
			status, err := p.post([]byte("{}"), nil)
			if err != nil || status != c.status {
				t.Fatalf("%s, post %d: %d %v", c.path, i, status, err)
			}
			if closed := p.conn == nil; closed != c.closes {
				t.Errorf("%s: connection closed %v, want %v", c.path, closed, c.closes)
			}
		}
		p.close()
	}
}

// A short run against a server in this process: the warm-up's
// observations are kept apart from the measured ones, alerts reach the
// board, and the board acknowledges them all.
func TestLoadInProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	var out bytes.Buffer
	err := run(t.Context(), []string{"-sessions", "4", "-warmup", "500ms", "-duration", "1s", "-rate", "10", "-alert-every", "2", "-timeline", "500ms", "-idempotency-key"}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, &out)
	}
	var measured, warm, failed, alerts, acked, ackFailed, queued int
	var timeline []float64 // observations per second in each half second
	for _, line := range strings.Split(out.String(), "\n") {
		fmt.Sscanf(line, "observations: %d stored (201) in the measurement, %d in the warm-up, %d failed", &measured, &warm, &failed)
		fmt.Sscanf(line, "alert to board (POST sent to event read): %d alerts", &alerts)
		fmt.Sscanf(line, "alerts acknowledged from the board: %d, %d failed, %d still queued", &acked, &ackFailed, &queued)
		var at string
		var rate float64
		if n, _ := fmt.Sscanf(line, "%s %f observations/s", &at, &rate); n == 2 && strings.HasPrefix(line, "  ") {
			timeline = append(timeline, rate)
		}
	}
	if len(timeline) != 2 || timeline[0] < 20 || timeline[1] < 20 {
		t.Errorf("timeline of two half seconds at about 40 observations/s: %v\n%s", timeline, &out)
	}
	// 4 sessions at 10 a second: about 40 observations measured, 20 in
	// the warm-up; every second one raises an alert.
	if measured < 20 || warm < 10 || failed != 0 || alerts < 5 || acked < alerts || ackFailed != 0 || queued != 0 {
		t.Errorf("measured %d, warm-up %d, failed %d, alerts %d, acknowledged %d (%d failed):\n%s",
			measured, warm, failed, alerts, acked, ackFailed, &out)
	}
}

func TestIdempotencyKeysOrderedByTime(t *testing.T) {
	first := idempotencyKey(false)
	time.Sleep(2 * time.Millisecond)
	second := idempotencyKey(false)
	if v := uuid.MustParse(first).Version(); v != 7 {
		t.Errorf("key %s is of version %d, want 7", first, v)
	}
	if first >= second {
		t.Errorf("a later key %s does not sort after %s", second, first)
	}
	if v := uuid.MustParse(idempotencyKey(true)).Version(); v != 4 {
		t.Errorf("a random key is of version %d, want 4", v)
	}
}
