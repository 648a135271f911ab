package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
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
//
// A token found live is remembered for at most TokenCacheTTL, so that a
// client sending many requests is not looked up on each. Revoking a token,
// and disabling, enabling or changing the password of an account, through
// any DB handle of this process forgets every remembered token at once; a
// change made by another process (the command line run separately, another
// server on PostgreSQL) takes effect within TokenCacheTTL.
func (db *DB) TokenUser(ctx context.Context, hash string) (ketacare.User, error) {
	c := db.tokens()
	if u, ok := c.get(db, hash); ok {
		return u, nil
	}
	gen := c.gen.Load()
	u, err := db.lookupTokenUser(ctx, hash)
	if err == nil {
		c.put(db, hash, u, gen)
	}
	return u, err
}

func (db *DB) lookupTokenUser(ctx context.Context, hash string) (ketacare.User, error) {
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

// RevokeToken revokes a token; it stops working at once in this process
// and, on PostgreSQL, in every process that watches AuthTransport (within
// TokenCacheTTL in one that does not).
func (db *DB) RevokeToken(ctx context.Context, a ketacare.Actor, id int64) error {
	defer db.authChanged(ctx)
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

// TokenCacheTTL is how long TokenUser remembers a live token.
const TokenCacheTTL = 2 * time.Second

// maxCachedTokens bounds the token cache; when full it is emptied.
const maxCachedTokens = 4096

// tokenCache remembers the users of live tokens for TokenCacheTTL. gen
// moves on each change to tokens or accounts: an entry, or a lookup that
// began, under an older generation is not used.
type tokenCache struct {
	gen atomic.Int64
	mu  sync.Mutex
	m   map[string]cachedToken
}

type cachedToken struct {
	db      *DB // the handle that looked it up: handles may be on different databases
	user    ketacare.User
	gen     int64
	expires time.Time
}

// tokenCacheProcess is the one token cache of this process, shared by
// every DB handle, so that a change made through any handle (the server's,
// or a command run in the same process) is seen by all at once.
var tokenCacheProcess = &tokenCache{m: map[string]cachedToken{}}

func (db *DB) tokens() *tokenCache { return tokenCacheProcess }

func (c *tokenCache) get(db *DB, hash string) (ketacare.User, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[hash]
	if !ok || e.db != db || e.gen != c.gen.Load() || !time.Now().Before(e.expires) {
		return ketacare.User{}, false
	}
	u := e.user
	u.ClinicIDs = slices.Clone(u.ClinicIDs)
	return u, true
}

func (c *tokenCache) put(db *DB, hash string, u ketacare.User, gen int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen.Load() {
		return // tokens or accounts changed during the lookup
	}
	if len(c.m) >= maxCachedTokens {
		clear(c.m)
	}
	u.ClinicIDs = slices.Clone(u.ClinicIDs)
	c.m[hash] = cachedToken{db: db, user: u, gen: gen, expires: time.Now().Add(TokenCacheTTL)}
}

// ForgetTokens drops the tokens this process remembers: another process
// changed tokens or accounts (see AuthTransport).
func (db *DB) ForgetTokens() { db.tokens().forget() }

// authChanged follows a change to tokens or accounts (committed or not):
// this process forgets the tokens it remembers and, on PostgreSQL, tells
// the others to. The telling is best effort: a process that misses it
// still forgets within TokenCacheTTL.
func (db *DB) authChanged(ctx context.Context) {
	db.tokens().forget()
	if db.Dialect != Postgres {
		return
	}
	t, err := db.authChannel(context.WithoutCancel(ctx))
	if err == nil {
		_ = t.Send(context.WithoutCancel(ctx), []byte("changed"))
	}
}

// forget drops every remembered token; called after a change to tokens or
// accounts has committed (or failed).
func (c *tokenCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	clear(c.m)
}
