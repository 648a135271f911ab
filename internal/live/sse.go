package live

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// DefaultHeartbeat is how often Stream writes a comment line when no event
// comes, so proxies keep the connection open and dead clients are noticed.
const DefaultHeartbeat = 15 * time.Second

// Stream writes the events of sub to w as server-sent events
// (text/event-stream) until ctx ends, the subscription closes or a write
// fails. Each event is written as "event: TYPE" and "data: JSON" lines and
// flushed at once. When events were dropped because the client read too
// slowly, a "resync" event tells it to reload what it shows. A comment line
// is written every heartbeat.
func Stream(ctx context.Context, w http.ResponseWriter, sub *Subscription, heartbeat time.Duration) error {
	if heartbeat <= 0 {
		heartbeat = DefaultHeartbeat
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprintf(w, "retry: 2000\n: connected to %s\n\n", sub.topic); err != nil {
		return err
	}
	if err := rc.Flush(); err != nil {
		return err
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if _, err := fmt.Fprintf(w, ": heartbeat %s\n\n", time.Now().UTC().Format(time.RFC3339)); err != nil {
				return err
			}
		case e, ok := <-sub.C():
			if !ok {
				return nil
			}
			if sub.Lagged() {
				if _, err := fmt.Fprint(w, "event: resync\ndata: {}\n\n"); err != nil {
					return err
				}
			}
			if err := writeEvent(w, e); err != nil {
				return err
			}
		}
		if err := rc.Flush(); err != nil {
			return err
		}
	}
}

// writeEvent writes one event; its data is JSON, so it has no newline, but
// any is split into data lines as the format requires.
func writeEvent(w http.ResponseWriter, e Event) error {
	var b strings.Builder
	b.WriteString("event: ")
	b.WriteString(e.Type)
	b.WriteByte('\n')
	for _, line := range strings.Split(string(e.Data), "\n") {
		b.WriteString("data: ")
		b.WriteString(line)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	_, err := w.Write([]byte(b.String()))
	return err
}
