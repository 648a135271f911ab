package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
)

// Backup writes a consistent copy of a live SQLite database to path (which
// must not exist). For PostgreSQL it returns an error saying to use
// pg_dump.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.Dialect != SQLite {
		return fmt.Errorf("backup of PostgreSQL: use pg_dump (for example: pg_dump --format=custom --file=ketacare.dump DSN)")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s exists: choose a new file", path)
	}
	// VACUUM INTO reads one snapshot of the database (a read transaction in
	// WAL mode) while the writer goes on. It runs on a connection of its
	// own: the read pool is query-only, and the writer must stay free.
	conn, err := sql.Open("sqlite", "file:"+db.path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}
