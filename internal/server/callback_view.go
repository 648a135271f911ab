package server

import (
	"fmt"
	"slices"
	"time"

	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/phone"
	"github.com/ketacare/ketacare/internal/store"
	"github.com/ketacare/ketacare/internal/web"
)

// callbackJSON is a callback request as the API shows it to callback staff.
type callbackJSON struct {
	ID               int64      `json:"id"`
	Reference        string     `json:"reference"`
	Name             string     `json:"name"`
	Phone            string     `json:"phone" doc:"E.164"`
	PhoneDisplay     string     `json:"phoneDisplay" doc:"as dialled from the UK"`
	Reason           string     `json:"reason"`
	SafeNow          bool       `json:"safeNow"`
	ImmediateDanger  bool       `json:"immediateDanger"`
	Matched          []string   `json:"matchedTerms" doc:"triage terms found in the reason"`
	Priority         string     `json:"priority" doc:"urgent or standard"`
	PreferredFrom    *time.Time `json:"preferredFrom,omitempty"`
	PreferredTo      *time.Time `json:"preferredTo,omitempty"`
	ConsentVoicemail bool       `json:"consentVoicemail"`
	PatientID        int64      `json:"patientId,omitempty"`
	Source           string     `json:"source" doc:"public or staff"`
	ProtocolVersion  int        `json:"protocolVersion"`
	Status           string     `json:"status" doc:"queued, claimed or closed"`
	DueAt            time.Time  `json:"dueAt" doc:"first-attempt target"`
	NextAttemptAt    time.Time  `json:"nextAttemptAt" doc:"not offered before this time"`
	Attempts         int        `json:"attempts"`
	FirstAttemptAt   *time.Time `json:"firstAttemptAt,omitempty"`
	LastAttemptAt    *time.Time `json:"lastAttemptAt,omitempty"`
	ClaimedBy        int64      `json:"claimedBy,omitempty"`
	ClaimedByEmail   string     `json:"claimedByEmail,omitempty"`
	LeaseExpiresAt   *time.Time `json:"leaseExpiresAt,omitempty"`
	Merged           int        `json:"merged" doc:"later requests from the same number merged into this one"`
	Outcome          string     `json:"outcome,omitempty"`
	ClosedAt         *time.Time `json:"closedAt,omitempty"`
	MissedTarget     bool       `json:"missedTarget"`
	CreatedAt        time.Time  `json:"createdAt"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func phoneDisplay(e164 string) string {
	n, err := phone.Parse(e164, phone.DefaultRegion)
	if err != nil {
		return e164
	}
	return n.Display(phone.DefaultRegion)
}

func toCallbackJSON(c store.Callback, now time.Time) callbackJSON {
	return callbackJSON{ID: c.ID, Reference: c.Reference, Name: c.Name, Phone: c.Phone, PhoneDisplay: phoneDisplay(c.Phone),
		Reason: c.Reason, SafeNow: c.SafeNow, ImmediateDanger: c.ImmediateDanger, Matched: c.Matched, Priority: string(c.Priority),
		PreferredFrom: optTime(c.PreferredFrom), PreferredTo: optTime(c.PreferredTo), ConsentVoicemail: c.ConsentVoicemail,
		PatientID: c.PatientID, Source: c.Source, ProtocolVersion: c.ProtocolVersion, Status: string(c.Status), DueAt: c.DueAt,
		NextAttemptAt: c.NextAttemptAt, Attempts: c.Attempts, FirstAttemptAt: optTime(c.FirstAttemptAt), LastAttemptAt: optTime(c.LastAttemptAt),
		ClaimedBy: c.ClaimedBy, ClaimedByEmail: c.ClaimedByEmail, LeaseExpiresAt: optTime(c.LeaseExpiresAt), Merged: c.Merged,
		Outcome: c.Outcome, ClosedAt: optTime(c.ClosedAt), MissedTarget: c.Missed(now), CreatedAt: c.CreatedAt}
}

// crisisJSON is a crisis line as the public API shows it.
type crisisJSON struct {
	Name         string   `json:"name"`
	Number       string   `json:"number"`
	Kind         string   `json:"kind" doc:"call or text"`
	Detail       string   `json:"detail"`
	Nations      []string `json:"nations"`
	LastVerified string   `json:"lastVerified" doc:"YYYY-MM-DD"`
}

func toCrisisJSON(p clinical.CallbackProtocol) []crisisJSON {
	out := []crisisJSON{}
	for _, c := range p.CrisisContacts {
		out = append(out, crisisJSON{Name: c.Name, Number: c.Number, Kind: c.Kind, Detail: c.Detail, Nations: c.Nations, LastVerified: c.LastVerified})
	}
	return out
}

var nationNames = map[string]string{
	clinical.NationEngland: "England", clinical.NationScotland: "Scotland",
	clinical.NationWales: "Wales", clinical.NationNorthernIreland: "Northern Ireland",
}

// crisisGroups arranges the protocol's crisis lines for a page: those that
// apply in every UK nation first, then each nation's own, each with the
// date it was last checked.
func crisisGroups(p clinical.CallbackProtocol) []web.CrisisGroup {
	view := func(c clinical.CrisisContact) web.CrisisContactView {
		v := web.CrisisContactView{Name: c.Name, Number: c.Number, Href: web.DialLink("tel", c.Number), Detail: c.Detail, LastVerified: c.LastVerified}
		if c.Kind == "text" {
			v.Text, v.Href = true, web.DialLink("sms", c.Number)
		}
		if d, err := time.Parse(time.DateOnly, c.LastVerified); err == nil {
			v.LastVerified = d.Format("2 January 2006")
		}
		return v
	}
	everywhere := web.CrisisGroup{Heading: "Anywhere in the UK"}
	byNation := map[string]*web.CrisisGroup{}
	var order []string
	for _, c := range p.CrisisContacts {
		if c.Number == "999" {
			continue // shown above every list
		}
		all := true
		for _, n := range []string{clinical.NationEngland, clinical.NationScotland, clinical.NationWales, clinical.NationNorthernIreland} {
			if !slices.Contains(c.Nations, n) {
				all = false
			}
		}
		if all {
			everywhere.Contacts = append(everywhere.Contacts, view(c))
			continue
		}
		for _, n := range c.Nations {
			g := byNation[n]
			if g == nil {
				name := nationNames[n]
				if name == "" {
					name = n
				}
				g = &web.CrisisGroup{Heading: "In " + name}
				byNation[n] = g
				order = append(order, n)
			}
			g.Contacts = append(g.Contacts, view(c))
		}
	}
	var out []web.CrisisGroup
	if len(everywhere.Contacts) > 0 {
		out = append(out, everywhere)
	}
	for _, n := range order {
		out = append(out, *byNation[n])
	}
	return out
}

// humanMinutes writes a number of minutes as people say it: "15 minutes",
// "2 hours", "1 hour 30 minutes".
func humanMinutes(m int) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case m < 60:
		return plural(m, "minute")
	case m%60 == 0:
		return plural(m/60, "hour")
	}
	return plural(m/60, "hour") + " " + plural(m%60, "minute")
}

// shortDuration is a compact duration for the queue: "8 min", "2 h 5 min".
func shortDuration(d time.Duration) string {
	m := int(d.Round(time.Minute) / time.Minute)
	if m < 60 {
		return fmt.Sprintf("%d min", m)
	}
	if m%60 == 0 {
		return fmt.Sprintf("%d h", m/60)
	}
	return fmt.Sprintf("%d h %d min", m/60, m%60)
}

func londonClock(t time.Time, now time.Time) string {
	lt, ln := t.In(web.London), now.In(web.London)
	if lt.YearDay() == ln.YearDay() && lt.Year() == ln.Year() {
		return lt.Format("15:04")
	}
	return lt.Format("Mon 2 Jan 15:04")
}

// expectation tells the person when to expect the first call, from this
// submission's own target.
func expectation(p clinical.CallbackProtocol, t clinical.Triage, preferredFrom, preferredTo, now time.Time) string {
	if t.Priority == clinical.CallbackUrgent {
		return fmt.Sprintf("A counsellor will try to call you within %s.", humanMinutes(p.UrgentFirstAttemptMinutes))
	}
	if preferredFrom.After(now) {
		s := "A counsellor will try to call you from " + londonClock(preferredFrom, now)
		if !preferredTo.IsZero() {
			s += " until " + londonClock(preferredTo, now)
		}
		return s + " (UK time)."
	}
	return fmt.Sprintf("A counsellor will try to call you within %s.", humanMinutes(p.StandardFirstAttemptMinutes))
}

// target describes the first-call target of a request at now.
func target(c store.Callback, now time.Time) (string, bool) {
	switch {
	case !c.FirstAttemptAt.IsZero() && c.FirstAttemptAt.After(c.DueAt):
		return "Missed (first call " + shortDuration(c.FirstAttemptAt.Sub(c.DueAt)) + " late)", true
	case !c.FirstAttemptAt.IsZero():
		return "Met", false
	case !c.Open():
		return "Closed", false
	case now.After(c.DueAt):
		return "Overdue by " + shortDuration(now.Sub(c.DueAt)), true
	}
	return shortDuration(c.DueAt.Sub(now)) + " left (by " + londonClock(c.DueAt, now) + ")", false
}

func callbackStatus(c store.Callback, now time.Time, me int64) string {
	switch {
	case c.Status == store.CallbackClosed:
		return "Closed " + londonClock(c.ClosedAt, now)
	case c.Status == store.CallbackClaimed && !now.Before(c.LeaseExpiresAt):
		return "Claim expired: back in the queue"
	case c.Status == store.CallbackClaimed && c.ClaimedBy == me:
		return "With you until " + londonClock(c.LeaseExpiresAt, now)
	case c.Status == store.CallbackClaimed:
		return "With " + c.ClaimedByEmail + " until " + londonClock(c.LeaseExpiresAt, now)
	case c.NextAttemptAt.After(now):
		return "Next call from " + londonClock(c.NextAttemptAt, now)
	}
	return "Waiting"
}

func callbackRow(c store.Callback, now time.Time, me int64, maxAttempts int) web.CallbackRow {
	tgt, over := target(c, now)
	row := web.CallbackRow{ID: c.ID, Reference: c.Reference, Name: c.Name, Urgent: c.Priority == clinical.CallbackUrgent,
		Danger: c.ImmediateDanger, Target: tgt, Overdue: over, Status: callbackStatus(c, now, me),
		Waiting:  londonClock(c.CreatedAt, now) + " (" + shortDuration(now.Sub(c.CreatedAt)) + " ago)",
		Attempts: fmt.Sprintf("%d of %d", c.Attempts, maxAttempts),
		Mine:     c.HeldBy(me, now)}
	if c.Status == store.CallbackClosed {
		row.Outcome = store.OutcomeLabel(c.Outcome)
	}
	return row
}

func windowText(c store.Callback, now time.Time) string {
	switch {
	case !c.PreferredFrom.IsZero() && !c.PreferredTo.IsZero():
		return londonClock(c.PreferredFrom, now) + " to " + londonClock(c.PreferredTo, now) + " (UK time)"
	case !c.PreferredFrom.IsZero():
		return "From " + londonClock(c.PreferredFrom, now) + " (UK time)"
	case !c.PreferredTo.IsZero():
		return "Until " + londonClock(c.PreferredTo, now) + " (UK time)"
	}
	return ""
}
