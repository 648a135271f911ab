// Package audit defines the audit trail's entry and its hash chain. Every
// read or write of patient data, every login, failed login, logout and
// denied request becomes an Entry, appended in the same transaction as the
// change. Each entry's hash covers the entry and the previous entry's hash,
// so removing, reordering or editing any entry breaks the chain from there
// on, and Verify names the first broken entry.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/ketacare/ketacare/internal/jsonappend"
)

// Outcomes of an audited action.
const (
	OutcomeSuccess = "success"
	OutcomeDenied  = "denied"
	OutcomeFailure = "failure"
)

// Entry is one audited action.
type Entry struct {
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`
	UserID     int64     `json:"userId"`
	Email      string    `json:"email"`
	Role       string    `json:"role"`
	ClinicID   int64     `json:"clinicId"`
	PatientID  int64     `json:"patientId"`
	Action     string    `json:"action"`  // e.g. "patient.read", "login.failed"
	Outcome    string    `json:"outcome"` // success, denied, failure
	ClientAddr string    `json:"clientAddr"`
	RequestID  string    `json:"requestId"`
	Detail     string    `json:"detail"` // never secrets; no more patient data than needed
	PrevHash   string    `json:"prevHash"`
	Hash       string    `json:"hash"`
}

// GenesisHash is the previous hash of the first entry.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// ComputeHash returns the hex SHA-256 of the previous hash and the entry's
// canonical encoding (every field but Hash, times in UTC to the
// microsecond).
//
// The encoding is the entry as encoding/json writes it with Hash empty,
// written here by hand because every observation adds an entry:
// TestHashEncodingIsJSON and FuzzHashEncodingIsJSON hold the two equal, as
// they must be for the entries already written.
func ComputeHash(e Entry) string {
	var buf [512]byte
	b := append(buf[:0], e.PrevHash...)
	b = append(b, '\n')
	b = appendCanonical(b, &e)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// appendCanonical appends e's canonical encoding.
func appendCanonical(b []byte, e *Entry) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, e.Seq, 10)
	b = append(b, `,"at":`...)
	b = jsonappend.Time(b, e.At.UTC().Truncate(time.Microsecond))
	b = append(b, `,"userId":`...)
	b = strconv.AppendInt(b, e.UserID, 10)
	b = append(b, `,"email":`...)
	b = jsonappend.String(b, e.Email)
	b = append(b, `,"role":`...)
	b = jsonappend.String(b, e.Role)
	b = append(b, `,"clinicId":`...)
	b = strconv.AppendInt(b, e.ClinicID, 10)
	b = append(b, `,"patientId":`...)
	b = strconv.AppendInt(b, e.PatientID, 10)
	b = append(b, `,"action":`...)
	b = jsonappend.String(b, e.Action)
	b = append(b, `,"outcome":`...)
	b = jsonappend.String(b, e.Outcome)
	b = append(b, `,"clientAddr":`...)
	b = jsonappend.String(b, e.ClientAddr)
	b = append(b, `,"requestId":`...)
	b = jsonappend.String(b, e.RequestID)
	b = append(b, `,"detail":`...)
	b = jsonappend.String(b, e.Detail)
	b = append(b, `,"prevHash":`...)
	b = jsonappend.String(b, e.PrevHash)
	return append(b, `,"hash":""}`...)
}

// Chain checks entries one by one, in sequence order.
type Chain struct {
	prev    string
	nextSeq int64
	n       int64
}

// NewChain starts a check at the first entry.
func NewChain() *Chain { return &Chain{prev: GenesisHash, nextSeq: 1} }

// Next checks the next entry and returns an error naming it when the chain
// is broken there.
func (c *Chain) Next(e Entry) error {
	switch {
	case e.Seq != c.nextSeq:
		return fmt.Errorf("entry %d: expected entry %d here (an entry is missing or out of order)", e.Seq, c.nextSeq)
	case e.PrevHash != c.prev:
		return fmt.Errorf("entry %d: previous hash does not match entry %d", e.Seq, e.Seq-1)
	case ComputeHash(e) != e.Hash:
		return fmt.Errorf("entry %d: hash does not match its contents (the entry was altered)", e.Seq)
	}
	c.prev = e.Hash
	c.nextSeq++
	c.n++
	return nil
}

// Checked is the number of entries found intact so far.
func (c *Chain) Checked() int64 { return c.n }
