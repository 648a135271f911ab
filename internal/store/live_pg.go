package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
)

// LiveTransport relays live events between ketacare processes that share
// one PostgreSQL database, through LISTEN/NOTIFY on a channel named after
// the database schema (so several schemas on one server stay apart).
type LiveTransport struct {
	db      *DB
	channel string
}

// maxNotifyPayload is PostgreSQL's limit on a NOTIFY payload, less a margin.
const maxNotifyPayload = 7900

// LiveTransport returns the transport for live events between processes,
// or nil on SQLite, where only one process uses the database.
func (db *DB) LiveTransport(ctx context.Context) (*LiveTransport, error) {
	return db.notifyTransport(ctx, "ketacare_live_")
}

// AuthTransport returns the channel on which processes sharing a
// PostgreSQL database tell each other that tokens or accounts changed (see
// ForgetTokens), or nil on SQLite.
func (db *DB) AuthTransport(ctx context.Context) (*LiveTransport, error) {
	return db.notifyTransport(ctx, "ketacare_auth_")
}

// authChannel is AuthTransport, found once: the schema does not change
// under an open handle.
func (db *DB) authChannel(ctx context.Context) (*LiveTransport, error) {
	db.authMu.Lock()
	defer db.authMu.Unlock()
	if db.auth == nil {
		t, err := db.AuthTransport(ctx)
		if err != nil {
			return nil, err
		}
		db.auth = t
	}
	return db.auth, nil
}

// notifyTransport is a NOTIFY channel named prefix + the schema.
func (db *DB) notifyTransport(ctx context.Context, prefix string) (*LiveTransport, error) {
	if db.Dialect != Postgres {
		return nil, nil
	}
	var schema string
	if err := db.read.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return nil, fmt.Errorf("notify channel: %w", err)
	}
	ch := prefix + strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			return r
		}
		return '_'
	}, strings.ToLower(schema))
	if len(ch) > 63 {
		ch = ch[:63]
	}
	return &LiveTransport{db: db, channel: ch}, nil
}

// Channel is the NOTIFY channel's name.
func (t *LiveTransport) Channel() string { return t.channel }

// Send notifies every listening process (this one included).
func (t *LiveTransport) Send(ctx context.Context, payload []byte) error {
	if len(payload) > maxNotifyPayload {
		return fmt.Errorf("live event of %d bytes is over the NOTIFY limit", len(payload))
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := t.db.write.ExecContext(ctx, "SELECT pg_notify($1, $2)", t.channel, string(payload))
	return err
}

// Listen holds one connection of the pool listening on the channel and
// calls deliver with each payload until ctx ends or the connection fails.
// The connection is closed afterwards rather than returned to the pool.
func (t *LiveTransport) Listen(ctx context.Context, deliver func(payload []byte)) error {
	conn, err := t.db.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var listenErr error
	err = conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			listenErr = errors.New("live transport: not a pgx connection")
			return driver.ErrBadConn
		}
		pc := sc.Conn()
		if _, err := pc.Exec(ctx, `LISTEN "`+t.channel+`"`); err != nil {
			listenErr = err
			return driver.ErrBadConn
		}
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				listenErr = err
				return driver.ErrBadConn // never reuse a connection that was listening
			}
			deliver([]byte(n.Payload))
		}
	})
	if listenErr != nil {
		return listenErr
	}
	return err
}
