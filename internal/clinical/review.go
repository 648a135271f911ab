package clinical

// ReviewOption is one choice a clinician can record when reviewing
// persistent anxiety.
type ReviewOption struct {
	Code  string `json:"code"`
	Label string `json:"label"`
	// PrescriberOnly: only a prescriber may choose it.
	PrescriberOnly bool `json:"prescriberOnly,omitempty"`
}

// Review option codes.
const (
	ReviewContinue           = "continue"
	ReviewLowerDose          = "lower-dose"
	ReviewLengthenInterval   = "lengthen-interval"
	ReviewSupportiveMeasures = "supportive-measures"
	ReviewReferCBT           = "refer-cbt"
	ReviewReferMindfulness   = "refer-mindfulness"
	ReviewAdjunctMedicine    = "adjunct-medicine"
	ReviewPause              = "pause"
	ReviewStop               = "stop"
	ReviewEscalateCrisis     = "escalate-crisis"
)

// ReviewOptions returns the options offered by a review of persistent
// anxiety, in the order they are shown. The review records the choice and
// a reason.
func ReviewOptions() []ReviewOption {
	return []ReviewOption{
		{Code: ReviewContinue, Label: "Continue unchanged"},
		{Code: ReviewLowerDose, Label: "Lower the next dose"},
		{Code: ReviewLengthenInterval, Label: "Lengthen the interval between dosing sessions"},
		{Code: ReviewSupportiveMeasures, Label: "Add or increase supportive measures"},
		{Code: ReviewReferCBT, Label: "Refer for CBT"},
		{Code: ReviewReferMindfulness, Label: "Refer for mindfulness"},
		{Code: ReviewAdjunctMedicine, Label: "Review or add an adjunct medicine", PrescriberOnly: true},
		{Code: ReviewPause, Label: "Pause the course"},
		{Code: ReviewStop, Label: "Stop the course"},
		{Code: ReviewEscalateCrisis, Label: "Escalate to crisis care"},
	}
}

// LookupReviewOption returns the review option with the given code.
func LookupReviewOption(code string) (ReviewOption, bool) {
	for _, o := range ReviewOptions() {
		if o.Code == code {
			return o, true
		}
	}
	return ReviewOption{}, false
}
