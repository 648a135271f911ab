package server

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/monitoring"
)

// fhirObservationInput is a vital sign another system records in a dosing
// session: one Observation of the FHIR vital-signs profiles, in the
// session's Encounter. Elements not listed are refused, so nothing sent is
// silently dropped; those that carry nothing ketacare keeps are accepted
// and ignored.
type fhirObservationInput struct {
	ResourceType      string                     `json:"resourceType"`
	ID                string                     `json:"id"`             // ignored: the server assigns ids
	Meta              json.RawMessage            `json:"meta"`           // ignored
	Text              json.RawMessage            `json:"text"`           // narrative, ignored
	Identifier        json.RawMessage            `json:"identifier"`     // ignored
	Category          json.RawMessage            `json:"category"`       // ignored: the code says what it is
	Performer         json.RawMessage            `json:"performer"`      // ignored: the token's user records it
	Issued            json.RawMessage            `json:"issued"`         // ignored: the server's time of receipt
	Interpretation    json.RawMessage            `json:"interpretation"` // ignored: ketacare's own rules alert
	Status            string                     `json:"status"`
	Code              fhirCodeableConcept        `json:"code"`
	Subject           fhirReference              `json:"subject"`
	Encounter         fhirReference              `json:"encounter"`
	EffectiveDateTime string                     `json:"effectiveDateTime"`
	ValueQuantity     *fhirQuantity              `json:"valueQuantity"`
	Component         []fhirObservationComponent `json:"component"`
	Device            *fhirReference             `json:"device"`
}

type fhirObservationComponent struct {
	Code          fhirCodeableConcept `json:"code"`
	ValueQuantity *fhirQuantity       `json:"valueQuantity"`
}

// fhirVitalIn is a vital sign ketacare takes: its LOINC codes, UCUM unit,
// the id suffix of the resource it becomes and the field it fills.
type fhirVitalIn struct {
	codes []string
	unit  string
	kind  string
	whole bool // a whole number
	set   func(o *clinical.Observation, v float64)
}

var fhirVitalsIn = []fhirVitalIn{
	{[]string{"8867-4"}, "/min", "pulse", true, func(o *clinical.Observation, v float64) { o.Pulse = new(int(v)) }},
	{[]string{"9279-1"}, "/min", "resp", true, func(o *clinical.Observation, v float64) { o.RespRate = new(int(v)) }},
	{[]string{"59408-5", "2708-6"}, "%", "spo2", true, func(o *clinical.Observation, v float64) { o.SpO2 = new(int(v)) }},
	{[]string{"8310-5"}, "Cel", "temp", false, func(o *clinical.Observation, v float64) { o.TempC = new(v) }},
}

// The blood pressure panel and its parts.
const (
	loincBPPanel   = "85354-9"
	loincSystolic  = "8480-6"
	loincDiastolic = "8462-4"
)

// quantity reads a quantity in unit (UCUM), at path for errors.
func fhirQuantityValue(q *fhirQuantity, unit string, whole bool, path string) (float64, error) {
	bad := func(msg string) error {
		return &ketacare.Error{Code: ketacare.EINVALID, Message: msg, Fields: map[string]string{path: msg}}
	}
	switch {
	case q == nil:
		return 0, bad("Give the reading as a valueQuantity.")
	case q.Code != unit || (q.System != "" && q.System != fhirUCUM):
		return 0, bad("Give the reading in " + unit + " (UCUM).")
	case math.IsNaN(q.Value) || math.Abs(q.Value) > 1e6:
		return 0, bad("Give the reading's value as a number of a real size.")
	case whole && q.Value != math.Trunc(q.Value):
		return 0, bad("Give the reading as a whole number.")
	}
	return q.Value, nil
}

