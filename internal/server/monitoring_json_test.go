package server

import (
	"bytes"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ketacare/ketacare/internal/clinical"
)

// The hand-written answer to an observation POST is byte for byte what
// encoding/json writes (writeJSON), whatever the alerts hold.
func TestObservationCreatedJSON(t *testing.T) {
	at := time.Date(2026, 3, 29, 1, 30, 5, 120000000, time.UTC)
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	later := at.Add(90 * time.Minute).In(london)
	alert := func(msg, value string) alertJSON {
		return alertJSON{ID: 7, SessionID: 3, ClinicID: 1, PatientID: 9, Rule: clinical.AlertRule("anxiety-critical"),
			Tier: clinical.AlertTier("critical"), Message: msg, Value: value, ReadingAt: at, RaisedAt: at.Add(time.Nanosecond),
			ProtocolVersion: 2}
	}
	full := alert("Systolic ≥ 180 & \"rising\" <fast>", "9/10")
	full.ObservationID, full.AcknowledgedBy, full.AcknowledgedName, full.EscalatedTo = 41, 5, "Nurse O'Neil", "a@b.example, c@d.example"
	full.ClearedAt, full.AcknowledgedAt, full.EscalatedAt = &at, &later, new(time.Time)
	cases := map[string]observationCreated{
		"no NEWS2, no alerts": {ID: 1, Alerts: []alertJSON{}},
		"nil alerts":          {ID: 2},
		"NEWS2 and alerts": {ID: 123456789, NEWS2: &news2JSON{Total: 7, Response: "urgent", Scale2: true,
			Subscores: map[string]int{"spo2": 3, "respRate": 2, "pulse": 1, "systolic": 0, "temperature": 1, "consciousness": 0, "oxygen": 0}},
			Alerts: []alertJSON{alert("Anxiety 9 of 10", "9"), full}},
		"nil subscores": {ID: 3, NEWS2: &news2JSON{Response: "low"}, Alerts: []alertJSON{}},
		"odd strings": {ID: 4, Alerts: []alertJSON{
			alert("tab\there, new\nline, bell\a, nul\x00, back\\slash", "\u2028\u2029"),
			alert("invalid \xff utf-8", "é"),
			alert("", ""),
		}},
	}
	for name, out := range cases {
		want := httptest.NewRecorder()
		writeJSON(want, 201, out, "")
		got := httptest.NewRecorder()
		writeObservationCreated(got, out)
		if !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
			t.Errorf("%s:\n got %s\nwant %s", name, got.Body.Bytes(), want.Body.Bytes())
		}
		if got.Code != want.Code || got.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
			t.Errorf("%s: %d %q, want %d %q", name, got.Code, got.Header().Get("Content-Type"), want.Code, want.Header().Get("Content-Type"))
		}
	}
}

func FuzzObservationCreatedJSON(f *testing.F) {
	f.Add("Anxiety 9 of 10", "9", "urgent", int64(1700000000123456789))
	f.Add("<script>&\"", "\x7f\x1f", "\u2028", int64(0))
	f.Fuzz(func(t *testing.T, msg, value, response string, nanos int64) {
		at := time.Unix(0, nanos).UTC()
		if y := at.Year(); y < 0 || y > 9999 {
			return
		}
		a := alertJSON{ID: nanos, Rule: clinical.AlertRule(value), Tier: clinical.AlertTier(msg), Message: msg, Value: value,
			ReadingAt: at, RaisedAt: at, ClearedAt: &at, AcknowledgedName: response, EscalatedTo: msg}
		out := observationCreated{ID: nanos, NEWS2: &news2JSON{Response: response, Subscores: map[string]int{msg: 1, value: 2}},
			Alerts: []alertJSON{a}}
		want := httptest.NewRecorder()
		writeJSON(want, 201, out, "")
		if got := append(appendObservationCreated(nil, out), '\n'); !bytes.Equal(got, want.Body.Bytes()) {
			t.Errorf("\n got %s\nwant %s", got, want.Body.Bytes())
		}
	})
}
