package server

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ketacare/ketacare"
)

// Paging of search results: _count entries from _offset.
const (
	fhirDefaultCount = 20
	fhirMaxCount     = 100
)

// fhirParams are the parameters of a search, checked against what the
// resource supports: an unknown parameter or modifier is refused rather
// than ignored, so a search never returns more than was asked for.
type fhirParams struct {
	values url.Values
	count  int
	offset int
}

func invalidSearch(format string, args ...any) error {
	return ketacare.Errorf(ketacare.EINVALID, format, args...)
}

// parseFHIRParams reads the query of a search for a resource supporting
// the named parameters (plus _count, _offset and _format).
func parseFHIRParams(r *http.Request, supported ...string) (fhirParams, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return fhirParams{}, invalidSearch("The search parameters could not be read.")
	}
	p := fhirParams{values: url.Values{}, count: fhirDefaultCount}
	for name, vs := range q {
		switch name {
		case "_count", "_offset":
			if len(vs) != 1 {
				return p, invalidSearch("Give %s once.", name)
			}
			n, err := strconv.Atoi(vs[0])
			if err != nil || n < 0 {
				return p, invalidSearch("%s must be a whole number of 0 or more.", name)
			}
			if name == "_count" {
				p.count = min(n, fhirMaxCount)
			} else {
				p.offset = n
			}
			continue
		case "_format":
			for _, v := range vs {
				switch v {
				case "json", "application/json", fhirContentType:
				default:
					return p, invalidSearch("_format %q is not supported: this server speaks JSON only.", v)
				}
			}
			continue
		}
		known := false
		for _, s := range supported {
			known = known || s == name
		}
		if !known {
			if base, mod, ok := strings.Cut(name, ":"); ok {
				return p, invalidSearch("The modifier :%s of %s is not supported.", mod, base)
			}
			return p, invalidSearch("Search parameter %s is not supported here: the supported ones are %s.", name, strings.Join(supported, ", "))
		}
		for _, v := range vs {
			if strings.TrimSpace(v) == "" {
				return p, invalidSearch("Search parameter %s has no value.", name)
			}
		}
		// A token parameter names an element a resource holds once (its
		// id, code, category, gender, NHS number): its alternatives are
		// comma-separated in one parameter, and a repeat, which would AND
		// two values one element cannot both have, is refused rather than
		// read as an OR.
		if len(vs) > 1 && slices.Contains(singleValued, name) {
			return p, invalidSearch("Give %s once, with its alternatives separated by commas.", name)
		}
		if slices.Contains(tokenParams, name) {
			for _, v := range vs {
				for _, x := range strings.Split(v, ",") {
					if t := parseFHIRToken(strings.TrimSpace(x)); t.code == "" {
						return p, invalidSearch("%s: give a code, alone or after its system (system|code); a search by system alone is not supported.", name)
					}
				}
			}
		}
		p.values[name] = vs
	}
	return p, nil
}

// singleValued are the token parameters whose element a resource holds
// once.
var singleValued = []string{"_id", "code", "category", "gender", "identifier", "url"}

// tokenParams take system|code or code alone.
var tokenParams = []string{"code", "category", "gender", "identifier"}

// list returns every comma-separated value of a parameter given any
// number of times (each occurrence ANDed, values within one ORed are
// flattened here for parameters that are ORed anyway).
func (p fhirParams) list(name string) []string {
	var out []string
	for _, v := range p.values[name] {
		for _, x := range strings.Split(v, ",") {
			if x = strings.TrimSpace(x); x != "" {
				out = append(out, x)
			}
		}
	}
	return out
}

// single returns the one value of a parameter ("" when absent).
func (p fhirParams) single(name string) (string, error) {
	vs := p.values[name]
	switch {
	case len(vs) == 0:
		return "", nil
	case len(vs) > 1 || strings.Contains(vs[0], ","):
		return "", invalidSearch("Give one value of %s.", name)
	}
	return strings.TrimSpace(vs[0]), nil
}

// reference reads a reference parameter to a resource type: "12" or
// "Type/12" (or an absolute URL ending in it). Zero when absent.
func (p fhirParams) reference(name, resourceType string) (int64, error) {
	v, err := p.single(name)
	if err != nil || v == "" {
		return 0, err
	}
	if i := strings.LastIndex(v, resourceType+"/"); i >= 0 {
		v = v[i+len(resourceType)+1:]
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, invalidSearch("%s must name a %s, as %s/123.", name, resourceType, resourceType)
	}
	return id, nil
}

