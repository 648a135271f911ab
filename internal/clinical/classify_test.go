package clinical

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultFollowupMatchesReference(t *testing.T) {
	p := defaultFollowup()
	if diff := cmp.Diff([]time.Duration{24 * time.Hour, 72 * time.Hour, 7 * 24 * time.Hour}, p.CheckinOffsets()); diff != "" {
		t.Errorf("check-in offsets (-want +got):\n%s", diff)
	}
	got := []int{
		p.GAD7CheckinHours, p.CourseQuestionnaireDays, p.ResolvedMargin, p.CheckinFromHours, p.CheckinRiseMin,
		p.CheckinNRSMin, p.GAD7RiseMin, p.RecurringSessions, p.ReviewDueMinutes, p.UrgentReviewDueMinutes, p.UrgentGAD7Min,
	}
	want := []int{168, 7, 1, 24, 3, 7, 4, 3, 1440, 60, 15}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults differ from the protocol reference (-want +got):\n%s", diff)
	}
	if err := p.validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
}

// tunedFollowup moves every classification threshold away from the
// defaults.
func tunedFollowup() FollowupProtocol {
	p := defaultFollowup()
	p.ResolvedMargin, p.CheckinFromHours, p.CheckinRiseMin, p.CheckinNRSMin = 2, 48, 4, 8
	p.GAD7RiseMin, p.RecurringSessions = 6, 4
	p.ReviewDueMinutes, p.UrgentReviewDueMinutes, p.UrgentGAD7Min = 12*60, 30, 18
	return p
}

var dosed = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// quietSession is a dosing session with a baseline NRS of 2 and nothing
// elevated, before any check-in.
func quietSession() ClassificationInput {
	return ClassificationInput{
		SessionID:    50,
		DosedAt:      dosed,
		BaselineNRS:  new(2),
		Observations: []NRSReading{{ID: 1, At: dosed.Add(15 * time.Minute), NRS: 2}, {ID: 2, At: dosed.Add(30 * time.Minute), NRS: 3}},
		Discharge:    &NRSReading{ID: 3, At: dosed.Add(2 * time.Hour), NRS: 2},
		GAD7Baseline: &GAD7Reading{ID: 900, At: dosed.Add(-7 * 24 * time.Hour), Total: 8},
	}
}

// anxiousSession had a warning fire with a peak NRS of 8 at observation 2.
func anxiousSession() ClassificationInput {
	in := quietSession()
	in.WarningFired = true
	in.Observations = []NRSReading{
		{ID: 1, At: dosed.Add(15 * time.Minute), NRS: 5},
		{ID: 2, At: dosed.Add(30 * time.Minute), NRS: 8},
		{ID: 4, At: dosed.Add(45 * time.Minute), NRS: 8},
		{ID: 5, At: dosed.Add(60 * time.Minute), NRS: 4},
	}
	return in
}

func evidenceRules(ev []Evidence) []string {
	rules := []string{}
	for _, e := range ev {
		rules = append(rules, e.Rule)
	}
	return rules
}

