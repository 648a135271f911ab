// Package jsonappend appends JSON values to a byte slice, byte for byte as
// encoding/json.Marshal writes them (with its HTML escaping), for the few
// hot paths where encoding/json's reflection costs more than the work
// around it: the answer to an observation, and the audit entry's hash.
package jsonappend

import (
	"encoding/json"
	"time"
	"unicode/utf8"
)

// String appends s as a JSON string.
func String(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if !plain[c] {
				return Value(b, s)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || r == '\u2028' || r == '\u2029' {
			return Value(b, s)
		}
		i += size
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// plain marks the ASCII bytes encoding/json writes as they are.
var plain = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = false
	}
	return t
}()

// Time appends t as encoding/json writes a time.Time (RFC 3339 with
// nanoseconds, trailing zeros dropped).
func Time(b []byte, t time.Time) []byte {
	if y := t.Year(); y < 0 || y > 9999 {
		return Value(b, t) // encoding/json refuses it: "null", as Value does
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// Value appends v as encoding/json.Marshal writes it, or null when it
// cannot.
func Value(b []byte, v any) []byte {
	m, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, m...)
}
