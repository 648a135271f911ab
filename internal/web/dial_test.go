package web

import "testing"

func TestDialLink(t *testing.T) {
	for _, c := range []struct {
		scheme, number string
		want           string
	}{
		{"tel", "116 123", "tel:116123"},
		{"tel", "+44 7400 123456", "tel:+447400123456"},
		{"sms", "85258", "sms:85258"},
		{"tel", "0300-123-6600", "tel:03001236600"},
		{"tel", "1+2", "tel:12"},                // a plus only leads
		{"tel", "javascript:alert(1)", "tel:1"}, // nothing but digits is kept
		{"tel", "none", ""},                     // no digits, no link
		{"tel", "+", ""},
		{"javascript", "116 123", ""}, // only tel: and sms:
	} {
		if got := DialLink(c.scheme, c.number); string(got) != c.want {
			t.Errorf("DialLink(%q, %q) = %q, want %q", c.scheme, c.number, got, c.want)
		}
	}
}
