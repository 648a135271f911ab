// Package store keeps ketacare's records in SQLite (embedded, one clinic) or
// PostgreSQL (a network of clinics, several server processes). Both speak
// the same hand-written, parameterised SQL, written with ? placeholders and
// rebound for PostgreSQL; each database has its own numbered migrations.
//
// Public methods open a transaction and call (tx, ...) helpers; the
// transaction carries the time, so tests control the clock. Every read or
// write of patient data appends an audit entry inside the same transaction:
// if the audit write fails, the whole change fails.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/ketacare/ketacare"
)

// Dialect names the database in use.
type Dialect string

// The supported databases.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DefaultDSN is where ketacare keeps its data when no --db is given.
const DefaultDSN = "sqlite:ketacare-data/ketacare.db"

// DB is an open database: for SQLite one writer connection and a pool of
// readers; for PostgreSQL one pool used for both.
type DB struct {
	Dialect Dialect
	write   *sql.DB
	read    *sql.DB
	path    string // SQLite file

	// answers holds the idempotent answers being recorded (SQLite), so
	// that a retry waits for its key's answer instead of finding the key
	// still in progress.
	answers sync.Map // answerKey -> chan struct{}, closed once recorded

	authMu sync.Mutex
	auth   *LiveTransport // PostgreSQL: the channel of account changes, once known

	// Now is the clock every transaction reads; tests replace it.
	Now func() time.Time
}

// Open opens the database named by dsn ("sqlite:PATH", a bare path, or
// "postgres://..."), without migrating it.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if dsn == "" {
		dsn = DefaultDSN
	}
	db := &DB{Now: time.Now}
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db.Dialect = Postgres
		pool, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("opening postgres: %w", err)
		}
		pool.SetMaxOpenConns(20)
		pool.SetMaxIdleConns(20)
		pool.SetConnMaxIdleTime(5 * time.Minute)
		db.write, db.read = pool, pool
	default:
		db.Dialect = SQLite
		db.path = strings.TrimPrefix(dsn, "sqlite:")
		if dir := filepath.Dir(db.path); dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("creating data folder: %w", err)
			}
		}
		// WAL with synchronous=FULL: an acknowledged commit survives a power cut.
		params := "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(ON)" +
			"&_pragma=busy_timeout(10000)&_time_format=sqlite"
		// The writer's page cache holds the index pages that a busy clinic's
		// inserts touch (one leaf per patient and per session in the audit
		// and observation indexes): 8 MiB against SQLite's default 2 MiB,
		// which made it read them back again and again. Readers keep the
		// default. The writer copies the log back into the database (a
		// checkpoint, in the commit that crosses the limit) once the log
		// holds 10,000 pages (40 MB) instead of SQLite's 1,000: the index
		// leaves a busy clinic's commits touch are written back once per
		// checkpoint however often they changed, and a checkpoint every
		// few commits had held up the single writer.
		w, err := sql.Open("sqlite", "file:"+db.path+params+"&_txlock=immediate&_pragma=cache_size(-8192)&_pragma=wal_autocheckpoint(10000)")
		if err != nil {
			return nil, fmt.Errorf("opening sqlite: %w", err)
		}
		w.SetMaxOpenConns(1) // one writer: SQLite serialises writes anyway
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		r, err := sql.Open("sqlite", "file:"+db.path+params+"&_pragma=query_only(ON)")
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("opening sqlite: %w", err)
		}
		r.SetMaxOpenConns(8)
		r.SetMaxIdleConns(8)
		db.write, db.read = w, r
	}
	if err := db.write.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to the database: %w", err)
	}
	return db, nil
}

// Close closes every connection.
func (db *DB) Close() error {
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }

// Path is the SQLite file, or "" for PostgreSQL.
func (db *DB) Path() string { return db.path }

// Tx is a transaction with the time it started.
type Tx struct {
	tx      *sql.Tx
	dialect Dialect
	stmts   *stmtCache  // prepared statements reused across transactions (SQLite)
	batch   *groupBatch // what a group-commit batch shares (SQLite), nil otherwise
	// Now is the transaction's clock reading, in UTC to the microsecond.
	Now time.Time
}

// Update runs fn in a read-write transaction and commits when fn returns nil.
// When ctx carries an Idempotency-Key (WithIdempotencyKey), the key is
// claimed in the same transaction, before fn.
func (db *DB) Update(ctx context.Context, fn func(*Tx) error) error {
	fn, settle, err := db.withKey(ctx, fn)
	if err != nil {
		return err
	}
	err = db.run(ctx, db.write, false, fn)
	settle(err)
	return err
}

// View runs fn in a read-only transaction. It must not be used for reads of
// patient data, which are audited and so write.
func (db *DB) View(ctx context.Context, fn func(*Tx) error) error {
	return db.run(ctx, db.read, true, fn)
}

func (db *DB) run(ctx context.Context, pool *sql.DB, readOnly bool, fn func(*Tx) error) error {
	opts := &sql.TxOptions{}
	if readOnly && db.Dialect == Postgres {
		opts.ReadOnly = true
	}
	stx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	tx := &Tx{tx: stx, dialect: db.Dialect, stmts: db.stmtCache(pool), Now: db.Now().UTC().Truncate(time.Microsecond)}
	if err := fn(tx); err != nil {
		_ = stx.Rollback()
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// rebind turns ? placeholders into $1, $2, ... for PostgreSQL.
func (tx *Tx) rebind(q string) string {
	if tx.dialect != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// statementContext is the context a statement runs under. In a
// group-commit batch it is never cancelled: the transaction is shared with
// other callers, so one caller leaving must not interrupt a statement (a
// caller whose context has ended before its turn is skipped instead); and
// the SQLite driver would watch a cancellable context with a goroutine per
// statement.
func (tx *Tx) statementContext(ctx context.Context) context.Context {
	if tx.batch != nil {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

func (tx *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx = tx.statementContext(ctx)
	if st := tx.stmt(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.tx.ExecContext(ctx, tx.rebind(q), args...)
}

func (tx *Tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx = tx.statementContext(ctx)
	if st := tx.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.tx.QueryContext(ctx, tx.rebind(q), args...)
}

func (tx *Tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	ctx = tx.statementContext(ctx)
	if st := tx.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.tx.QueryRowContext(ctx, tx.rebind(q), args...)
}

// insert runs an INSERT and returns the new row's id (RETURNING id on
// PostgreSQL).
func (tx *Tx) insert(ctx context.Context, q string, args ...any) (int64, error) {
	if tx.dialect == SQLite {
		// Every table inserted into this way has an INTEGER PRIMARY KEY id,
		// the row id; reading it back costs less than RETURNING's rows.
		res, err := tx.exec(ctx, q, args...)
		if err != nil {
			return 0, err
		}
		return res.LastInsertId()
	}
	var id int64
	if err := tx.queryRow(ctx, q+" RETURNING id", args...).Scan(&id); err != nil {
		return 0, err
	}
	return id, nil
}

// notFound is the error for a record that does not exist or that the actor
// may not see: the two are deliberately indistinguishable.
func notFound(what string) error {
	return ketacare.Errorf(ketacare.ENOTFOUND, "%s not found.", what)
}

// isUniqueViolation reports whether err is a unique-constraint failure.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}

// inClause returns "(?, ?, ?)" and the ids as arguments.
func inClause(ids []int64) (string, []any) {
	if len(ids) == 0 {
		return "(NULL)", nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")", args
}