func TestClassifyThresholds(t *testing.T) {
	for name, p := range map[string]FollowupProtocol{"default": defaultFollowup(), "tuned": tunedFollowup()} {
		if err := p.validate(); err != nil {
			t.Fatalf("%s protocol invalid: %v", name, err)
		}
		from := time.Duration(p.CheckinFromHours) * time.Hour
		checkin := func(offset time.Duration, nrs int) []CheckinNRS {
			return []CheckinNRS{{ID: 70, At: dosed.Add(offset + time.Hour), Offset: offset, NRS: nrs}}
		}
		gad7 := func(total int) []GAD7Reading {
			return []GAD7Reading{{ID: 901, At: dosed.Add(7 * 24 * time.Hour), Total: total}}
		}
		previous := func(anxious ...bool) []PriorSession {
			var s []PriorSession
			for i, a := range anxious {
				s = append(s, PriorSession{ID: int64(40 + i), At: dosed.Add(time.Duration(i-len(anxious)) * 7 * 24 * time.Hour), Anxious: a})
			}
			return s
		}
		allAnxious := func(n int) []bool {
			b := make([]bool, n)
			for i := range b {
				b[i] = true
			}
			return b
		}
		// Baseline is 2 in every case: the relative check-in rule needs
		// 2 + CheckinRiseMin, which stays below CheckinNRSMin for both
		// protocols, so the two rules are tested apart.
		rise := 2 + p.CheckinRiseMin
		cases := []struct {
			name  string
			base  func() ClassificationInput
			edit  func(*ClassificationInput)
			class AnxietyClass
			rules []string
		}{
			{"nothing elevated", quietSession, nil, AnxietyNone, []string{}},
			{"warning, resolved to baseline + margin", anxiousSession,
				func(in *ClassificationInput) { in.Discharge.NRS = 2 + p.ResolvedMargin },
				AnxietyTransient, []string{EvidenceInSessionElevated, EvidenceResolvedByDischarge}},
			{"warning, one above baseline + margin at discharge", anxiousSession,
				func(in *ClassificationInput) { in.Discharge.NRS = 2 + p.ResolvedMargin + 1 },
				AnxietyPersistent, []string{EvidenceElevatedAtDischarge}},
			{"no warning but elevated at discharge", quietSession,
				func(in *ClassificationInput) { in.Discharge.NRS = 2 + p.ResolvedMargin + 1 },
				AnxietyPersistent, []string{EvidenceElevatedAtDischarge}},
			{"no discharge rating: last observation stands in, resolved", anxiousSession,
				func(in *ClassificationInput) {
					in.Discharge = nil
					in.Observations[3].NRS = 2 + p.ResolvedMargin
				},
				AnxietyTransient, []string{EvidenceInSessionElevated, EvidenceResolvedByDischarge}},
			{"no discharge rating: last observation stands in, elevated", anxiousSession,
				func(in *ClassificationInput) {
					in.Discharge = nil
					in.Observations[3].NRS = 2 + p.ResolvedMargin + 1
				},
				AnxietyPersistent, []string{EvidenceElevatedAtDischarge}},
			{"warning without baseline", anxiousSession, func(in *ClassificationInput) { in.BaselineNRS = nil },
				AnxietyPersistent, []string{EvidenceResolutionUnknown}},
			{"warning without any rating after dosing", anxiousSession,
				func(in *ClassificationInput) { in.Discharge, in.Observations = nil, nil },
				AnxietyPersistent, []string{EvidenceResolutionUnknown}},
			{"no warning, no baseline", quietSession, func(in *ClassificationInput) { in.BaselineNRS = nil }, AnxietyNone, []string{}},

			{"check-in one below the rise", anxiousSession, func(in *ClassificationInput) { in.Checkins = checkin(from, rise-1) },
				AnxietyTransient, []string{EvidenceInSessionElevated, EvidenceResolvedByDischarge}},
			{"check-in at the rise", anxiousSession, func(in *ClassificationInput) { in.Checkins = checkin(from, rise) },
				AnxietyPersistent, []string{EvidenceCheckinElevated}},
			{"check-in at the absolute limit, no baseline", quietSession, func(in *ClassificationInput) {
				in.BaselineNRS = nil
				in.Checkins = checkin(from, p.CheckinNRSMin)
			}, AnxietyPersistent, []string{EvidenceCheckinElevated}},
			{"check-in one below the absolute limit, no baseline", quietSession, func(in *ClassificationInput) {
				in.BaselineNRS = nil
				in.Checkins = checkin(from, p.CheckinNRSMin-1)
			}, AnxietyNone, []string{}},
			{"elevated check-in before the acute window ends is not used", anxiousSession,
				func(in *ClassificationInput) { in.Checkins = checkin(from-time.Hour, 10) },
				AnxietyTransient, []string{EvidenceInSessionElevated, EvidenceResolvedByDischarge}},
			{"elevated later check-in after a quiet session", quietSession,
				func(in *ClassificationInput) { in.Checkins = checkin(from+48*time.Hour, 10) },
				AnxietyPersistent, []string{EvidenceCheckinElevated}},

			{"GAD-7 rise one short", quietSession, func(in *ClassificationInput) { in.GAD7Later = gad7(8 + p.GAD7RiseMin - 1) }, AnxietyNone, []string{}},
			{"GAD-7 rise reached", quietSession, func(in *ClassificationInput) { in.GAD7Later = gad7(8 + p.GAD7RiseMin) },
				AnxietyPersistent, []string{EvidenceGAD7Rise}},
			{"GAD-7 without pre-course baseline", quietSession, func(in *ClassificationInput) {
				in.GAD7Baseline = nil
				in.GAD7Later = gad7(21)
			}, AnxietyNone, []string{}},

			{"recurring: enough anxious sessions in a row", anxiousSession,
				func(in *ClassificationInput) { in.PreviousSessions = previous(allAnxious(p.RecurringSessions - 1)...) },
				AnxietyPersistent, repeat(EvidenceRecurring, p.RecurringSessions)},
			{"recurring: one session short", anxiousSession,
				func(in *ClassificationInput) { in.PreviousSessions = previous(allAnxious(p.RecurringSessions - 2)...) },
				AnxietyTransient, []string{EvidenceInSessionElevated, EvidenceResolvedByDischarge}},
			{"recurring: broken by a calm session", anxiousSession,
				func(in *ClassificationInput) {
					in.PreviousSessions = previous(append([]bool{true, true, true, false}, allAnxious(p.RecurringSessions-2)...)...)
				},
				AnxietyTransient, []string{EvidenceInSessionElevated, EvidenceResolvedByDischarge}},
			{"recurring: this session calm", quietSession,
				func(in *ClassificationInput) { in.PreviousSessions = previous(allAnxious(p.RecurringSessions)...) },
				AnxietyNone, []string{}},
		}
		for _, c := range cases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				in := c.base()
				if c.edit != nil {
					c.edit(&in)
				}
				got := Classify(p, in)
				if got.Class != c.class {
					t.Errorf("class = %q, want %q", got.Class, c.class)
				}
				if diff := cmp.Diff(c.rules, evidenceRules(got.Evidence)); diff != "" {
					t.Errorf("evidence rules (-want +got):\n%s\nevidence: %+v", diff, got.Evidence)
				}
				wantReview := time.Duration(0)
				if c.class == AnxietyPersistent {
					wantReview = time.Duration(p.ReviewDueMinutes) * time.Minute
				}
				if got.ReviewWithin != wantReview || got.UrgentReview {
					t.Errorf("review within %v urgent %v, want %v not urgent", got.ReviewWithin, got.UrgentReview, wantReview)
				}
			})
		}
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestClassifyEvidenceDetail(t *testing.T) {
	p := defaultFollowup()

	t.Run("transient names the peak and the discharge", func(t *testing.T) {
		got := Classify(p, anxiousSession())
		want := []Evidence{
			{Rule: EvidenceInSessionElevated, Source: SourceObservation, SourceID: 2, At: dosed.Add(30 * time.Minute),
				Detail: "An in-session anxiety warning fired; peak NRS 8, baseline 2"},
			{Rule: EvidenceResolvedByDischarge, Source: SourceObservation, SourceID: 3, At: dosed.Add(2 * time.Hour),
				Detail: "NRS 2 at discharge, within baseline 2 + 1"},
		}
		if diff := cmp.Diff(want, got.Evidence); diff != "" {
			t.Errorf("evidence (-want +got):\n%s", diff)
		}
	})

	t.Run("persistent lists every rule in order, check-ins by offset", func(t *testing.T) {
		in := anxiousSession()
		in.Discharge.NRS = 6
		in.Checkins = []CheckinNRS{
			{ID: 73, At: dosed.Add(169 * time.Hour), Offset: 168 * time.Hour, NRS: 7},
			{ID: 71, At: dosed.Add(25 * time.Hour), Offset: 24 * time.Hour, NRS: 5},
			{ID: 72, At: dosed.Add(73 * time.Hour), Offset: 72 * time.Hour, NRS: 3},
		}
		in.GAD7Later = []GAD7Reading{
			{ID: 902, At: dosed.Add(14 * 24 * time.Hour), Total: 13},
			{ID: 901, At: dosed.Add(7 * 24 * time.Hour), Total: 12},
		}
		in.PreviousSessions = []PriorSession{
			{ID: 49, At: dosed.Add(-7 * 24 * time.Hour), Anxious: true},
			{ID: 48, At: dosed.Add(-14 * 24 * time.Hour), Anxious: true},
		}
		got := Classify(p, in)
		want := []Evidence{
			{EvidenceElevatedAtDischarge, SourceObservation, 3, dosed.Add(2 * time.Hour), "NRS 6 at discharge, above baseline 2 + 1"},
			{EvidenceCheckinElevated, SourceCheckin, 71, dosed.Add(25 * time.Hour), "NRS 5 at the +24h check-in (≥ baseline 2 + 3)"},
			{EvidenceCheckinElevated, SourceCheckin, 73, dosed.Add(169 * time.Hour), "NRS 7 at the +7d check-in (≥ 7, ≥ baseline 2 + 3)"},
			{EvidenceGAD7Rise, SourceAssessment, 901, dosed.Add(7 * 24 * time.Hour), "GAD-7 12, 4 above the pre-course baseline 8 (rise ≥ 4)"},
			{EvidenceGAD7Rise, SourceAssessment, 902, dosed.Add(14 * 24 * time.Hour), "GAD-7 13, 5 above the pre-course baseline 8 (rise ≥ 4)"},
			{EvidenceRecurring, SourceSession, 48, dosed.Add(-14 * 24 * time.Hour), "In-session anxiety in 3 consecutive dosing sessions"},
			{EvidenceRecurring, SourceSession, 49, dosed.Add(-7 * 24 * time.Hour), "In-session anxiety in 3 consecutive dosing sessions"},
			{EvidenceRecurring, SourceSession, 50, dosed, "In-session anxiety in 3 consecutive dosing sessions"},
		}
		if diff := cmp.Diff(want, got.Evidence); diff != "" {
			t.Errorf("evidence (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{}, got.Missing); diff != "" {
			t.Errorf("missing (-want +got):\n%s", diff)
		}
		// The same input in another order gives the same answer.
		in.Checkins[0], in.Checkins[2] = in.Checkins[2], in.Checkins[0]
		in.PreviousSessions[0], in.PreviousSessions[1] = in.PreviousSessions[1], in.PreviousSessions[0]
		if diff := cmp.Diff(got, Classify(p, in)); diff != "" {
			t.Errorf("input order changed the result (-first +second):\n%s", diff)
		}
	})

	t.Run("missing data is reported", func(t *testing.T) {
		in := quietSession()
		in.BaselineNRS, in.Discharge, in.GAD7Baseline = nil, nil, nil
		got := Classify(p, in)
		if diff := cmp.Diff([]string{"baseline-nrs", "discharge-nrs", "gad7-baseline"}, got.Missing); diff != "" {
			t.Errorf("missing (-want +got):\n%s", diff)
		}
	})

	t.Run("last observation standing in for discharge says so", func(t *testing.T) {
		in := anxiousSession()
		in.Discharge = nil
		got := Classify(p, in)
		last := got.Evidence[len(got.Evidence)-1]
		if last.SourceID != 5 || !strings.Contains(last.Detail, "last observation (no discharge rating)") {
			t.Errorf("resolution evidence %+v does not name observation 5 as standing in for discharge", last)
		}
	})
}

func TestClassifyReviewUrgency(t *testing.T) {
	for name, p := range map[string]FollowupProtocol{"default": defaultFollowup(), "tuned": tunedFollowup()} {
		normal := time.Duration(p.ReviewDueMinutes) * time.Minute
		urgent := time.Duration(p.UrgentReviewDueMinutes) * time.Minute
		persistent := func() ClassificationInput {
			in := quietSession()
			in.Discharge.NRS = 9
			return in
		}
		cases := []struct {
			name    string
			edit    func(*ClassificationInput)
			within  time.Duration
			reasons []string
		}{
			{"no urgency", func(in *ClassificationInput) {}, normal, []string{}},
			{"latest GAD-7 one below the urgent level", func(in *ClassificationInput) {
				in.GAD7Later = []GAD7Reading{{ID: 901, At: dosed.Add(time.Hour), Total: p.UrgentGAD7Min - 1}}
			}, normal, []string{}},
			{"latest GAD-7 at the urgent level", func(in *ClassificationInput) {
				in.GAD7Later = []GAD7Reading{{ID: 901, At: dosed.Add(time.Hour), Total: p.UrgentGAD7Min}}
			}, urgent, []string{"gad7-urgent"}},
			{"an earlier GAD-7 at the urgent level does not count", func(in *ClassificationInput) {
				in.GAD7Later = []GAD7Reading{
					{ID: 902, At: dosed.Add(48 * time.Hour), Total: 9},
					{ID: 901, At: dosed.Add(time.Hour), Total: p.UrgentGAD7Min},
				}
			}, normal, []string{}},
			{"pre-course GAD-7 at the urgent level when no later one", func(in *ClassificationInput) {
				in.GAD7Baseline.Total = p.UrgentGAD7Min
			}, urgent, []string{"gad7-urgent"}},
			{"risk flag", func(in *ClassificationInput) { in.RiskFlags = []string{FlagPHQ9Item9} }, urgent, []string{FlagPHQ9Item9}},
		}
		for _, c := range cases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				in := persistent()
				c.edit(&in)
				got := Classify(p, in)
				if got.Class != AnxietyPersistent {
					t.Fatalf("class %q, want persistent", got.Class)
				}
				if got.ReviewWithin != c.within || got.UrgentReview != (c.within == urgent) {
					t.Errorf("review within %v (urgent %v), want %v", got.ReviewWithin, got.UrgentReview, c.within)
				}
				if diff := cmp.Diff(c.reasons, got.UrgentReasons); diff != "" {
					t.Errorf("urgent reasons (-want +got):\n%s", diff)
				}
			})
		}
	}

	t.Run("no review without persistent anxiety", func(t *testing.T) {
		in := anxiousSession()
		in.RiskFlags = []string{FlagPHQ9Item9}
		got := Classify(defaultFollowup(), in)
		if got.Class != AnxietyTransient || got.ReviewWithin != 0 || got.UrgentReview {
			t.Errorf("got %q, review within %v, urgent %v", got.Class, got.ReviewWithin, got.UrgentReview)
		}
	})
}

func TestFollowupProtocolValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(*FollowupProtocol)
		want string
	}{
		{"no check-ins", func(p *FollowupProtocol) { p.CheckinOffsetsHours, p.GAD7CheckinHours = nil, 0 }, "no check-ins"},
		{"offsets out of order", func(p *FollowupProtocol) { p.CheckinOffsetsHours = []int{72, 24, 168} }, "increasing order"},
		{"negative offset", func(p *FollowupProtocol) { p.CheckinOffsetsHours = []int{-1, 24, 168} }, "must be positive"},
		{"GAD-7 at no check-in", func(p *FollowupProtocol) { p.GAD7CheckinHours = 100 }, "gad7CheckinHours 100"},
		{"course interval", func(p *FollowupProtocol) { p.CourseQuestionnaireDays = 0 }, "courseQuestionnaireDays"},
		{"chase after expiry", func(p *FollowupProtocol) { p.ChaseAfterHours = 48 }, "chaseAfterHours < linkExpiryHours"},
		{"margin beyond the scale", func(p *FollowupProtocol) { p.ResolvedMargin = 11 }, "resolvedMargin"},
		{"rise of zero", func(p *FollowupProtocol) { p.CheckinRiseMin = 0 }, "checkinRiseMin"},
		{"NRS limit beyond the scale", func(p *FollowupProtocol) { p.CheckinNRSMin = 11 }, "checkinNrsMin"},
		{"GAD-7 rise", func(p *FollowupProtocol) { p.GAD7RiseMin = 0 }, "gad7RiseMin"},
		{"recurring", func(p *FollowupProtocol) { p.RecurringSessions = 1 }, "recurringSessions"},
		{"urgent slower than normal", func(p *FollowupProtocol) { p.UrgentReviewDueMinutes = 2000 }, "urgentReviewDueMinutes"},
		{"urgent GAD-7", func(p *FollowupProtocol) { p.UrgentGAD7Min = 22 }, "urgentGad7Min"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := defaultFollowup()
			c.edit(&p)
			if err := p.validate(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("validate() = %v, want an error mentioning %q", err, c.want)
			}
		})
	}
}
