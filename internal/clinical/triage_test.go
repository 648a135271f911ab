package clinical

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTriageCallback(t *testing.T) {
	p := defaultCallback()
	cases := []struct {
		name    string
		safeNow bool
		reason  string
		want    Triage
	}{
		{"nothing of note", true, "Please call me about my next appointment.",
			Triage{Priority: CallbackStandard, Matched: []string{}}},
		{"empty reason", true, "", Triage{Priority: CallbackStandard, Matched: []string{}}},
		{"not safe now", false, "", Triage{Priority: CallbackUrgent, ImmediateDanger: true, Matched: []string{}}},
		{"overdose, any case and punctuation", true, "I think I took an OVERDOSE!!",
			Triage{Priority: CallbackUrgent, ImmediateDanger: true, Matched: []string{"overdose"}}},
		{"chest pain across a line break", true, "I have chest\npain since the infusion",
			Triage{Priority: CallbackUrgent, ImmediateDanger: true, Matched: []string{"chest pain"}}},
		{"hyphenated chest-pain", true, "chest-pain",
			Triage{Priority: CallbackUrgent, ImmediateDanger: true, Matched: []string{"chest pain"}}},
		{"curly apostrophe", true, "I can’t breathe properly",
			Triage{Priority: CallbackUrgent, ImmediateDanger: true, Matched: []string{"can't breathe"}}},
		{"apostrophe left out", true, "i dont feel safe tonight",
			Triage{Priority: CallbackUrgent, ImmediateDanger: true, Matched: []string{"don't feel safe"}}},
		{"self-harm with a hyphen", true, "Thoughts of self-harm",
			Triage{Priority: CallbackUrgent, Matched: []string{"self-harm"}}},
		{"self harm with a space", true, "thoughts of self harm",
			Triage{Priority: CallbackUrgent, Matched: []string{"self-harm"}}},
		{"self harm in capitals with an underscore", true, "SELF_HARM",
			Triage{Priority: CallbackUrgent, Matched: []string{"self-harm"}}},
		{"selfharm as one word", true, "selfharm again",
			Triage{Priority: CallbackUrgent, Matched: []string{"selfharm"}}},
		{"kill myself", true, "I want to kill myself.",
			Triage{Priority: CallbackUrgent, Matched: []string{"kill myself"}}},
		{"suicidal", true, "Feeling suicidal after Tuesday",
			Triage{Priority: CallbackUrgent, Matched: []string{"suicidal"}}},
		{"relapse", true, "I relapsed last night",
			Triage{Priority: CallbackUrgent, Matched: []string{"relapsed"}}},
		{"danger and risk together, each term once", false, "Overdose. overdose! I want to end my life",
			Triage{Priority: CallbackUrgent, ImmediateDanger: true, Matched: []string{"overdose", "end my life"}}},
		{"a word inside another word does not match", true, "I need a skill myself; my pharmacist says 'harmless'",
			Triage{Priority: CallbackStandard, Matched: []string{}}},
		{"selfish is not self harm", true, "I feel selfish asking",
			Triage{Priority: CallbackStandard, Matched: []string{}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := TriageCallback(p, c.safeNow, c.reason)
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("TriageCallback(%v, %q) (-want +got):\n%s", c.safeNow, c.reason, diff)
			}
		})
	}
}

func TestTriageFollowsConfiguredTerms(t *testing.T) {
	p := defaultCallback()
	p.ImmediateDangerTerms = []string{"fainted", "  "} // a blank term never matches
	p.RiskTerms = []string{"Hopeless"}
	cases := []struct {
		reason string
		want   Triage
	}{
		{"I overdosed", Triage{Priority: CallbackStandard, Matched: []string{}}},
		{"she FAINTED", Triage{Priority: CallbackUrgent, ImmediateDanger: true, Matched: []string{"fainted"}}},
		{"feeling hopeless", Triage{Priority: CallbackUrgent, Matched: []string{"Hopeless"}}},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, TriageCallback(p, true, c.reason)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", c.reason, diff)
		}
	}
}

