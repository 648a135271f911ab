package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/ketacare/ketacare"
)

// StoredResponse is the first response to a request made with an
// Idempotency-Key, replayed to every retry.
type StoredResponse struct {
	Status      int
	ContentType string
	Location    string
	Body        string
}

// Replayed is the error a write transaction returns when its request's
// Idempotency-Key was used before with the same request: the request must
// not run again, and Response is what the first one answered.
type Replayed struct{ Response StoredResponse }

func (*Replayed) Error() string { return "this request was made before with the same Idempotency-Key" }

// IdempotencyKeep is how long a key and its response are kept: a client
// retries within minutes, and a response holds patient data that the key
// table should not keep for longer than that needs.
const IdempotencyKeep = 24 * time.Hour

// lostAfter is how long a key may stay claimed without a response before a
// retry is told that the first request's answer was lost (the service
// stopped between committing the work and recording its answer) rather
// than that it is still running.
const lostAfter = 10 * time.Minute

// Claim is an Idempotency-Key carried by a request's context (see
// WithIdempotencyKey). The request's first write transaction claims the key
// within itself; for the create handlers that transaction is the work (an
// audited read before it runs under WithoutIdempotencyKey), so the key and
// the work it guards are committed together and a retry finds either both
// or neither.
// When the key was used before, that transaction, and every later one of
// the request, fails without running: with *Replayed for the same request,
// EUNPROCESSABLE for another one, ECONFLICT while the first is running.
type Claim struct {
	userID    int64
	key, hash string

	mu      sync.Mutex
	taken   bool  // the key's row is committed by one of the request's transactions
	refusal error // the key was found used: every write transaction fails with this
}

type claimKey struct{}

// WithIdempotencyKey returns a context whose write transactions (Update and
// UpdateGrouped) claim key for the user, with the request's hash.
func WithIdempotencyKey(ctx context.Context, userID int64, key, requestHash string) (context.Context, *Claim) {
	c := &Claim{userID: userID, key: key, hash: requestHash}
	return context.WithValue(ctx, claimKey{}, c), c
}

// WithoutIdempotencyKey returns ctx without its request's key, for an
// audited read that a create handler makes before its work: the key is
// claimed with the work, not with the read.
func WithoutIdempotencyKey(ctx context.Context) context.Context {
	if claimFrom(ctx) == nil {
		return ctx
	}
	return context.WithValue(ctx, claimKey{}, (*Claim)(nil))
}

func claimFrom(ctx context.Context) *Claim {
	c, _ := ctx.Value(claimKey{}).(*Claim)
	return c
}

// Taken reports whether a committed transaction of the request holds the
// key.
func (c *Claim) Taken() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.taken
}

// guard wraps a write transaction's function so that it claims the key
// first, unless an earlier transaction of the request did. The claim runs
// again whenever fn does (a group-commit batch may run twice), and takes
// effect only through settle, after the transaction's outcome is known.
func (c *Claim) guard(fn func(*Tx) error) (wrapped func(*Tx) error, settle func(error)) {
	c.mu.Lock()
	taken, refusal := c.taken, c.refusal
	c.mu.Unlock()
	if refusal != nil {
		return func(*Tx) error { return refusal }, noSettle
	}
	if taken {
		return fn, noSettle
	}
	var refused error // the claim's own refusal in the last run
	wrapped = func(tx *Tx) error {
		refused = nil
		if err := c.claimIn(tx); err != nil {
			refused = err
			return err
		}
		return fn(tx)
	}
	settle = func(err error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		switch {
		case err == nil:
			c.taken = true
		case refused != nil && errors.Is(err, refused):
			c.refusal = refused
		}
	}
	return wrapped, settle
}

// claimIn inserts the key as in progress (status 0) in tx, or, when it was
// used before, says what became of that use.
func (c *Claim) claimIn(tx *Tx) error {
	ctx := context.Background()
	res, err := tx.exec(ctx, "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, status, created_at) VALUES (?, ?, ?, 0, ?) ON CONFLICT (user_id, idem_key) DO NOTHING",
		c.userID, c.key, c.hash, tx.Now)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var hash string
	var createdAt time.Time
	var r StoredResponse
	err = tx.queryRow(ctx, "SELECT request_hash, status, content_type, location, body, created_at FROM idempotency_keys WHERE user_id = ? AND idem_key = ?", c.userID, c.key).
		Scan(&hash, &r.Status, &r.ContentType, &r.Location, &r.Body, &createdAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// Another request held the key and freed it after a failure.
		return inProgress()
	case err != nil:
		return err
	case hash != c.hash:
		return ketacare.Errorf(ketacare.EUNPROCESSABLE, "This Idempotency-Key was used with a different request.")
	case r.Status == 0 && tx.Now.Sub(createdAt) > lostAfter:
		return ketacare.Errorf(ketacare.ECONFLICT, "The first request with this Idempotency-Key may have been carried out, but its answer was not recorded. Check before sending it again with a new key.")
	case r.Status == 0:
		return inProgress()
	}
	return &Replayed{Response: r}
}

