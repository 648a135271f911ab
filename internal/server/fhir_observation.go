package server

import (
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/store"
)

// fhirObservation is a FHIR R4 Observation.
type fhirObservation struct {
	ResourceType         string                `json:"resourceType"`
	ID                   string                `json:"id"`
	Meta                 *fhirMeta             `json:"meta,omitempty"`
	Status               string                `json:"status"`
	Category             []fhirCodeableConcept `json:"category"`
	Code                 fhirCodeableConcept   `json:"code"`
	Subject              fhirReference         `json:"subject"`
	Encounter            *fhirReference        `json:"encounter,omitempty"`
	EffectiveDateTime    string                `json:"effectiveDateTime"`
	Issued               string                `json:"issued,omitempty"`
	ValueQuantity        *fhirQuantity         `json:"valueQuantity,omitempty"`
	ValueInteger         *int                  `json:"valueInteger,omitempty"`
	ValueBoolean         *bool                 `json:"valueBoolean,omitempty"`
	ValueCodeableConcept *fhirCodeableConcept  `json:"valueCodeableConcept,omitempty"`
	DataAbsentReason     *fhirCodeableConcept  `json:"dataAbsentReason,omitempty"`
	Interpretation       []fhirCodeableConcept `json:"interpretation,omitempty"`
	Device               *fhirReference        `json:"device,omitempty"`
	Component            []fhirComponent       `json:"component,omitempty"`

	effective time.Time // for sorting and the date parameter
}

func (o fhirObservation) fhirPath() string { return "Observation/" + o.ID }

type fhirComponent struct {
	Code             fhirCodeableConcept  `json:"code"`
	ValueQuantity    *fhirQuantity        `json:"valueQuantity,omitempty"`
	ValueInteger     *int                 `json:"valueInteger,omitempty"`
	DataAbsentReason *fhirCodeableConcept `json:"dataAbsentReason,omitempty"`
}

// Observation categories.
var (
	catVitalSigns = fhirCodeableConcept{Coding: []fhirCoding{{System: fhirCategory, Code: "vital-signs", Display: "Vital Signs"}}}
	catSurvey     = fhirCodeableConcept{Coding: []fhirCoding{{System: fhirCategory, Code: "survey", Display: "Survey"}}}
	catExam       = fhirCodeableConcept{Coding: []fhirCoding{{System: fhirCategory, Code: "exam", Display: "Exam"}}}
)

func loinc(code, display string) fhirCoding {
	return fhirCoding{System: fhirLOINC, Code: code, Display: display}
}
func kc(code, display string) fhirCoding {
	return fhirCoding{System: fhirKetacare, Code: code, Display: display}
}

func concept(text string, codings ...fhirCoding) fhirCodeableConcept {
	return fhirCodeableConcept{Coding: codings, Text: text}
}

func ucum(v float64, unit, code string) *fhirQuantity {
	return &fhirQuantity{Value: v, Unit: unit, System: fhirUCUM, Code: code}
}

func intPtr(n int) *int { return &n }

// absent is the dataAbsentReason of a reading not taken.
var absent = &fhirCodeableConcept{Coding: []fhirCoding{{System: fhirAbsent, Code: "not-performed", Display: "Not Performed"}}}

// vitalSign describes how one kind of reading of a dosing-session
// observation becomes a FHIR Observation: the suffix of its id, and the
// resource when the reading was taken.
type vitalSign struct {
	kind  string
	build func(o store.ObservationRecord) (fhirObservation, bool)
}

const vitalProfile = "http://hl7.org/fhir/StructureDefinition/"

