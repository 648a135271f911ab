package ketacare

import (
	"testing"
	"time"
)

func TestValidNHSNumber(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"9434765919", true},  // published test number
		{"4010232137", true},  // check digit 7
		{"9434765918", false}, // wrong check digit
		{"943476591", false},  // too short
		{"94347659190", false},
		{"94347659a9", false},
		{"1000000010", false}, // remainder gives check 10: never valid
		{"0000000000", true},  // all zero: sum 0, check 11 -> 0
	} {
		if got := ValidNHSNumber(tc.in); got != tc.want {
			t.Errorf("ValidNHSNumber(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestPatientValidate(t *testing.T) {
	today := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	good := Patient{GivenName: "Ada", FamilyName: "Lovelace", BirthDate: "1990-02-03", Sex: "female", NHSNumber: "943 476 5919", Phone: "+44 7700 900123", Email: "ada@example.com"}
	good.Normalize()
	if err := good.Validate(today); err != nil {
		t.Fatalf("valid patient refused: %v", err)
	}
	if good.NHSNumber != "9434765919" {
		t.Errorf("NHS number not normalized: %q", good.NHSNumber)
	}
	bad := Patient{BirthDate: "2030-01-01", Sex: "x", NHSNumber: "1234567890", Email: "nope", Phone: "abc"}
	err := bad.Validate(today)
	fields := ErrorFields(err)
	for _, f := range []string{"givenName", "familyName", "birthDate", "sex", "nhsNumber", "email", "phone"} {
		if fields[f] == "" {
			t.Errorf("expected an error for %s, got %v", f, fields)
		}
	}
	if ErrorCode(err) != EINVALID {
		t.Errorf("code = %q", ErrorCode(err))
	}
}

func TestPatientAge(t *testing.T) {
	p := Patient{BirthDate: "2000-02-29"}
	if got := p.Age(time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC)); got != 25 {
		t.Errorf("age the day before the birthday = %d, want 25", got)
	}
	if got := p.Age(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)); got != 26 {
		t.Errorf("age after the birthday = %d, want 26", got)
	}
}
