package store

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationFiles embed.FS

type migration struct {
	version  int
	name     string
	sql      string
	checksum string
}

func (db *DB) migrations() ([]migration, error) {
	dir := path.Join("migrations", string(db.Dialect))
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", e.Name())
		}
		b, err := fs.ReadFile(migrationFiles, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		out = append(out, migration{version: v, name: e.Name(), sql: string(b), checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected number %d", m.name, i+1)
		}
	}
	return out, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    checksum    TEXT NOT NULL,
    applied_at  TEXT NOT NULL
)`

// Migrate applies every migration not yet applied, each in its own
// transaction, then checks the schema. On PostgreSQL an advisory lock keeps
// several starting processes from applying the same migration twice.
func (db *DB) Migrate(ctx context.Context) (applied []string, err error) {
	if applied, err = db.migrate(ctx, math.MaxInt); err != nil {
		return applied, err
	}
	return applied, db.CheckSchema(ctx)
}

// migrate applies the migrations not yet applied up to version upTo.
func (db *DB) migrate(ctx context.Context, upTo int) (applied []string, err error) {
	ms, err := db.migrations()
	if err != nil {
		return nil, err
	}
	if _, err := db.write.ExecContext(ctx, createMigrationsTable); err != nil {
		return nil, fmt.Errorf("creating schema_migrations: %w", err)
	}
	for _, m := range ms {
		if m.version > upTo {
			break
		}
		var did bool
		err := db.Update(ctx, func(tx *Tx) error {
			if db.Dialect == Postgres {
				if _, err := tx.exec(ctx, "SELECT pg_advisory_xact_lock(7411001)"); err != nil {
					return err
				}
			}
			var n int
			if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = ?", m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			did = true
			_, err := tx.exec(ctx, "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
				m.version, m.name, m.checksum, tx.Now.Format(time.RFC3339))
			return err
		})
		if err != nil {
			return applied, err
		}
		if did {
			applied = append(applied, m.name)
		}
	}
	return applied, nil
}

// CheckSchema refuses a database whose schema this binary does not know
// exactly: a migration missing, altered since it was applied, or from a
// newer version of ketacare.
func (db *DB) CheckSchema(ctx context.Context) error {
	ms, err := db.migrations()
	if err != nil {
		return err
	}
	rows, err := db.read.QueryContext(ctx, "SELECT version, name, checksum FROM schema_migrations ORDER BY version")
	if err != nil {
		return fmt.Errorf("schema not initialised (run ketacare migrate): %w", err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var v int
		var name, sum string
		if err := rows.Scan(&v, &name, &sum); err != nil {
			return err
		}
		if v > len(ms) {
			return fmt.Errorf("database has migration %d (%s), unknown to this version of ketacare", v, name)
		}
		if ms[v-1].checksum != sum {
			return fmt.Errorf("migration %s in the database differs from this version's (checksum mismatch)", name)
		}
		if v != seen+1 {
			return fmt.Errorf("migration %d is missing: the schema is half-applied", seen+1)
		}
		seen = v
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if seen != len(ms) {
		return fmt.Errorf("schema has %d of %d migrations: run ketacare migrate", seen, len(ms))
	}
	return nil
}
