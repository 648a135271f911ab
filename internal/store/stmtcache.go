package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps prepared statements by query text for one pool, so that
// SQLite parses each of the product's queries once rather than on every
// transaction (parsing is a large part of a small transaction's cost).
// PostgreSQL needs none: pgx caches statements per connection itself.
type stmtCache struct {
	pool *sql.DB
	mu   sync.Mutex
	m    map[string]*sql.Stmt
	bad  map[string]bool // being prepared, or failed to prepare
}

// maxCachedStatements bounds the cache: queries built with values in their
// text (rare) would otherwise grow it.
const maxCachedStatements = 512

var stmtCaches sync.Map // *sql.DB -> *stmtCache

// stmtCache returns the statement cache of a SQLite pool, or nil.
func (db *DB) stmtCache(pool *sql.DB) *stmtCache {
	if db.Dialect != SQLite {
		return nil
	}
	if c, ok := stmtCaches.Load(pool); ok {
		return c.(*stmtCache)
	}
	c, _ := stmtCaches.LoadOrStore(pool, &stmtCache{pool: pool, m: map[string]*sql.Stmt{}, bad: map[string]bool{}})
	return c.(*stmtCache)
}

// stmt returns the transaction's use of the cached statement for q, or nil
// when q is not cached (the caller then runs q directly). A group-commit
// batch, one transaction, binds each statement to it once.
func (tx *Tx) stmt(ctx context.Context, q string) *sql.Stmt {
	c := tx.stmts
	if c == nil {
		return nil
	}
	if b := tx.batch; b != nil {
		if st := b.stmts[q]; st != nil {
			return st
		}
	}
	c.mu.Lock()
	st := c.m[q]
	if st == nil && !c.bad[q] && len(c.m)+len(c.bad) < maxCachedStatements {
		// Prepared in the background, on the pool: the transaction holds
		// the only writer connection, so preparing here would wait for
		// it. This transaction runs q directly; later ones reuse it.
		c.bad[q] = true
		go func() {
			prepared, err := c.pool.PrepareContext(context.Background(), q)
			if err != nil {
				return // stays marked: never retried
			}
			c.mu.Lock()
			c.m[q] = prepared
			delete(c.bad, q)
			c.mu.Unlock()
		}()
	}
	c.mu.Unlock()
	if st == nil {
		return nil
	}
	bound := tx.tx.StmtContext(ctx, st)
	if b := tx.batch; b != nil {
		if b.stmts == nil {
			b.stmts = map[string]*sql.Stmt{}
		}
		b.stmts[q] = bound
	}
	return bound
}