// vitalSigns lists the readings of a dosing-session observation, in the
// order they are listed.
var vitalSigns = []vitalSign{
	{"bp", func(o store.ObservationRecord) (fhirObservation, bool) {
		if o.Systolic == nil && o.Diastolic == nil {
			return fhirObservation{}, false
		}
		part := func(v *int, code, display string) fhirComponent {
			c := fhirComponent{Code: concept(display, loinc(code, display))}
			if v == nil {
				c.DataAbsentReason = absent
			} else {
				c.ValueQuantity = ucum(float64(*v), "mmHg", "mm[Hg]")
			}
			return c
		}
		return fhirObservation{Meta: &fhirMeta{Profile: []string{vitalProfile + "bp"}}, Category: []fhirCodeableConcept{catVitalSigns},
			Code:      concept("Blood pressure", loinc("85354-9", "Blood pressure panel with all children optional")),
			Component: []fhirComponent{part(o.Systolic, "8480-6", "Systolic blood pressure"), part(o.Diastolic, "8462-4", "Diastolic blood pressure")}}, true
	}},
	{"pulse", func(o store.ObservationRecord) (fhirObservation, bool) {
		if o.Pulse == nil {
			return fhirObservation{}, false
		}
		return fhirObservation{Meta: &fhirMeta{Profile: []string{vitalProfile + "heartrate"}}, Category: []fhirCodeableConcept{catVitalSigns},
			Code: concept("Pulse rate", loinc("8867-4", "Heart rate")), ValueQuantity: ucum(float64(*o.Pulse), "beats/minute", "/min")}, true
	}},
	{"resp", func(o store.ObservationRecord) (fhirObservation, bool) {
		if o.RespRate == nil {
			return fhirObservation{}, false
		}
		return fhirObservation{Meta: &fhirMeta{Profile: []string{vitalProfile + "resprate"}}, Category: []fhirCodeableConcept{catVitalSigns},
			Code: concept("Respiration rate", loinc("9279-1", "Respiratory rate")), ValueQuantity: ucum(float64(*o.RespRate), "breaths/minute", "/min")}, true
	}},
	{"spo2", func(o store.ObservationRecord) (fhirObservation, bool) {
		if o.SpO2 == nil {
			return fhirObservation{}, false
		}
		return fhirObservation{Meta: &fhirMeta{Profile: []string{vitalProfile + "oxygensat"}}, Category: []fhirCodeableConcept{catVitalSigns},
			Code: concept("Oxygen saturation (SpO2)", loinc("2708-6", "Oxygen saturation in Arterial blood"),
				loinc("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry")),
			ValueQuantity: ucum(float64(*o.SpO2), "%", "%")}, true
	}},
	{"temp", func(o store.ObservationRecord) (fhirObservation, bool) {
		if o.TempC == nil {
			return fhirObservation{}, false
		}
		return fhirObservation{Meta: &fhirMeta{Profile: []string{vitalProfile + "bodytemp"}}, Category: []fhirCodeableConcept{catVitalSigns},
			Code: concept("Body temperature", loinc("8310-5", "Body temperature")), ValueQuantity: ucum(*o.TempC, "C", "Cel")}, true
	}},
	{"oxygen", func(o store.ObservationRecord) (fhirObservation, bool) {
		if o.OnOxygen == nil {
			return fhirObservation{}, false
		}
		v := *o.OnOxygen
		return fhirObservation{Category: []fhirCodeableConcept{catExam},
			Code: concept("On supplemental oxygen", kc("supplemental-oxygen", "On supplemental oxygen")), ValueBoolean: &v}, true
	}},
	{"acvpu", func(o store.ObservationRecord) (fhirObservation, bool) {
		if o.Consciousness == "" {
			return fhirObservation{}, false
		}
		code, label := acvpuCode(o.Consciousness)
		return fhirObservation{Category: []fhirCodeableConcept{catExam},
			Code:                 concept("Level of consciousness (ACVPU)", kc("acvpu", "Level of consciousness (ACVPU)")),
			ValueCodeableConcept: &fhirCodeableConcept{Coding: []fhirCoding{kc(code, label)}, Text: label}}, true
	}},
	{"anxiety", func(o store.ObservationRecord) (fhirObservation, bool) {
		if o.Anxiety == nil {
			return fhirObservation{}, false
		}
		return fhirObservation{Category: []fhirCodeableConcept{catSurvey},
			Code: concept("Anxiety, numeric rating scale 0-10", kc("anxiety-nrs", "Anxiety numeric rating scale (0-10)")), ValueInteger: intPtr(*o.Anxiety)}, true
	}},
	{"moaas", func(o store.ObservationRecord) (fhirObservation, bool) {
		if o.MOAAS == nil {
			return fhirObservation{}, false
		}
		return fhirObservation{Category: []fhirCodeableConcept{catSurvey},
			Code: concept("MOAA/S sedation score 0-5", kc("moaas", "Modified Observer's Assessment of Alertness/Sedation (0-5)")), ValueInteger: intPtr(*o.MOAAS)}, true
	}},
	{"cadss", func(o store.ObservationRecord) (fhirObservation, bool) {
		if len(o.CADSS) == 0 {
			return fhirObservation{}, false
		}
		def, _ := clinical.Lookup(clinical.InstrumentCADSS6)
		total := 0
		var comps []fhirComponent
		for i, v := range o.CADSS {
			total += v
			link := strconv.Itoa(i + 1)
			if i < len(def.Items) {
				link = def.Items[i].LinkID
			}
			comps = append(comps, fhirComponent{Code: concept("CADSS item "+link, kc("cadss-6-item-"+link, "CADSS item "+link)), ValueInteger: intPtr(v)})
		}
		return fhirObservation{Category: []fhirCodeableConcept{catSurvey},
			Code: concept("CADSS-6 total", kc("cadss-6", "Clinician-Administered Dissociative States Scale, 6 items: total")), ValueInteger: intPtr(total),
			Component: comps}, true
	}},
}