// toObservation reads the vital sign: the session it is for, the reading
// and the kind of resource it becomes.
func (in fhirObservationInput) toObservation() (sessionID, patientID int64, o clinical.Observation, kind string, err error) {
	fail := func(path, msg string) error {
		return &ketacare.Error{Code: ketacare.EINVALID, Message: msg, Fields: map[string]string{path: msg}}
	}
	if in.ResourceType != "Observation" {
		return 0, 0, o, "", fail("Observation.resourceType", "Send an Observation.")
	}
	if in.Status != "final" && in.Status != "amended" && in.Status != "corrected" {
		return 0, 0, o, "", fail("Observation.status", "Only final readings are recorded: status final, amended or corrected.")
	}
	ref := func(r fhirReference, typ, path string) (int64, error) {
		n, err := strconv.ParseInt(strings.TrimPrefix(r.Reference, typ+"/"), 10, 64)
		if !strings.HasPrefix(r.Reference, typ+"/") || err != nil || n <= 0 {
			return 0, fail(path, "Give the "+typ+" as a reference "+typ+"/{id}.")
		}
		return n, nil
	}
	if sessionID, err = ref(in.Encounter, "Encounter", "Observation.encounter"); err != nil {
		return 0, 0, o, "", err
	}
	if patientID, err = ref(in.Subject, "Patient", "Observation.subject"); err != nil {
		return 0, 0, o, "", err
	}
	if in.EffectiveDateTime != "" {
		t, err := time.Parse(time.RFC3339, in.EffectiveDateTime)
		if err != nil {
			return 0, 0, o, "", fail("Observation.effectiveDateTime", "Give the time of the reading with its zone, like 2026-03-02T09:15:00Z.")
		}
		o.At = t
	}
	// A code that names two different readings (a respiratory rate coded
	// as a heart rate too, say) is refused rather than read as the first.
	var named []string
	if in.Code.has(fhirLOINC, loincBPPanel) {
		named = append(named, "blood pressure")
	}
	for _, vi := range fhirVitalsIn {
		for _, code := range vi.codes {
			if in.Code.has(fhirLOINC, code) {
				named = append(named, vi.kind)
				break
			}
		}
	}
	if len(named) > 1 {
		return 0, 0, o, "", fail("Observation.code", "The code names different readings ("+strings.Join(named, ", ")+"): send one Observation for each reading.")
	}
	if in.Code.has(fhirLOINC, loincBPPanel) {
		if in.ValueQuantity != nil || len(in.Component) == 0 {
			return 0, 0, o, "", fail("Observation.component", "Give a blood pressure as components: systolic (8480-6) and diastolic (8462-4).")
		}
		for i, c := range in.Component {
			path := "Observation.component[" + strconv.Itoa(i) + "]"
			var target **int
			switch {
			case c.Code.has(fhirLOINC, loincSystolic):
				target = &o.Systolic
			case c.Code.has(fhirLOINC, loincDiastolic):
				target = &o.Diastolic
			default:
				return 0, 0, o, "", fail(path+".code", "A blood pressure component is systolic (8480-6) or diastolic (8462-4).")
			}
			if *target != nil {
				return 0, 0, o, "", fail(path+".code", "Each blood pressure component once.")
			}
			v, err := fhirQuantityValue(c.ValueQuantity, "mm[Hg]", true, path+".valueQuantity")
			if err != nil {
				return 0, 0, o, "", err
			}
			*target = new(int(v))
		}
		return sessionID, patientID, o, "bp", nil
	}
	if len(in.Component) > 0 {
		return 0, 0, o, "", fail("Observation.component", "Only a blood pressure has components.")
	}
	for _, vi := range fhirVitalsIn {
		for _, code := range vi.codes {
			if in.Code.has(fhirLOINC, code) {
				v, err := fhirQuantityValue(in.ValueQuantity, vi.unit, vi.whole, "Observation.valueQuantity")
				if err != nil {
					return 0, 0, o, "", err
				}
				vi.set(&o, v)
				return sessionID, patientID, o, vi.kind, nil
			}
		}
	}
	return 0, 0, o, "", fail("Observation.code", "Send a vital sign coded in LOINC: blood pressure 85354-9, heart rate 8867-4, "+
		"respiratory rate 9279-1, oxygen saturation 59408-5 or 2708-6, body temperature 8310-5.")
}

// fhirVitalPaths name, for a refused reading, where it was in the resource.
var fhirVitalPaths = map[string]string{
	"systolic": "Observation.component", "diastolic": "Observation.component", "pulse": "Observation.valueQuantity",
	"respRate": "Observation.valueQuantity", "spo2": "Observation.valueQuantity", "tempC": "Observation.valueQuantity",
	"at": "Observation.effectiveDateTime",
}

// fhirObservationCreate records a vital sign in a dosing session in
// progress, through the same path as every observation: the session's
// alert rules, NEWS2, the audit and the live board. An implausible reading
// is refused (422): FHIR has no way to confirm it; record it in ketacare.
func (s *Server) fhirObservationCreate(w http.ResponseWriter, r *http.Request) error {
	if !s.fhirBodyTypeOK(w, r, "Observation") {
		return nil
	}
	var in fhirObservationInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	sessionID, patientID, o, kind, err := in.toObservation()
	if err != nil {
		return err
	}
	a := mustActor(r)
	sess, _, err := s.mon.Session(r.Context(), a, sessionID)
	if err != nil {
		return err
	}
	if sess.PatientID != patientID {
		return &ketacare.Error{Code: ketacare.EINVALID, Message: "The subject is not the patient of the encounter.",
			Fields: map[string]string{"Observation.subject": "Give the patient of the encounter (Patient/" + itoa(sess.PatientID) + ")."}}
	}
	device := ""
	if in.Device != nil {
		// The device's name, or else its reference ("Device/123"): what
		// the sender said measured the reading is kept either way.
		if device = in.Device.Display; device == "" {
			device = in.Device.Reference
		}
		if r := []rune(device); len(r) > 200 {
			device = string(r[:200])
		}
	}
	res, err := s.mon.RecordObservation(r.Context(), a, sessionID, monitoring.ObservationInput{Observation: o, Source: monitoring.SourceFHIR, Device: device})
	if err != nil {
		return fhirFields(err, fhirVitalPaths)
	}
	id := "obs-" + itoa(res.Observation.ID) + "-" + kind
	for _, f := range observationResources(res.Observation, patientID) {
		if f.ID == id {
			w.Header().Set("Location", s.fhirBase(r)+"/Observation/"+id)
			writeFHIR(w, http.StatusCreated, f)
			return nil
		}
	}
	return ketacare.Errorf(ketacare.EINTERNAL, "The recorded observation has no %s reading.", kind)
}
