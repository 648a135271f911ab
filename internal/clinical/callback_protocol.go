package clinical

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// CallbackProtocol holds the numbers and word lists of the 24-hour callback
// service: service levels, the claim lease, attempts, triage wording and
// the crisis contacts shown to everyone.
type CallbackProtocol struct {
	// First call attempt due within these minutes of the request (a
	// standard request with a preferred window is due at the window's
	// start instead, when that is later).
	UrgentFirstAttemptMinutes   int `json:"urgentFirstAttemptMinutes"`
	StandardFirstAttemptMinutes int `json:"standardFirstAttemptMinutes"`
	// LeaseMinutes: how long a counsellor's claim lasts before it must be
	// renewed; an expired claim returns the request to the queue.
	LeaseMinutes int `json:"leaseMinutes"`
	// At most MaxAttempts calls, at least RetrySpacingMinutes apart.
	MaxAttempts         int `json:"maxAttempts"`
	RetrySpacingMinutes int `json:"retrySpacingMinutes"`

	// Triage wording, matched as whole words in any case, ignoring
	// punctuation ("self-harm" matches "self harm"). Immediate danger
	// means "call 999 now" and urgent; risk means urgent.
	ImmediateDangerTerms []string `json:"immediateDangerTerms"`
	RiskTerms            []string `json:"riskTerms"`

	// CrisisContacts are shown to everyone, always.
	CrisisContacts []CrisisContact `json:"crisisContacts"`
	// ContactsReverifyDays: a contact not verified for this long is stale.
	ContactsReverifyDays int `json:"contactsReverifyDays"`
}

// UK nations, as used in CrisisContact.Nations.
const (
	NationEngland         = "england"
	NationScotland        = "scotland"
	NationWales           = "wales"
	NationNorthernIreland = "northern-ireland"
)

// CrisisContact is a crisis line shown to patients and callers.
type CrisisContact struct {
	Name   string `json:"name"`
	Number string `json:"number"` // as dialled or texted, e.g. "116 123"
	Kind   string `json:"kind"`   // "call" or "text"
	Detail string `json:"detail"` // what to do and when it is open
	// Nations where the contact applies (lowercase-hyphen codes).
	Nations []string `json:"nations"`
	// LastVerified is the date (YYYY-MM-DD) someone last checked the number.
	LastVerified string `json:"lastVerified"`
}

var ukNations = []string{NationEngland, NationScotland, NationWales, NationNorthernIreland}

func defaultCallback() CallbackProtocol {
	// Numbers as given in the clinical protocol reference on this date; the
	// clinic re-verifies them and records the date.
	const verified = "2026-11-25"
	return CallbackProtocol{
		UrgentFirstAttemptMinutes:   15,
		StandardFirstAttemptMinutes: 120,
		LeaseMinutes:                10,
		MaxAttempts:                 3,
		RetrySpacingMinutes:         30,
		ImmediateDangerTerms: []string{
			"overdose", "overdosed", "overdosing", "taken too much", "took too much",
			"chest pain", "chest pains", "heart attack", "stroke",
			"can't breathe", "cannot breathe", "can not breathe", "struggling to breathe", "not breathing",
			"unconscious", "unresponsive", "collapsed", "seizure", "seizures",
			"not safe", "don't feel safe", "do not feel safe",
		},
		RiskTerms: []string{
			"suicide", "suicidal", "kill myself", "killing myself", "end my life", "ending my life", "take my life",
			"want to die", "better off dead", "no reason to live",
			"self-harm", "self-harming", "selfharm", "harm myself", "harming myself", "hurt myself", "hurting myself", "cut myself", "cutting myself",
			"relapse", "relapsed", "relapsing", "using again", "drinking again",
		},
		CrisisContacts: []CrisisContact{
			{Name: "Emergency services", Number: "999", Kind: "call",
				Detail: "If you are in danger now or someone's life is at risk.", Nations: ukNations, LastVerified: verified},
			{Name: "NHS 111, mental health option", Number: "111", Kind: "call",
				Detail: "Choose option 2 for the 24-hour NHS mental health line.", Nations: []string{NationEngland}, LastVerified: verified},
			{Name: "Samaritans", Number: "116 123", Kind: "call",
				Detail: "Free, 24 hours a day.", Nations: ukNations, LastVerified: verified},
			{Name: "Shout", Number: "85258", Kind: "text",
				Detail: "Text SHOUT to 85258: free, 24 hours a day.", Nations: ukNations, LastVerified: verified},
			{Name: "FRANK drugs helpline", Number: "0300 123 6600", Kind: "call",
				Detail: "Confidential advice about drugs.", Nations: ukNations, LastVerified: verified},
		},
		ContactsReverifyDays: 180,
	}
}

