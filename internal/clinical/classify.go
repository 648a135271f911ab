package clinical

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// AnxietyClass is the classification of anxiety after one dosing session.
type AnxietyClass string

// Anxiety classes.
const (
	AnxietyNone       AnxietyClass = "none"
	AnxietyTransient  AnxietyClass = "transient"  // elevated in session, resolved by discharge
	AnxietyPersistent AnxietyClass = "persistent" // beyond the acute effects: needs a clinician review
)

// Classification rules, as recorded in Evidence.Rule.
const (
	EvidenceInSessionElevated   = "in-session-elevated"   // transient: an anxiety warning fired
	EvidenceResolvedByDischarge = "resolved-by-discharge" // transient: back to baseline + margin
	EvidenceElevatedAtDischarge = "elevated-at-discharge"
	EvidenceResolutionUnknown   = "resolution-unknown" // a warning fired and resolution cannot be shown
	EvidenceCheckinElevated     = "checkin-elevated"
	EvidenceGAD7Rise            = "gad7-rise"
	EvidenceRecurring           = "recurring-in-session"
)

// Where a piece of evidence comes from (Evidence.Source).
const (
	SourceObservation = "observation"
	SourceCheckin     = "checkin"
	SourceAssessment  = "assessment"
	SourceSession     = "session"
)

// Evidence is one recorded fact behind a classification.
type Evidence struct {
	Rule     string    `json:"rule"`
	Source   string    `json:"source"`
	SourceID int64     `json:"sourceId"`
	At       time.Time `json:"at"`
	Detail   string    `json:"detail"`
}

// NRSReading is an anxiety rating (0–10) recorded at an observation.
type NRSReading struct {
	ID  int64     `json:"id"`
	At  time.Time `json:"at"`
	NRS int       `json:"nrs"`
}

// CheckinNRS is the anxiety rating of a completed check-in. Offset is the
// check-in's scheduled offset from the first dose (24h, 72h, ...).
type CheckinNRS struct {
	ID     int64         `json:"id"`
	At     time.Time     `json:"at"`
	Offset time.Duration `json:"offset"`
	NRS    int           `json:"nrs"`
}

// GAD7Reading is the total of one completed GAD-7.
type GAD7Reading struct {
	ID    int64     `json:"id"`
	At    time.Time `json:"at"`
	Total int       `json:"total"`
}

// PriorSession says whether anxiety occurred in an earlier dosing session
// (an anxiety warning rule fired).
type PriorSession struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	Anxious bool      `json:"anxious"`
}

// ClassificationInput is what is known about one dosing session and what
// followed it. Only data up to now is needed: classify again as check-ins
// and questionnaires arrive.
type ClassificationInput struct {
	SessionID int64     `json:"sessionId"`
	DosedAt   time.Time `json:"dosedAt"` // first dose
	// BaselineNRS is the pre-dose anxiety rating (nil: not recorded).
	BaselineNRS *int `json:"baselineNrs,omitempty"`
	// Observations are the in-session anxiety ratings after dosing.
	Observations []NRSReading `json:"observations"`
	// WarningFired: an in-session anxiety warning (or critical) rule fired.
	WarningFired bool `json:"warningFired"`
	// Discharge is the rating at discharge; when nil, the last observation
	// stands in for it.
	Discharge *NRSReading  `json:"discharge,omitempty"`
	Checkins  []CheckinNRS `json:"checkins"`
	// GAD7Baseline is the pre-course GAD-7; GAD7Later are those since.
	GAD7Baseline *GAD7Reading  `json:"gad7Baseline,omitempty"`
	GAD7Later    []GAD7Reading `json:"gad7Later"`
	// PreviousSessions are the patient's earlier dosing sessions in the
	// course, in any order.
	PreviousSessions []PriorSession `json:"previousSessions"`
	// RiskFlags are open risk flags for the patient (for example
	// FlagPHQ9Item9 or a C-SSRS result); any makes a review urgent.
	RiskFlags []string `json:"riskFlags"`
}

