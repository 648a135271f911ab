package phone

import (
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
)

type accepted struct {
	raw, region string
	e164        string
	numRegion   string
	national    string
	typ         Type
}

var acceptedCases = []accepted{
	// UK mobiles, typed every way people write them.
	{"07400 123456", "GB", "+447400123456", "GB", "07400 123456", Mobile},
	{"07400123456", "GB", "+447400123456", "GB", "07400 123456", Mobile},
	{"  07400 123456\t", "GB", "+447400123456", "GB", "07400 123456", Mobile},
	{"07400-123-456", "GB", "+447400123456", "GB", "07400 123456", Mobile},
	{"07400.123.456", "GB", "+447400123456", "GB", "07400 123456", Mobile},
	{"(07400) 123 456", "GB", "+447400123456", "GB", "07400 123456", Mobile},
	{"0 7400 123456", "GB", "+447400123456", "GB", "07400 123456", Mobile},
	{"+44 7400 123456", "GB", "+447400123456", "GB", "07400 123456", Mobile},
	{"+447400123456", "GB", "+447400123456", "GB", "07400 123456", Mobile},
	{"+44-7400-123-456", "GB", "+447400123456", "GB", "07400 123456", Mobile},
	{"+44 (0)7400 123456", "GB", "+447400123456", "GB", "07400 123456", Mobile},
	{"+44 0 7400 123456", "GB", "+447400123456", "GB", "07400 123456", Mobile},
	{"(+44) 7400 123456", "GB", "+447400123456", "GB", "07400 123456", Mobile},
	{"0044 7400 123456", "GB", "+447400123456", "GB", "07400 123456", Mobile},
	{"0044-7400-123456", "GB", "+447400123456", "GB", "07400 123456", Mobile},
	{"447400123456", "GB", "+447400123456", "GB", "07400 123456", Mobile},
	{"tel:+447400123456", "GB", "+447400123456", "GB", "07400 123456", Mobile},
	{"０７４００ １２３４５６", "GB", "+447400123456", "GB", "07400 123456", Mobile},
	{"07400\u00a0123456", "GB", "+447400123456", "GB", "07400 123456", Mobile},

	// UK landlines: 01, 02 (Ofcom drama ranges) and UK-wide 03.
	{"020 7946 0000", "GB", "+442079460000", "GB", "020 7946 0000", FixedLine},
	{"(020) 7946-0999", "GB", "+442079460999", "GB", "020 7946 0999", FixedLine},
	{"+44 20 7946 0000", "GB", "+442079460000", "GB", "020 7946 0000", FixedLine},
	{"+44 (0)20 7946 0000", "GB", "+442079460000", "GB", "020 7946 0000", FixedLine},
	{"0113 496 0000", "GB", "+441134960000", "GB", "0113 496 0000", FixedLine},
	{"0161 496 0999", "GB", "+441614960999", "GB", "0161 496 0999", FixedLine},
	{"0306 999 0000", "GB", "+443069990000", "GB", "0306 999 0000", UAN},
	{"0345 123 4567", "GB", "+443451234567", "GB", "0345 123 4567", UAN},

	// Freephone and VoIP.
	{"0808 157 0192", "GB", "+448081570192", "GB", "0808 157 0192", TollFree},
	{"056 1234 5678", "GB", "+445612345678", "GB", "056 1234 5678", VoIP},

	// Crown Dependencies share +44 but are their own regions.
	{"07797 123456", "GB", "+447797123456", "JE", "07797 123456", Mobile},
	{"01534 123456", "GB", "+441534123456", "JE", "01534 123456", FixedLine},
	{"07624 123456", "GB", "+447624123456", "IM", "07624 123456", Mobile},

	// International numbers with +.
	{"+1 202 555 0143", "GB", "+12025550143", "US", "(202) 555-0143", FixedLineOrMobile},
	{"+1 (415) 555-2671", "GB", "+14155552671", "US", "(415) 555-2671", FixedLineOrMobile},
	{"+33 6 12 34 56 78", "GB", "+33612345678", "FR", "06 12 34 56 78", Mobile},
	{"+353 85 123 4567", "GB", "+353851234567", "IE", "085 123 4567", Mobile},
	{"+49 30 901820", "GB", "+4930901820", "DE", "030 901820", FixedLine},
	{"+61 2 9374 4000", "GB", "+61293744000", "AU", "(02) 9374 4000", FixedLine},
	{"+86 138 0013 8000", "GB", "+8613800138000", "CN", "138 0013 8000", Mobile},

	// Other default regions; the region's case and surrounding space do not matter.
	{"06 12 34 56 78", "FR", "+33612345678", "FR", "06 12 34 56 78", Mobile},
	{"06 12 34 56 78", " fr ", "+33612345678", "FR", "06 12 34 56 78", Mobile},
	{"(202) 555-0143", "US", "+12025550143", "US", "(202) 555-0143", FixedLineOrMobile},
	{"011 44 7400 123456", "US", "+447400123456", "GB", "07400 123456", Mobile},
	{"+44 7400 123456", "US", "+447400123456", "GB", "07400 123456", Mobile},

	// No default region means the UK.
	{"07400 123456", "", "+447400123456", "GB", "07400 123456", Mobile},
}

