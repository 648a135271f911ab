package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/ketacare/ketacare"
)

// AuthSession is a signed-in browser session. The id itself is never
// stored, only its hash.
type AuthSession struct {
	IDHash     string
	UserID     int64
	CSRFToken  string
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// CreateSession stores a new session for a user.
func (db *DB) CreateSession(ctx context.Context, s AuthSession) error {
	return db.Update(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, "INSERT INTO auth_sessions (id_hash, user_id, csrf_token, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)",
			s.IDHash, s.UserID, s.CSRFToken, tx.Now, tx.Now)
		return err
	})
}

// SessionUser returns the session and its user when the session is live:
// not idle longer than idle, not older than max, and the account enabled.
// A dead session is deleted. It refreshes the idle clock at most once a
// minute, to keep reads cheap.
func (db *DB) SessionUser(ctx context.Context, idHash string, idle, max time.Duration) (AuthSession, ketacare.User, error) {
	var s AuthSession
	var u ketacare.User
	now := db.Now()
	err := db.View(ctx, func(tx *Tx) error {
		err := tx.queryRow(ctx, "SELECT id_hash, user_id, csrf_token, created_at, last_seen_at FROM auth_sessions WHERE id_hash = ?", idHash).
			Scan(&s.IDHash, &s.UserID, &s.CSRFToken, &s.CreatedAt, &s.LastSeenAt)
		if errors.Is(err, sql.ErrNoRows) {
			return ketacare.Errorf(ketacare.EUNAUTHORIZED, "Please sign in.")
		}
		if err != nil {
			return err
		}
		u, _, err = tx.scanUser(ctx, tx.queryRow(ctx, "SELECT "+userColumns+" FROM users WHERE id = ?", s.UserID))
		return err
	})
	if err != nil {
		return s, u, err
	}
	if u.Disabled || now.Sub(s.LastSeenAt) >= idle || now.Sub(s.CreatedAt) >= max {
		_ = db.DeleteSession(ctx, idHash)
		return s, u, ketacare.Errorf(ketacare.EUNAUTHORIZED, "Your session has ended. Please sign in again.")
	}
	if now.Sub(s.LastSeenAt) > time.Minute {
		err = db.Update(ctx, func(tx *Tx) error {
			_, err := tx.exec(ctx, "UPDATE auth_sessions SET last_seen_at = ? WHERE id_hash = ?", tx.Now, idHash)
			return err
		})
	}
	return s, u, err
}

// DeleteSession ends a session.
func (db *DB) DeleteSession(ctx context.Context, idHash string) error {
	return db.Update(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, "DELETE FROM auth_sessions WHERE id_hash = ?", idHash)
		return err
	})
}

// DeleteExpiredSessions removes sessions past either limit.
func (db *DB) DeleteExpiredSessions(ctx context.Context, idle, max time.Duration) error {
	return db.Update(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, "DELETE FROM auth_sessions WHERE last_seen_at < ? OR created_at < ?", tx.Now.Add(-idle), tx.Now.Add(-max))
		return err
	})
}