// Classification is the outcome of Classify.
type Classification struct {
	Class    AnxietyClass `json:"class"`
	Evidence []Evidence   `json:"evidence"`
	// ReviewWithin is how soon a clinician review is due; zero unless the
	// class is persistent. UrgentReasons say why it is urgent, if it is.
	ReviewWithin  time.Duration `json:"reviewWithin"`
	UrgentReview  bool          `json:"urgentReview"`
	UrgentReasons []string      `json:"urgentReasons"`
	// Missing names data that was absent, so that some rules could not be
	// applied: "baseline-nrs", "discharge-nrs", "gad7-baseline".
	Missing []string `json:"missing"`
}

// Classify classifies the anxiety of one dosing session as none, transient
// or persistent, following section 4 of the clinical protocol with the
// thresholds of p.
//
// Persistent, any of: NRS at discharge above baseline + ResolvedMargin; a
// check-in at CheckinFromHours or later with NRS ≥ baseline + CheckinRiseMin
// or ≥ CheckinNRSMin; a later GAD-7 at least GAD7RiseMin above the
// pre-course baseline; anxiety in this and the previous dosing sessions,
// RecurringSessions in a row. A warning that fired when resolution cannot
// be shown (no baseline or discharge rating) is also treated as persistent,
// so that a clinician looks. Transient: a warning fired, anxiety resolved
// by discharge, and none of the above. Check-ins earlier than
// CheckinFromHours fall within the acute effects and are not used.
func Classify(p FollowupProtocol, in ClassificationInput) Classification {
	c := Classification{Class: AnxietyNone, Evidence: []Evidence{}, UrgentReasons: []string{}, Missing: []string{}}
	base := in.BaselineNRS
	if base == nil {
		c.Missing = append(c.Missing, "baseline-nrs")
	}
	discharge, dischargeNote := in.Discharge, "at discharge"
	if discharge == nil {
		c.Missing = append(c.Missing, "discharge-nrs")
		if last, ok := lastReading(in.Observations); ok {
			discharge, dischargeNote = &last, "at the last observation (no discharge rating)"
		}
	}
	resolved := func() bool { return discharge.NRS <= *base+p.ResolvedMargin }

	// Persistent rules.
	var persistent []Evidence
	switch {
	case base != nil && discharge != nil && !resolved():
		persistent = append(persistent, Evidence{EvidenceElevatedAtDischarge, SourceObservation, discharge.ID, discharge.At,
			fmt.Sprintf("NRS %d %s, above baseline %d + %d", discharge.NRS, dischargeNote, *base, p.ResolvedMargin)})
	case in.WarningFired && (base == nil || discharge == nil):
		persistent = append(persistent, Evidence{EvidenceResolutionUnknown, SourceSession, in.SessionID, in.DosedAt,
			"An anxiety warning fired, but without a baseline and a discharge rating resolution cannot be shown"})
	}

	checkins := slices.Clone(in.Checkins)
	slices.SortStableFunc(checkins, func(a, b CheckinNRS) int {
		return cmp.Or(cmp.Compare(a.Offset, b.Offset), a.At.Compare(b.At), cmp.Compare(a.ID, b.ID))
	})
	from := time.Duration(p.CheckinFromHours) * time.Hour
	for _, ci := range checkins {
		if ci.Offset < from {
			continue
		}
		var why []string
		if ci.NRS >= p.CheckinNRSMin {
			why = append(why, fmt.Sprintf("≥ %d", p.CheckinNRSMin))
		}
		if base != nil && ci.NRS >= *base+p.CheckinRiseMin {
			why = append(why, fmt.Sprintf("≥ baseline %d + %d", *base, p.CheckinRiseMin))
		}
		if len(why) > 0 {
			persistent = append(persistent, Evidence{EvidenceCheckinElevated, SourceCheckin, ci.ID, ci.At,
				fmt.Sprintf("NRS %d at the %s check-in (%s)", ci.NRS, formatOffset(ci.Offset), strings.Join(why, ", "))})
		}
	}

	gad7 := slices.Clone(in.GAD7Later)
	slices.SortStableFunc(gad7, func(a, b GAD7Reading) int { return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.ID, b.ID)) })
	if in.GAD7Baseline == nil {
		c.Missing = append(c.Missing, "gad7-baseline")
	} else {
		for _, g := range gad7 {
			if rise := g.Total - in.GAD7Baseline.Total; rise >= p.GAD7RiseMin {
				persistent = append(persistent, Evidence{EvidenceGAD7Rise, SourceAssessment, g.ID, g.At,
					fmt.Sprintf("GAD-7 %d, %d above the pre-course baseline %d (rise ≥ %d)", g.Total, rise, in.GAD7Baseline.Total, p.GAD7RiseMin)})
			}
		}
	}

	if run := recurringRun(in, p.RecurringSessions); run != nil {
		for _, s := range run {
			persistent = append(persistent, Evidence{EvidenceRecurring, SourceSession, s.ID, s.At,
				fmt.Sprintf("In-session anxiety in %d consecutive dosing sessions", p.RecurringSessions)})
		}
	}

	switch {
	case len(persistent) > 0:
		c.Class, c.Evidence = AnxietyPersistent, persistent
		c.ReviewWithin = time.Duration(p.ReviewDueMinutes) * time.Minute
		latest := in.GAD7Baseline
		if len(gad7) > 0 {
			latest = &gad7[len(gad7)-1]
		}
		if latest != nil && latest.Total >= p.UrgentGAD7Min {
			c.UrgentReasons = append(c.UrgentReasons, "gad7-urgent")
		}
		c.UrgentReasons = append(c.UrgentReasons, in.RiskFlags...)
		if len(c.UrgentReasons) > 0 {
			c.UrgentReview = true
			c.ReviewWithin = time.Duration(p.UrgentReviewDueMinutes) * time.Minute
		}
	case in.WarningFired: // resolution was shown, or it would be persistent
		c.Class = AnxietyTransient
		peak := Evidence{EvidenceInSessionElevated, SourceSession, in.SessionID, in.DosedAt, "An in-session anxiety warning fired"}
		if top, ok := peakReading(in.Observations); ok {
			peak = Evidence{EvidenceInSessionElevated, SourceObservation, top.ID, top.At,
				fmt.Sprintf("An in-session anxiety warning fired; peak NRS %d, baseline %d", top.NRS, *base)}
		}
		c.Evidence = []Evidence{peak, {EvidenceResolvedByDischarge, SourceObservation, discharge.ID, discharge.At,
			fmt.Sprintf("NRS %d %s, within baseline %d + %d", discharge.NRS, dischargeNote, *base, p.ResolvedMargin)}}
	}
	return c
}

