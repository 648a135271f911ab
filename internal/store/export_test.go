package store

import (
	"context"
	"strings"
)

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

// The queries that read through the indexes keyed by block (tests only).
var (
	SessionObservationsQuery = sessionObservationsQuery
	PatientObservationsQuery = patientObservationsQuery
	SessionAlertsQuery       = sessionAlertsQuery
	OutstandingAlertsQuery   = outstandingAlertsQuery
	AnxietyAlertsQuery       = anxietyAlertsQuery
)

// AnxietyAlertsArgsForTest are AnxietyAlertsQuery's arguments (tests only).
func AnxietyAlertsArgsForTest(sessionID int64) []any { return anxietyAlertsArgs(sessionID) }

// WarningFiredForTest reports whether an anxiety alert fired in the session
// (tests only).
func (tx *Tx) WarningFiredForTest(ctx context.Context, sessionID int64) (bool, error) {
	return tx.followupWarningFired(ctx, sessionID)
}

// AuditQueryForTest is the query ListAudit runs for f (tests only).
func AuditQueryForTest(f AuditFilter) (string, []any) { return auditQuery(f) }

// SQLitePlanForTest returns SQLite's plan for a query, a step a line
// (tests only).
func (db *DB) SQLitePlanForTest(ctx context.Context, q string, args ...any) (string, error) {
	rows, err := db.read.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return "", err
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "\n"), rows.Err()
}

// MigrateToForTest applies the migrations up to version, leaving the schema
// as an older ketacare left it (tests only).
func (db *DB) MigrateToForTest(ctx context.Context, version int) error {
	_, err := db.migrate(ctx, version)
	return err
}
