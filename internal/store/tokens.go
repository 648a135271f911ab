package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/ketacare/ketacare"
)

// APIToken is a bearer token's record; the token itself is never stored,
// only its hash.
type APIToken struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"userId"`
	Email      string     `json:"email"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
}

// CreateToken stores a token hash for a user.
func (db *DB) CreateToken(ctx context.Context, a ketacare.Actor, userID int64, name, hash string) (APIToken, error) {
	t := APIToken{UserID: userID, Name: name}
	err := db.Update(ctx, func(tx *Tx) error {
		id, err := tx.insert(ctx, "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?)", userID, name, hash, tx.Now)
		if err != nil {
			return err
		}
		t.ID, t.CreatedAt = id, tx.Now
		return tx.Audit(ctx, Event{Actor: a, Action: "token.create", Detail: "token " + itoa(id) + " for user " + itoa(userID)})
	})
	return t, err
}

// TokenUser returns the enabled user a live token acts as.
func (db *DB) TokenUser(ctx context.Context, hash string) (ketacare.User, error) {
	var u ketacare.User
	var id int64
	var lastUsed sql.NullTime
	err := db.View(ctx, func(tx *Tx) error {
		var userID int64
		err := tx.queryRow(ctx, "SELECT id, user_id, last_used_at FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL", hash).Scan(&id, &userID, &lastUsed)
		if errors.Is(err, sql.ErrNoRows) {
			return ketacare.Errorf(ketacare.EUNAUTHORIZED, "The bearer token is not valid.")
		}
		if err != nil {
			return err
		}
		u, _, err = tx.scanUser(ctx, tx.queryRow(ctx, "SELECT "+userColumns+" FROM users WHERE id = ?", userID))
		return err
	})
	if err != nil {
		return u, err
	}
	if u.Disabled {
		return u, ketacare.Errorf(ketacare.EUNAUTHORIZED, "The account of this token is disabled.")
	}
	if !lastUsed.Valid || db.Now().Sub(lastUsed.Time) > time.Minute {
		err = db.Update(ctx, func(tx *Tx) error {
			_, err := tx.exec(ctx, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", tx.Now, id)
			return err
		})
	}
	return u, err
}

// Tokens lists tokens, of one user or (userID 0) of everyone.
func (db *DB) Tokens(ctx context.Context, userID int64) ([]APIToken, error) {
	var out []APIToken
	err := db.View(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, `SELECT t.id, t.user_id, u.email, t.name, t.created_at, t.last_used_at, t.revoked_at
			FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE ? = 0 OR t.user_id = ? ORDER BY t.id`, userID, userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t APIToken
			var used, revoked sql.NullTime
			if err := rows.Scan(&t.ID, &t.UserID, &t.Email, &t.Name, &t.CreatedAt, &used, &revoked); err != nil {
				return err
			}
			if used.Valid {
				t.LastUsedAt = &used.Time
			}
			if revoked.Valid {
				t.RevokedAt = &revoked.Time
			}
			out = append(out, t)
		}
		return rows.Err()
	})
	return out, err
}

// RevokeToken revokes a token; it stops working at once.
func (db *DB) RevokeToken(ctx context.Context, a ketacare.Actor, id int64) error {
	return db.Update(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", tx.Now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("Live token")
		}
		return tx.Audit(ctx, Event{Actor: a, Action: "token.revoke", Detail: "token " + itoa(id)})
	})
}
