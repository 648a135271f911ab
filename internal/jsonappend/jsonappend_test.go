package jsonappend

import (
	"encoding/json"
	"testing"
	"time"
)

func marshalled(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

func FuzzStringIsJSON(f *testing.F) {
	for _, s := range []string{"", "plain", `q"b\`, "<&>", "\x00\t\n", "é😀", "\u2028\u2029", "\xff\xfe", "a\xc3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(String(nil, s)), marshalled(s); got != want {
			t.Fatalf("String(%q) = %s, encoding/json gives %s", s, got, want)
		}
	})
}

func TestTimeIsJSON(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{
		{},
		time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC),
		time.Date(2026, 7, 1, 9, 0, 0, 120000, london),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		if got, want := string(Time(nil, at)), marshalled(at); got != want {
			t.Errorf("Time(%v) = %s, encoding/json gives %s", at, got, want)
		}
	}
}
