package clinical

import (
	"errors"
	"fmt"
	"time"
)

// FollowupProtocol holds the numbers of follow-up after a dosing session:
// when check-ins are sent, when they are chased and expire, how anxiety is
// classified, and how soon a persistent case must be reviewed. Check-in
// offsets count from the dosing session's first dose.
type FollowupProtocol struct {
	// CheckinOffsetsHours: when check-ins are due after the first dose.
	CheckinOffsetsHours []int `json:"checkinOffsetsHours"`
	// GAD7CheckinHours is the check-in that also asks the GAD-7 (0: none).
	GAD7CheckinHours int `json:"gad7CheckinHours"`
	// CourseQuestionnaireDays: GAD-7 and PHQ-9 are asked every this many
	// days during a course.
	CourseQuestionnaireDays int `json:"courseQuestionnaireDays"`
	// ChaseAfterHours: a check-in still open this long after it was due is
	// chased with a reminder. LinkExpiryHours: its link stops working this
	// long after it was due.
	ChaseAfterHours int `json:"chaseAfterHours"`
	LinkExpiryHours int `json:"linkExpiryHours"`

	// Classification. Anxiety has resolved when the NRS is at most
	// baseline + ResolvedMargin. A check-in at CheckinFromHours or later is
	// elevated when its NRS is at least baseline + CheckinRiseMin or at least
	// CheckinNRSMin. A GAD-7 at least GAD7RiseMin above the pre-course
	// baseline, or in-session anxiety in RecurringSessions consecutive
	// dosing sessions, also makes anxiety persistent.
	ResolvedMargin    int `json:"resolvedMargin"`
	CheckinFromHours  int `json:"checkinFromHours"`
	CheckinRiseMin    int `json:"checkinRiseMin"`
	CheckinNRSMin     int `json:"checkinNrsMin"`
	GAD7RiseMin       int `json:"gad7RiseMin"`
	RecurringSessions int `json:"recurringSessions"`

	// Review of persistent anxiety: due within ReviewDueMinutes, or within
	// UrgentReviewDueMinutes when the latest GAD-7 is at least UrgentGAD7Min
	// or any risk flag is raised.
	ReviewDueMinutes       int `json:"reviewDueMinutes"`
	UrgentReviewDueMinutes int `json:"urgentReviewDueMinutes"`
	UrgentGAD7Min          int `json:"urgentGad7Min"`
}

func defaultFollowup() FollowupProtocol {
	return FollowupProtocol{
		CheckinOffsetsHours:     []int{24, 72, 7 * 24},
		GAD7CheckinHours:        7 * 24,
		CourseQuestionnaireDays: 7,
		// Not set by the clinical protocol reference: a reminder half a day
		// after the link is sent, and a link that lasts until the next
		// check-in of the default schedule.
		ChaseAfterHours: 12,
		LinkExpiryHours: 48,

		ResolvedMargin:    1,
		CheckinFromHours:  24,
		CheckinRiseMin:    3,
		CheckinNRSMin:     7,
		GAD7RiseMin:       4,
		RecurringSessions: 3,

		ReviewDueMinutes:       24 * 60,
		UrgentReviewDueMinutes: 60,
		UrgentGAD7Min:          15,
	}
}

// CheckinOffsets returns the check-in offsets as durations after the first
// dose.
func (p FollowupProtocol) CheckinOffsets() []time.Duration {
	d := make([]time.Duration, len(p.CheckinOffsetsHours))
	for i, h := range p.CheckinOffsetsHours {
		d[i] = time.Duration(h) * time.Hour
	}
	return d
}

func (p FollowupProtocol) validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf("followup: "+format, args...))
		}
	}
	check(len(p.CheckinOffsetsHours) > 0, "no check-ins")
	gad7Found := p.GAD7CheckinHours == 0
	for i, h := range p.CheckinOffsetsHours {
		check(h > 0, "check-in offset %dh must be positive", h)
		check(i == 0 || h > p.CheckinOffsetsHours[i-1], "check-in offsets must be in increasing order (%dh after %dh)", h, p.CheckinOffsetsHours[max(i-1, 0)])
		gad7Found = gad7Found || h == p.GAD7CheckinHours
	}
	check(gad7Found, "gad7CheckinHours %d is not one of the check-in offsets", p.GAD7CheckinHours)
	check(p.CourseQuestionnaireDays > 0, "courseQuestionnaireDays must be positive (got %d)", p.CourseQuestionnaireDays)
	check(p.ChaseAfterHours > 0 && p.ChaseAfterHours < p.LinkExpiryHours,
		"must have 0 < chaseAfterHours < linkExpiryHours (got %d, %d)", p.ChaseAfterHours, p.LinkExpiryHours)

	nrs := func(name string, v, lo int) { check(v >= lo && v <= 10, "%s must be %d–10 (got %d)", name, lo, v) }
	nrs("resolvedMargin", p.ResolvedMargin, 0)
	nrs("checkinRiseMin", p.CheckinRiseMin, 1)
	nrs("checkinNrsMin", p.CheckinNRSMin, 1)
	check(p.CheckinFromHours >= 0, "checkinFromHours must not be negative (got %d)", p.CheckinFromHours)
	check(p.GAD7RiseMin >= 1 && p.GAD7RiseMin <= 21, "gad7RiseMin must be 1–21 (got %d)", p.GAD7RiseMin)
	check(p.RecurringSessions >= 2, "recurringSessions must be at least 2 (got %d)", p.RecurringSessions)
	check(p.UrgentReviewDueMinutes > 0 && p.UrgentReviewDueMinutes <= p.ReviewDueMinutes,
		"must have 0 < urgentReviewDueMinutes ≤ reviewDueMinutes (got %d, %d)", p.UrgentReviewDueMinutes, p.ReviewDueMinutes)
	check(p.UrgentGAD7Min >= 1 && p.UrgentGAD7Min <= 21, "urgentGad7Min must be 1–21 (got %d)", p.UrgentGAD7Min)
	return errors.Join(errs...)
}
