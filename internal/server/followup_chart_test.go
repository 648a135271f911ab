package server

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ketacare/ketacare/internal/store"
)

// Scores of one sitting share a chart point: uPlot draws nothing after a
// repeated x value.
func TestFollowupChartMergesScoresOfOneSitting(t *testing.T) {
	at := time.Date(2026, 11, 25, 18, 42, 0, 0, time.UTC)
	gad, phq := 4.0, 11.0
	tl := store.Timeline{
		GAD7: []store.Assessment{{CreatedAt: at, Total: &gad}},
		PHQ9: []store.Assessment{{CreatedAt: at, Total: &phq}, {CreatedAt: at.Add(time.Hour), Total: &phq}},
	}
	c := followupChart(tl)
	var data struct {
		X      []int64
		Series []struct{ Values []*float64 }
	}
	if err := json.Unmarshal([]byte(c.Data), &data); err != nil {
		t.Fatal(err)
	}
	if len(data.X) != 2 || data.X[0] >= data.X[1] {
		t.Fatalf("x = %v, want two increasing points", data.X)
	}
	if *data.Series[1].Values[0] != 4 || *data.Series[2].Values[0] != 11 || data.Series[1].Values[1] != nil {
		t.Fatalf("series not merged by time: %s", c.Data)
	}
	if len(c.Rows) != 2 || c.Rows[0].Values[1] != "4" || c.Rows[0].Values[2] != "11" {
		t.Fatalf("table rows %+v", c.Rows)
	}
}
