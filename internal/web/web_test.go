package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/ketacare/ketacare"
)

// TestEveryTemplateRenders executes every page template against its page
// struct, signed out and signed in as each role.
func TestEveryTemplateRenders(t *testing.T) {
	pages, err := ParseTemplates()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range pages.Names() {
		v, ok := Samples()[name]
		if !ok {
			t.Errorf("template %s has no sample page struct: register one with sample()", name)
			continue
		}
		var sb strings.Builder
		if err := pages.Render(&sb, name, v); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		html := sb.String()
		if strings.Contains(html, "<no value>") {
			t.Errorf("%s renders <no value>", name)
		}
		if regexp.MustCompile(`(?i)<script[^>]*>[^<]+</script>|\sstyle=|\son[a-z]+=`).MatchString(html) {
			t.Errorf("%s has inline script, style or event handler (the CSP forbids them)", name)
		}
		if regexp.MustCompile(`(?i)(src|href)="(https?:)?//`).MatchString(html) {
			t.Errorf("%s loads something from another site", name)
		}
	}
	for name := range Samples() {
		if _, ok := pages.pages[name]; !ok {
			t.Errorf("sample %s has no template", name)
		}
	}
	for _, r := range ketacare.Roles {
		var sb strings.Builder
		if err := pages.Render(&sb, "home", HomePage{Base: Base{User: &ketacare.Actor{Role: r, Email: "x@example.com"}}}); err != nil {
			t.Errorf("home as %s: %v", r, err)
		}
	}
}

func TestStaticFilesAreHashed(t *testing.T) {
	u := StaticURL("app.css")
	if !regexp.MustCompile(`^/static/[0-9a-f]{12}/app\.css$`).MatchString(u) {
		t.Fatalf("StaticURL = %q", u)
	}
	rec := httptest.NewRecorder()
	StaticHandler().ServeHTTP(rec, httptest.NewRequest("GET", u, nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") || len(body) == 0 {
		t.Fatalf("GET %s: %d %q", u, rec.Code, rec.Header().Get("Cache-Control"))
	}
	rec = httptest.NewRecorder()
	StaticHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/static/000000000000/nope.css", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("missing file: %d", rec.Code)
	}
}

// The error summary lists its items in the order of the form's fields, not
// of the field names.
func TestErrorSummaryInFormOrder(t *testing.T) {
	pages, err := ParseTemplates()
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	errs := ErrorSummary{Fields: map[string]string{"sex": "Choose the sex.", "birthDate": "Enter the date of birth.",
		"givenName": "Enter the given name.", "familyName": "Enter the family name.", "elsewhere": "Not a field of this form."}}
	if err := pages.Render(&sb, "patient_new", PatientFormPage{Sexes: ketacare.Sexes, Errors: errs}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range regexp.MustCompile(`<li><a href="#([^"]+)">`).FindAllStringSubmatch(sb.String(), -1) {
		got = append(got, m[1])
	}
	if want := "givenName familyName birthDate sex"; strings.Join(got, " ") != want {
		t.Errorf("summary order %v, want %s", got, want)
	}
	if !strings.Contains(sb.String(), "<li>Not a field of this form.</li>") {
		t.Error("an error of a field not on the page links to nothing, or is gone")
	}
}