func TestNormalizeWords(t *testing.T) {
	cases := map[string]string{
		"":                      " ",
		"  Self-Harm!! ":        " self harm ",
		"can't / won’t":         " cant wont ",
		"Überdosis\t2x":         " überdosis 2x ",
		"...":                   " ",
		"kill\u00a0myself":      " kill myself ",
		"end-my-life--tonight.": " end my life tonight ",
	}
	for in, want := range cases {
		if got := normalizeWords(in); got != want {
			t.Errorf("normalizeWords(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDefaultCallbackMatchesReference(t *testing.T) {
	p := defaultCallback()
	got := []int{p.UrgentFirstAttemptMinutes, p.StandardFirstAttemptMinutes, p.LeaseMinutes, p.MaxAttempts, p.RetrySpacingMinutes}
	if diff := cmp.Diff([]int{15, 120, 10, 3, 30}, got); diff != "" {
		t.Errorf("service levels (-want +got):\n%s", diff)
	}
	if err := p.validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
	var numbers []string
	for _, c := range p.ContactsFor(NationEngland) {
		numbers = append(numbers, c.Number)
	}
	if diff := cmp.Diff([]string{"999", "111", "116 123", "85258", "0300 123 6600"}, numbers); diff != "" {
		t.Errorf("crisis numbers shown in England (-want +got):\n%s", diff)
	}
	numbers = nil
	for _, c := range p.ContactsFor(NationScotland) {
		numbers = append(numbers, c.Number)
	}
	if diff := cmp.Diff([]string{"999", "116 123", "85258", "0300 123 6600"}, numbers); diff != "" {
		t.Errorf("crisis numbers shown in Scotland: NHS 111 option 2 is England's (-want +got):\n%s", diff)
	}
	for _, c := range p.CrisisContacts {
		if strings.Contains(c.Name, "NHS 111") && !strings.Contains(c.Detail, "option 2") {
			t.Errorf("NHS 111 contact does not say option 2: %q", c.Detail)
		}
	}
}

func TestStaleContacts(t *testing.T) {
	p := defaultCallback()
	verified, err := time.Parse(time.DateOnly, p.CrisisContacts[0].LastVerified)
	if err != nil {
		t.Fatal(err)
	}
	limit := verified.Add(time.Duration(p.ContactsReverifyDays) * 24 * time.Hour)
	if got := p.StaleContacts(limit); len(got) != 0 {
		t.Errorf("on the last day %d contacts are stale, want none", len(got))
	}
	if got := p.StaleContacts(limit.Add(time.Minute)); len(got) != len(p.CrisisContacts) {
		t.Errorf("after the limit %d contacts are stale, want %d", len(got), len(p.CrisisContacts))
	}
	p.CrisisContacts[1].LastVerified = limit.Format(time.DateOnly)
	if got := p.StaleContacts(limit.Add(time.Minute)); len(got) != len(p.CrisisContacts)-1 {
		t.Errorf("after re-verifying one, %d contacts are stale, want %d", len(got), len(p.CrisisContacts)-1)
	}
}

func TestCallbackProtocolValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(*CallbackProtocol)
		want string
	}{
		{"urgent slower than standard", func(p *CallbackProtocol) { p.UrgentFirstAttemptMinutes = 121 }, "urgentFirstAttemptMinutes"},
		{"no lease", func(p *CallbackProtocol) { p.LeaseMinutes = 0 }, "leaseMinutes"},
		{"no attempts", func(p *CallbackProtocol) { p.MaxAttempts = 0 }, "maxAttempts"},
		{"no spacing", func(p *CallbackProtocol) { p.RetrySpacingMinutes = 0 }, "retrySpacingMinutes"},
		{"no danger terms", func(p *CallbackProtocol) { p.ImmediateDangerTerms = nil }, "immediateDangerTerms is empty"},
		{"blank risk term", func(p *CallbackProtocol) { p.RiskTerms = append(p.RiskTerms, " - ") }, `riskTerms: term " - " has no words`},
		{"no contacts", func(p *CallbackProtocol) { p.CrisisContacts = nil }, "no crisis contacts"},
		{"contact without number", func(p *CallbackProtocol) { p.CrisisContacts[2].Number = "" }, "needs a name and a number"},
		{"contact kind", func(p *CallbackProtocol) { p.CrisisContacts[3].Kind = "sms" }, "kind must be call or text"},
		{"contact nation", func(p *CallbackProtocol) { p.CrisisContacts[0].Nations = []string{"England"} }, `nation "England"`},
		{"contact without nation", func(p *CallbackProtocol) { p.CrisisContacts[0].Nations = nil }, "lists no nation"},
		{"verified date", func(p *CallbackProtocol) { p.CrisisContacts[4].LastVerified = "25/11/2026" }, "not a YYYY-MM-DD date"},
		{"reverify", func(p *CallbackProtocol) { p.ContactsReverifyDays = 0 }, "contactsReverifyDays"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := defaultCallback()
			c.edit(&p)
			if err := p.validate(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("validate() = %v, want an error mentioning %q", err, c.want)
			}
		})
	}
}
