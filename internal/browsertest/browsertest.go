// Package browsertest drives Debian's headless Chromium through chromedp for
// tests that use ketacare as a person would, and checks pages with
// axe-core for serious accessibility problems. Tests skip, saying why, where
// Chromium is not installed.
package browsertest

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is where Debian installs Chromium.
const ChromiumPath = "/usr/bin/chromium"

//go:embed testdata/axe-core/axe.min.js
var axeSource string

// New starts a headless Chromium with a window of the given size and
// returns a context to drive it; everything is closed when the test ends.
// Each call gets its own browser, so two pages can watch each other.
func New(t testing.TB, width, height int) context.Context {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		t.Skipf("browser test skipped: %s not found (apt-get install chromium)", ChromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	// The first Do starts the browser, which lives as long as this
	// context: no timeout on it. Each later step gets its own (see Run).
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// StepTimeout bounds each Run, so a broken page fails the test rather than
// hanging it.
const StepTimeout = 30 * time.Second

// Run runs chromedp steps in order and fails the test on error.
func Run(t testing.TB, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// Get runs one chromedp action that returns a value (Text, Location,
// Evaluate, ...) and fails the test on error.
func Get[T any](t testing.TB, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	v, err := chromedp.Run(tctx, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

// Login signs in through the login form and waits for the start page.
func Login(t testing.TB, ctx context.Context, baseURL, email, password string) {
	t.Helper()
	Run(t, ctx,
		chromedp.Navigate(baseURL+"/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
	)
	Submit(t, ctx, chromedp.CSS("main button[type=submit]"))
	if loc := Get(t, ctx, chromedp.Location()); strings.Contains(loc, "/login") {
		t.Fatalf("sign-in as %s failed", email)
	}
}

// Submit clicks an element that loads a new page (a submit button, a
// link) and waits until the new page has loaded: a wait on an element alone
// could be satisfied by the old page.
func Submit[S chromedp.Selectable](t testing.TB, ctx context.Context, sel S) {
	t.Helper()
	Run(t, ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool]("window.__kcOldPage = true")(ctx, tg)
		return err
	}), chromedp.Click(sel))
	WaitNewPage(t, ctx)
}

// WaitNewPage waits until the page marked by Submit has been replaced by a
// fully loaded new one.
func WaitNewPage(t testing.TB, ctx context.Context) {
	t.Helper()
	deadline := time.Now().Add(StepTimeout)
	for time.Now().Before(deadline) {
		tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		done, err := chromedp.Run(tctx, chromedp.Evaluate[bool]("window.__kcOldPage !== true && document.readyState === 'complete'"))
		cancel()
		if err == nil && done {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("browser: the next page did not load")
}

// Violation is one axe-core finding.
type Violation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// SidewaysOverflow returns how many pixels the page is wider than the
// window: more than zero means it scrolls sideways (tables are meant to
// scroll in boxes of their own instead).
func SidewaysOverflow(t testing.TB, ctx context.Context) float64 {
	t.Helper()
	return Get(t, ctx, chromedp.Evaluate[float64](`document.documentElement.scrollWidth - window.innerWidth`))
}

// CheckAccessibility runs axe-core in the current page and fails the test
// on every serious or critical violation.
func CheckAccessibility(t testing.TB, ctx context.Context) {
	t.Helper()
	script := axeSource + `
;(async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return JSON.stringify(r.violations);
})()`
	raw := Get(t, ctx, chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise))
	var vs []Violation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		t.Fatalf("reading axe results: %v", err)
	}
	loc := Get(t, ctx, chromedp.Location())
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("accessibility (%s) on %s: %s: %s at %v", v.Impact, loc, v.ID, v.Help, targets(v))
		}
	}
}

func targets(v Violation) string {
	var out []string
	for _, n := range v.Nodes {
		out = append(out, fmt.Sprint(n.Target...))
	}
	return strings.Join(out, "; ")
}
