package store

import (
	"context"
	"strings"

	"github.com/ketacare/ketacare"
)

// DefaultClinicName is the clinic a fresh database starts with.
const DefaultClinicName = "Main clinic"

// EnsureDefaultClinic creates the default clinic when there is none and
// returns the id of the first clinic.
func (db *DB) EnsureDefaultClinic(ctx context.Context) (int64, error) {
	var id int64
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		id, err = tx.defaultClinic(ctx)
		if err == nil && id == 0 {
			id, err = tx.insert(ctx, "INSERT INTO clinics (name, created_at) VALUES (?, ?)", DefaultClinicName, tx.Now)
		}
		return err
	})
	return id, err
}

// defaultClinic returns the first clinic, or 0 when there is none.
func (tx *Tx) defaultClinic(ctx context.Context) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, "SELECT COALESCE(MIN(id), 0) FROM clinics").Scan(&id)
	return id, err
}

// CreateClinic adds a clinic.
func (db *DB) CreateClinic(ctx context.Context, a ketacare.Actor, name string) (ketacare.Clinic, error) {
	c := ketacare.Clinic{Name: strings.TrimSpace(name)}
	if c.Name == "" || len(c.Name) > 100 {
		return c, &ketacare.Error{Code: ketacare.EINVALID, Message: "Some fields need correcting.",
			Fields: map[string]string{"name": "Enter a clinic name of 100 characters or fewer."}}
	}
	err := db.Update(ctx, func(tx *Tx) error {
		id, err := tx.insert(ctx, "INSERT INTO clinics (name, created_at) VALUES (?, ?)", c.Name, tx.Now)
		if isUniqueViolation(err) {
			return &ketacare.Error{Code: ketacare.ECONFLICT, Message: "A clinic with this name exists.",
				Fields: map[string]string{"name": "A clinic with this name exists."}}
		}
		if err != nil {
			return err
		}
		c.ID, c.CreatedAt = id, tx.Now
		return tx.Audit(ctx, Event{Actor: a, Action: "clinic.create", ClinicID: id, Detail: c.Name})
	})
	return c, err
}

// Clinics lists every clinic by name.
func (db *DB) Clinics(ctx context.Context) ([]ketacare.Clinic, error) {
	var out []ketacare.Clinic
	err := db.View(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, "SELECT id, name, created_at FROM clinics ORDER BY name")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c ketacare.Clinic
			if err := rows.Scan(&c.ID, &c.Name, &c.CreatedAt); err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// ClinicByName finds a clinic by its exact name (or its id as text).
func (db *DB) ClinicByName(ctx context.Context, name string) (ketacare.Clinic, error) {
	cs, err := db.Clinics(ctx)
	if err != nil {
		return ketacare.Clinic{}, err
	}
	for _, c := range cs {
		if c.Name == name || itoa(c.ID) == name {
			return c, nil
		}
	}
	return ketacare.Clinic{}, notFound("Clinic " + name)
}