// acvpuCode is the ketacare code and label of an ACVPU level.
func acvpuCode(level string) (string, string) {
	codes := map[string]string{"A": "acvpu-alert", "C": "acvpu-new-confusion", "V": "acvpu-voice", "P": "acvpu-pain", "U": "acvpu-unresponsive"}
	label := level
	for _, c := range clinical.ConsciousnessLevels {
		if c.Code == level {
			label = c.Label
		}
	}
	if code, ok := codes[level]; ok {
		return code, label
	}
	return "acvpu-" + strings.ToLower(level), label
}

// news2Components are the ketacare codes of the NEWS2 parameters' scores.
var news2Components = map[string]string{
	clinical.NEWS2RespRate: "news2-resp-rate", clinical.NEWS2SpO2: "news2-spo2", clinical.NEWS2AirOrOxygen: "news2-air-or-oxygen",
	clinical.NEWS2Systolic: "news2-systolic", clinical.NEWS2Pulse: "news2-pulse", clinical.NEWS2Consciousness: "news2-consciousness",
	clinical.NEWS2TempC: "news2-temperature",
}

// sessionObservation fills in what every observation of a dosing session
// shares: status, subject, encounter, times, device.
func sessionObservation(f fhirObservation, id string, o store.ObservationRecord, patientID int64) fhirObservation {
	f.ResourceType, f.ID, f.Status = "Observation", id, "final"
	f.Subject = fhirReference{Reference: "Patient/" + itoa(patientID)}
	f.Encounter = &fhirReference{Reference: "Encounter/" + itoa(o.SessionID)}
	f.EffectiveDateTime, f.Issued, f.effective = fhirInstant(o.At), fhirInstant(o.RecordedAt), o.At
	if o.Device != "" {
		f.Device = &fhirReference{Display: o.Device}
	}
	return f
}