func inProgress() error {
	return ketacare.Errorf(ketacare.ECONFLICT, "A request with this Idempotency-Key is in progress; retry shortly.")
}

// FinishIdempotent records the response of a request made with claim: for
// a success, so that retries get it; for a failure, the key is freed so
// that the request can be retried. The channel gives the outcome. On SQLite
// the response need not wait for it: until it is committed, a retry with
// the same key waits for it before claiming (awaitAnswer). On PostgreSQL,
// where a retry may reach another process, it has committed when
// FinishIdempotent returns.
func (db *DB) FinishIdempotent(ctx context.Context, c *Claim, r StoredResponse) <-chan error {
	ctx = WithoutIdempotencyKey(ctx) // the record is not a transaction to claim the key in
	var fn func(tx *Tx) error
	switch taken := c.Taken(); {
	case taken && r.Status >= 300:
		fn = func(tx *Tx) error {
			_, err := tx.exec(ctx, "DELETE FROM idempotency_keys WHERE user_id = ? AND idem_key = ?", c.userID, c.key)
			return err
		}
	case taken:
		fn = func(tx *Tx) error {
			_, err := tx.exec(ctx, "UPDATE idempotency_keys SET status = ?, content_type = ?, location = ?, body = ? WHERE user_id = ? AND idem_key = ?",
				r.Status, r.ContentType, r.Location, r.Body, c.userID, c.key)
			return err
		}
	case r.Status < 300:
		// The request changed nothing in the database, so nothing claimed
		// the key; a request that did claim it meanwhile keeps it.
		fn = func(tx *Tx) error {
			_, err := tx.exec(ctx, `INSERT INTO idempotency_keys (user_id, idem_key, request_hash, status, content_type, location, body, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, idem_key) DO NOTHING`,
				c.userID, c.key, c.hash, r.Status, r.ContentType, r.Location, r.Body, tx.Now)
			return err
		}
	default:
		// A failure that claimed nothing: the key may be another request's.
		done := make(chan error, 1)
		done <- nil
		return done
	}
	if db.Dialect != SQLite {
		done := make(chan error, 1)
		done <- db.Update(ctx, fn)
		return done
	}
	k := answerKey{c.userID, c.key}
	recorded := make(chan struct{})
	db.answers.Store(k, recorded)
	return db.enqueueGrouped(ctx, fn, false, func(error) {
		db.answers.CompareAndDelete(k, recorded)
		close(recorded)
	})
}

type answerKey struct {
	userID int64
	key    string
}

// noSettle is the settle of a transaction that claims no key.
func noSettle(error) {}

// withKey prepares a write transaction's function for the Idempotency-Key
// that ctx carries, if any (Claim.guard), after waiting for the answer of
// an earlier request with the same key to be recorded. The caller runs the
// returned function and then calls settle with the outcome.
func (db *DB) withKey(ctx context.Context, fn func(*Tx) error) (wrapped func(*Tx) error, settle func(error), err error) {
	c := claimFrom(ctx)
	if c == nil {
		return fn, noSettle, nil
	}
	if err := db.awaitAnswer(ctx, c); err != nil {
		return nil, nil, err
	}
	wrapped, settle = c.guard(fn)
	return wrapped, settle, nil
}

// awaitAnswer waits, before a request claims its key, until the answer of
// an earlier request with the same key is recorded.
func (db *DB) awaitAnswer(ctx context.Context, c *Claim) error {
	v, ok := db.answers.Load(answerKey{c.userID, c.key})
	if !ok {
		return nil
	}
	select {
	case <-v.(chan struct{}):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// DeleteOldIdempotencyKeys forgets keys, and the responses kept for them,
// older than IdempotencyKeep.
func (db *DB) DeleteOldIdempotencyKeys(ctx context.Context) error {
	return db.Update(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, "DELETE FROM idempotency_keys WHERE created_at < ?", tx.Now.Add(-IdempotencyKeep))
		return err
	})
}
