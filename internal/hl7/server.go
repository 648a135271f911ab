package hl7

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"time"
)

// Handler receives the vital signs of each accepted message.
//
// HandleVitals is called once per accepted message, even one without a
// usable reading (only Unmapped), concurrently for different connections. Returning nil acknowledges the message with AA; returning an
// error acknowledges it with AE and the error's text, and the monitor may
// send it again. The error text is logged and sent to the monitor, so it
// must not contain patient identifiers. A panic is logged and answered with
// AE "internal error". ctx is cancelled when the server is closed.
type Handler interface {
	HandleVitals(ctx context.Context, v Vitals) error
}

// HandlerFunc adapts a function to the Handler interface.
type HandlerFunc func(ctx context.Context, v Vitals) error

// HandleVitals calls f(ctx, v).
func (f HandlerFunc) HandleVitals(ctx context.Context, v Vitals) error { return f(ctx, v) }

// ErrServerClosed is returned by Server.Serve after Shutdown or Close.
var ErrServerClosed = errors.New("hl7: server closed")

// Defaults for the Server timeouts.
const (
	DefaultIdleTimeout  = 10 * time.Minute
	DefaultReadTimeout  = 30 * time.Second
	DefaultWriteTimeout = 30 * time.Second
)

// Server is an MLLP listener for bedside monitors. Each connection carries
// a stream of messages; each message is parsed, its vital signs passed to
// the Handler, and acknowledged in order on the same connection: AA when the
// handler succeeds, AE when it returns an error, AR when the message cannot
// be parsed or is not an ORU^R01 message. A frame larger than
// MaxMessageSize, or bytes outside a frame, close the connection without an
// acknowledgement.
//
// Logs carry the peer address, control id and sending application, never
// patient identifiers or message content.
//
// Set the fields before calling Serve and do not change them afterwards.
type Server struct {
	Handler Handler      // required
	Logger  *slog.Logger // slog.Default() when nil

	MaxMessageSize int            // DefaultMaxMessageSize when 0
	IdleTimeout    time.Duration  // how long a connection may wait for its next message; DefaultIdleTimeout when 0
	ReadTimeout    time.Duration  // how long one message may take to arrive once started; DefaultReadTimeout when 0
	WriteTimeout   time.Duration  // how long writing an acknowledgement may take; DefaultWriteTimeout when 0
	Location       *time.Location // zone of timestamps sent without one (and without MSH-7's); UTC when nil

	mu        sync.Mutex
	listeners map[*net.Listener]struct{}
	conns     map[*serverConn]struct{}
	closing   bool
	ctx       context.Context // cancelled by Close, and by Shutdown when its context ends
	cancel    context.CancelFunc
	wg        sync.WaitGroup // connection goroutines
}

// serverConn is one monitor connection. active is true from the first
// byte of a message until its acknowledgement is written; guarded by
// Server.mu.
type serverConn struct {
	nc     net.Conn
	remote string
	active bool
}

// Serve accepts connections on ln and serves each in its own goroutine. It
// always closes ln, and returns ErrServerClosed after Shutdown or Close.
func (s *Server) Serve(ln net.Listener) error {
	defer ln.Close()
	if s.Handler == nil {
		return errors.New("hl7: Server.Handler is nil")
	}
	s.mu.Lock()
	s.initLocked()
	if s.closing {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.listeners[&ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, &ln)
		s.mu.Unlock()
	}()

	s.logger().Info("hl7 listener started", "addr", ln.Addr().String())
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.isClosing() {
				return ErrServerClosed
			}
			var temp interface{ Temporary() bool }
			if errors.As(err, &temp) && temp.Temporary() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.logger().Warn("hl7 accept failed; retrying", "error", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		c := &serverConn{nc: nc, remote: nc.RemoteAddr().String()}
		if !s.track(c) {
			nc.Close()
			return ErrServerClosed
		}
		go s.serveConn(c)
	}
}

// Shutdown stops the server gracefully: it closes the listeners and the
// idle connections, then waits for the messages being received or handled
// to be acknowledged. If ctx ends first, it closes every connection,
// cancels the handlers' context and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.initLocked()
	s.closing = true
	s.closeListenersLocked()
	for c := range s.conns {
		if !c.active {
			c.nc.Close()
		}
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		s.cancel()
		return nil
	case <-ctx.Done():
		s.Close()
		return ctx.Err()
	}
}

// Close stops the server at once: it closes the listeners and every
// connection, and cancels the handlers' context. It does not wait.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initLocked()
	s.closing = true
	err := s.closeListenersLocked()
	for c := range s.conns {
		c.nc.Close()
	}
	s.cancel()
	return err
}