// ContactsFor returns the crisis contacts that apply in a nation, in their
// configured order.
func (p CallbackProtocol) ContactsFor(nation string) []CrisisContact {
	var out []CrisisContact
	for _, c := range p.CrisisContacts {
		if slices.Contains(c.Nations, nation) {
			out = append(out, c)
		}
	}
	return out
}

// StaleContacts returns the crisis contacts last verified more than
// ContactsReverifyDays before now.
func (p CallbackProtocol) StaleContacts(now time.Time) []CrisisContact {
	var out []CrisisContact
	for _, c := range p.CrisisContacts {
		verified, err := time.Parse(time.DateOnly, c.LastVerified)
		if err != nil || now.Sub(verified) > time.Duration(p.ContactsReverifyDays)*24*time.Hour {
			out = append(out, c)
		}
	}
	return out
}

func (p CallbackProtocol) validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf("callback: "+format, args...))
		}
	}
	check(p.UrgentFirstAttemptMinutes > 0 && p.UrgentFirstAttemptMinutes <= p.StandardFirstAttemptMinutes,
		"must have 0 < urgentFirstAttemptMinutes ≤ standardFirstAttemptMinutes (got %d, %d)", p.UrgentFirstAttemptMinutes, p.StandardFirstAttemptMinutes)
	check(p.LeaseMinutes > 0, "leaseMinutes must be positive (got %d)", p.LeaseMinutes)
	check(p.MaxAttempts >= 1, "maxAttempts must be at least 1 (got %d)", p.MaxAttempts)
	check(p.RetrySpacingMinutes > 0, "retrySpacingMinutes must be positive (got %d)", p.RetrySpacingMinutes)
	check(p.ContactsReverifyDays > 0, "contactsReverifyDays must be positive (got %d)", p.ContactsReverifyDays)
	checkTerms := func(name string, terms []string) {
		check(len(terms) > 0, "%s is empty", name)
		for _, t := range terms {
			check(normalizeWords(t) != " ", "%s: term %q has no words", name, t)
		}
	}
	checkTerms("immediateDangerTerms", p.ImmediateDangerTerms)
	checkTerms("riskTerms", p.RiskTerms)
	check(len(p.CrisisContacts) > 0, "no crisis contacts")
	for i, c := range p.CrisisContacts {
		check(c.Name != "" && c.Number != "", "crisis contact %d needs a name and a number", i+1)
		check(c.Kind == "call" || c.Kind == "text", "crisis contact %q: kind must be call or text (got %q)", c.Name, c.Kind)
		check(len(c.Nations) > 0, "crisis contact %q lists no nation", c.Name)
		for _, n := range c.Nations {
			check(codePattern.MatchString(n), "crisis contact %q: nation %q is not a lowercase-hyphen code", c.Name, n)
		}
		_, err := time.Parse(time.DateOnly, c.LastVerified)
		check(err == nil, "crisis contact %q: lastVerified %q is not a YYYY-MM-DD date", c.Name, c.LastVerified)
	}
	return errors.Join(errs...)
}
