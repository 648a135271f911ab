package server

import (
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"time"
)

// OpDoc describes an API operation. The OpenAPI description is generated
// from the route table, so it cannot drift from the routes: request and
// response schemas are read from the Go types by reflection.
type OpDoc struct {
	Summary  string
	Request  any // a value of the request body's type, or nil
	Response any // a value of the response body's type, or nil
	Status   int // success status; 200 when zero
}

var pathParam = regexp.MustCompile(`\{([a-zA-Z]+)\}`)

func (s *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, s.openAPI(), "")
	return nil
}

func (s *Server) openAPI() map[string]any {
	paths := map[string]map[string]any{}
	for _, rt := range s.routes {
		if rt.Doc == nil {
			continue
		}
		item := paths[rt.Path]
		if item == nil {
			item = map[string]any{}
			paths[rt.Path] = item
		}
		status := rt.Doc.Status
		if status == 0 {
			status = 200
		}
		resp := map[string]any{"description": http.StatusText(status)}
		if rt.Doc.Response != nil {
			resp["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.Doc.Response))}}
		}
		op := map[string]any{
			"summary":   rt.Doc.Summary,
			"x-policy":  rt.Policy.String(),
			"responses": map[string]any{itoa(int64(status)): resp, "default": map[string]any{"description": "Error", "content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}},
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		if rt.Idempotent {
			params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "required": false,
				"description": "A retry with the same key returns the first response (header Idempotent-Replayed: true) and creates nothing; the same key with another body answers 422, and 409 while the first request is still running. Keys are kept for a day. Send a new UUID of version 7 (RFC 9562) with each request: keys that begin with the time are stored at one end of the key index, while random ones scatter its writes.",
				"schema":      map[string]any{"type": "string", "maxLength": 200}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Policy.IsPublic() {
			op["security"] = []any{}
		}
		if rt.Doc.Request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.Doc.Request))}}}
		}
		item[strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi":  "3.1.0",
		"info":     map[string]any{"title": "ketacare API", "version": "1", "description": "JSON API of ketacare. Authenticate with Authorization: Bearer <token> (ketacare token create)."},
		"servers":  []any{map[string]any{"url": "/"}},
		"paths":    paths,
		"security": []any{map[string]any{"bearer": []any{}}},
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
			"schemas":         map[string]any{"Problem": schemaOf(reflect.TypeOf(problem{}))},
		},
	}
}

var timeType = reflect.TypeOf(time.Time{})

// schemaOf is a JSON Schema of a Go type, following its json tags and a
// `doc` tag for descriptions.
func schemaOf(t reflect.Type) map[string]any {
	if t.Kind() == reflect.Pointer {
		s := schemaOf(t.Elem())
		s["nullable"] = true
		return s
	}
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())}
	case reflect.Struct:
		props := map[string]any{}
		var required []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if f.Anonymous && name == "" {
				emb := schemaOf(f.Type)
				if p, ok := emb["properties"].(map[string]any); ok {
					for k, v := range p {
						props[k] = v
					}
				}
				continue
			}
			if name == "" {
				name = f.Name
			}
			fs := schemaOf(f.Type)
			if d := f.Tag.Get("doc"); d != "" {
				fs["description"] = d
			}
			props[name] = fs
			if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
				required = append(required, name)
			}
		}
		s := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			s["required"] = required
		}
		return s
	}
	return map[string]any{}
}
