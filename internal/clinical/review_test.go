package clinical

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReviewOptions(t *testing.T) {
	var codes, prescriberOnly []string
	for _, o := range ReviewOptions() {
		codes = append(codes, o.Code)
		if o.Label == "" {
			t.Errorf("%s has no label", o.Code)
		}
		if o.PrescriberOnly {
			prescriberOnly = append(prescriberOnly, o.Code)
		}
		got, ok := LookupReviewOption(o.Code)
		if !ok || got != o {
			t.Errorf("LookupReviewOption(%q) = %+v, %v", o.Code, got, ok)
		}
	}
	want := []string{
		"continue", "lower-dose", "lengthen-interval", "supportive-measures", "refer-cbt",
		"refer-mindfulness", "adjunct-medicine", "pause", "stop", "escalate-crisis",
	}
	if diff := cmp.Diff(want, codes); diff != "" {
		t.Errorf("review option codes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{ReviewAdjunctMedicine}, prescriberOnly); diff != "" {
		t.Errorf("prescriber-only options (-want +got):\n%s", diff)
	}
	if _, ok := LookupReviewOption("discharge"); ok {
		t.Error("LookupReviewOption found an unknown code")
	}
	opts := ReviewOptions()
	opts[0].Label = "changed"
	if ReviewOptions()[0].Label == "changed" {
		t.Error("changing the returned options changed the shipped list")
	}
}
