package demo

import (
	"context"

	"github.com/ketacare/ketacare/internal/store"
)

// loadFollowup adds the demo's followup data for the demo patients.
func loadFollowup(ctx context.Context, db *store.DB, patientIDs []int64) error {
	return nil
}
