package live

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
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
	var buf []byte
	for {
		buf = buf[:0]
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			buf = fmt.Appendf(buf, ": heartbeat %s\n\n", time.Now().UTC().Format(time.RFC3339))
		case e, ok := <-sub.C():
			if !ok {
				return nil
			}
			buf = appendEvent(buf, sub, e)
			// Events that queued up while this one was being written go
			// out with it, in one write: a busy clinic's board catches up
			// instead of falling further behind.
			for more := true; more && len(buf) < maxBatch; {
				select {
				case e, ok := <-sub.C():
					if !ok {
						more = false
						break
					}
					buf = appendEvent(buf, sub, e)
				default:
					more = false
				}
			}
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
		if err := rc.Flush(); err != nil {
			return err
		}
		if cap(buf) > 4*maxBatch { // after an unusually large event
			buf = nil
		}
	}
}

// maxBatch bounds the bytes of events Stream writes at once.
const maxBatch = 32 << 10

// appendEvent appends one event, after a resync event when events were
// dropped before it. Its data is JSON, so it has no newline, but any is
// split into data lines as the format requires.
func appendEvent(b []byte, sub *Subscription, e Event) []byte {
	if sub.Lagged() {
		b = append(b, "event: resync\ndata: {}\n\n"...)
	}
	b = append(b, "event: "...)
	b = append(b, e.Type...)
	b = append(b, '\n')
	data := []byte(e.Data)
	for {
		line, rest, found := bytes.Cut(data, []byte{'\n'})
		b = append(b, "data: "...)
		b = append(b, line...)
		b = append(b, '\n')
		if !found {
			break
		}
		data = rest
	}
	return append(b, '\n')
}
