// Package phone parses the callback telephone numbers that people type into
// ketacare's public forms, and stores them as E.164 ("+447911123456").
//
// Parsing and validation use the libphonenumber metadata (through
// github.com/nyaruka/phonenumbers), so a number is accepted only when it is a
// valid number of its country, not merely the right length. People may type
// a number the way they write it: with spaces, dashes, dots or brackets; a
// national number of the default region ("07911 123456", "020 7946 0000");
// an international number with "+", the default region's international prefix
// ("0044 …" in the UK) or a bare country code ("44 7911 123456"); and the
// common UK "+44 (0)" form.
//
// A callback number must reach the person who asked for the call, at a
// normal cost, so these are refused, each with its own error and code:
//
//   - [ErrEmpty]: nothing was entered.
//   - [ErrInvalid]: not a valid number of any country (wrong length, an
//     unallocated range, letters, too long), or longer than the 15 digits
//     E.164 allows.
//   - [ErrExtension]: a number with an extension, which a counsellor cannot
//     dial reliably and which usually belongs to a workplace switchboard.
//   - [ErrEmergency]: 999, 112 and 911 wherever they are typed, and any
//     emergency number of the default region or of the number's country.
//   - [ErrService]: short codes of helplines and services, such as NHS 111
//     (non-emergency, but it reaches a service, not the person), the
//     harmonised European 116 numbers (Samaritans 116 123), directory
//     enquiries (118 …), police 101 and power cut 105.
//   - [ErrPremiumRate]: premium-rate and service-charge numbers (in the UK
//     09…, 084… and 087…) and personal numbers (UK 070…), which are charged
//     at high rates and widely misused.
//   - [ErrSharedCost]: shared-cost numbers.
//   - [ErrNotVoice]: pager and voicemail-access numbers.
//   - [ErrGlobalService]: numbers under global country codes that belong to
//     no country (satellite phones such as +870 and +881, and the universal
//     +800, +808 and +979 numbers), which are costly or unreachable from
//     ordinary phone lines.
//
// Mobile, landline (UK 01… and 02…), UK-wide (03…, 055…), freephone (0800,
// 0808) and VoIP (056…) numbers are accepted.
//
// Refusals are values of [Error]: its Code is stable (the JSON API returns it)
// and its Message is written for the person filling in the form, in the
// style of the NHS design system's error messages, for a UK audience.
// Neither ever contains the number itself, so errors can be logged.
//
// Ofcom's drama mobile range (07700 900000 to 07700 900999) is not valid in
// the metadata and is refused; examples and tests can use the drama landline
// ranges, such as 020 7946 0000 to 0999 and 0113 496 0000 to 0999, which are
// accepted.
package phone

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// DefaultRegion is the region assumed for national numbers when the caller
// gives none: the United Kingdom.
const DefaultRegion = "GB"

// maxInput is the longest input parsed, in bytes. Real numbers, even with
// spacing and a country code, are far shorter.
const maxInput = 100

// maxE164 is the longest E.164 number: "+" and 15 digits.
const maxE164 = 16

// Number is a callback number that passed every check.
type Number struct {
	// E164 is the canonical form that is stored: "+447911123456".
	E164 string
	// CountryCode is the country calling code: 44.
	CountryCode int
	// Region is the ISO 3166-1 alpha-2 region the number belongs to: "GB",
	// or "GG", "JE" or "IM" for the Crown Dependencies that share +44.
	Region string
	// National is the number formatted as dialled inside its country:
	// "07911 123456", "020 7946 0000".
	National string
	// International is the number formatted for dialling from abroad:
	// "+44 7911 123456".
	International string
	// Type is the kind of line.
	Type Type
}

// String returns the E.164 form.
func (n Number) String() string { return n.E164 }

// Display formats the number for someone in homeRegion (such as "GB"): the
// national format when the number shares homeRegion's country calling code,
// otherwise the international format.
func (n Number) Display(homeRegion string) string {
	if phonenumbers.GetCountryCodeForRegion(strings.ToUpper(homeRegion)) == n.CountryCode {
		return n.National
	}
	return n.International
}

// Type is the kind of line an accepted number reaches.
type Type string

// The kinds of line accepted as callback numbers.
const (
	Mobile            Type = "mobile"
	FixedLine         Type = "fixed_line"
	FixedLineOrMobile Type = "fixed_line_or_mobile" // countries whose ranges do not tell them apart, such as the US
	TollFree          Type = "toll_free"
	VoIP              Type = "voip"
	UAN               Type = "uan" // a "universal access number", such as UK 03…
)

// MaybeMobile reports whether the number may be a mobile, so that it might
// receive text messages.
func (t Type) MaybeMobile() bool { return t == Mobile || t == FixedLineOrMobile }

// Code identifies why a number was refused. Codes are stable: the JSON API
// returns them.
type Code string

// The refusal codes.
const (
	CodeEmpty         Code = "empty"
	CodeInvalid       Code = "invalid"
	CodeExtension     Code = "extension"
	CodeEmergency     Code = "emergency"
	CodeService       Code = "service"
	CodePremiumRate   Code = "premium_rate"
	CodeSharedCost    Code = "shared_cost"
	CodeNotVoice      Code = "not_voice"
	CodeGlobalService Code = "global_service"
)

// Error is the reason a number was refused as a callback number. Compare with
// errors.Is against the Err values below, or read Code and Message with
// errors.As.
type Error struct {
	// Code is the stable, machine-readable reason.
	Code Code
	// Message tells the person who typed the number what to do, in plain
	// English. It never contains the number.
	Message string
}

// Error returns the code and the message.
func (e Error) Error() string { return "phone: " + string(e.Code) + ": " + e.Message }

