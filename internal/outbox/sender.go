package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ketacare/ketacare/internal/store"
)

// Queue is the outbox table as the sender sees it (store.DB).
type Queue interface {
	ClaimOutbox(ctx context.Context, kinds []string, limit int, lease time.Duration) ([]store.OutboxMessage, error)
	MarkOutboxSent(ctx context.Context, id int64, claim string) error
	MarkOutboxRetry(ctx context.Context, id int64, claim, reason string, delay time.Duration, permanent bool) error
}

// Sender delivers due outbox messages: emails through a Mailer, text
// messages through a Texter. A kind without its channel (nil) is not
// claimed: its messages wait in the outbox until a sender that has one runs.
type Sender struct {
	Queue  Queue
	Mailer Mailer
	Texter Texter
	Log    *slog.Logger
	// Interval between passes when nothing wakes the sender (5 s when zero).
	Interval time.Duration
	// Lease is how long a claimed message is held before another sender
	// may take it (2 min when zero); longer than one delivery may last.
	Lease time.Duration
	// Backoff after the first failure (30 s when zero), doubled after each
	// further failure up to MaxBackoff (1 h when zero).
	Backoff, MaxBackoff time.Duration
	// MaxAttempts: after this many failed attempts the message is given up
	// (12 when zero).
	MaxAttempts int
	// Batch is how many messages one pass claims (20 when zero).
	Batch int

	wake chan struct{}
}

func (s *Sender) defaults() {
	if s.Interval == 0 {
		s.Interval = 5 * time.Second
	}
	if s.Lease == 0 {
		s.Lease = 2 * time.Minute
	}
	if s.Backoff == 0 {
		s.Backoff = 30 * time.Second
	}
	if s.MaxBackoff == 0 {
		s.MaxBackoff = time.Hour
	}
	if s.MaxAttempts == 0 {
		s.MaxAttempts = 12
	}
	if s.Batch == 0 {
		s.Batch = 20
	}
	if s.Log == nil {
		s.Log = slog.Default()
	}
}

// NewSender returns a sender with the default timings; m or t may be nil.
func NewSender(q Queue, m Mailer, t Texter, log *slog.Logger) *Sender {
	s := &Sender{Queue: q, Mailer: m, Texter: t, Log: log, wake: make(chan struct{}, 1)}
	s.defaults()
	return s
}

// kinds lists the kinds of message the sender can deliver.
func (s *Sender) kinds() []string {
	var k []string
	if s.Mailer != nil {
		k = append(k, store.OutboxEmail)
	}
	if s.Texter != nil {
		k = append(k, store.OutboxText)
	}
	return k
}

// Wake asks a running sender to look at the outbox now.
func (s *Sender) Wake() {
	if s.wake == nil {
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run delivers messages until ctx ends.
func (s *Sender) Run(ctx context.Context) {
	s.defaults()
	if s.wake == nil {
		s.wake = make(chan struct{}, 1)
	}
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	for {
		if _, err := s.Drain(ctx); err != nil && ctx.Err() == nil {
			s.Log.Error("outbox: delivering", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// Backoff returns the wait after the given number of failed attempts.
func (s *Sender) backoff(attempts int) time.Duration {
	d := s.Backoff
	for i := 1; i < attempts && d < s.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.MaxBackoff)
}

// Drain delivers every message due now, in batches, and returns how many
// were sent.
func (s *Sender) Drain(ctx context.Context) (int, error) {
	s.defaults()
	sent := 0
	for ctx.Err() == nil {
		batch, err := s.Queue.ClaimOutbox(ctx, s.kinds(), s.Batch, s.Lease)
		if err != nil {
			return sent, err
		}
		if len(batch) == 0 {
			return sent, nil
		}
		for _, m := range batch {
			ok, err := s.deliver(ctx, m)
			if err != nil {
				return sent, err
			}
			if ok {
				sent++
			}
		}
	}
	return sent, ctx.Err()
}

// deliver sends one claimed message and records the outcome. Only an
// error recording the outcome is returned.
func (s *Sender) deliver(ctx context.Context, m store.OutboxMessage) (bool, error) {
	var err error
	switch {
	case m.Kind == store.OutboxEmail && s.Mailer != nil:
		err = s.Mailer.Send(ctx, m.Recipient, m.Subject, m.Body)
	case m.Kind == store.OutboxText && s.Texter != nil:
		err = s.Texter.Text(ctx, m.Recipient, m.Body, fmt.Sprintf("ketacare-outbox-%d", m.ID))
	default:
		err = &PermanentError{Err: fmt.Errorf("no way to deliver a message of kind %q", m.Kind)}
	}
	// Record the outcome even when ctx ends now: the server accepted it.
	rec := context.WithoutCancel(ctx)
	if err == nil {
		if merr := s.Queue.MarkOutboxSent(rec, m.ID, m.ClaimToken); merr != nil {
			return false, merr
		}
		s.Log.Info("outbox: sent", "id", m.ID, "ref", m.Ref, "attempt", m.Attempts)
		return true, nil
	}
	var perm *PermanentError
	permanent := errors.As(err, &perm) || m.Attempts >= s.MaxAttempts
	delay := s.backoff(m.Attempts)
	s.Log.Warn("outbox: delivery failed", "id", m.ID, "ref", m.Ref, "attempt", m.Attempts, "giving_up", permanent, "err", err)
	return false, s.Queue.MarkOutboxRetry(rec, m.ID, m.ClaimToken, err.Error(), delay, permanent)
}
