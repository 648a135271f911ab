// Package live carries live updates (new observations, alerts raised,
// acknowledged, cleared and escalated, sessions opened and discharged) from
// the code that commits them to the screens that show them.
//
// A Broker delivers events in process: each event is published to its
// clinic's topic and to its session's topic, and every subscriber of those
// topics receives it through a bounded buffer. Publishing never blocks: a
// subscriber whose buffer is full misses the event and is marked lagged, so
// its reader can tell the screen to reload what it shows. Between processes
// sharing one PostgreSQL database, a Transport (LISTEN/NOTIFY) relays every
// event to the brokers of the other processes.
package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ketacare/ketacare/internal/auth"
)

// Event is one live update. Data is the event's JSON payload, as sent to
// server-sent event clients.
type Event struct {
	Type      string          `json:"type"`
	ClinicID  int64           `json:"clinicId"`
	SessionID int64           `json:"sessionId"`
	Data      json.RawMessage `json:"data"`
	// PublishedAt is when the event was first published, in any process
	// (for latency measurements).
	PublishedAt time.Time `json:"publishedAt"`
}

// Topic names a stream of events: a clinic's or a session's.
type Topic struct {
	Kind string // "clinic" or "session"
	ID   int64
}

// ClinicTopic is the topic of every event of a clinic.
func ClinicTopic(id int64) Topic { return Topic{Kind: "clinic", ID: id} }

// SessionTopic is the topic of one dosing session's events.
func SessionTopic(id int64) Topic { return Topic{Kind: "session", ID: id} }

// String names the topic, e.g. "clinic:3".
func (t Topic) String() string { return t.Kind + ":" + strconv.FormatInt(t.ID, 10) }

// Subscription receives the events of one topic.
type Subscription struct {
	topic  Topic
	ch     chan Event
	lagged atomic.Bool
	once   sync.Once
	b      *Broker
}

// C is the channel of events. It is closed when the subscription or the
// broker is closed.
func (s *Subscription) C() <-chan Event { return s.ch }

// Lagged reports, and resets, whether events were dropped because the
// buffer was full since the last call.
func (s *Subscription) Lagged() bool { return s.lagged.Swap(false) }

// Close ends the subscription and closes its channel.
func (s *Subscription) Close() {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.closeLocked()
}

func (s *Subscription) closeLocked() {
	s.once.Do(func() {
		if subs := s.b.subs[s.topic]; subs != nil {
			delete(subs, s)
			if len(subs) == 0 {
				delete(s.b.subs, s.topic)
			}
		}
		close(s.ch)
	})
}

// Transport relays events between processes. Send must not block for long;
// Listen delivers every payload sent by any process (its own included)
// until ctx ends or the connection fails.
type Transport interface {
	Send(ctx context.Context, payload []byte) error
	Listen(ctx context.Context, deliver func(payload []byte)) error
}

// Broker is the in-process publisher of live events. The zero value is not
// usable; call NewBroker.
type Broker struct {
	mu     sync.RWMutex
	subs   map[Topic]map[*Subscription]struct{}
	closed bool

	origin string
	outbox atomic.Pointer[chan []byte] // set by UseTransport
	log    *slog.Logger

	published atomic.Int64
	dropped   atomic.Int64
}

// NewBroker returns a broker with no transport: events stay in process.
func NewBroker(log *slog.Logger) *Broker {
	if log == nil {
		log = slog.Default()
	}
	return &Broker{subs: map[Topic]map[*Subscription]struct{}{}, origin: auth.RandomToken(9), log: log}
}

// DefaultBuffer is the subscription buffer used when Subscribe is given 0.
const DefaultBuffer = 256

// Subscribe starts receiving the events of a topic, with a buffer of n
// events (DefaultBuffer when n is 0). It returns an error once the broker
// is closed.
func (b *Broker) Subscribe(t Topic, n int) (*Subscription, error) {
	if n <= 0 {
		n = DefaultBuffer
	}
	s := &Subscription{topic: t, ch: make(chan Event, n), b: b}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, errors.New("live: broker closed")
	}
	if b.subs[t] == nil {
		b.subs[t] = map[*Subscription]struct{}{}
	}
	b.subs[t][s] = struct{}{}
	return s, nil
}