// patient reads the patient a search is about, named by "patient" or
// "subject" (the same one when both are given); resourceType is the
// searched type, for the error. A search must name one.
func (p fhirParams) patient(resourceType string) (int64, error) {
	patient, err := p.reference("patient", "Patient")
	if err != nil {
		return 0, err
	}
	subject, err := p.reference("subject", "Patient")
	if err != nil {
		return 0, err
	}
	switch {
	case patient == 0 && subject == 0:
		return 0, invalidSearch("Name the patient: %s?patient=123.", resourceType)
	case patient != 0 && subject != 0 && patient != subject:
		return 0, invalidSearch("patient and subject name different patients.")
	case patient == 0:
		return subject, nil
	}
	return patient, nil
}

// fhirToken is one value of a token parameter: [system|]code.
type fhirToken struct {
	system string // "*": any system
	code   string
}

func parseFHIRToken(v string) fhirToken {
	if system, code, ok := strings.Cut(v, "|"); ok {
		return fhirToken{system: system, code: code}
	}
	return fhirToken{system: "*", code: v}
}

// matchTokens reports whether the concept matches any of the tokens; no
// tokens match everything.
func matchTokens(c fhirCodeableConcept, tokens []fhirToken) bool {
	if len(tokens) == 0 {
		return true
	}
	for _, t := range tokens {
		if c.has(t.system, t.code) {
			return true
		}
	}
	return false
}

// fhirDateRange is a date parameter: a comparison prefix and the range
// [lo, hi) its value covers at its precision (a year, month, day or an
// instant).
type fhirDateRange struct {
	prefix string
	lo, hi time.Time
}

// parseFHIRDate reads a date parameter value such as "2026", "ge2026-03",
// "lt2026-03-02" or "gt2026-03-02T09:00:00Z".
func parseFHIRDate(name, v string) (fhirDateRange, error) {
	d := fhirDateRange{prefix: "eq"}
	if len(v) > 2 && v[0] >= 'a' && v[0] <= 'z' {
		d.prefix, v = v[:2], v[2:]
	}
	switch d.prefix {
	case "eq", "lt", "le", "gt", "ge":
	default:
		return d, invalidSearch("%s: the prefix %s is not supported (use eq, lt, le, gt or ge).", name, d.prefix)
	}
	layouts := []struct {
		layout string
		next   func(time.Time) time.Time
	}{
		{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
		{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
		{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
		{time.RFC3339, func(t time.Time) time.Time { return t.Add(time.Second) }},
	}
	for _, l := range layouts {
		if t, err := time.Parse(l.layout, v); err == nil {
			d.lo, d.hi = t.UTC(), l.next(t).UTC()
			return d, nil
		}
	}
	return d, invalidSearch("%s must be a date as YYYY, YYYY-MM, YYYY-MM-DD or a date and time with its zone, optionally after eq, lt, le, gt or ge.", name)
}

// contains reports whether t satisfies the comparison.
func (d fhirDateRange) contains(t time.Time) bool {
	switch d.prefix {
	case "lt":
		return t.Before(d.lo)
	case "le":
		return t.Before(d.hi)
	case "gt":
		return !t.Before(d.hi)
	case "ge":
		return !t.Before(d.lo)
	}
	return !t.Before(d.lo) && t.Before(d.hi)
}

// bundle is a searchset of resources (already one page of them) with its
// total and its self, previous and next links.
func (s *Server) bundle(r *http.Request, p fhirParams, resourceType string, total int, page []fhirResource) fhirBundle {
	base := s.fhirBase(r)
	link := func(offset int) string {
		q := url.Values{}
		for k, v := range p.values {
			q[k] = v
		}
		q.Set("_count", strconv.Itoa(p.count))
		q.Set("_offset", strconv.Itoa(offset))
		return base + "/" + resourceType + "?" + q.Encode()
	}
	b := fhirBundle{ResourceType: "Bundle", Type: "searchset", Total: total, Link: []fhirLink{{Relation: "self", URL: link(p.offset)}},
		Meta: &fhirMetaTime{LastUpdated: fhirInstant(time.Now())}}
	if p.count > 0 && p.offset+p.count < total {
		b.Link = append(b.Link, fhirLink{Relation: "next", URL: link(p.offset + p.count)})
	}
	if p.count > 0 && p.offset > 0 {
		b.Link = append(b.Link, fhirLink{Relation: "previous", URL: link(max(0, p.offset-p.count))})
	}
	for _, res := range page {
		b.Entry = append(b.Entry, fhirEntry{FullURL: base + "/" + res.fhirPath(), Resource: res, Search: fhirSearch{Mode: "match"}})
	}
	return b
}

// pageOf returns the page of a full result list that p asks for.
func pageOf[T fhirResource](p fhirParams, all []T) []fhirResource {
	out := []fhirResource{}
	for i := p.offset; i < len(all) && i < p.offset+p.count; i++ {
		out = append(out, all[i])
	}
	return out
}
