package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// groupCommit batches small write transactions on SQLite so that many of
// them share one commit (one fsync): with synchronous=FULL a commit costs a
// disk flush, and a busy clinic (or a load test) sends observations faster
// than one flush each allows.
type groupCommit struct {
	mu      sync.Mutex
	pending []*groupReq
	leading bool

	batches, requests atomic.Int64
	execNs, commitNs  atomic.Int64
}

// GroupCommitStats counts the work of UpdateGrouped on SQLite.
type GroupCommitStats struct {
	Batches  int64         // shared transactions committed
	Requests int64         // callers served
	Exec     time.Duration // time spent running the callers' functions
	Commit   time.Duration // time spent committing (the disk flush)
}

// GroupCommitStats returns the counters of UpdateGrouped.
func (db *DB) GroupCommitStats() GroupCommitStats {
	g := db.groupCommitter()
	return GroupCommitStats{Batches: g.batches.Load(), Requests: g.requests.Load(),
		Exec: time.Duration(g.execNs.Load()), Commit: time.Duration(g.commitNs.Load())}
}

type groupReq struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
}

// maxGroup bounds how many transactions share one commit, so one batch's
// latency stays short.
const maxGroup = 512

// UpdateGrouped runs fn in a read-write transaction like Update, and
// returns once that transaction is durably committed. On SQLite, calls made
// at the same time share one transaction and one commit: each fn runs in a
// savepoint of its own, so an fn that fails is rolled back alone and gets
// its own error while the others commit. Each fn sees its own clock
// reading in tx.Now. On PostgreSQL it is Update. On both, a panic in fn
// is returned as fn's error.
//
// fn must not have effects outside the database before it returns; effects
// that depend on the commit belong after UpdateGrouped returns nil.
func (db *DB) UpdateGrouped(ctx context.Context, fn func(*Tx) error) error {
	if db.Dialect != SQLite {
		return db.Update(ctx, func(tx *Tx) error { return runGrouped(fn, tx) })
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	g := db.groupCommitter()
	req := &groupReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	g.mu.Lock()
	g.pending = append(g.pending, req)
	lead := !g.leading
	if lead {
		g.leading = true
	}
	g.mu.Unlock()
	if lead {
		db.leadGroups(g)
	}
	return <-req.done
}

var groupCommitters sync.Map // *DB -> *groupCommit

func (db *DB) groupCommitter() *groupCommit {
	if g, ok := groupCommitters.Load(db); ok {
		return g.(*groupCommit)
	}
	g, _ := groupCommitters.LoadOrStore(db, &groupCommit{})
	return g.(*groupCommit)
}

// leadGroups commits one batch of pending transactions. When more arrived
// meanwhile, another goroutine leads the next batch, so the leader's own
// caller gets its answer without waiting for later batches.
func (db *DB) leadGroups(g *groupCommit) {
	g.mu.Lock()
	n := min(len(g.pending), maxGroup)
	batch := g.pending[:n:n]
	g.pending = g.pending[n:]
	g.mu.Unlock()

	db.commitGroup(g, batch)

	g.mu.Lock()
	if len(g.pending) == 0 {
		g.leading = false
		g.mu.Unlock()
		return
	}
	g.mu.Unlock()
	go db.leadGroups(g)
}

// commitGroup runs a batch in one transaction, each request in a
// savepoint, and answers every request after the commit.
func (db *DB) commitGroup(g *groupCommit, batch []*groupReq) {
	g.batches.Add(1)
	g.requests.Add(int64(len(batch)))
	t0 := time.Now()
	results := make([]error, len(batch))
	answer := func(commitErr error) {
		for i, r := range batch {
			if results[i] == nil {
				results[i] = commitErr
			}
			r.done <- results[i]
		}
	}
	stx, err := db.write.BeginTx(context.Background(), nil)
	if err != nil {
		answer(fmt.Errorf("beginning transaction: %w", err))
		return
	}
	ok := 0
	// The batch's callers share the prepared statements of the writer pool
	// and one audit chain head: read from audit_head at the batch's first
	// audit entry, moved in memory by each entry, and written back once
	// before the commit. A caller rolled back to its savepoint takes its
	// entries away, so the head goes back to where it was before that
	// caller: the chain stays linear, without a hole.
	stmts := db.stmtCache(db.write)
	head := &auditHead{}
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if _, err := stx.Exec("SAVEPOINT grouped"); err != nil {
			results[i] = fmt.Errorf("savepoint: %w", err)
			continue
		}
		before := *head
		tx := &Tx{tx: stx, dialect: db.Dialect, stmts: stmts, head: head, Now: db.Now().UTC().Truncate(time.Microsecond)}
		ferr := runGrouped(r.fn, tx)
		if ferr != nil {
			results[i] = ferr
			*head = before
			if _, err := stx.Exec("ROLLBACK TO grouped"); err != nil {
				// The transaction is in an unknown state: give up on the whole batch.
				_ = stx.Rollback()
				answer(fmt.Errorf("rolling back a savepoint: %w", err))
				return
			}
		} else {
			ok++
		}
		if _, err := stx.Exec("RELEASE grouped"); err != nil {
			_ = stx.Rollback()
			answer(fmt.Errorf("releasing a savepoint: %w", err))
			return
		}
	}
	if ok == 0 {
		_ = stx.Rollback()
		answer(nil)
		return
	}
	if head.moved {
		if _, err := stx.Exec("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", head.seq, head.hash); err != nil {
			_ = stx.Rollback()
			answer(fmt.Errorf("audit: moving chain head: %w", err))
			return
		}
	}
	t1 := time.Now()
	g.execNs.Add(int64(t1.Sub(t0)))
	defer func() { g.commitNs.Add(int64(time.Since(t1))) }()
	if err := stx.Commit(); err != nil {
		answer(fmt.Errorf("committing: %w", err))
		return
	}
	answer(nil)
}

// runGrouped runs one request's function, turning a panic into its error so
// that the other requests of the batch still get their answers.
func runGrouped(fn func(*Tx) error, tx *Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic in a grouped transaction: %v", v)
		}
	}()
	return fn(tx)
}