func TestParseAccepts(t *testing.T) {
	for _, c := range acceptedCases {
		got, err := Parse(c.raw, c.region)
		if err != nil {
			t.Errorf("Parse(%q, %q): %v", c.raw, c.region, err)
			continue
		}
		if got.E164 != c.e164 || got.Region != c.numRegion || got.National != c.national || got.Type != c.typ {
			t.Errorf("Parse(%q, %q) = %+v, want E164 %s, region %s, national %q, type %s",
				c.raw, c.region, got, c.e164, c.numRegion, c.national, c.typ)
		}
		if got.String() != got.E164 {
			t.Errorf("Parse(%q).String() = %q, want %q", c.raw, got.String(), got.E164)
		}
		if !strings.HasPrefix(got.International, "+") {
			t.Errorf("Parse(%q).International = %q, want a leading +", c.raw, got.International)
		}
		// The stored E.164 gives the same number back, whatever the region.
		for _, region := range []string{"GB", "US", "FR"} {
			again, err := Parse(got.E164, region)
			if err != nil || again != got {
				t.Errorf("Parse(%q, %q) = %+v, %v; want %+v", got.E164, region, again, err, got)
			}
		}
	}
}

type refused struct {
	raw, region string
	want        Error
}

var refusedCases = []refused{
	{"", "GB", ErrEmpty},
	{"   ", "GB", ErrEmpty},
	{"\t\r\n", "GB", ErrEmpty},
	{"\u00a0", "GB", ErrEmpty},

	{"abc", "GB", ErrInvalid},
	{"+", "GB", ErrInvalid},
	{"++", "GB", ErrInvalid},
	{"()", "GB", ErrInvalid},
	{"0", "GB", ErrInvalid},
	{"12", "GB", ErrInvalid},
	{"0123", "GB", ErrInvalid},
	{"07400 12345", "GB", ErrInvalid},               // too short
	{"07400 1234567", "GB", ErrInvalid},             // too long
	{"020 7946 000", "GB", ErrInvalid},              // too short
	{"+44 20 7946 00000", "GB", ErrInvalid},         // too long
	{"07700 900123", "GB", ErrInvalid},              // Ofcom drama mobile range
	{"01632 960000", "GB", ErrInvalid},              // Ofcom drama area code
	{"07400 123456 07400 654321", "GB", ErrInvalid}, // two numbers
	{"call me on 07400 123456 after 5", "GB", ErrInvalid},
	{"1-800-FLOWERS", "GB", ErrInvalid},
	{"111 option 2", "GB", ErrInvalid},
	{"+999 1234 5678", "GB", ErrInvalid}, // no such country code
	{"+882 1234 5678", "GB", ErrInvalid},
	{"+33 12345", "GB", ErrInvalid},
	{"+49 2100 0000 0000 000", "GB", ErrInvalid}, // valid in the metadata, beyond 15 digits
	{strings.Repeat("0", 101), "GB", ErrInvalid},
	{strings.Repeat("7", 300), "GB", ErrInvalid},

	{"020 7946 0000 ext 123", "GB", ErrExtension},
	{"020 7946 0000 x12", "GB", ErrExtension},
	{"+44 7400 123456;ext=4", "GB", ErrExtension},

	{"999", "GB", ErrEmergency},
	{"9 9 9", "GB", ErrEmergency},
	{"(999)", "GB", ErrEmergency},
	{"112", "GB", ErrEmergency},
	{"911", "GB", ErrEmergency},
	{"+44 999", "GB", ErrEmergency},
	{"+1 911", "GB", ErrEmergency},
	{"999", "US", ErrEmergency},
	{"911", "US", ErrEmergency},
	{"000", "AU", ErrEmergency},
	{"110", "DE", ErrEmergency},
	{"15", "FR", ErrEmergency},

	{"111", "GB", ErrService}, // NHS 111: not an emergency, not a person
	{"1 1 1", "GB", ErrService},
	{"+44 111", "GB", ErrService},
	{"116 123", "GB", ErrService}, // Samaritans
	{"116123", "GB", ErrService},
	{"+44 116 123", "GB", ErrService},
	{"116 000", "GB", ErrService},
	{"116 111", "GB", ErrService},
	{"116 117", "GB", ErrService},
	{"116 117", "DE", ErrService},
	{"118 500", "GB", ErrService},
	{"100", "GB", ErrService},
	{"101", "GB", ErrService},
	{"105", "GB", ErrService},
	{"119", "GB", ErrService},
	{"123", "GB", ErrService},   // speaking clock
	{"85258", "GB", ErrService}, // Shout, a text short code

	{"0909 879 0000", "GB", ErrPremiumRate}, // Ofcom drama premium range
	{"0900 123 4567", "GB", ErrPremiumRate},
	{"+44 909 879 0000", "GB", ErrPremiumRate},
	{"0044 909 879 0000", "GB", ErrPremiumRate},
	{"0845 464 7000", "GB", ErrPremiumRate},
	{"0844 123 4567", "GB", ErrPremiumRate},
	{"0870 123 4567", "GB", ErrPremiumRate},
	{"0871 123 4567", "GB", ErrPremiumRate},
	{"070 1234 5678", "GB", ErrPremiumRate}, // UK personal number
	{"+1 900 234 5678", "GB", ErrPremiumRate},
	{"0891 12 34 56", "FR", ErrPremiumRate},
	{"+49 900 1 234567", "GB", ErrPremiumRate},

	{"0884 01 23 45", "FR", ErrSharedCost},
	{"+33 884 01 23 45", "GB", ErrSharedCost},
	{"+49 180 1 2345", "GB", ErrSharedCost},
	{"+61 1300 123 456", "GB", ErrSharedCost},

	{"07640 123456", "GB", ErrNotVoice}, // UK pager
	{"+49 16412345", "GB", ErrNotVoice},
	{"+49 177 99 1234567", "GB", ErrNotVoice}, // voicemail access

	{"+870 773 111 111", "GB", ErrGlobalService}, // Inmarsat
	{"+881 6 1234 5678", "GB", ErrGlobalService}, // Iridium
	{"+800 1234 5678", "GB", ErrGlobalService},
	{"+808 1234 5678", "GB", ErrGlobalService},
	{"+979 123 456 789", "GB", ErrGlobalService},
}

