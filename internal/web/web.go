// Package web holds the staff and patient web UI's templates, the typed
// page structs they are fed, and the static files (ketacare's own styles and
// the vendored nhsuk-frontend, uPlot and htmx), all embedded in the binary.
// Templates are parsed once at start; static files are served under
// content-hashed URLs so browsers can cache them for ever.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

//go:embed templates
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// London is the clinic's time zone for display.
var London = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		return time.UTC
	}
	return l
}()

var (
	hashOnce   sync.Once
	hashByPath map[string]string
)

func staticHashes() map[string]string {
	hashOnce.Do(func() {
		hashByPath = map[string]string{}
		_ = fs.WalkDir(staticFiles, "static", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := staticFiles.ReadFile(p)
			if err != nil {
				return err
			}
			s := sha256.Sum256(b)
			hashByPath[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(s[:])[:12]
			return nil
		})
	})
	return hashByPath
}

// StaticURL returns the content-hashed URL of a static file, e.g.
// "app.css" -> "/static/3f2a9c1b0d4e/app.css". It panics on a missing file,
// which the template test catches.
func StaticURL(name string) string {
	h, ok := staticHashes()[name]
	if !ok {
		panic(fmt.Sprintf("web: no static file %q", name))
	}
	return "/static/" + h + "/" + name
}

// StaticHandler serves /static/{hash}/{path...}, cached for a year when the
// hash matches the file's content.
func StaticHandler() http.Handler {
	sub, _ := fs.Sub(staticFiles, "static")
	files := http.FileServer(http.FS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest := strings.TrimPrefix(r.URL.Path, "/static/")
		hash, name, ok := strings.Cut(rest, "/")
		if !ok || staticHashes()[name] == "" {
			http.NotFound(w, r)
			return
		}
		if staticHashes()[name] == hash {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		files.ServeHTTP(w, r2)
	})
}

// ReadStatic returns a static file's bytes (used by tests).
func ReadStatic(name string) ([]byte, error) { return staticFiles.ReadFile(path.Join("static", name)) }

var funcs = template.FuncMap{
	"static": StaticURL,
	// dial links to a crisis line: {{dial .Kind .Number}}, kind "text" or a call.
	"dial": func(kind, number string) template.URL {
		if kind == "text" {
			return DialLink("sms", number)
		}
		return DialLink("tel", number)
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(London).Format("2 Jan 2006 15:04")
	},
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(London).Format("2 Jan 2006")
	},
	"isoTime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"join":    strings.Join,
	"percent": Percent,
	"add":     func(a, b int) int { return a + b },
	"list":    func(s ...string) []string { return s },
	"fieldArgs": func(name, label, value string, errs ErrorSummary, typ, autocomplete string) Field {
		return Field{Name: name, Label: label, Value: value, Error: errs.Fields[name], Type: typ, Autocomplete: autocomplete}
	},
}

// Field is one labelled input with its error, for the "field" template.
type Field struct {
	Name, Label, Value, Error, Type, Autocomplete string
}

// Templates is the parsed set of pages: each page template combined with
// the shared layout.
type Templates struct {
	pages map[string]*template.Template
}

// ParseTemplates parses every page once. A page is templates/NAME.html; it
// defines "title" and "content" and is rendered inside layout.html.
func ParseTemplates() (*Templates, error) {
	entries, err := fs.ReadDir(templateFiles, "templates")
	if err != nil {
		return nil, err
	}
	t := &Templates{pages: map[string]*template.Template{}}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".html")
		if name == "layout" || strings.HasPrefix(name, "part_") {
			continue
		}
		tp, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/part_*.html", "templates/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", e.Name(), err)
		}
		t.pages[name] = tp
	}
	return t, nil
}

// Names lists the parsed pages.
func (t *Templates) Names() []string {
	var out []string
	for n := range t.pages {
		out = append(out, n)
	}
	return out
}

// Render executes a page into w with its data. It renders into a buffer
// first, so a template error never sends half a page.
func (t *Templates) Render(w io.Writer, name string, data any) error {
	tp, ok := t.pages[name]
	if !ok {
		return fmt.Errorf("web: no template %q", name)
	}
	var buf bytes.Buffer
	if err := tp.Execute(&buf, data); err != nil {
		return fmt.Errorf("web: rendering %s: %w", name, err)
	}
	// html/template writes this in place of a value it refused in a URL or
	// style (a tel: link typed as a plain string, say). In tests that is an
	// error, so every page a test renders is checked; a running clinic
	// still gets the page.
	if testing.Testing() && bytes.Contains(buf.Bytes(), []byte("ZgotmplZ")) {
		return fmt.Errorf("web: rendering %s: a value was filtered out as unsafe (ZgotmplZ)", name)
	}
	_, err := w.Write(orderErrorSummary(buf.Bytes()))
	return err
}

var (
	summaryList = regexp.MustCompile(`(?s)(<ul class="nhsuk-list nhsuk-error-summary__list">)(.*?)(\s*</ul>)`)
	summaryItem = regexp.MustCompile(`(?s)<li><a href="#([^"]+)">(.*?)</a></li>`)
)

// orderErrorSummary lists the error summary's items in the order their
// fields come on the page, as the design system asks. The summary is
// built from a map of field errors, which has no order; the page itself
// is the one place that knows the form's order, so each item goes where
// the element it links to (id="field") stands. An item whose field is not
// on the page comes last, as text without a link that would lead nowhere.
func orderErrorSummary(page []byte) []byte {
	m := summaryList.FindSubmatchIndex(page)
	if m == nil {
		return page
	}
	items := summaryItem.FindAllSubmatch(page[m[4]:m[5]], -1)
	pos := make(map[string]int, len(items))
	for _, it := range items {
		pos[string(it[1])] = len(page)
		if i := bytes.Index(page, []byte(`id="`+string(it[1])+`"`)); i >= 0 {
			pos[string(it[1])] = i
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return pos[string(items[i][1])] < pos[string(items[j][1])] })
	var out bytes.Buffer
	out.Write(page[:m[4]])
	for _, it := range items {
		out.WriteString("\n      ")
		if pos[string(it[1])] == len(page) {
			out.WriteString("<li>")
			out.Write(it[2])
			out.WriteString("</li>")
			continue
		}
		out.Write(it[0])
	}
	out.Write(page[m[5]:])
	return out.Bytes()
}
