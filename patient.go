package ketacare

import (
	"net/mail"
	"strings"
	"time"
	"unicode"
)

// Patient is a person the clinic treats.
type Patient struct {
	ID         int64     `json:"id"`
	ClinicID   int64     `json:"clinicId"`
	GivenName  string    `json:"givenName"`
	FamilyName string    `json:"familyName"`
	BirthDate  string    `json:"birthDate"` // YYYY-MM-DD
	Sex        string    `json:"sex"`       // female, male, other, unknown
	NHSNumber  string    `json:"nhsNumber,omitempty"`
	Phone      string    `json:"phone,omitempty"`
	Email      string    `json:"email,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
	CreatedBy  int64     `json:"createdBy"`
}

// Sexes lists the administrative sexes a patient record may hold (FHIR
// AdministrativeGender).
var Sexes = []string{"female", "male", "other", "unknown"}

// Normalize trims the patient's fields and puts the NHS number in its
// ten-digit form.
func (p *Patient) Normalize() {
	p.GivenName = strings.TrimSpace(p.GivenName)
	p.FamilyName = strings.TrimSpace(p.FamilyName)
	p.BirthDate = strings.TrimSpace(p.BirthDate)
	p.Sex = strings.ToLower(strings.TrimSpace(p.Sex))
	p.NHSNumber = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.TrimSpace(p.NHSNumber))
	p.Phone = strings.TrimSpace(p.Phone)
	p.Email = strings.TrimSpace(p.Email)
}

// Validate checks a normalized patient against today's date and returns an
// EINVALID error naming each bad field.
func (p *Patient) Validate(today time.Time) error {
	f := map[string]string{}
	if p.GivenName == "" {
		f["givenName"] = "Enter the given name."
	} else if len(p.GivenName) > 100 {
		f["givenName"] = "Given name must be 100 characters or fewer."
	}
	if p.FamilyName == "" {
		f["familyName"] = "Enter the family name."
	} else if len(p.FamilyName) > 100 {
		f["familyName"] = "Family name must be 100 characters or fewer."
	}
	if p.BirthDate == "" {
		f["birthDate"] = "Enter the date of birth."
	} else if d, err := time.Parse("2006-01-02", p.BirthDate); err != nil {
		f["birthDate"] = "Date of birth must be a real date, as YYYY-MM-DD."
	} else if d.After(today) {
		f["birthDate"] = "Date of birth must be in the past."
	} else if d.Year() < 1900 {
		f["birthDate"] = "Date of birth must be after 1900."
	}
	switch p.Sex {
	case "female", "male", "other", "unknown":
	case "":
		f["sex"] = "Select the sex."
	default:
		f["sex"] = "Sex must be female, male, other or unknown."
	}
	if p.NHSNumber != "" && !ValidNHSNumber(p.NHSNumber) {
		f["nhsNumber"] = "NHS number must be 10 digits with a valid check digit."
	}
	if p.Phone != "" {
		digits := 0
		for _, r := range p.Phone {
			switch {
			case unicode.IsDigit(r):
				digits++
			case strings.ContainsRune(" +-()", r):
			default:
				digits = -100
			}
		}
		if digits < 7 || digits > 15 {
			f["phone"] = "Phone number must have 7 to 15 digits."
		}
	}
	if p.Email != "" {
		if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email || !strings.Contains(p.Email, "@") {
			f["email"] = "Email address must be like name@example.com."
		}
	}
	return FieldErrors(f)
}

// Age is the patient's age in whole years on the given day, or -1 when the
// birth date is unknown.
func (p *Patient) Age(on time.Time) int {
	d, err := time.Parse("2006-01-02", p.BirthDate)
	if err != nil {
		return -1
	}
	age := on.Year() - d.Year()
	if on.Month() < d.Month() || (on.Month() == d.Month() && on.Day() < d.Day()) {
		age--
	}
	return age
}

// ValidNHSNumber checks a ten-digit NHS number with its modulus 11 check
// digit: weights 10..2 over the first nine digits; 11 - (sum mod 11) is the
// check digit, 11 means 0 and 10 is never valid.
func ValidNHSNumber(s string) bool {
	if len(s) != 10 {
		return false
	}
	sum := 0
	for i := 0; i < 10; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	for i := 0; i < 9; i++ {
		sum += int(s[i]-'0') * (10 - i)
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	if check == 10 {
		return false
	}
	return check == int(s[9]-'0')
}