// recurringRun returns this dosing session and the ones before it when
// anxiety occurred in each of the last n in a row, oldest first; else nil.
func recurringRun(in ClassificationInput, n int) []PriorSession {
	if !in.WarningFired || len(in.PreviousSessions) < n-1 {
		return nil
	}
	prev := slices.Clone(in.PreviousSessions)
	slices.SortStableFunc(prev, func(a, b PriorSession) int { return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.ID, b.ID)) })
	run := prev[len(prev)-(n-1):]
	for _, s := range run {
		if !s.Anxious {
			return nil
		}
	}
	return append(run, PriorSession{ID: in.SessionID, At: in.DosedAt, Anxious: true})
}

// lastReading returns the latest reading by time.
func lastReading(rs []NRSReading) (NRSReading, bool) {
	if len(rs) == 0 {
		return NRSReading{}, false
	}
	return slices.MaxFunc(rs, func(a, b NRSReading) int { return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.ID, b.ID)) }), true
}

// peakReading returns the highest reading, the earliest among equals.
func peakReading(rs []NRSReading) (NRSReading, bool) {
	if len(rs) == 0 {
		return NRSReading{}, false
	}
	return slices.MaxFunc(rs, func(a, b NRSReading) int {
		return cmp.Or(cmp.Compare(a.NRS, b.NRS), b.At.Compare(a.At), cmp.Compare(b.ID, a.ID))
	}), true
}

// formatOffset writes a check-in offset as "+24h" or "+7d".
func formatOffset(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("+%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("+%dh", d/time.Hour)
	}
	return "+" + d.String()
}