// observationResources are the Observation resources of one dosing-session
// observation: one per reading taken, and the NEWS2 when it was computed.
func observationResources(o store.ObservationRecord, patientID int64) []fhirObservation {
	var out []fhirObservation
	for _, v := range vitalSigns {
		if f, ok := v.build(o); ok {
			out = append(out, sessionObservation(f, "obs-"+itoa(o.ID)+"-"+v.kind, o, patientID))
		}
	}
	if n, ok := news2Resource(o, patientID); ok {
		out = append(out, n)
	}
	return out
}

func news2Resource(o store.ObservationRecord, patientID int64) (fhirObservation, bool) {
	if o.NEWS2 == nil {
		return fhirObservation{}, false
	}
	f := fhirObservation{Category: []fhirCodeableConcept{catSurvey},
		Code: concept("NEWS2 total score", fhirCoding{System: fhirSNOMED, Code: "1104051000000101", Display: "Royal College of Physicians NEWS2 (National Early Warning Score 2) total score"},
			loinc("88330-6", "National early warning score 2 [NEWS2]")),
		ValueInteger: intPtr(o.NEWS2.Total)}
	if o.NEWS2.Response != "" {
		f.Interpretation = []fhirCodeableConcept{concept("NEWS2 clinical response: "+o.NEWS2.Response,
			kc("news2-response-"+o.NEWS2.Response, "NEWS2 clinical response "+o.NEWS2.Response))}
	}
	for _, param := range clinical.NEWS2Parameters {
		if v, ok := o.NEWS2.Subscores[param]; ok {
			f.Component = append(f.Component, fhirComponent{Code: concept("NEWS2 "+param+" score", kc(news2Components[param], "NEWS2 score for "+param)), ValueInteger: intPtr(v)})
		}
	}
	return sessionObservation(f, "news2-"+itoa(o.ID), o, patientID), true
}

// scoreValue is a total as valueInteger, or as a {score} quantity when it
// is not whole.
func scoreValue(t float64) (*int, *fhirQuantity) {
	if t == math.Trunc(t) {
		return intPtr(int(t)), nil
	}
	return nil, ucum(t, "{score}", "{score}")
}

// assessmentResource is the Observation of a scored questionnaire: its
// total, with a component for each item answer.
func assessmentResource(as store.Assessment) (fhirObservation, bool) {
	if as.Total == nil {
		return fhirObservation{}, false // the screening history is not a score
	}
	def, ok := as.Definition()
	if !ok {
		return fhirObservation{}, false
	}
	f := fhirObservation{ResourceType: "Observation", ID: "asmt-" + itoa(as.ID), Status: "final", Category: []fhirCodeableConcept{catSurvey},
		Subject:           fhirReference{Reference: "Patient/" + itoa(as.PatientID)},
		EffectiveDateTime: fhirInstant(as.CreatedAt), Issued: fhirInstant(as.CreatedAt), effective: as.CreatedAt}
	if len(def.Rules) > 0 {
		// The result is read from the answers (as the C-SSRS risk level),
		// not from a total: it is the value.
		name := def.Name + " result"
		f.Code = concept(name, kc(def.ID, name))
		f.ValueCodeableConcept = &fhirCodeableConcept{Coding: []fhirCoding{kc(def.ID+"-"+as.Band, def.Name+": "+as.BandLabel)}, Text: as.BandLabel}
	} else {
		name := def.Name + " total score"
		f.Code = concept(name, kc(def.ID, name))
		if def.TotalLOINC != "" {
			f.Code = concept(name, loinc(def.TotalLOINC, name))
		}
		f.Interpretation = []fhirCodeableConcept{concept(as.BandLabel, kc(def.ID+"-"+as.Band, def.Name+": "+as.BandLabel))}
		f.ValueInteger, f.ValueQuantity = scoreValue(*as.Total)
	}
	if as.Band == "" {
		f.Interpretation = nil
	}
	items := map[string]clinical.InstrumentItem{}
	for _, it := range def.Items {
		items[it.LinkID] = it
	}
	for _, ans := range as.Answers {
		it := items[ans.Item]
		label := def.ID + " item " + ans.Item
		c := fhirComponent{Code: concept(label, kc(def.ID+"-item-"+ans.Item, label))}
		if it.LOINC != "" {
			c.Code = concept(label, loinc(it.LOINC, label))
		}
		if ans.Answer == clinical.Skipped {
			c.DataAbsentReason = &fhirCodeableConcept{Coding: []fhirCoding{{System: fhirAbsent, Code: "not-asked", Display: "Not Asked"}}}
		} else {
			c.ValueInteger = intPtr(ans.Answer)
		}
		f.Component = append(f.Component, c)
	}
	return f, true
}

