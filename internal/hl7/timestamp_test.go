package hl7

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	plus1 := time.FixedZone("", 3600)
	minus530 := time.FixedZone("", -(5*3600 + 30*60))
	tests := []struct {
		in   string
		loc  *time.Location
		want time.Time
	}{
		{"202603141015", nil, time.Date(2026, 3, 14, 10, 15, 0, 0, time.UTC)},
		{"20260314101502", nil, time.Date(2026, 3, 14, 10, 15, 2, 0, time.UTC)},
		{"20260314101502.5", nil, time.Date(2026, 3, 14, 10, 15, 2, 500_000_000, time.UTC)},
		{"20260314101502.1234", nil, time.Date(2026, 3, 14, 10, 15, 2, 123_400_000, time.UTC)},
		{"20260314101502.123456789123", nil, time.Date(2026, 3, 14, 10, 15, 2, 123_456_789, time.UTC)},
		{"20260314101502+0100", nil, time.Date(2026, 3, 14, 10, 15, 2, 0, plus1)},
		{"20260314101502.25-0530", nil, time.Date(2026, 3, 14, 10, 15, 2, 250_000_000, minus530)},
		{"202603141015+0000", plus1, time.Date(2026, 3, 14, 10, 15, 0, 0, time.UTC)},
		{"20260314101502", plus1, time.Date(2026, 3, 14, 10, 15, 2, 0, plus1)},
		{"20240229235959", nil, time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC)},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in, tt.loc)
		if err != nil {
			t.Errorf("ParseTime(%q): %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("ParseTime(%q) = %v, want %v", tt.in, got, tt.want)
		}
		_, wantOffset := tt.want.Zone()
		if _, offset := got.Zone(); offset != wantOffset {
			t.Errorf("ParseTime(%q) zone offset = %d, want %d", tt.in, offset, wantOffset)
		}
	}
}

func TestParseTimeErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"20260314",            // date only: too coarse for a vital sign
		"2026031410",          // no minutes
		"2026031410150",       // 13 digits
		"202603141015023",     // 15 digits
		"20260230101500",      // 30 February
		"20230229101500",      // not a leap year
		"20261314101500",      // month 13
		"20260300101500",      // day 0
		"20260314246000",      // hour 24
		"20260314106000",      // minute 60
		"20260314101560",      // second 60
		"20260314101502.",     // empty fraction
		"202603141015.5",      // fraction without seconds
		"20260314101502+01",   // short zone
		"20260314101502Z",     // not an HL7 zone
		"20260314101502+1500", // offset out of range
		"20260314101502+0160",
		"20260314101502 +0100",
		"2026-03-14T10:15:02",
		"2026031410150x",
	} {
		if got, err := ParseTime(in, nil); err == nil {
			t.Errorf("ParseTime(%q) = %v, want an error", in, got)
		}
	}
}

func TestFormatTime(t *testing.T) {
	ts := time.Date(2026, 3, 14, 10, 15, 2, 999_000_000, time.FixedZone("BST", 3600))
	if got, want := FormatTime(ts), "20260314101502+0100"; got != want {
		t.Errorf("FormatTime = %q, want %q", got, want)
	}
	if got, want := FormatTime(ts.UTC()), "20260314091502+0000"; got != want {
		t.Errorf("FormatTime(UTC) = %q, want %q", got, want)
	}
	back, err := ParseTime(FormatTime(ts), nil)
	if err != nil || !back.Equal(ts.Truncate(time.Second)) {
		t.Errorf("ParseTime(FormatTime(t)) = %v, %v", back, err)
	}
}
