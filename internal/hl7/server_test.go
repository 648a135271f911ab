package hl7

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// oru returns a small ORU^R01 message for a patient with one pulse reading.
func oru(controlID, patientID string, pulse int) string {
	return hl7Lines(
		`MSH|^~\&|MON|ICU|KETACARE|KET|20260314101500+0000||ORU^R01|`+controlID+`|P|2.6`,
		`PID|||`+patientID+`^^^KET^MR||Doe^Jane`,
		fmt.Sprintf(`OBX|1|NM|147842^MDC_ECG_HEART_RATE^MDC||%d|264864^MDC_DIM_BEAT_PER_MIN^MDC|||||R`, pulse),
	)
}

// recorder is a Handler that keeps what it receives.
type recorder struct {
	mu  sync.Mutex
	got []Vitals
	// fail, when set, is called for each message; its error is returned.
	fail func(ctx context.Context, v Vitals) error
}

func (r *recorder) HandleVitals(ctx context.Context, v Vitals) error {
	r.mu.Lock()
	r.got = append(r.got, v)
	r.mu.Unlock()
	if r.fail != nil {
		return r.fail(ctx, v)
	}
	return nil
}

func (r *recorder) controlIDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for _, v := range r.got {
		ids = append(ids, v.ControlID)
	}
	return ids
}

// syncBuffer collects log output from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testLog writes to the test's output while the test runs and drops what
// a connection goroutine logs after it has ended (a shutdown whose deadline
// passed does not wait for handlers).
func testLog(t *testing.T) io.Writer {
	w := &endableWriter{out: t.Output()}
	t.Cleanup(func() { w.mu.Lock(); w.ended = true; w.mu.Unlock() })
	return w
}

type endableWriter struct {
	mu    sync.Mutex
	ended bool
	out   io.Writer
}

func (w *endableWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ended {
		return len(p), nil
	}
	return w.out.Write(p)
}