func TestParseRefuses(t *testing.T) {
	for _, c := range refusedCases {
		got, err := Parse(c.raw, c.region)
		if !errors.Is(err, c.want) {
			t.Errorf("Parse(%q, %q) = %+v, %v; want %s", c.raw, c.region, got, err, c.want.Code)
			continue
		}
		if got != (Number{}) {
			t.Errorf("Parse(%q, %q) refused with %s but returned %+v", c.raw, c.region, c.want.Code, got)
		}
		var e Error
		if !errors.As(err, &e) || e.Code != c.want.Code || e.Message == "" {
			t.Errorf("Parse(%q, %q): errors.As gave %+v, want code %s and a message", c.raw, c.region, e, c.want.Code)
		}
		// The number is personal data: a refusal is exactly the fixed
		// value, so it never repeats the number.
		if err != error(c.want) {
			t.Errorf("Parse(%q, %q) = %#v, want exactly %#v", c.raw, c.region, err, c.want)
		}
	}
}

// Handlers parse numbers from many requests at once; under the race
// detector this also checks the metadata is read safely.
func TestParseConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for _, c := range acceptedCases {
				if n, err := Parse(c.raw, c.region); err != nil || n.E164 != c.e164 {
					t.Errorf("Parse(%q, %q) = %+v, %v; want %s", c.raw, c.region, n, err, c.e164)
				}
			}
			for _, c := range refusedCases {
				if _, err := Parse(c.raw, c.region); !errors.Is(err, c.want) {
					t.Errorf("Parse(%q, %q): %v, want %s", c.raw, c.region, err, c.want.Code)
				}
			}
		})
	}
	wg.Wait()
}

func TestParseUnknownRegion(t *testing.T) {
	for _, region := range []string{"XX", "ZZ", "001", "UK", "G", "GBR"} {
		_, err := Parse("07400 123456", region)
		if !errors.Is(err, ErrUnknownRegion) {
			t.Errorf("Parse with region %q: %v, want ErrUnknownRegion", region, err)
		}
		var e Error
		if errors.As(err, &e) {
			t.Errorf("Parse with region %q: a configuration error reads as the refusal %s", region, e.Code)
		}
	}
}

