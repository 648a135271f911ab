package live

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPublishReachesClinicAndSessionSubscribers(t *testing.T) {
	b := NewBroker(nil)
	clinic, _ := b.Subscribe(ClinicTopic(1), 4)
	session, _ := b.Subscribe(SessionTopic(7), 4)
	other, _ := b.Subscribe(ClinicTopic(2), 4)
	e, err := NewEvent("alert.raised", 1, 7, map[string]int{"id": 3})
	if err != nil {
		t.Fatal(err)
	}
	b.Publish(e)
	for name, s := range map[string]*Subscription{"clinic": clinic, "session": session} {
		select {
		case got := <-s.C():
			if got.Type != "alert.raised" || string(got.Data) != `{"id":3}` {
				t.Errorf("%s got %+v", name, got)
			}
		default:
			t.Errorf("%s subscriber got nothing", name)
		}
	}
	select {
	case got := <-other.C():
		t.Errorf("another clinic got %+v", got)
	default:
	}
}

func TestPublishNeverBlocksOnASlowSubscriber(t *testing.T) {
	b := NewBroker(nil)
	slow, _ := b.Subscribe(ClinicTopic(1), 2)
	done := make(chan struct{})
	go func() {
		for i := 0; i < 1000; i++ {
			b.Publish(Event{Type: "observation", ClinicID: 1})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("publisher blocked on a full subscriber")
	}
	if !slow.Lagged() {
		t.Error("a subscriber that missed events is not marked lagged")
	}
	if slow.Lagged() {
		t.Error("Lagged does not reset")
	}
	if st := b.Stats(); st.Dropped != 998 {
		t.Errorf("dropped %d, want 998", st.Dropped)
	}
}

func TestCloseEndsSubscriptions(t *testing.T) {
	b := NewBroker(nil)
	s, _ := b.Subscribe(SessionTopic(1), 1)
	s2, _ := b.Subscribe(SessionTopic(1), 1)
	s2.Close()
	s2.Close() // twice is fine
	if n := b.Subscribers(SessionTopic(1)); n != 1 {
		t.Errorf("%d subscribers after one closed", n)
	}
	b.Close()
	if _, ok := <-s.C(); ok {
		t.Error("channel open after the broker closed")
	}
	s.Close()
	if _, err := b.Subscribe(SessionTopic(1), 1); err == nil {
		t.Error("subscribed to a closed broker")
	}
	b.Publish(Event{Type: "x", SessionID: 1}) // no panic
}

func TestStreamWritesEventsAndHeartbeats(t *testing.T) {
	b := NewBroker(nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sub, err := b.Subscribe(ClinicTopic(1), 1)
		if err != nil {
			t.Error(err)
			return
		}
		defer sub.Close()
		_ = Stream(r.Context(), w, sub, 20*time.Millisecond)
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	want := func(prefix string) {
		t.Helper()
		timeout := time.After(5 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("stream ended before %q", prefix)
				}
				if strings.HasPrefix(l, prefix) {
					return
				}
			case <-timeout:
				t.Fatalf("no %q line", prefix)
			}
		}
	}
	want(": heartbeat")
	for b.Subscribers(ClinicTopic(1)) == 0 {
		time.Sleep(time.Millisecond)
	}
	// Overfill the one-event buffer: the client is told to resync.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 50; i++ {
			b.Publish(Event{Type: "alert.raised", ClinicID: 1, Data: []byte(`{"n":1}`)})
		}
	}()
	wg.Wait()
	want("event: resync")
	want("data: {")
	b.Close() // ends the stream, as at server shutdown
	for range lines {
	}
}

type memTransport struct {
	mu    sync.Mutex
	peers []func([]byte)
}

func (m *memTransport) Send(_ context.Context, p []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range m.peers {
		d(p)
	}
	return nil
}

func (m *memTransport) Listen(ctx context.Context, deliver func([]byte)) error {
	m.mu.Lock()
	m.peers = append(m.peers, deliver)
	m.mu.Unlock()
	<-ctx.Done()
	return ctx.Err()
}

func TestTransportRelaysToOtherProcessesOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := &memTransport{}
	a, b := NewBroker(nil), NewBroker(nil)
	a.UseTransport(ctx, tr)
	b.UseTransport(ctx, tr)
	for {
		tr.mu.Lock()
		n := len(tr.peers)
		tr.mu.Unlock()
		if n == 2 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	onA, _ := a.Subscribe(ClinicTopic(1), 8)
	onB, _ := b.Subscribe(ClinicTopic(1), 8)
	a.Publish(Event{Type: "alert.raised", ClinicID: 1})
	for name, s := range map[string]*Subscription{"A": onA, "B": onB} {
		select {
		case <-s.C():
		case <-time.After(5 * time.Second):
			t.Fatalf("%s got nothing", name)
		}
	}
	time.Sleep(50 * time.Millisecond)
	select {
	case e := <-onA.C():
		t.Errorf("A got its own event twice: %+v", e)
	default:
	}
}

// TestStreamWritesQueuedEventsInOrder: events queued while the stream was
// busy arrive complete and in the order published, and data holding a
// newline is split into data lines.
func TestStreamWritesQueuedEventsInOrder(t *testing.T) {
	b := NewBroker(nil)
	sub, err := b.Subscribe(ClinicTopic(1), 64)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		b.Publish(Event{Type: "observation", ClinicID: 1, Data: fmt.Appendf(nil, `{"n":%d}`, i)})
	}
	b.Publish(Event{Type: "note", ClinicID: 1, Data: []byte("{\"a\":1,\n\"b\":2}")})
	rec := httptest.NewRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = Stream(ctx, rec, sub, time.Hour)
	}()
	time.Sleep(100 * time.Millisecond)
	b.Close()
	<-done
	cancel()
	var want strings.Builder
	for i := range 20 {
		fmt.Fprintf(&want, "event: observation\ndata: {\"n\":%d}\n\n", i)
	}
	want.WriteString("event: note\ndata: {\"a\":1,\ndata: \"b\":2}\n\n")
	got := rec.Body.String()
	if _, events, ok := strings.Cut(got, "\n\n"); !ok || events != want.String() {
		t.Errorf("stream:\n%s\nwant after the greeting:\n%s", got, want.String())
	}
}