// startServer serves s on a loopback port and returns its address and a
// channel that receives Serve's result.
func startServer(t *testing.T, s *Server) (string, <-chan error) {
	t.Helper()
	if s.Logger == nil {
		s.Logger = slog.New(slog.NewTextHandler(testLog(t), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	t.Cleanup(func() { s.Close() })
	return ln.Addr().String(), served
}

// client is a monitor connected to the server.
type client struct {
	t    *testing.T
	conn net.Conn
	r    *Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second)) // bounds every test
	return &client{t: t, conn: conn, r: NewReader(conn, 0)}
}

// send writes the messages as MLLP frames, all in one write.
func (c *client) send(msgs ...string) {
	c.t.Helper()
	var buf bytes.Buffer
	for _, m := range msgs {
		WriteFrame(&buf, []byte(m))
	}
	if _, err := c.conn.Write(buf.Bytes()); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// ackResult is what an ACK says: MSA-1, MSA-2 and MSA-3.
type ackResult struct{ Code, ControlID, Text string }

func (c *client) ack() ackResult {
	c.t.Helper()
	raw, err := c.r.ReadMessage()
	if err != nil {
		c.t.Fatalf("reading ACK: %v", err)
	}
	m, err := Parse(raw)
	if err != nil {
		c.t.Fatalf("ACK does not parse: %v\n%q", err, raw)
	}
	msa, ok := m.Segment("MSA")
	if !ok {
		c.t.Fatalf("ACK has no MSA: %q", raw)
	}
	return ackResult{msa.Field(1).Value(), msa.Field(2).Value(), msa.Field(3).Value()}
}

// closed checks that the server closes the connection without replying.
func (c *client) closed() {
	c.t.Helper()
	msg, err := c.r.ReadMessage()
	if err == nil {
		c.t.Fatalf("got a reply %q, want the connection closed", msg)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		c.t.Fatal("the server did not close the connection")
	}
}

func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func TestServerAcknowledgesEachMessage(t *testing.T) {
	h := &recorder{fail: func(ctx context.Context, v Vitals) error {
		switch v.ControlID {
		case "FAIL":
			return errors.New("no active session for this bed")
		case "PANIC":
			panic("handler bug")
		}
		return nil
	}}
	var logs syncBuffer
	srv := &Server{Handler: h, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	addr, _ := startServer(t, srv)

	c := dial(t, addr)
	c.send(
		oru("M1", "MRN111", 71),
		oru("M2", "MRN111", 72),
		philipsORU,
		"garbage that is not HL7",
		oru("FAIL", "MRN111", 73),
		hl7Lines(`MSH|^~\&|ADT|H|KETACARE|KET|20260314101500||ADT^A01|A1|P|2.5`, `PID|||MRN111`),
		oru("PANIC", "MRN111", 74),
		oru("M3", "MRN111", 75),
	)
	want := []ackResult{
		{"AA", "M1", ""},
		{"AA", "M2", ""},
		{"AA", "PHX0000123", ""},
		{"AR", "", "hl7: the message does not start with an MSH segment"},
		{"AE", "FAIL", "no active session for this bed"},
		{"AR", "A1", `hl7: MSH-9: unsupported message type "ADT": only ORU^R01 is accepted`},
		{"AE", "PANIC", "internal error"},
		{"AA", "M3", ""},
	}
	var got []ackResult
	for range want {
		got = append(got, c.ack())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ACKs (-want +got):\n%s", diff)
	}

	if diff := cmp.Diff([]string{"M1", "M2", "PHX0000123", "FAIL", "PANIC", "M3"}, h.controlIDs()); diff != "" {
		t.Errorf("handled messages (-want +got):\n%s", diff)
	}
	h.mu.Lock()
	if p := h.got[1].Pulse; p == nil || *p != 72 {
		t.Errorf("M2 pulse = %v, want 72", p)
	}
	if ids := h.got[1].PatientIDs; len(ids) != 1 || ids[0].ID != "MRN111" {
		t.Errorf("M2 patient ids = %v", ids)
	}
	h.mu.Unlock()

	out := logs.String()
	if !strings.Contains(out, "control_id=M1") || !strings.Contains(out, "handler bug") {
		t.Errorf("log lacks the expected records:\n%s", out)
	}
	for _, secret := range []string{"MRN111", "MRN123456", "9434765919", "Doe", "Jane"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains patient data %q:\n%s", secret, out)
		}
	}
}

func TestServerDropsOversizeMessage(t *testing.T) {
	h := &recorder{}
	addr, _ := startServer(t, &Server{Handler: h, MaxMessageSize: 1024})

	c := dial(t, addr)
	c.send(oru("M1", "P1", 70))
	if got := c.ack(); got.Code != "AA" {
		t.Fatalf("ACK = %+v, want AA", got)
	}
	big := oru("BIG", "P1", 70) + hl7Lines("NTE|1||"+strings.Repeat("x", 4096))
	c.send(big)
	c.closed()

	// The server still serves other connections.
	c2 := dial(t, addr)
	c2.send(oru("M2", "P1", 70))
	if got := c2.ack(); got.Code != "AA" || got.ControlID != "M2" {
		t.Fatalf("ACK = %+v, want AA for M2", got)
	}
	if diff := cmp.Diff([]string{"M1", "M2"}, h.controlIDs()); diff != "" {
		t.Errorf("handled messages (-want +got):\n%s", diff)
	}
}

func TestServerClosesUnframedConnection(t *testing.T) {
	addr, _ := startServer(t, &Server{Handler: &recorder{}})
	c := dial(t, addr)
	if _, err := c.conn.Write([]byte(oru("M1", "P1", 70))); err != nil {
		t.Fatal(err)
	}
	c.closed()
}

func TestServerTimeouts(t *testing.T) {
	addr, _ := startServer(t, &Server{Handler: &recorder{}, IdleTimeout: 50 * time.Millisecond, ReadTimeout: 50 * time.Millisecond})

	t.Run("idle", func(t *testing.T) {
		dial(t, addr).closed()
	})
	t.Run("stalled message", func(t *testing.T) {
		c := dial(t, addr)
		if _, err := c.conn.Write([]byte("\x0bMSH|^~\\&|MON|")); err != nil {
			t.Fatal(err)
		}
		c.closed()
	})
}

func TestServerConcurrentMonitors(t *testing.T) {
	h := &recorder{}
	addr, _ := startServer(t, &Server{Handler: h})

	const monitors, messages = 20, 10
	var wg sync.WaitGroup
	errs := make(chan error, monitors*messages)
	for i := range monitors {
		wg.Go(func() {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			r := NewReader(conn, 0)
			for j := range messages {
				id := fmt.Sprintf("MON%02d-%02d", i, j)
				if err := WriteFrame(conn, []byte(oru(id, "P1", 60+j))); err != nil {
					errs <- err
					return
				}
				raw, err := r.ReadMessage()
				if err != nil {
					errs <- err
					return
				}
				ack, err := Parse(raw)
				if err != nil {
					errs <- err
					return
				}
				msa, _ := ack.Segment("MSA")
				if code, cid := msa.Field(1).Value(), msa.Field(2).Value(); code != "AA" || cid != id {
					errs <- fmt.Errorf("ACK %s %s, want AA %s", code, cid, id)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := len(h.controlIDs()); got != monitors*messages {
		t.Errorf("handled %d messages, want %d", got, monitors*messages)
	}
}

func TestServerGracefulShutdown(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	h := &recorder{fail: func(ctx context.Context, v Vitals) error {
		if v.ControlID == "SLOW" {
			close(entered)
			<-release
		}
		return nil
	}}
	srv := &Server{Handler: h}
	addr, served := startServer(t, srv)

	idle := dial(t, addr)
	idle.send(oru("I1", "P1", 70))
	if got := idle.ack(); got.Code != "AA" {
		t.Fatalf("ACK = %+v", got)
	}
	busy := dial(t, addr)
	busy.send(oru("SLOW", "P2", 70))
	waitFor(t, entered, "the handler")

	shutdown := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shutdown <- srv.Shutdown(ctx)
	}()

	// The idle connection is closed, and no new connection is accepted.
	idle.closed()
	if conn, err := net.Dial("tcp", addr); err == nil {
		conn.Close()
		t.Error("a new connection was accepted during shutdown")
	}
	// Shutdown waits for the message in progress.
	select {
	case err := <-shutdown:
		t.Fatalf("Shutdown returned %v while a message was being handled", err)
	default:
	}

	close(release)
	if got := busy.ack(); got.Code != "AA" || got.ControlID != "SLOW" {
		t.Errorf("ACK = %+v, want AA for SLOW", got)
	}
	busy.closed()
	if err := <-shutdown; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve = %v, want ErrServerClosed", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(ln); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve after Shutdown = %v, want ErrServerClosed", err)
	}
}

func TestServerShutdownDeadline(t *testing.T) {
	entered, cancelled := make(chan struct{}), make(chan struct{})
	h := &recorder{fail: func(ctx context.Context, v Vitals) error {
		close(entered)
		<-ctx.Done()
		close(cancelled)
		return ctx.Err()
	}}
	srv := &Server{Handler: h}
	addr, served := startServer(t, srv)

	c := dial(t, addr)
	c.send(oru("STUCK", "P1", 70))
	waitFor(t, entered, "the handler")

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want context.DeadlineExceeded", err)
	}
	waitFor(t, cancelled, "the handler's context to be cancelled")
	c.closed()
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve = %v, want ErrServerClosed", err)
	}
}

func TestServeWithoutHandler(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := (&Server{}).Serve(ln); err == nil {
		t.Error("Serve without a Handler succeeded")
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("Serve left the listener open")
	}
}
