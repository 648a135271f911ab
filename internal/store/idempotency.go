package store

import (
	"context"
	"database/sql"
	"errors"

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

// BeginIdempotent claims an idempotency key for a user. It returns the
// stored response when the key was used before with the same request, an
// EUNPROCESSABLE error when it was used with a different one, and an
// ECONFLICT error while the first request is still running. When it
// returns (nil, nil) the caller owns the key and must call
// FinishIdempotent.
//
// Both run as grouped transactions (UpdateGrouped): a client that sends a
// key with every observation would otherwise cost the single SQLite writer
// two disk flushes of its own per request.
func (db *DB) BeginIdempotent(ctx context.Context, userID int64, key, requestHash string) (*StoredResponse, error) {
	var stored *StoredResponse
	err := db.UpdateGrouped(ctx, func(tx *Tx) error {
		stored = nil
		var hash string
		var r StoredResponse
		err := tx.queryRow(ctx, "SELECT request_hash, status, content_type, location, body FROM idempotency_keys WHERE user_id = ? AND idem_key = ?", userID, key).
			Scan(&hash, &r.Status, &r.ContentType, &r.Location, &r.Body)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err := tx.exec(ctx, "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, status, created_at) VALUES (?, ?, ?, 0, ?)",
				userID, key, requestHash, tx.Now)
			if isUniqueViolation(err) {
				return ketacare.Errorf(ketacare.ECONFLICT, "A request with this Idempotency-Key is in progress; retry shortly.")
			}
			return err
		case err != nil:
			return err
		case hash != requestHash:
			return ketacare.Errorf(ketacare.EUNPROCESSABLE, "This Idempotency-Key was used with a different request.")
		case r.Status == 0:
			return ketacare.Errorf(ketacare.ECONFLICT, "A request with this Idempotency-Key is in progress; retry shortly.")
		}
		stored = &r
		return nil
	})
	return stored, err
}

// FinishIdempotent stores the response of a successful request, or frees
// the key when the request failed so that it can be retried.
func (db *DB) FinishIdempotent(ctx context.Context, userID int64, key string, r StoredResponse) error {
	return db.UpdateGrouped(ctx, func(tx *Tx) error {
		if r.Status >= 300 {
			_, err := tx.exec(ctx, "DELETE FROM idempotency_keys WHERE user_id = ? AND idem_key = ?", userID, key)
			return err
		}
		_, err := tx.exec(ctx, "UPDATE idempotency_keys SET status = ?, content_type = ?, location = ?, body = ? WHERE user_id = ? AND idem_key = ?",
			r.Status, r.ContentType, r.Location, r.Body, userID, key)
		return err
	})
}
