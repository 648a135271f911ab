package outbox_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ketacare/ketacare/internal/outbox"
	"github.com/ketacare/ketacare/internal/outbox/smtptest"
	"github.com/ketacare/ketacare/internal/store"
	"github.com/ketacare/ketacare/internal/testutil"
)

func openDB(t *testing.T, dsn string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

func enqueue(t *testing.T, db *store.DB, n int) {
	t.Helper()
	err := db.Update(context.Background(), func(tx *store.Tx) error {
		for i := 0; i < n; i++ {
			if _, err := tx.EnqueueEmail(context.Background(), store.NewEmail{To: fmt.Sprintf("p%d@example.com", i),
				Subject: "Your check-in", Body: fmt.Sprintf("Open https://clinic.example/checkin/tok%d\n", i), Ref: fmt.Sprintf("test:%d", i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func mailer(t *testing.T, srv *smtptest.Server) *outbox.SMTP {
	t.Helper()
	m, err := outbox.ParseSMTPURL(srv.URL(), "clinic@ketacare.example")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDeliveryRetriesAndRestart(t *testing.T) {
	for _, target := range testutil.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			ctx := context.Background()
			db := openDB(t, target.DSN)
			srv := smtptest.Start(t)
			enqueue(t, db, 3)

			// A server answering 451 (try later) to everything: nothing is
			// sent, every message is retried later with backoff.
			srv.Fail(451, -1)
			s := outbox.NewSender(db, mailer(t, srv), nil, quiet())
			s.Backoff = time.Hour
			if n, err := s.Drain(ctx); err != nil || n != 0 {
				t.Fatalf("drain against a failing server: sent %d, %v", n, err)
			}
			msgs, _ := db.OutboxMessages(ctx, "test:", 0)
			for _, m := range msgs {
				if m.Status != store.OutboxPending || m.Attempts != 1 || !strings.Contains(m.LastError, "451") {
					t.Errorf("after a 451: %+v", m)
				}
				if d := time.Until(m.NextAttemptAt); d < 50*time.Minute || d > 61*time.Minute {
					t.Errorf("next attempt in %v, want the 1 h backoff", d)
				}
			}
			// Not due yet: a second pass sends nothing and counts no attempt.
			srv.Fail(0, 0)
			if n, _ := s.Drain(ctx); n != 0 {
				t.Fatalf("sent %d before the backoff ended", n)
			}

			// The process restarts: a new sender on a new connection finds
			// the queue as it was, once the backoff has run out.
			db.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
			db2 := openDB(t, target.DSN)
			db2.Now = db.Now
			srv.Fail(550, 1) // the first one is refused for good
			s2 := outbox.NewSender(db2, mailer(t, srv), nil, quiet())
			if n, err := s2.Drain(ctx); err != nil || n != 2 {
				t.Fatalf("drain after restart: sent %d, %v", n, err)
			}
			if got := len(srv.Messages()); got != 2 {
				t.Fatalf("server holds %d messages, want 2", got)
			}
			msgs, _ = db2.OutboxMessages(ctx, "test:", 0)
			var sent, failed int
			for _, m := range msgs {
				switch m.Status {
				case store.OutboxSent:
					sent++
					if m.Body != "" || m.SentAt == nil {
						t.Errorf("sent message keeps its body or lacks sent_at: %+v", m)
					}
				case store.OutboxFailed:
					failed++
					if !strings.Contains(m.LastError, "550") {
						t.Errorf("failed message error %q", m.LastError)
					}
				}
			}
			if sent != 2 || failed != 1 {
				t.Fatalf("sent %d failed %d, want 2 and 1", sent, failed)
			}
			// Sent once: further passes send nothing more.
			if n, _ := s2.Drain(ctx); n != 0 || len(srv.Messages()) != 2 {
				t.Fatalf("a later pass resent messages")
			}
			m := srv.Messages()[0]
			if m.Header("Subject") != "Your check-in" || !strings.Contains(m.Body(), "https://clinic.example/checkin/tok") {
				t.Errorf("message as received: subject %q body %q", m.Header("Subject"), m.Body())
			}
		})
	}
}

// A sender that dies after claiming (before sending) leaves its messages
// to another sender once the lease has run out.
func TestAbandonedClaimIsTakenOver(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, testutil.SQLiteDSN(t))
	enqueue(t, db, 2)
	claimed, err := db.ClaimOutbox(ctx, []string{store.OutboxEmail}, 10, time.Minute)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claim: %d %v", len(claimed), err)
	}
	srv := smtptest.Start(t)
	s := outbox.NewSender(db, mailer(t, srv), nil, quiet())
	if n, _ := s.Drain(ctx); n != 0 {
		t.Fatalf("sent %d messages still under another sender's lease", n)
	}
	db.Now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	if n, err := s.Drain(ctx); err != nil || n != 2 {
		t.Fatalf("after the lease: sent %d, %v", n, err)
	}
	// The first sender comes back and tries to mark: its claim is gone.
	if err := db.MarkOutboxSent(ctx, claimed[0].ID, claimed[0].ClaimToken); err == nil {
		t.Fatal("a lost claim could still mark the message")
	}
}

// Concurrent senders on PostgreSQL never deliver a message twice.
func TestConcurrentSendersSendOnce(t *testing.T) {
	for _, target := range testutil.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			ctx := context.Background()
			db := openDB(t, target.DSN)
			enqueue(t, db, 30)
			srv := smtptest.Start(t)
			done := make(chan int, 3)
			for i := 0; i < 3; i++ {
				go func() {
					s := outbox.NewSender(db, mailer(t, srv), nil, quiet())
					s.Batch = 2
					n, _ := s.Drain(ctx)
					done <- n
				}()
			}
			total := 0
			for i := 0; i < 3; i++ {
				total += <-done
			}
			if total != 30 || len(srv.Messages()) != 30 {
				t.Fatalf("sent %d, server got %d; want 30 each", total, len(srv.Messages()))
			}
			seen := map[string]bool{}
			for _, m := range srv.Messages() {
				if seen[m.To[0]] {
					t.Errorf("%s received twice", m.To[0])
				}
				seen[m.To[0]] = true
			}
		})
	}
}
