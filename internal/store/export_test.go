package store

import "context"

// ExecForTest runs a statement inside the transaction (tests only).
func (tx *Tx) ExecForTest(ctx context.Context, q string, args ...any) error {
	_, err := tx.exec(ctx, q, args...)
	return err
}

// PendingGroupedForTest returns how many grouped transactions wait for the
// next batch (tests only).
func (db *DB) PendingGroupedForTest() int {
	g := db.groupCommitter()
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.pending)
}

// WriterPragmaForTest reads a pragma on the writer connection (tests only).
func (db *DB) WriterPragmaForTest(ctx context.Context, name string) (string, error) {
	var v string
	err := db.write.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v)
	return v, err
}
