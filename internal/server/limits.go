package server

import (
	"context"
	"time"

	"github.com/ketacare/ketacare/internal/store"
)

// limit allows max events per key within a sliding window. The events are
// counted in the database, so a limit holds across every server process
// sharing it (several instances on PostgreSQL). Two processes counting at
// the same instant may each let one more attempt through: a limit is a
// brake, not an exact count.
type limit struct {
	db     *store.DB
	name   string // keeps the keys of different limits apart
	max    int
	window time.Duration
}

// allowed reports whether key may act at now.
func (l limit) allowed(ctx context.Context, key string, now time.Time) (bool, error) {
	n, err := l.db.RateCount(ctx, l.name+":"+key, now.Add(-l.window))
	return n < l.max, err
}

// record counts an event of key at now.
func (l limit) record(ctx context.Context, key string, now time.Time) error {
	return l.db.RateRecord(ctx, l.name+":"+key, now)
}

// reset forgets key's events.
func (l limit) reset(ctx context.Context, key string) error {
	return l.db.RateReset(ctx, l.name+":"+key)
}