// The refusals that Parse returns.
var (
	ErrEmpty = Error{CodeEmpty,
		"Enter a phone number we can call you back on"}
	ErrInvalid = Error{CodeInvalid,
		"Enter a phone number in the correct format, like 020 7946 0000 or a mobile number starting 07. " +
			"For a number outside the UK, start with + and the country code"}
	ErrExtension = Error{CodeExtension,
		"Enter a phone number without an extension"}
	ErrEmergency = Error{CodeEmergency,
		"That is an emergency number, so we cannot use it to call you back. " +
			"If you or someone else is in danger now, call 999. " +
			"To ask for a callback, enter your own phone number"}
	ErrService = Error{CodeService,
		"That is the number of a helpline or service, not a personal number. " +
			"Enter your own mobile or landline number"}
	ErrPremiumRate = Error{CodePremiumRate,
		"We cannot call premium-rate or high-cost numbers, such as numbers starting 09, 084, 087 or 070. " +
			"Enter a mobile or landline number"}
	ErrSharedCost = Error{CodeSharedCost,
		"We cannot call shared-cost numbers. Enter a mobile or landline number"}
	ErrNotVoice = Error{CodeNotVoice,
		"We cannot call pager or voicemail numbers. Enter a mobile or landline number"}
	ErrGlobalService = Error{CodeGlobalService,
		"We cannot call satellite phones or global service numbers. Enter a mobile or landline number"}
)

// ErrUnknownRegion is returned when the default region given to Parse is not
// a region the metadata knows. It is a configuration error, not a refusal of
// the number, so it is not an [Error].
var ErrUnknownRegion = errors.New("phone: unknown default region")

// emergencyNumbers are refused wherever they are typed: the UK, European and
// North American emergency numbers, which people everywhere recognise.
var emergencyNumbers = map[string]bool{"999": true, "112": true, "911": true}

// nonGeographicRegion is the region code of global country calling codes.
const nonGeographicRegion = "001"

// Parse parses raw, as typed by a person, into a callback number. National
// numbers are read as numbers of defaultRegion, an ISO 3166-1 alpha-2 code
// such as "GB" (case does not matter); an empty defaultRegion means
// [DefaultRegion]. A number that is refused returns one of the Err values of
// type [Error]; an unknown defaultRegion returns [ErrUnknownRegion].
//
// Parsing the E164 of an accepted number, with any default region, gives the
// same Number.
func Parse(raw string, defaultRegion string) (Number, error) {
	region := strings.ToUpper(strings.TrimSpace(defaultRegion))
	if region == "" {
		region = DefaultRegion
	}
	if phonenumbers.GetCountryCodeForRegion(region) == 0 {
		return Number{}, fmt.Errorf("%w %q", ErrUnknownRegion, defaultRegion)
	}

	raw = strings.TrimSpace(raw)
	if raw == "" {
		return Number{}, ErrEmpty
	}
	if len(raw) > maxInput {
		return Number{}, ErrInvalid
	}
	if phonenumbers.IsEmergencyNumber(raw, region) {
		return Number{}, ErrEmergency
	}

	pn, err := phonenumbers.Parse(raw, region)
	if err != nil {
		return Number{}, ErrInvalid
	}
	nsn := phonenumbers.GetNationalSignificantNumber(pn)
	numberRegion := phonenumbers.GetRegionCodeForCountryCode(int(pn.GetCountryCode()))

	if !phonenumbers.IsValidNumber(pn) {
		switch {
		case emergencyNumbers[nsn] || phonenumbers.IsEmergencyNumber(nsn, numberRegion):
			return Number{}, ErrEmergency
		case phonenumbers.IsValidShortNumber(pn) ||
			phonenumbers.IsValidShortNumberForRegion(pn, region) ||
			(len(nsn) == 6 && strings.HasPrefix(nsn, "116")):
			return Number{}, ErrService
		}
		return Number{}, ErrInvalid
	}
	e164 := phonenumbers.Format(pn, phonenumbers.E164)
	if len(e164) > maxE164 {
		// Valid in the metadata but longer than E.164 allows: some German
		// numbers carry a direct-dial extension this way.
		return Number{}, ErrInvalid
	}
	if pn.GetExtension() != "" {
		return Number{}, ErrExtension
	}
	if phonenumbers.GetRegionCodeForNumber(pn) == nonGeographicRegion {
		return Number{}, ErrGlobalService
	}

	var typ Type
	switch phonenumbers.GetNumberType(pn) {
	case phonenumbers.MOBILE:
		typ = Mobile
	case phonenumbers.FIXED_LINE:
		typ = FixedLine
	case phonenumbers.FIXED_LINE_OR_MOBILE:
		typ = FixedLineOrMobile
	case phonenumbers.TOLL_FREE:
		typ = TollFree
	case phonenumbers.VOIP:
		typ = VoIP
	case phonenumbers.UAN:
		typ = UAN
	case phonenumbers.PREMIUM_RATE, phonenumbers.PERSONAL_NUMBER:
		return Number{}, ErrPremiumRate
	case phonenumbers.SHARED_COST:
		return Number{}, ErrSharedCost
	case phonenumbers.PAGER, phonenumbers.VOICEMAIL:
		return Number{}, ErrNotVoice
	default:
		return Number{}, ErrInvalid
	}

	return Number{
		E164:          e164,
		CountryCode:   int(pn.GetCountryCode()),
		Region:        phonenumbers.GetRegionCodeForNumber(pn),
		National:      phonenumbers.Format(pn, phonenumbers.NATIONAL),
		International: phonenumbers.Format(pn, phonenumbers.INTERNATIONAL),
		Type:          typ,
	}, nil
}
