package ketacare

import (
	"errors"
	"fmt"
)

// Application error codes. Every error that reaches a surface (web page,
// JSON API, FHIR) is mapped from one of these; anything else is internal.
const (
	EINVALID       = "invalid"       // bad input: 400
	EUNPROCESSABLE = "unprocessable" // well-formed but refused (e.g. implausible value, key reuse): 422
	ENOTFOUND      = "not_found"     // 404, also for records of another clinic
	ECONFLICT      = "conflict"      // 409: state forbids it
	EMETHOD        = "method"        // 405: the address exists, not for this method
	EUNAUTHORIZED  = "unauthorized"  // 401: not signed in
	EFORBIDDEN     = "forbidden"     // 403: signed in, not allowed
	ETOOMANY       = "too_many"      // 429: throttled
	EINTERNAL      = "internal"      // 500: a bug or an outage, shown as a safe message
	EUNAVAILABLE   = "unavailable"   // 503
)

// Error is the application error: a code, a message safe to show to the
// user, and optionally the fields that were wrong.
type Error struct {
	Code    string
	Message string
	Fields  map[string]string // field name -> problem, for forms
}

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an application error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrors returns an EINVALID error naming each bad field, or nil when
// fields is empty.
func FieldErrors(fields map[string]string) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "Some fields need correcting.", Fields: fields}
}

// ErrorCode returns the code of an application error, EINTERNAL otherwise.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of an application error, or a
// generic message for any other error.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Something went wrong on our side. It has been logged; please try again."
}

// ErrorFields returns the field problems of an application error.
func ErrorFields(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}
