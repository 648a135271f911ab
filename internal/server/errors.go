package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/web"
)

var statusByCode = map[string]int{
	ketacare.EINVALID:       http.StatusBadRequest,
	ketacare.EUNPROCESSABLE: http.StatusUnprocessableEntity,
	ketacare.ENOTFOUND:      http.StatusNotFound,
	ketacare.ECONFLICT:      http.StatusConflict,
	ketacare.EMETHOD:        http.StatusMethodNotAllowed,
	ketacare.EUNAUTHORIZED:  http.StatusUnauthorized,
	ketacare.EFORBIDDEN:     http.StatusForbidden,
	ketacare.ETOOMANY:       http.StatusTooManyRequests,
	ketacare.EUNAVAILABLE:   http.StatusServiceUnavailable,
	ketacare.EINTERNAL:      http.StatusInternalServerError,
}

func notFoundError(what string) error {
	return ketacare.Errorf(ketacare.ENOTFOUND, "%s not found.", what)
}

// problem is an RFC 9457 problem document.
type problem struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Detail    string            `json:"detail"`
	Code      string            `json:"code"`
	Errors    map[string]string `json:"errors,omitempty"`
	RequestID string            `json:"requestId"`
}

// renderError is the one place an error becomes a response. Internal errors
// are logged with their detail and shown as a safe message.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, surface Surface, err error) {
	code := ketacare.ErrorCode(err)
	status := statusByCode[code]
	if code == ketacare.EINTERNAL {
		if r.Context().Err() != nil {
			return // the client went away
		}
		s.log.Error("internal error", "request_id", requestID(r), "route", r.Pattern, "err", err)
	}
	switch surface {
	case FHIR:
		s.renderFHIRError(w, r, status, err)
	case API:
		writeJSON(w, status, problem{Type: "about:blank", Title: http.StatusText(status), Status: status,
			Detail: ketacare.ErrorMessage(err), Code: code, Errors: ketacare.ErrorFields(err), RequestID: requestID(r)},
			"application/problem+json")
	case Web:
		if code == ketacare.EUNAUTHORIZED && r.Method == http.MethodGet {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if code == ketacare.EUNAUTHORIZED {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		page := web.ErrorPage{Base: s.base(r, "Error"), Status: status, Message: ketacare.ErrorMessage(err)}
		if rerr := s.pages.Render(w, "error", page); rerr != nil {
			s.log.Error("rendering error page", "err", rerr)
		}
	default:
		http.Error(w, ketacare.ErrorMessage(err), status)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any, contentType string) {
	if contentType == "" {
		contentType = "application/json"
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		http.Error(w, "the answer could not be encoded", http.StatusInternalServerError)
		return
	}
	writeBody(w, status, contentType, buf.Bytes())
}

// writeBody writes a whole answer with its length. Without a
// Content-Length, net/http sends an answer longer than its 2 KiB buffer
// in chunks, with one more write to the connection for the last chunk.
func writeBody(w http.ResponseWriter, status int, contentType string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
