package server

import (
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ketacare/ketacare/internal/jsonappend"
)

// The answer to an observation POST is the server's most frequent, and
// encoding/json spent more CPU on it (reflection, and a time value per
// alert field) than recording the observation outside the database. It is
// written here by hand, byte for byte as encoding/json writes it (with
// HTML escaping, as writeJSON): TestObservationCreatedJSON holds the two
// equal.

var jsonBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// writeObservationCreated writes out as writeJSON would, with status 201.
func writeObservationCreated(w http.ResponseWriter, out observationCreated) {
	bp := jsonBuffers.Get().(*[]byte)
	b := append(appendObservationCreated((*bp)[:0], out), '\n')
	writeBody(w, http.StatusCreated, "application/json", b)
	if cap(b) <= 64<<10 { // an unusually long answer's buffer is left to the collector
		*bp = b
		jsonBuffers.Put(bp)
	}
}

func appendObservationCreated(b []byte, out observationCreated) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, out.ID, 10)
	b = append(b, `,"news2":`...)
	if n := out.NEWS2; n == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"total":`...)
		b = strconv.AppendInt(b, int64(n.Total), 10)
		b = append(b, `,"subscores":`...)
		if n.Subscores == nil {
			b = append(b, "null"...)
		} else {
			keys := make([]string, 0, len(n.Subscores))
			for k := range n.Subscores {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			b = append(b, '{')
			for i, k := range keys {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, k)
				b = append(b, ':')
				b = strconv.AppendInt(b, int64(n.Subscores[k]), 10)
			}
			b = append(b, '}')
		}
		b = append(b, `,"response":`...)
		b = appendJSONString(b, n.Response)
		b = append(b, `,"scale2":`...)
		b = strconv.AppendBool(b, n.Scale2)
		b = append(b, '}')
	}
	b = append(b, `,"alerts":`...)
	if out.Alerts == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, a := range out.Alerts {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendAlert(b, a)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendAlert appends an alert as encoding/json writes store.Alert.
func appendAlert(b []byte, a alertJSON) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, a.ID, 10)
	b = append(b, `,"sessionId":`...)
	b = strconv.AppendInt(b, a.SessionID, 10)
	b = append(b, `,"clinicId":`...)
	b = strconv.AppendInt(b, a.ClinicID, 10)
	b = append(b, `,"patientId":`...)
	b = strconv.AppendInt(b, a.PatientID, 10)
	b = append(b, `,"rule":`...)
	b = appendJSONString(b, string(a.Rule))
	b = append(b, `,"tier":`...)
	b = appendJSONString(b, string(a.Tier))
	b = append(b, `,"message":`...)
	b = appendJSONString(b, a.Message)
	b = append(b, `,"value":`...)
	b = appendJSONString(b, a.Value)
	b = append(b, `,"readingAt":`...)
	b = appendJSONTime(b, a.ReadingAt)
	b = append(b, `,"raisedAt":`...)
	b = appendJSONTime(b, a.RaisedAt)
	if a.ObservationID != 0 {
		b = append(b, `,"observationId":`...)
		b = strconv.AppendInt(b, a.ObservationID, 10)
	}
	b = append(b, `,"clearedAt":`...)
	b = appendJSONTimePtr(b, a.ClearedAt)
	b = append(b, `,"acknowledgedAt":`...)
	b = appendJSONTimePtr(b, a.AcknowledgedAt)
	if a.AcknowledgedBy != 0 {
		b = append(b, `,"acknowledgedBy":`...)
		b = strconv.AppendInt(b, a.AcknowledgedBy, 10)
	}
	if a.AcknowledgedName != "" {
		b = append(b, `,"acknowledgedByName":`...)
		b = appendJSONString(b, a.AcknowledgedName)
	}
	b = append(b, `,"escalatedAt":`...)
	b = appendJSONTimePtr(b, a.EscalatedAt)
	if a.EscalatedTo != "" {
		b = append(b, `,"escalatedTo":`...)
		b = appendJSONString(b, a.EscalatedTo)
	}
	b = append(b, `,"protocolVersion":`...)
	b = strconv.AppendInt(b, int64(a.ProtocolVersion), 10)
	return append(b, '}')
}

func appendJSONTimePtr(b []byte, t *time.Time) []byte {
	if t == nil {
		return append(b, "null"...)
	}
	return appendJSONTime(b, *t)
}

// appendJSONTime appends t as time.Time's MarshalJSON does (RFC 3339 with
// nanoseconds). Stored times are checked on the way in and never fall
// outside the years 0-9999 that MarshalJSON accepts.
func appendJSONTime(b []byte, t time.Time) []byte { return jsonappend.Time(b, t) }

// appendJSONString appends s quoted as encoding/json does with HTML escaping.
func appendJSONString(b []byte, s string) []byte { return jsonappend.String(b, s) }
