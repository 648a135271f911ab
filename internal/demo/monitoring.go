package demo

import (
	"context"

	"github.com/ketacare/ketacare/internal/store"
)

// loadMonitoring adds the demo's monitoring data for the demo patients.
func loadMonitoring(ctx context.Context, db *store.DB, patientIDs []int64) error {
	return nil
}
