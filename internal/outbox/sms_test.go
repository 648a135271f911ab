package outbox_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ketacare/ketacare/internal/outbox"
	"github.com/ketacare/ketacare/internal/store"
	"github.com/ketacare/ketacare/internal/testutil"
)

// gateway is a text message gateway on a real HTTP server in the test
// process: it records what it accepts and answers with the status set.
type gateway struct {
	mu       sync.Mutex
	status   int
	received []gatewayMessage
	srv      *httptest.Server
}

type gatewayMessage struct {
	To, Body, Reference string
	Auth, Key           string
}

func startGateway(t *testing.T) *gateway {
	g := &gateway{status: http.StatusAccepted}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m gatewayMessage
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&m) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		m.Auth, m.Key = r.Header.Get("Authorization"), r.Header.Get("Idempotency-Key")
		g.mu.Lock()
		status := g.status
		if status < 300 {
			g.received = append(g.received, m)
		}
		g.mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"detail":"as set by the test"}`))
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *gateway) answer(status int) { g.mu.Lock(); g.status = status; g.mu.Unlock() }

func (g *gateway) messages() []gatewayMessage {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]gatewayMessage(nil), g.received...)
}

func texter(t *testing.T, g *gateway) *outbox.SMSGateway {
	t.Helper()
	tx, err := outbox.ParseSMSURL(g.srv.URL+"/send", "secret-token")
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

func enqueueText(t *testing.T, db *store.DB, to, body, ref string) {
	t.Helper()
	if err := db.Update(context.Background(), func(tx *store.Tx) error {
		_, err := tx.EnqueueText(context.Background(), store.NewText{To: to, Body: body, Ref: ref})
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// Text messages go through the gateway, retried while it is unavailable
// and given up when it refuses one; emails are left to a sender with a
// mail server.
func TestTextMessagesThroughGateway(t *testing.T) {
	for _, target := range testutil.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			ctx := context.Background()
			db := openDB(t, target.DSN)
			g := startGateway(t)
			enqueueText(t, db, "+447911123456", "Open https://clinic.example/board", "test:text-1")
			enqueueText(t, db, "+447911654321", "Open https://clinic.example/board", "test:text-2")
			enqueue(t, db, 1) // an email: this sender has no mail server

			s := outbox.NewSender(db, nil, texter(t, g), quiet())
			s.Backoff = time.Hour
			g.answer(http.StatusServiceUnavailable)
			if n, err := s.Drain(ctx); err != nil || n != 0 {
				t.Fatalf("drain against an unavailable gateway: sent %d, %v", n, err)
			}
			msgs, _ := db.OutboxMessages(ctx, "test:", 0)
			for _, m := range msgs {
				switch m.Kind {
				case store.OutboxText:
					if m.Status != store.OutboxPending || m.Attempts != 1 || !strings.Contains(m.LastError, "503") {
						t.Errorf("text after a 503: %+v", m)
					}
				case store.OutboxEmail:
					if m.Attempts != 0 {
						t.Errorf("the email was claimed by a sender without a mail server: %+v", m)
					}
				}
			}

			db.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
			g.answer(http.StatusOK)
			if n, err := s.Drain(ctx); err != nil || n != 2 {
				t.Fatalf("drain once the gateway is back: sent %d, %v", n, err)
			}
			got := g.messages()
			if len(got) != 2 {
				t.Fatalf("gateway received %d messages, want 2", len(got))
			}
			for _, m := range got {
				if m.Auth != "Bearer secret-token" || !strings.HasPrefix(m.To, "+44") || m.Body != "Open https://clinic.example/board" ||
					!strings.HasPrefix(m.Reference, "ketacare-outbox-") || m.Key != m.Reference {
					t.Errorf("as received: %+v", m)
				}
			}
			if got[0].Reference == got[1].Reference {
				t.Error("two messages share a reference")
			}

			// A refusal (400) is given up at once.
			enqueueText(t, db, "+447911000111", "Open https://clinic.example/board", "test:text-3")
			g.answer(http.StatusBadRequest)
			if n, _ := s.Drain(ctx); n != 0 {
				t.Fatalf("sent %d refused messages", n)
			}
			msgs, _ = db.OutboxMessages(ctx, "test:text-3", 0)
			if len(msgs) != 1 || msgs[0].Status != store.OutboxFailed || !strings.Contains(msgs[0].LastError, "400") {
				t.Fatalf("refused text: %+v", msgs)
			}
			// The email is still waiting for a sender that can mail it.
			msgs, _ = db.OutboxMessages(ctx, "test:0", 0)
			if len(msgs) != 1 || msgs[0].Status != store.OutboxPending {
				t.Fatalf("email: %+v", msgs)
			}
		})
	}
}

func TestParseSMSURL(t *testing.T) {
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"https://sms.example/send", true},
		{"http://127.0.0.1:9000/send", true},
		{"http://localhost:9000/send", true},
		{"http://sms.example/send", false}, // the token would travel in clear
		{"ftp://sms.example/", false},
		{"https:///send", false},
		{"::", false},
	} {
		if _, err := outbox.ParseSMSURL(c.url, "t"); (err == nil) != c.ok {
			t.Errorf("ParseSMSURL(%q): %v, want ok %v", c.url, err, c.ok)
		}
	}
}
