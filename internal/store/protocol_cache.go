package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// CurrentProtocolNumber returns the number of the latest protocol version
// cheaply, without reading its document: versions never change once
// stored, so callers cache each decoded version by its number. A
// group-commit batch, being one transaction, reads it once.
func (tx *Tx) CurrentProtocolNumber(ctx context.Context) (int, error) {
	if tx.batch != nil && tx.batch.protocol != 0 {
		return tx.batch.protocol, nil
	}
	var v sql.NullInt64
	if err := tx.queryRow(ctx, "SELECT MAX(version) FROM protocol_versions").Scan(&v); err != nil {
		return 0, err
	}
	if !v.Valid {
		return 0, fmt.Errorf("no protocol version stored")
	}
	if tx.batch != nil {
		tx.batch.protocol = int(v.Int64)
	}
	return int(v.Int64), nil
}

// ProtocolByVersion returns one protocol version.
func (tx *Tx) ProtocolByVersion(ctx context.Context, version int) (ProtocolVersion, error) {
	v, err := scanProtocol(tx.queryRow(ctx, protocolQuery+" WHERE p.version = ?", version))
	if errors.Is(err, sql.ErrNoRows) {
		return v, notFound(fmt.Sprintf("Protocol version %d", version))
	}
	return v, err
}
