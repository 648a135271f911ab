package hl7

import "fmt"

// ErrorCode is an HL7 message error condition code (HL7 table 0357). It is
// sent back in the ERR segment of a negative acknowledgement.
type ErrorCode int

// The error conditions of HL7 table 0357 that this package reports.
const (
	CodeSegmentSequence        ErrorCode = 100 // segment missing, unexpected or out of order
	CodeRequiredFieldMissing   ErrorCode = 101 // a required field is empty
	CodeDataType               ErrorCode = 102 // a field does not match its data type
	CodeTableValueNotFound     ErrorCode = 103 // a coded value is not in its table
	CodeUnsupportedMessageType ErrorCode = 200 // MSH-9.1 is not a supported message type
	CodeUnsupportedEventCode   ErrorCode = 201 // MSH-9.2 is not a supported trigger event
	CodeApplicationError       ErrorCode = 207 // the receiving application failed
)

// Text returns the HL7 name of the code, as sent in ERR-3.2.
func (c ErrorCode) Text() string {
	switch c {
	case CodeSegmentSequence:
		return "Segment sequence error"
	case CodeRequiredFieldMissing:
		return "Required field missing"
	case CodeDataType:
		return "Data type error"
	case CodeTableValueNotFound:
		return "Table value not found"
	case CodeUnsupportedMessageType:
		return "Unsupported message type"
	case CodeUnsupportedEventCode:
		return "Unsupported event code"
	case CodeApplicationError:
		return "Application internal error"
	}
	return "Error"
}

// Error is a problem found in a received message: what is wrong, where, and
// the HL7 error code to report in the acknowledgement. Its text never
// contains values from the patient segments, so it is safe to log.
type Error struct {
	Code     ErrorCode
	Segment  string // segment name, such as "MSH"; empty when not tied to a segment
	Sequence int    // which occurrence of Segment, from 1; 0 when unknown
	Field    int    // field position, from 1; 0 when the whole segment is meant
	Msg      string
}

// Error returns the location and the message, such as
// "hl7: MSH-9: unsupported message type "ADT"".
func (e *Error) Error() string {
	switch {
	case e.Segment != "" && e.Field > 0:
		return fmt.Sprintf("hl7: %s-%d: %s", e.Segment, e.Field, e.Msg)
	case e.Segment != "":
		return fmt.Sprintf("hl7: %s segment: %s", e.Segment, e.Msg)
	}
	return "hl7: " + e.Msg
}

// errorf returns an *Error with a formatted message.
func errorf(code ErrorCode, segment string, sequence, field int, format string, args ...any) *Error {
	return &Error{Code: code, Segment: segment, Sequence: sequence, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// clip shortens a value quoted in an error message.
func clip(s string) string {
	const max = 24
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
