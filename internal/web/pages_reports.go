package web

import (
	"fmt"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
)

// IncidencePage is the anxiety incidence report: the period, the overall
// counts and one table per dimension.
type IncidencePage struct {
	Base
	Errors   ErrorSummary
	From, To string // YYYY-MM-DD, both included
	Overall  clinical.IncidenceRow
	Tables   []IncidenceTable
}

// IncidenceTable is one dimension of the report.
type IncidenceTable struct {
	Caption string
	Rows    []clinical.IncidenceRow
}

// Percent writes a proportion as "33 % (10–70 %)", or "no classified
// sessions" when there is none.
func Percent(p clinical.Proportion) string {
	if p.Of == 0 {
		return "no classified sessions"
	}
	return fmt.Sprintf("%.0f %% (%.0f–%.0f %%)", 100*p.Rate, 100*p.Low, 100*p.High)
}

var _ = sample("report_anxiety", IncidencePage{Base: Base{User: &ketacare.Actor{Role: ketacare.RolePrescriber}}, From: "2026-01-01", To: "2026-06-30",
	Overall: clinical.IncidenceRow{Group: "All", Sessions: 3, Anxiety: clinical.Wilson(1, 2)},
	Tables:  []IncidenceTable{{Caption: "By drug and route", Rows: []clinical.IncidenceRow{{Group: "ketamine IV", Sessions: 3, Anxiety: clinical.Wilson(1, 2)}}}, {Caption: "Empty"}}})
