package monitoring_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/ketacare/ketacare/internal/apptest"
	bt "github.com/ketacare/ketacare/internal/browsertest"
	"github.com/ketacare/ketacare/internal/clinical"
)

// TestBrowserNurseObservationRaisesAlertOnLiveBoard: a prescriber watches
// the live board in one browser while a nurse, on a tablet in another,
// records observations; the anxiety alert appears on the board without a
// reload, and the prescriber acknowledges it there.
func TestBrowserNurseObservationRaisesAlertOnLiveBoard(t *testing.T) {
	boardCtx := bt.New(t, 1280, 900)
	tablet := bt.New(t, 820, 1180)
	env := apptest.Start(t, apptest.Options{})
	p := readyPatient(t, env, "Lovelace", "", clinical.RouteIV, "ketamine", 35)
	s := openDosed(t, env, p, map[string]any{"systolic": 120, "diastolic": 76, "anxiety": 2, "moaas": 5})

	bt.Login(t, boardCtx, env.URL, "prescriber@test.example", apptest.Password)
	bt.Run(t, boardCtx, chromedp.Navigate(env.URL+"/board"), chromedp.WaitVisible(chromedp.CSS("table.app-board")))
	bt.CheckAccessibility(t, boardCtx)
	// Wait until the board's event stream is connected.
	bt.Run(t, boardCtx, chromedp.WaitVisible(chromedp.CSS("#board-status")))
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(bt.Get(t, boardCtx, chromedp.Text(chromedp.ID("board-status"))), "connected") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}

	bt.Login(t, tablet, env.URL, "nurse@test.example", apptest.Password)
	bt.Run(t, tablet, chromedp.Navigate(fmt.Sprintf("%s/sessions/%d/observe", env.URL, s)), chromedp.WaitVisible(chromedp.ID("systolic")))
	bt.CheckAccessibility(t, tablet)
	noSidewaysScroll(t, tablet, "the observation form")
	bt.Run(t, tablet,
		chromedp.SendKeys(chromedp.ID("systolic"), "132"),
		chromedp.SendKeys(chromedp.ID("diastolic"), "84"),
		chromedp.SendKeys(chromedp.ID("pulse"), "96"),
		chromedp.SendKeys(chromedp.ID("anxiety"), "9"),
		chromedp.SendKeys(chromedp.ID("moaas"), "4"),
		chromedp.Click(chromedp.ID("sign-panic")),
		chromedp.Click(chromedp.ID("measure-reassurance")),
	)
	bt.Submit(t, tablet, chromedp.ID("save-observation"))
	if h1 := bt.Get(t, tablet, chromedp.Text(chromedp.CSS("h1"))); !strings.Contains(h1, "Dosing session") {
		t.Fatalf("after saving: %q", h1)
	}
	bt.CheckAccessibility(t, tablet)
	noSidewaysScroll(t, tablet, "the session page")
	// The session's chart is drawn across its figure, above the table.
	bt.Run(t, tablet, chromedp.WaitVisible(chromedp.CSS("#session-chart canvas")))
	if w := bt.Get(t, tablet, chromedp.Evaluate[float64](`document.querySelector("#session-chart canvas").getBoundingClientRect().width /
		document.querySelector("figure.app-chart").clientWidth`)); w < 0.9 {
		t.Errorf("the chart is %.0f %% of its figure's width", w*100)
	}

	// The board shows the alert live.
	bt.Run(t, boardCtx, chromedp.WaitVisible(chromedp.CSS(".app-board__row--critical")))
	row := bt.Get(t, boardCtx, chromedp.Text(chromedp.CSS(".app-board__row--critical")))
	// On a desktop screen the board shows every column without scrolling.
	if over := bt.Get(t, boardCtx, chromedp.Evaluate[float64](`(c => c.scrollWidth - c.clientWidth)(document.querySelector(".app-board-container"))`)); over > 0 {
		t.Errorf("the board scrolls sideways by %.0f px at 1280 px", over)
	}
	for _, want := range []string{"Lovelace", "critical", "9/10", "Acknowledge"} {
		if !strings.Contains(row, want) {
			t.Errorf("board row %q lacks %q", row, want)
		}
	}
	bt.CheckAccessibility(t, boardCtx)
	bt.Submit(t, boardCtx, chromedp.CSS(".app-board__row--critical form button"))
	if row := bt.Get(t, boardCtx, chromedp.Text(chromedp.CSS("table.app-board tbody"))); !strings.Contains(row, "acknowledged by") {
		t.Errorf("after acknowledging: %q", row)
	}
}

// noSidewaysScroll fails the test when the page is wider than the window:
// a nurse's tablet must not scroll sideways (tables scroll in their own box).
func noSidewaysScroll(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	if over := bt.SidewaysOverflow(t, ctx); over > 0 {
		t.Errorf("%s is %.0f px wider than the window", what, over)
	}
}

// TestBrowserSessionRecordPrints: the session record prints with its
// summary on portrait pages and the wide table of observations on landscape
// pages of its own.
func TestBrowserSessionRecordPrints(t *testing.T) {
	ctx := bt.New(t, 1280, 900)
	env := apptest.Start(t, apptest.Options{})
	p := readyPatient(t, env, "Printer", "", clinical.RouteIV, "ketamine", 35)
	s := openDosed(t, env, p, map[string]any{"systolic": 120, "diastolic": 76, "anxiety": 2, "moaas": 5})
	postObs(t, env, s, map[string]any{"systolic": 128, "diastolic": 80, "pulse": 80, "spo2": 98, "respRate": 14, "tempC": 36.9,
		"consciousness": "A", "onOxygen": false, "anxiety": 4, "moaas": 5, "signs": []string{"restlessness"}})
	bt.Login(t, ctx, env.URL, "nurse@test.example", apptest.Password)
	bt.Run(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/sessions/%d", env.URL, s)), chromedp.WaitVisible(chromedp.ID("observations")))
	pdf, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: new(true)})
	if err != nil {
		t.Fatal(err)
	}
	var portrait, landscape int
	for _, m := range regexp.MustCompile(`/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]`).FindAllSubmatch(pdf.Data, -1) {
		w, _ := strconv.ParseFloat(string(m[1]), 64)
		h, _ := strconv.ParseFloat(string(m[2]), 64)
		if w > h {
			landscape++
		} else {
			portrait++
		}
	}
	if portrait == 0 || landscape == 0 {
		t.Errorf("the printed record has %d portrait and %d landscape pages; want the summary upright and the observations across", portrait, landscape)
	}
}
