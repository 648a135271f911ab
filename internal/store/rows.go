package store

import "context"

// scanner is a single row, or the current row of a result set.
type scanner = interface{ Scan(...any) error }

// queryList runs a query and returns every row read by scan.
func queryList[T any](ctx context.Context, tx *Tx, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// queryIDs runs a query whose rows are a single id each.
func (tx *Tx) queryIDs(ctx context.Context, q string, args ...any) ([]int64, error) {
	return queryList(ctx, tx, func(r scanner) (id int64, err error) { return id, r.Scan(&id) }, q, args...)
}