func (s *Server) initLocked() {
	if s.listeners == nil {
		s.listeners = make(map[*net.Listener]struct{})
		s.conns = make(map[*serverConn]struct{})
		s.ctx, s.cancel = context.WithCancel(context.Background())
	}
}

func (s *Server) closeListenersLocked() error {
	var errs []error
	for ln := range s.listeners {
		if err := (*ln).Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// track registers a new connection, unless the server is closing.
func (s *Server) track(c *serverConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

// setActive marks c busy or idle; it reports false when the server is
// closing and the connection should end.
func (s *Server) setActive(c *serverConn, active bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.active = active
	return !s.closing
}

func (s *Server) serveConn(c *serverConn) {
	log := s.logger().With("remote", c.remote)
	defer s.wg.Done()
	defer func() {
		c.nc.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		log.Debug("hl7 connection closed")
	}()
	log.Debug("hl7 connection opened")

	r := NewReader(c.nc, s.MaxMessageSize)
	for {
		c.nc.SetReadDeadline(time.Now().Add(orDefault(s.IdleTimeout, DefaultIdleTimeout)))
		if err := r.waitStart(); err != nil {
			logReadError(log, "waiting for a message", err)
			return
		}
		if !s.setActive(c, true) {
			return
		}
		c.nc.SetReadDeadline(time.Now().Add(orDefault(s.ReadTimeout, DefaultReadTimeout)))
		raw, err := r.readBody()
		if err != nil {
			logReadError(log, "reading a message", err)
			return
		}
		ack := s.process(log, raw)
		c.nc.SetWriteDeadline(time.Now().Add(orDefault(s.WriteTimeout, DefaultWriteTimeout)))
		if err := WriteFrame(c.nc, ack); err != nil {
			log.Warn("hl7 acknowledgement not sent", "error", err)
			return
		}
		if !s.setActive(c, false) {
			return
		}
	}
}

// process handles one message and returns its encoded acknowledgement.
func (s *Server) process(log *slog.Logger, raw []byte) []byte {
	now := time.Now()
	m, err := Parse(raw)
	if err != nil {
		hdr, _ := ParseHeader(raw)
		log.Warn("hl7 message rejected", headerAttrs(hdr, "ack", AckReject, "error", err)...)
		return NewAck(hdr, AckReject, err, now).Encode()
	}
	v, err := ExtractVitals(m, s.Location)
	if err != nil {
		log.Warn("hl7 message rejected", headerAttrs(m, "ack", AckReject, "error", err)...)
		return NewAck(m, AckReject, err, now).Encode()
	}
	if err := s.handle(log, v); err != nil {
		log.Warn("hl7 message not processed", headerAttrs(m, "ack", AckError, "error", err)...)
		return NewAck(m, AckError, err, now).Encode()
	}
	log.Debug("hl7 message accepted", headerAttrs(m, "ack", AckAccept, "readings", v.count(), "unmapped", len(v.Unmapped))...)
	return NewAck(m, AckAccept, nil, now).Encode()
}

// handle calls the Handler, turning a panic into an error.
func (s *Server) handle(log *slog.Logger, v Vitals) (err error) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("hl7 handler panicked", "panic", p, "stack", string(debug.Stack()))
			err = errors.New("internal error")
		}
	}()
	return s.Handler.HandleVitals(s.ctx, v)
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// headerAttrs returns log attributes from the MSH segment (never from a
// patient segment), followed by extra.
func headerAttrs(m *Message, extra ...any) []any {
	if m == nil {
		return extra
	}
	msh, _ := m.Segment("MSH")
	attrs := []any{
		"control_id", cut(msh.Field(10).Value(), 64),
		"sending_application", cut(hdName(msh.Field(3)), 64),
		"sending_facility", cut(hdName(msh.Field(4)), 64),
	}
	return append(attrs, extra...)
}

func logReadError(log *slog.Logger, doing string, err error) {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		// The peer or the server closed the connection.
	case errors.As(err, &ne) && ne.Timeout():
		log.Debug("hl7 connection timed out "+doing, "error", err)
	default:
		log.Warn("hl7 connection dropped "+doing, "error", err)
	}
}

// count returns how many vital signs v holds.
func (v Vitals) count() int {
	n := 0
	for _, p := range []*int{v.Systolic, v.Diastolic, v.Pulse, v.SpO2, v.RespRate} {
		if p != nil {
			n++
		}
	}
	if v.TempC != nil {
		n++
	}
	return n
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