// Subscribers counts the subscriptions of a topic.
func (b *Broker) Subscribers(t Topic) int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.subs[t])
}

// Publish delivers e to the subscribers of its clinic and of its session,
// without ever blocking, and hands it to the transport for the other
// processes.
func (b *Broker) Publish(e Event) {
	if e.PublishedAt.IsZero() {
		e.PublishedAt = time.Now()
	}
	b.deliver(e)
	if outbox := b.outbox.Load(); outbox != nil {
		payload, err := json.Marshal(wireEvent{Origin: b.origin, Event: e})
		if err != nil {
			b.log.Error("live: encoding event", "err", err)
			return
		}
		select {
		case *outbox <- payload:
		default:
			b.dropped.Add(1)
			b.log.Warn("live: relay queue full; event not sent to other processes", "type", e.Type)
		}
	}
}

func (b *Broker) deliver(e Event) {
	b.published.Add(1)
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return
	}
	for _, t := range []Topic{ClinicTopic(e.ClinicID), SessionTopic(e.SessionID)} {
		if t.ID == 0 {
			continue
		}
		for s := range b.subs[t] {
			select {
			case s.ch <- e:
			default:
				s.lagged.Store(true)
				b.dropped.Add(1)
			}
		}
	}
}

// Stats are the broker's counters.
type Stats struct {
	Published int64 // events delivered in this process
	Dropped   int64 // deliveries missed by a full buffer or relay queue
}

// Stats returns the broker's counters.
func (b *Broker) Stats() Stats {
	return Stats{Published: b.published.Load(), Dropped: b.dropped.Load()}
}

// Close ends every subscription (their channels close, so server-sent
// event streams end and a server can shut down) and refuses new ones.
func (b *Broker) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	for _, subs := range b.subs {
		for s := range subs {
			s.once.Do(func() { close(s.ch) })
		}
	}
	b.subs = map[Topic]map[*Subscription]struct{}{}
}

// wireEvent is an event as relayed between processes.
type wireEvent struct {
	Origin string `json:"o"`
	Event  Event  `json:"e"`
}

// UseTransport relays events through t between processes until ctx ends:
// events published here are sent to t, and events received from t that
// were published by another process are delivered here. Events published
// before the call stay in this process. It returns at once and works in the background, reconnecting
// with a growing delay when the transport fails.
func (b *Broker) UseTransport(ctx context.Context, t Transport) {
	outbox := make(chan []byte, 4096)
	b.outbox.Store(&outbox)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case p := <-outbox:
				if err := t.Send(ctx, p); err != nil && ctx.Err() == nil {
					b.log.Error("live: relaying event", "err", err)
				}
			}
		}
	}()
	go func() {
		delay := 100 * time.Millisecond
		for ctx.Err() == nil {
			err := t.Listen(ctx, b.receive)
			if ctx.Err() != nil {
				return
			}
			b.log.Warn("live: listening for other processes' events failed; retrying", "err", err, "delay", delay)
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			delay = min(2*delay, 10*time.Second)
		}
	}()
}

func (b *Broker) receive(payload []byte) {
	var w wireEvent
	if err := json.Unmarshal(payload, &w); err != nil {
		b.log.Warn("live: unreadable event from another process", "err", err)
		return
	}
	if w.Origin == b.origin {
		return
	}
	b.deliver(w.Event)
}

// NewEvent builds an event with data encoded as JSON.
func NewEvent(typ string, clinicID, sessionID int64, data any) (Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return Event{}, fmt.Errorf("live: encoding %s: %w", typ, err)
	}
	return Event{Type: typ, ClinicID: clinicID, SessionID: sessionID, Data: raw, PublishedAt: time.Now()}, nil
}
