package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
)

// decodeProtocol reads a protocol document strictly: an unknown or
// misspelt setting is an error rather than silently ignored.
func decodeProtocol(doc string) (clinical.Protocol, error) {
	var p clinical.Protocol
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, ketacare.Errorf(ketacare.EINVALID, "The protocol document is not valid: %s.", describeJSONError(err))
	}
	// A document copied from a version saved before the report settings
	// existed gets the shipped ones, as when that version is read.
	p.Reports = p.Reports.WithDefaults()
	return p, nil
}

type change struct{ Path, Old, New string }

// diffJSON lists the settings that differ between two JSON documents, by
// their dotted path (lists indexed as [i]).
func diffJSON(a, b string) []change {
	fa, fb := flatten(a), flatten(b)
	keys := map[string]bool{}
	for k := range fa {
		keys[k] = true
	}
	for k := range fb {
		keys[k] = true
	}
	var out []change
	for k := range keys {
		if fa[k] != fb[k] {
			out = append(out, change{Path: k, Old: orAbsent(fa[k]), New: orAbsent(fb[k])})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func orAbsent(s string) string {
	if s == "" {
		return "(absent)"
	}
	return s
}

func flatten(doc string) map[string]string {
	var v any
	dec := json.NewDecoder(bytes.NewReader([]byte(doc)))
	dec.UseNumber()
	out := map[string]string{}
	if err := dec.Decode(&v); err != nil {
		return out
	}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, e)
			}
		case []any:
			if len(x) == 0 {
				out[prefix] = "[]"
			}
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", prefix, i), e)
			}
		case nil:
			out[prefix] = "null"
		default:
			out[prefix] = fmt.Sprint(x)
		}
	}
	walk("", v)
	return out
}
