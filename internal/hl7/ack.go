package hl7

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// AckCode is an acknowledgement code (MSA-1, HL7 table 0008).
type AckCode string

// The acknowledgement codes of original-mode acknowledgements.
const (
	// AckAccept (AA): the message was processed.
	AckAccept AckCode = "AA"
	// AckError (AE): the message was understood but could not be
	// processed; the sender may send it again.
	AckError AckCode = "AE"
	// AckReject (AR): the message was rejected (malformed, or not a type
	// this receiver handles); sending it again will not help.
	AckReject AckCode = "AR"
)

// Limits on the error text, from the HL7 lengths of MSA-3 and ERR-8.
const (
	maxAckText  = 80
	maxUserText = 250
)

// NewAck builds the acknowledgement of orig with the given code.
//
// The ACK uses orig's delimiters, swaps its sending and receiving
// application and facility, echoes its control id in MSA-2, its processing
// id (MSH-11), version (MSH-12) and character set (MSH-18), and has a new
// random control id and now as its time. orig may be nil when not even
// the MSH segment could be read; the ACK then has empty addresses.
//
// For AE and AR with a non-nil cause, the cause's text goes into MSA-3
// (cut to 80 characters) and an ERR segment: an *Error gives its HL7 error
// code and location; any other error is code 207 (application internal
// error). Messages of v2.4 and earlier get ERR-1 (error code and location);
// later versions get ERR-2 (location), ERR-3 (code), ERR-4 (severity E) and
// ERR-8 (the text).
func NewAck(orig *Message, code AckCode, cause error, now time.Time) *Message {
	d := DefaultDelimiters()
	var msh Segment
	if orig != nil {
		d = orig.Delimiters
		msh, _ = orig.Segment("MSH")
	}
	version := msh.Field(12)
	if version.Value() == "" {
		version = text("2.5")
	}
	processing := msh.Field(11)
	if processing.Value() == "" {
		processing = text("P")
	}
	event := msh.Field(9).Component(2)
	if event == "" {
		event = "ACK"
	}
	fields := []Field{
		text(string(d.Field)), text(d.encodingCharacters()),
		msh.Field(5), msh.Field(6), msh.Field(3), msh.Field(4), // MSH-3..6, swapped
		text(FormatTime(now)), // MSH-7
		nil,                   // MSH-8 security
		components("ACK", event, "ACK"),
		text(newControlID()),
		processing,
		version,
	}
	if charset := msh.Field(18); charset.Value() != "" {
		fields = append(fields, nil, nil, nil, nil, nil, charset) // MSH-13..18
	}
	for i, f := range fields {
		if f == nil {
			fields[i] = text("")
		}
	}
	ack := &Message{Delimiters: d, Segments: []Segment{{Name: "MSH", Fields: fields}}}

	msa := Segment{Name: "MSA", Fields: []Field{text(string(code)), text(msh.Field(10).Value())}}
	if code == AckAccept || cause == nil {
		ack.Segments = append(ack.Segments, msa)
		return ack
	}
	msg := cause.Error()
	msa.Fields = append(msa.Fields, text(cut(msg, maxAckText)))
	ack.Segments = append(ack.Segments, msa, errSegment(cause, version.Value()))
	return ack
}

// errSegment describes cause in an ERR segment for the given HL7 version.
func errSegment(cause error, version string) Segment {
	errCode := CodeApplicationError
	var location []string
	var e *Error
	if errors.As(cause, &e) {
		errCode = e.Code
		if e.Segment != "" {
			location = []string{e.Segment, itoa(e.Sequence), itoa(e.Field)}
		}
	}
	codeText := []string{itoa(int(errCode)), errCode.Text(), "HL70357"}
	if beforeV25(version) {
		// ERR-1 (ELD): segment^sequence^field^code&text&table.
		eld := make(Repetition, 4)
		for i := range 3 {
			eld[i] = Component{""}
			if location != nil {
				eld[i] = Component{location[i]}
			}
		}
		eld[3] = Component(codeText)
		return Segment{Name: "ERR", Fields: []Field{{eld}}}
	}
	erl := text("")
	if location != nil {
		erl = components(location...)
	}
	return Segment{Name: "ERR", Fields: []Field{
		text(""),                // ERR-1, withdrawn
		erl,                     // ERR-2 error location
		components(codeText...), // ERR-3 HL7 error code
		text("E"),               // ERR-4 severity
		text(""), text(""), text(""),
		text(cut(cause.Error(), maxUserText)), // ERR-8 user message
	}}
}

// beforeV25 reports whether an MSH-12 version is 2.4 or earlier, which
// carry the error in ERR-1.
func beforeV25(version string) bool {
	switch {
	case strings.HasPrefix(version, "2.1"), strings.HasPrefix(version, "2.2"),
		strings.HasPrefix(version, "2.3"), strings.HasPrefix(version, "2.4"):
		return len(version) == 3 || version[3] == '.'
	}
	return false
}

// newControlID returns a random 20-character message control id.
func newControlID() string {
	b := make([]byte, 10)
	rand.Read(b) // never fails: see crypto/rand.Read
	return strings.ToUpper(hex.EncodeToString(b))
}

// cut shortens s to at most n bytes, on a character boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func itoa(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}
