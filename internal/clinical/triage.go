package clinical

import (
	"strings"
	"unicode"
)

// CallbackPriority is the queue priority of a callback request.
type CallbackPriority string

// Callback priorities. Urgent requests are answered before standard ones.
const (
	CallbackUrgent   CallbackPriority = "urgent"
	CallbackStandard CallbackPriority = "standard"
)

// Triage is the priority given to a callback request when it is submitted.
type Triage struct {
	Priority CallbackPriority `json:"priority"`
	// ImmediateDanger: tell the person to call 999 now (the request is still
	// queued, as urgent).
	ImmediateDanger bool `json:"immediateDanger"`
	// Matched lists the configured terms found in the reason, immediate
	// danger terms first, each once.
	Matched []string `json:"matched"`
}

// TriageCallback triages a callback request from the answer to "are you
// safe right now?" and the reason the person wrote. Not being safe now, or
// immediate-danger wording, means immediate danger and urgent; risk wording
// means urgent; anything else is standard. Terms match whole words in any
// case, ignoring punctuation, so "Self-Harm!" matches "self harm". Wording
// only ever raises the priority: triage never refuses a request.
func TriageCallback(p CallbackProtocol, safeNow bool, reason string) Triage {
	text := normalizeWords(reason)
	t := Triage{Priority: CallbackStandard, ImmediateDanger: !safeNow, Matched: []string{}}
	for _, term := range p.ImmediateDangerTerms {
		if matchTerm(text, term) {
			t.ImmediateDanger = true
			t.Matched = append(t.Matched, term)
		}
	}
	risk := false
	for _, term := range p.RiskTerms {
		if matchTerm(text, term) {
			risk = true
			t.Matched = append(t.Matched, term)
		}
	}
	if t.ImmediateDanger || risk {
		t.Priority = CallbackUrgent
	}
	return t
}

// matchTerm reports whether the normalised text contains the term as whole
// words.
func matchTerm(text, term string) bool {
	words := normalizeWords(term)
	return words != " " && strings.Contains(text, words)
}

// normalizeWords lowercases s, drops apostrophes ("can't" → "cant"), turns
// every other non-letter, non-digit into a word break and returns the words
// separated by single spaces, with a space at each end.
func normalizeWords(s string) string {
	var b strings.Builder
	b.WriteByte(' ')
	space := true
	for _, r := range strings.ToLower(s) {
		switch {
		case r == '\'' || r == '’' || r == '‘' || r == 'ʼ':
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
			space = false
		case !space:
			b.WriteByte(' ')
			space = true
		}
	}
	if !space {
		b.WriteByte(' ')
	}
	return b.String()
}
