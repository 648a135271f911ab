package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
)

// ProtocolVersion is one stored version of the clinical protocol.
type ProtocolVersion struct {
	Version   int               `json:"version"`
	Protocol  clinical.Protocol `json:"protocol"`
	Document  string            `json:"-"` // the JSON as stored
	Reason    string            `json:"reason"`
	CreatedBy int64             `json:"createdBy"`
	Author    string            `json:"author"`
	CreatedAt time.Time         `json:"createdAt"`
}

// EnsureProtocol stores the shipped defaults as version 1 when no version
// exists yet.
func (db *DB) EnsureProtocol(ctx context.Context) error {
	return db.Update(ctx, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM protocol_versions").Scan(&n); err != nil || n > 0 {
			return err
		}
		_, err := tx.saveProtocol(ctx, ketacare.Actor{Email: "system"}, clinical.Default(), "Shipped defaults of the clinical protocol reference.")
		return err
	})
}

// SaveProtocol stores p as the next version, with who (the actor), when and
// why. A protocol that fails validation or a change without a reason is
// refused, and nothing is stored.
func (db *DB) SaveProtocol(ctx context.Context, a ketacare.Actor, p clinical.Protocol, reason string) (ProtocolVersion, error) {
	var v ProtocolVersion
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		v, err = tx.saveProtocol(ctx, a, p, reason)
		return err
	})
	return v, err
}

func (tx *Tx) saveProtocol(ctx context.Context, a ketacare.Actor, p clinical.Protocol, reason string) (ProtocolVersion, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return ProtocolVersion{}, &ketacare.Error{Code: ketacare.EINVALID, Message: "Say why the protocol changes.",
			Fields: map[string]string{"reason": "Say why the protocol changes."}}
	}
	if err := p.Validate(); err != nil {
		return ProtocolVersion{}, ketacare.Errorf(ketacare.EINVALID, "The protocol is not consistent: %v", err)
	}
	doc, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return ProtocolVersion{}, err
	}
	if tx.dialect == Postgres {
		if _, err := tx.exec(ctx, "LOCK TABLE protocol_versions IN EXCLUSIVE MODE"); err != nil {
			return ProtocolVersion{}, err
		}
	}
	var last int
	if err := tx.queryRow(ctx, "SELECT COALESCE(MAX(version), 0) FROM protocol_versions").Scan(&last); err != nil {
		return ProtocolVersion{}, err
	}
	v := ProtocolVersion{Version: last + 1, Protocol: p, Document: string(doc), Reason: reason, CreatedBy: a.UserID, Author: a.Email, CreatedAt: tx.Now}
	if _, err := tx.exec(ctx, "INSERT INTO protocol_versions (version, document, reason, author, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
		v.Version, v.Document, v.Reason, v.Author, v.CreatedBy, v.CreatedAt); err != nil {
		return v, err
	}
	if tx.batch != nil {
		tx.batch.protocol = v.Version
	}
	return v, tx.Audit(ctx, Event{Actor: a, Action: "protocol.save", Detail: fmt.Sprintf("version %d", v.Version)})
}

const protocolQuery = `SELECT p.version, p.document, p.reason, p.created_by, p.author, p.created_at FROM protocol_versions p`

func scanProtocol(s interface{ Scan(...any) error }) (ProtocolVersion, error) {
	var v ProtocolVersion
	if err := s.Scan(&v.Version, &v.Document, &v.Reason, &v.CreatedBy, &v.Author, &v.CreatedAt); err != nil {
		return v, err
	}
	v.CreatedAt = v.CreatedAt.UTC()
	if err := json.Unmarshal([]byte(v.Document), &v.Protocol); err != nil {
		return v, fmt.Errorf("protocol version %d: %w", v.Version, err)
	}
	v.Protocol.Reports = v.Protocol.Reports.WithDefaults() // versions saved before these settings existed
	v.Protocol.Monitoring = v.Protocol.Monitoring.WithDefaults()
	return v, nil
}

// CurrentProtocol returns the latest protocol version.
func (tx *Tx) CurrentProtocol(ctx context.Context) (ProtocolVersion, error) {
	v, err := scanProtocol(tx.queryRow(ctx, protocolQuery+" ORDER BY p.version DESC LIMIT 1"))
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("no protocol version stored")
	}
	return v, err
}

// CurrentProtocol returns the latest protocol version.
func (db *DB) CurrentProtocol(ctx context.Context) (ProtocolVersion, error) {
	var v ProtocolVersion
	err := db.View(ctx, func(tx *Tx) error {
		var err error
		v, err = tx.CurrentProtocol(ctx)
		return err
	})
	return v, err
}

// ProtocolVersionByNumber returns one version.
func (db *DB) ProtocolVersionByNumber(ctx context.Context, version int) (ProtocolVersion, error) {
	var v ProtocolVersion
	err := db.View(ctx, func(tx *Tx) error {
		var err error
		v, err = scanProtocol(tx.queryRow(ctx, protocolQuery+" WHERE p.version = ?", version))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(fmt.Sprintf("Protocol version %d", version))
		}
		return err
	})
	return v, err
}

// ProtocolHistory lists every version, newest first.
func (db *DB) ProtocolHistory(ctx context.Context) ([]ProtocolVersion, error) {
	var out []ProtocolVersion
	err := db.View(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, protocolQuery+" ORDER BY p.version DESC")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			v, err := scanProtocol(rows)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		return rows.Err()
	})
	return out, err
}