func (s *Server) fhirObservationRead(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	a := mustActor(r)
	notFound := notFoundError("Observation")
	switch {
	case strings.HasPrefix(id, "asmt-"):
		n, err := strconv.ParseInt(strings.TrimPrefix(id, "asmt-"), 10, 64)
		if err != nil || n <= 0 {
			return notFound
		}
		as, _, err := s.db.AssessmentByID(r.Context(), a, n)
		if err != nil {
			return err
		}
		f, ok := assessmentResource(as)
		if !ok {
			return notFound
		}
		writeFHIR(w, http.StatusOK, f)
		return nil
	case strings.HasPrefix(id, "news2-"), strings.HasPrefix(id, "obs-"):
		rest := strings.TrimPrefix(strings.TrimPrefix(id, "news2-"), "obs-")
		num, _, _ := strings.Cut(rest, "-")
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil || n <= 0 {
			return notFound
		}
		o, _, p, err := s.db.ObservationByID(r.Context(), a, n)
		if err != nil {
			return err
		}
		for _, f := range observationResources(o, p.ID) {
			if f.ID == id {
				writeFHIR(w, http.StatusOK, f)
				return nil
			}
		}
		return notFound
	}
	return notFound
}

func (s *Server) fhirObservationSearch(w http.ResponseWriter, r *http.Request) error {
	p, err := parseFHIRParams(r, "patient", "subject", "category", "code", "date", "encounter")
	if err != nil {
		return err
	}
	patient, err := p.patient("Observation")
	if err != nil {
		return err
	}
	encounter, err := p.reference("encounter", "Encounter")
	if err != nil {
		return err
	}
	var categories, codes []fhirToken
	for _, v := range p.list("category") {
		categories = append(categories, parseFHIRToken(v))
	}
	for _, v := range p.list("code") {
		codes = append(codes, parseFHIRToken(v))
	}
	var dates []fhirDateRange
	for _, v := range p.values["date"] {
		d, err := parseFHIRDate("date", v)
		if err != nil {
			return err
		}
		dates = append(dates, d)
	}
	recs, err := s.db.PatientRecords(r.Context(), mustActor(r), patient, "observation.search")
	if err != nil {
		return err
	}
	var all []fhirObservation
	for _, o := range recs.Observations {
		if encounter != 0 && o.SessionID != encounter {
			continue
		}
		all = append(all, observationResources(o, patient)...)
	}
	if encounter == 0 {
		for _, as := range recs.Assessments {
			if f, ok := assessmentResource(as); ok {
				all = append(all, f)
			}
		}
	}
	match := all[:0]
	for _, f := range all {
		ok := matchTokens(f.Code, codes)
		if len(categories) > 0 {
			in := false
			for _, c := range f.Category {
				in = in || matchTokens(c, categories)
			}
			ok = ok && in
		}
		for _, d := range dates {
			ok = ok && d.contains(f.effective)
		}
		if ok {
			match = append(match, f)
		}
	}
	// Newest first; the resources of one observation in their listed order.
	sort.SliceStable(match, func(i, j int) bool { return match[i].effective.After(match[j].effective) })
	writeFHIR(w, http.StatusOK, s.bundle(r, p, "Observation", len(match), pageOf(p, match)))
	return nil
}
