package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// rateKeep is how long rate events are kept: longer than any limit's
// window.
const rateKeep = 24 * time.Hour

func rateKeyHash(key string) string {
	s := sha256.Sum256([]byte("rate:" + key))
	return hex.EncodeToString(s[:])
}

// RateCount counts the events recorded for key since the given time, in
// every process sharing the database.
func (db *DB) RateCount(ctx context.Context, key string, since time.Time) (int, error) {
	var n int
	err := db.View(ctx, func(tx *Tx) error {
		return tx.queryRow(ctx, "SELECT COUNT(*) FROM rate_events WHERE key_hash = ? AND at > ?", rateKeyHash(key), since.UTC()).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("counting rate events: %w", err)
	}
	return n, nil
}

// RateRecord records an event for key at the given time, and forgets the
// events older than a day.
func (db *DB) RateRecord(ctx context.Context, key string, at time.Time) error {
	err := db.Update(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "INSERT INTO rate_events (key_hash, at) VALUES (?, ?)", rateKeyHash(key), at.UTC()); err != nil {
			return err
		}
		_, err := tx.exec(ctx, "DELETE FROM rate_events WHERE at < ?", at.UTC().Add(-rateKeep))
		return err
	})
	if err != nil {
		return fmt.Errorf("recording a rate event: %w", err)
	}
	return nil
}

// RateReset forgets key's events (an account's failed sign-ins once it
// signs in).
func (db *DB) RateReset(ctx context.Context, key string) error {
	err := db.Update(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, "DELETE FROM rate_events WHERE key_hash = ?", rateKeyHash(key))
		return err
	})
	if err != nil {
		return fmt.Errorf("resetting rate events: %w", err)
	}
	return nil
}
