package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/app"
	"github.com/ketacare/ketacare/internal/apptest"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/store"
)

type incidenceReport struct {
	From, To         string
	Overall          clinical.IncidenceRow
	ByDrugRoute      []clinical.IncidenceRow
	ByDose           []clinical.IncidenceRow
	BySusceptibility []clinical.IncidenceRow
	ByProtocol       []clinical.IncidenceRow `json:"byProtocolVersion"`
}

// The anxiety incidence report counts the dosed sessions of the period by
// class, in the reader's clinics only, with the dose banded per kilogram
// from the plan's weight and the susceptibility screened before the
// session; the access is audited; bad dates are refused with the field.
func TestAnxietyIncidenceReport(t *testing.T) { fhirEachDB(t, testAnxietyIncidenceReport) }

func testAnxietyIncidenceReport(t *testing.T, opts apptest.Options) {
	clk := &followupClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	opts.Config = func(c *app.Config) { c.Clock = clk.Now }
	env := apptest.Start(t, opts)
	ctx := context.Background()
	nurse, prescriber := env.Actor(ketacare.RoleNurse), env.Actor(ketacare.RolePrescriber)

	screened := env.CreatePatient("Sam", "Screened")
	if _, err := env.DB.RecordAssessment(ctx, nurse, screened, store.AssessmentInput{Instrument: "gad7", Answers: []int{0, 0, 0, 0, 0, 0, 0}}); err != nil {
		t.Fatal(err)
	}
	perKg, weight := 0.5, 70.0
	if _, _, err := env.DB.SavePlan(ctx, prescriber, screened, store.PlanInput{Drug: "ketamine", Route: "iv", DoseMgPerKg: &perKg, WeightKg: &weight,
		Sessions: 6, IntervalDays: 7, Reason: "Course of six"}); err != nil {
		t.Fatal(err)
	}
	unscreened := env.CreatePatient("Una", "Unscreened")
	clk.Set(clk.Now().Add(time.Hour))
	transient := followupDischarged(t, env, clk, screened, 2, 7, 3) // warning fired, resolved by discharge
	none := followupDischarged(t, env, clk, unscreened, 2, 2)
	followupDischarged(t, env, clk, unscreened, 2, 3) // not classified yet
	for _, id := range []int64{transient, none} {
		if err := env.DB.Update(ctx, func(tx *store.Tx) error { _, err := tx.ClassifySession(ctx, id); return err }); err != nil {
			t.Fatal(err)
		}
	}

	get := func(token, query string) (int, incidenceReport, string) {
		t.Helper()
		r := env.Do("GET", "/api/v1/reports/anxiety-incidence"+query, token, nil)
		var rep incidenceReport
		if r.Status == http.StatusOK {
			r.JSON(t, &rep)
		}
		return r.Status, rep, string(r.Body)
	}
	status, rep, body := get(env.Tokens[ketacare.RolePrescriber], "?from=2026-03-01&to=2026-03-02")
	if status != http.StatusOK {
		t.Fatalf("report: %d %s", status, body)
	}
	o := rep.Overall
	if rep.From != "2026-03-01" || rep.To != "2026-03-02" || o.Sessions != 3 || o.Unclassified != 1 || o.None != 1 || o.Transient != 1 || o.Persistent != 0 {
		t.Fatalf("overall: %s", body)
	}
	if o.Anxiety.Count != 1 || o.Anxiety.Of != 2 || o.Anxiety.Rate != 0.5 {
		t.Errorf("anxiety rate %+v", o.Anxiety)
	}
	want := map[string]int{"ketamine IV": 3, "ketamine 0.50–0.74 mg/kg": 1, "ketamine 25–49 mg": 2, "Low susceptibility": 1,
		"Not screened before the session": 2, "Protocol version 1": 3}
	for _, rows := range [][]clinical.IncidenceRow{rep.ByDrugRoute, rep.ByDose, rep.BySusceptibility, rep.ByProtocol} {
		for _, r := range rows {
			if want[r.Group] != r.Sessions {
				t.Errorf("group %q: %d sessions, want %d (%s)", r.Group, r.Sessions, want[r.Group], body)
			}
			delete(want, r.Group)
		}
	}
	if len(want) != 0 {
		t.Errorf("groups missing: %v (%s)", want, body)
	}
	if status, rep, _ := get(env.Tokens[ketacare.RolePrescriber], "?from=2026-03-03&to=2026-03-31"); status != http.StatusOK || rep.Overall.Sessions != 0 {
		t.Errorf("a later period: %d %+v", status, rep.Overall)
	}
	entries, err := env.DB.ListAudit(ctx, store.AuditFilter{UserID: prescriber.UserID})
	if err != nil {
		t.Fatal(err)
	}
	audited := 0
	for _, e := range entries {
		if e.Action == "report.anxiety_incidence" {
			audited++
		}
	}
	if audited != 2 {
		t.Errorf("%d report reads audited, want 2", audited)
	}

	// Another clinic's staff see none of these sessions.
	west := otherClinicToken(t, env, ketacare.RolePrescriber, "West clinic", "west@test.example")
	if status, rep, body := get(west, "?from=2026-03-01&to=2026-03-02"); status != http.StatusOK || rep.Overall.Sessions != 0 {
		t.Errorf("another clinic: %d %s", status, body)
	}
	// Only clinical staff; bad dates name the field.
	if r := env.As(ketacare.RoleCounsellor, "GET", "/api/v1/reports/anxiety-incidence", nil); r.Status != http.StatusForbidden {
		t.Errorf("counsellor: %d", r.Status)
	}
	for q, field := range map[string]string{"?from=March": "from", "?to=2026-02-30": "to", "?from=2026-03-02&to=2026-03-01": "to", "?from=2000-01-01&to=2026-03-01": "from"} {
		if status, _, body := get(env.Tokens[ketacare.RoleNurse], q); status != http.StatusBadRequest || !strings.Contains(body, `"errors":{"`+field+`"`) {
			t.Errorf("%s: %d %s", q, status, body)
		}
	}

	// The page shows the same counts.
	page := env.As(ketacare.RoleNurse, "GET", "/reports/anxiety?from=2026-03-01&to=2026-03-02", nil)
	html := string(page.Body)
	if page.Status != http.StatusOK || !strings.Contains(html, "<strong>3</strong> sessions dosed, 1 not classified yet") ||
		!strings.Contains(html, "50 % (9–91 %)") || !strings.Contains(html, "ketamine 0.50–0.74 mg/kg") {
		t.Errorf("page: %d %s", page.Status, html)
	}
	if page := env.As(ketacare.RoleNurse, "GET", "/reports/anxiety?from=xx", nil); page.Status != http.StatusBadRequest || !strings.Contains(string(page.Body), "YYYY-MM-DD") {
		t.Errorf("page with a bad date: %d", page.Status)
	}
}
