package hl7

import (
	"fmt"
	"strings"
	"time"
)

// ParseTime parses an HL7 timestamp (TS/DTM) precise to at least the
// minute, as vital signs need:
//
//	YYYYMMDDHHMM[SS[.S...]][+ZZZZ or -ZZZZ]
//
// A value without a zone is read in loc (UTC when loc is nil). Years
// before 1900 are rejected.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	t, _, err := parseTime(s, loc)
	return t, err
}

// FormatTime formats t as an HL7 timestamp with seconds and zone, such as
// 20260912120000+0100.
func FormatTime(t time.Time) string {
	return t.Format("20060102150405-0700")
}

// parseTime is ParseTime that also reports whether the value had a zone.
func parseTime(s string, loc *time.Location) (t time.Time, zoned bool, err error) {
	if loc == nil {
		loc = time.UTC
	}
	digits := leadingDigits(s)
	if len(digits) != 12 && len(digits) != 14 {
		return time.Time{}, false, fmt.Errorf("timestamp %q: want YYYYMMDDHHMM[SS[.S]][+/-ZZZZ]", clip(s))
	}
	rest := s[len(digits):]
	nsec := 0
	if len(digits) == 14 && strings.HasPrefix(rest, ".") {
		frac := leadingDigits(rest[1:])
		if frac == "" {
			return time.Time{}, false, fmt.Errorf("timestamp %q: empty fraction of a second", clip(s))
		}
		rest = rest[1+len(frac):]
		for i := range 9 {
			nsec *= 10
			if i < len(frac) {
				nsec += int(frac[i] - '0')
			}
		}
	}
	if rest != "" {
		if len(rest) != 5 || (rest[0] != '+' && rest[0] != '-') || leadingDigits(rest[1:]) != rest[1:] {
			return time.Time{}, false, fmt.Errorf("timestamp %q: zone must be +HHMM or -HHMM", clip(s))
		}
		hh, mm := atoi(rest[1:3]), atoi(rest[3:5])
		if hh > 14 || mm > 59 {
			return time.Time{}, false, fmt.Errorf("timestamp %q: zone offset out of range", clip(s))
		}
		offset := (hh*60 + mm) * 60
		if rest[0] == '-' {
			offset = -offset
		}
		loc = time.FixedZone("", offset)
		zoned = true
	}
	year, month, day := atoi(digits[0:4]), atoi(digits[4:6]), atoi(digits[6:8])
	hour, minute, sec := atoi(digits[8:10]), atoi(digits[10:12]), 0
	if len(digits) == 14 {
		sec = atoi(digits[12:14])
	}
	if year < 1900 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false, fmt.Errorf("timestamp %q: not a valid date and time", clip(s))
	}
	t = time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc)
	if t.Day() != day {
		return time.Time{}, false, fmt.Errorf("timestamp %q: not a valid date", clip(s))
	}
	return t, zoned, nil
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

// atoi converts a short run of ASCII digits.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
