package hl7

import (
	"bytes"
	"encoding/hex"
	"strings"
)

// Delimiters are the encoding characters of a message, read from MSH-1
// (the field separator) and MSH-2 (the other four, and from HL7 v2.7 an
// optional fifth: the truncation character).
type Delimiters struct {
	Field        byte // MSH-1, usually '|'
	Component    byte // usually '^'
	Repetition   byte // usually '~'
	Escape       byte // usually '\'
	Subcomponent byte // usually '&'
	Truncation   byte // usually '#' when present; 0 when MSH-2 has four characters
}

// DefaultDelimiters returns the encoding characters HL7 recommends: |^~\&.
func DefaultDelimiters() Delimiters {
	return Delimiters{Field: '|', Component: '^', Repetition: '~', Escape: '\\', Subcomponent: '&'}
}

// encodingCharacters returns MSH-2.
func (d Delimiters) encodingCharacters() string {
	chars := []byte{d.Component, d.Repetition, d.Escape, d.Subcomponent}
	if d.Truncation != 0 {
		chars = append(chars, d.Truncation)
	}
	return string(chars)
}

// Message is a parsed HL7 v2 message: its delimiters and its segments in
// order. Values are stored unescaped; Encode escapes them again.
//
// Positions in the accessor methods are numbered from 1, as in HL7 notation:
// PID-3(2).4.1 is m.Segment("PID") then .Field(3).Repetition(2).Subcomponent(4, 1).
type Message struct {
	Delimiters Delimiters
	Segments   []Segment
}

// Segment is one segment: its three-character name and its fields.
// Fields[0] is field 1. In MSH, field 1 is the field separator and field 2
// the encoding characters, as the standard numbers them.
type Segment struct {
	Name   string
	Fields []Field
}

// Field is a field: one or more repetitions.
type Field []Repetition

// Repetition is one occurrence of a field: its components.
type Repetition []Component

// Component is a component: its subcomponents, unescaped.
type Component []string

// Segment returns the first segment with the given name.
func (m *Message) Segment(name string) (Segment, bool) {
	for _, s := range m.Segments {
		if s.Name == name {
			return s, true
		}
	}
	return Segment{}, false
}

// SegmentsNamed returns every segment with the given name, in order.
func (m *Message) SegmentsNamed(name string) []Segment {
	var out []Segment
	for _, s := range m.Segments {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// Field returns field n (from 1), or nil when the segment is shorter.
func (s Segment) Field(n int) Field {
	if n < 1 || n > len(s.Fields) {
		return nil
	}
	return s.Fields[n-1]
}

// Repetition returns repetition n (from 1), or nil when there is none.
func (f Field) Repetition(n int) Repetition {
	if n < 1 || n > len(f) {
		return nil
	}
	return f[n-1]
}

// Value returns the first subcomponent of the first component of the first
// repetition: the whole value of a simple field.
func (f Field) Value() string { return f.Repetition(1).Subcomponent(1, 1) }

// Component returns component n (from 1) of the first repetition.
func (f Field) Component(n int) string { return f.Repetition(1).Subcomponent(n, 1) }

// Component returns the first subcomponent of component n (from 1).
func (r Repetition) Component(n int) string { return r.Subcomponent(n, 1) }

// Subcomponent returns subcomponent s of component c (both from 1), or ""
// when absent.
func (r Repetition) Subcomponent(c, s int) string {
	if c < 1 || c > len(r) {
		return ""
	}
	comp := r[c-1]
	if s < 1 || s > len(comp) {
		return ""
	}
	return comp[s-1]
}

// Encode returns the message in HL7 v2 wire form: segments terminated by
// CR, values escaped. A Message with zero Delimiters uses DefaultDelimiters.
// The stored MSH-1 and MSH-2 are ignored in favour of m.Delimiters.
func (m *Message) Encode() []byte {
	d := m.Delimiters
	if d == (Delimiters{}) {
		d = DefaultDelimiters()
	}
	var b bytes.Buffer
	for _, s := range m.Segments {
		b.WriteString(s.Name)
		fields := s.Fields
		if s.Name == "MSH" {
			b.WriteByte(d.Field)
			b.WriteString(d.encodingCharacters())
			fields = fields[min(2, len(fields)):]
		}
		for _, f := range fields {
			b.WriteByte(d.Field)
			d.writeField(&b, f)
		}
		b.WriteByte('\r')
	}
	return b.Bytes()
}

// String returns the encoded message with segments on separate lines, for
// test failures and debugging. It may contain patient data: never log it.
func (m *Message) String() string {
	return strings.ReplaceAll(strings.TrimSuffix(string(m.Encode()), "\r"), "\r", "\n")
}

func (d Delimiters) writeField(b *bytes.Buffer, f Field) {
	for i, rep := range f {
		if i > 0 {
			b.WriteByte(d.Repetition)
		}
		for j, comp := range rep {
			if j > 0 {
				b.WriteByte(d.Component)
			}
			for k, sub := range comp {
				if k > 0 {
					b.WriteByte(d.Subcomponent)
				}
				d.escape(b, sub)
			}
		}
	}
}

// escape writes s with every delimiter, and CR and LF, replaced by an
// escape sequence.
func (d Delimiters) escape(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		var seq string
		switch {
		case c == d.Field:
			seq = "F"
		case c == d.Component:
			seq = "S"
		case c == d.Repetition:
			seq = "R"
		case c == d.Subcomponent:
			seq = "T"
		case c == d.Escape:
			seq = "E"
		case d.Truncation != 0 && c == d.Truncation:
			seq = "P"
		case c == '\r':
			seq = "X0D"
		case c == '\n':
			seq = "X0A"
		default:
			b.WriteByte(c)
			continue
		}
		b.WriteByte(d.Escape)
		b.WriteString(seq)
		b.WriteByte(d.Escape)
	}
}

// unescape decodes the escape sequences \F\ \S\ \T\ \R\ \E\, \P\ (when a
// truncation character is declared) and \Xhh...\ (hexadecimal bytes).
// Other sequences (highlighting, formatting, character sets) and an escape
// character without a closing one are kept as they are.
func (d Delimiters) unescape(s string) string {
	if strings.IndexByte(s, d.Escape) < 0 {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, d.Escape)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		rest := s[i+1:]
		j := strings.IndexByte(rest, d.Escape)
		if j < 0 {
			b.WriteString(s[i:])
			return b.String()
		}
		if decoded, ok := d.decodeEscape(rest[:j]); ok {
			b.WriteString(decoded)
		} else {
			b.WriteString(s[i : i+j+2])
		}
		s = rest[j+1:]
	}
}

func (d Delimiters) decodeEscape(seq string) (string, bool) {
	switch seq {
	case "F":
		return string(d.Field), true
	case "S":
		return string(d.Component), true
	case "T":
		return string(d.Subcomponent), true
	case "R":
		return string(d.Repetition), true
	case "E":
		return string(d.Escape), true
	case "P":
		if d.Truncation != 0 {
			return string(d.Truncation), true
		}
		return "", false
	}
	if len(seq) > 1 && seq[0] == 'X' && len(seq)%2 == 1 {
		raw, err := hex.DecodeString(seq[1:])
		if err == nil {
			return string(raw), true
		}
	}
	return "", false
}

// text returns a field holding one value.
func text(s string) Field { return Field{Repetition{Component{s}}} }

// components returns a field holding one repetition with these components.
func components(values ...string) Field {
	rep := make(Repetition, len(values))
	for i, v := range values {
		rep[i] = Component{v}
	}
	return Field{rep}
}