func TestErrors(t *testing.T) {
	all := []Error{ErrEmpty, ErrInvalid, ErrExtension, ErrEmergency, ErrService,
		ErrPremiumRate, ErrSharedCost, ErrNotVoice, ErrGlobalService}
	codes := map[Code]bool{}
	code := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	for _, e := range all {
		if !code.MatchString(string(e.Code)) {
			t.Errorf("code %q is not lower snake case", e.Code)
		}
		if codes[e.Code] {
			t.Errorf("code %q is used twice", e.Code)
		}
		codes[e.Code] = true
		// Design system style: an instruction or explanation in sentence
		// case, with no full stop at the end.
		if e.Message == "" || strings.ToUpper(e.Message[:1]) != e.Message[:1] || strings.HasSuffix(e.Message, ".") {
			t.Errorf("%s: message %q", e.Code, e.Message)
		}
		if !strings.Contains(e.Error(), string(e.Code)) {
			t.Errorf("%s: Error() = %q does not name the code", e.Code, e.Error())
		}
		for _, other := range all {
			if other != e && errors.Is(e, other) {
				t.Errorf("errors.Is(%s, %s) is true", e.Code, other.Code)
			}
		}
	}
	if !strings.Contains(ErrEmergency.Message, "999") {
		t.Errorf("the emergency refusal does not tell the person to call 999: %q", ErrEmergency.Message)
	}
}

func TestDisplay(t *testing.T) {
	tests := []struct {
		raw, home, want string
	}{
		{"07400 123456", "GB", "07400 123456"},
		{"07400 123456", "gb", "07400 123456"},
		{"07797 123456", "GB", "07797 123456"}, // Jersey shares +44
		{"07400 123456", "FR", "+44 7400 123456"},
		{"07400 123456", "", "+44 7400 123456"},
		{"+33 6 12 34 56 78", "GB", "+33 6 12 34 56 78"},
		{"+33 6 12 34 56 78", "FR", "06 12 34 56 78"},
		{"+1 202 555 0143", "US", "(202) 555-0143"},
		{"+1 202 555 0143", "CA", "(202) 555-0143"}, // same calling code
	}
	for _, tt := range tests {
		n, err := Parse(tt.raw, "GB")
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.raw, err)
		}
		if got := n.Display(tt.home); got != tt.want {
			t.Errorf("Parse(%q).Display(%q) = %q, want %q", tt.raw, tt.home, got, tt.want)
		}
	}
}

func TestMaybeMobile(t *testing.T) {
	tests := []struct {
		raw  string
		want bool
	}{
		{"07400 123456", true},
		{"+1 202 555 0143", true}, // US ranges do not tell mobiles apart
		{"020 7946 0000", false},
		{"0808 157 0192", false},
		{"0306 999 0000", false},
	}
	for _, tt := range tests {
		n, err := Parse(tt.raw, "GB")
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.raw, err)
		}
		if got := n.Type.MaybeMobile(); got != tt.want {
			t.Errorf("Parse(%q).Type = %s, MaybeMobile() = %v, want %v", tt.raw, n.Type, got, tt.want)
		}
	}
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

func FuzzParse(f *testing.F) {
	for _, c := range acceptedCases {
		f.Add(c.raw, uint8(0))
	}
	for _, c := range refusedCases {
		f.Add(c.raw, uint8(1))
	}
	f.Add("+44 7400 123456 ext 9", uint8(2))
	f.Add("0044 (0) 20-7946-0000", uint8(3))
	regions := []string{"GB", "US", "FR", "DE", "AU", "IE", "", "gb"}

	f.Fuzz(func(t *testing.T, raw string, r uint8) {
		region := regions[int(r)%len(regions)]
		n, err := Parse(raw, region)
		if err != nil {
			var e Error
			if !errors.As(err, &e) || e.Code == "" || e.Message == "" {
				t.Fatalf("Parse(%q, %q): %v is not a refusal with a code and message", raw, region, err)
			}
			if n != (Number{}) {
				t.Fatalf("Parse(%q, %q) refused with %v but returned %+v", raw, region, err, n)
			}
			return
		}
		if !e164.MatchString(n.E164) {
			t.Fatalf("Parse(%q, %q).E164 = %q, not E.164", raw, region, n.E164)
		}
		if n.Region == "" || n.National == "" || n.International == "" || n.Type == "" || n.CountryCode == 0 {
			t.Fatalf("Parse(%q, %q) = %+v, has empty fields", raw, region, n)
		}
		for _, again := range []string{"GB", region} {
			m, err := Parse(n.E164, again)
			if err != nil || m != n {
				t.Fatalf("Parse(%q, %q) = %+v; Parse(%q, %q) = %+v, %v", raw, region, n, n.E164, again, m, err)
			}
		}
		// The international form, as a counsellor might copy it, also gives
		// the same number.
		if m, err := Parse(n.International, "GB"); err != nil || m.E164 != n.E164 {
			t.Fatalf("Parse(%q, %q) = %+v; Parse(%q) = %+v, %v", raw, region, n, n.International, m, err)
		}
	})
}
