package hl7

import (
	"bytes"
	"strings"
)

// Parse parses an HL7 v2 message. Segments may end in CR (the standard),
// LF or CRLF; empty lines are skipped. The first segment must be MSH, and
// its MSH-1 and MSH-2 give the delimiters for the rest of the message.
// Parse never panics; on malformed input it returns an *Error that says
// what is wrong and where, without quoting patient data.
func Parse(data []byte) (*Message, error) {
	lines := splitSegments(data)
	m, err := parseHeader(lines)
	if err != nil {
		return nil, err
	}
	for i, line := range lines[1:] {
		seg, err := parseSegment(line, m.Delimiters, i+2)
		if err != nil {
			return nil, err
		}
		if seg.Name == "MSH" {
			return nil, errorf(CodeSegmentSequence, "MSH", 2, 0, "a second MSH segment at line %d: send one message per frame", i+2)
		}
		m.Segments = append(m.Segments, seg)
	}
	return m, nil
}

// ParseHeader parses only the MSH segment of a message. It lets a receiver
// acknowledge, with the right control id and addresses, a message whose
// body Parse rejected.
func ParseHeader(data []byte) (*Message, error) {
	return parseHeader(splitSegments(data))
}

// splitSegments splits data into non-empty lines on CR or LF, after
// dropping a leading UTF-8 byte order mark.
func splitSegments(data []byte) []string {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	return strings.FieldsFunc(string(data), func(r rune) bool { return r == '\r' || r == '\n' })
}

func parseHeader(lines []string) (*Message, error) {
	if len(lines) == 0 {
		return nil, errorf(CodeSegmentSequence, "", 0, 0, "empty message: no MSH segment")
	}
	line := lines[0]
	if strings.HasPrefix(line, "FHS") || strings.HasPrefix(line, "BHS") {
		return nil, errorf(CodeUnsupportedMessageType, "", 0, 0, "batch messages (FHS/BHS) are not supported: send one message per frame")
	}
	if !strings.HasPrefix(line, "MSH") {
		return nil, errorf(CodeSegmentSequence, "", 0, 0, "the message does not start with an MSH segment")
	}
	if len(line) < 8 {
		return nil, errorf(CodeRequiredFieldMissing, "MSH", 1, 0, "too short: MSH-1 and MSH-2 (field separator and encoding characters) are required")
	}
	fs := line[3]
	if !validDelimiter(fs) {
		return nil, errorf(CodeDataType, "MSH", 1, 1, "invalid field separator %q: must be printable ASCII punctuation", fs)
	}
	enc, rest, hasRest := strings.Cut(line[4:], string(fs))
	if len(enc) != 4 && len(enc) != 5 {
		return nil, errorf(CodeDataType, "MSH", 1, 2, "encoding characters must be 4 (or 5 with truncation) characters, got %d", len(enc))
	}
	used := map[byte]bool{fs: true}
	for i := 0; i < len(enc); i++ {
		c := enc[i]
		if !validDelimiter(c) {
			return nil, errorf(CodeDataType, "MSH", 1, 2, "invalid encoding character %q: must be printable ASCII punctuation", c)
		}
		if used[c] {
			return nil, errorf(CodeDataType, "MSH", 1, 2, "encoding character %q is used twice", c)
		}
		used[c] = true
	}
	d := Delimiters{Field: fs, Component: enc[0], Repetition: enc[1], Escape: enc[2], Subcomponent: enc[3]}
	if len(enc) == 5 {
		d.Truncation = enc[4]
	}
	msh := Segment{Name: "MSH", Fields: []Field{text(string(fs)), text(enc)}}
	if hasRest {
		for _, raw := range strings.Split(rest, string(fs)) {
			msh.Fields = append(msh.Fields, d.parseField(raw))
		}
	}
	return &Message{Delimiters: d, Segments: []Segment{msh}}, nil
}

// parseSegment parses a segment other than MSH; n is its line number.
func parseSegment(line string, d Delimiters, n int) (Segment, error) {
	if len(line) < 3 || (len(line) > 3 && line[3] != d.Field) || !validName(line[:3]) {
		return Segment{}, errorf(CodeSegmentSequence, "", 0, 0, "line %d: not a segment (a segment starts with a 3-character upper-case name)", n)
	}
	seg := Segment{Name: line[:3], Fields: []Field{}}
	if len(line) > 3 {
		for _, raw := range strings.Split(line[4:], string(d.Field)) {
			seg.Fields = append(seg.Fields, d.parseField(raw))
		}
	}
	return seg, nil
}

func (d Delimiters) parseField(raw string) Field {
	reps := strings.Split(raw, string(d.Repetition))
	f := make(Field, len(reps))
	for i, rep := range reps {
		comps := strings.Split(rep, string(d.Component))
		r := make(Repetition, len(comps))
		for j, comp := range comps {
			subs := strings.Split(comp, string(d.Subcomponent))
			for k, sub := range subs {
				subs[k] = d.unescape(sub)
			}
			r[j] = subs
		}
		f[i] = r
	}
	return f
}

// validDelimiter reports whether c may be a delimiter: printable ASCII
// that is neither a letter, a digit nor a space.
func validDelimiter(c byte) bool {
	return c > ' ' && c < 0x7f && !isAlnum(c)
}

func validName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}
