package store

import "context"

// ExecForTest runs a statement inside the transaction (tests only).
func (tx *Tx) ExecForTest(ctx context.Context, q string, args ...any) error {
	_, err := tx.exec(ctx, q, args...)
	return err
}
