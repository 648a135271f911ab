package hl7

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Identifier is one patient identifier from PID-3 (data type CX).
type Identifier struct {
	ID string // CX-1, the identifier itself
	// Authority is CX-4, the assigning authority: its namespace id (HD-1),
	// or its universal id (HD-2) when the namespace is empty.
	Authority string
	Type      string // CX-5, the identifier type code, such as MR or NH
}

// Vitals is what an ORU^R01 message from a bedside monitor says about one
// patient's vital signs. A nil reading was not in the message (or could not
// be used: see Unmapped).
type Vitals struct {
	ControlID          string // MSH-10, echoed in the acknowledgement
	MessageType        string // MSH-9 message code and trigger event, "ORU^R01"
	SendingApplication string // MSH-3: HD-1, or HD-2 when HD-1 is empty
	SendingFacility    string // MSH-4: HD-1, or HD-2 when HD-1 is empty
	PatientIDs         []Identifier
	VisitID            string // PV1-19.1, empty when absent
	OrderID            string // OBR-3.1 (filler order number) of the first OBR, empty when absent

	// At is when the readings were taken: the latest time among the
	// readings used, each from its OBX-14, else its OBR-7, else MSH-7.
	// With no reading, At is MSH-7.
	At time.Time

	Systolic  *int     // mmHg
	Diastolic *int     // mmHg
	Pulse     *int     // beats per minute
	SpO2      *int     // percent
	RespRate  *int     // breaths per minute
	TempC     *float64 // degrees Celsius

	// Unmapped lists the observations with a value that were not used, as
	// their OBX-3 "code^text^system"; for a known code, a reason follows,
	// such as "150021^MDC_PRESS_BLD_NONINV_SYS^MDC: status P". Readings
	// set aside for a preferred source of the same vital sign are not
	// listed.
	Unmapped []string
}

// ExtractVitals reads the vital signs from an ORU^R01 message.
//
// Timestamps without a zone are read in MSH-7's zone when MSH-7 has one
// (HL7 says a missing zone is the sender's), otherwise in loc (UTC when nil).
//
// Observations are mapped by code: LOINC (8867-4 pulse, 9279-1 respiration,
// 2708-6 and 59408-5 SpO2, 8480-6 systolic, 8462-4 diastolic, 8310-5
// temperature) and the IEEE 11073 MDC codes monitors send: 147842 ECG
// heart rate, 149530 pulse-oximeter and 149546 cuff pulse rate, 150456
// SpO2, 151562, 151578, 151594 and 151658 respiration rates, 150021/150022
// and 150301/150302 cuff pressures, 150344, 150364 and 150368 temperatures.
// The alternate code of OBX-3 (components 4-6) is tried when the first one
// is not known. An MDC code whose MDC_ mnemonic names another measurement is
// not trusted and is reported in Unmapped.
//
// Only results with status (OBX-11) F (final), C (corrected) or R (entered,
// not verified: what monitors send for unvalidated device data) are used;
// an empty status is taken as R, because several monitors leave it empty.
// Preliminary, deleted, wrong, pending and "cannot be obtained" results are
// reported in Unmapped. OBX segments without a value (such as the device
// hierarchy rows of IHE PCD-01 messages) are skipped silently.
//
// Units: per-minute for pulse and respiration, percent for SpO2, mmHg or
// kPa for blood pressure (converted to mmHg), Celsius or Fahrenheit for
// temperature (converted to Celsius, to 0.1). A missing unit is read as the
// usual one, except for temperature, where it is ambiguous and the reading
// is not used. When several readings map to one vital sign, the preferred
// source wins (LOINC, then for pulse ECG heart rate before pulse-oximeter
// and cuff pulse rates; for respiration the generic rate before impedance,
// capnography and pleth-derived rates), then the latest time, then the
// first in the message.
//
// It returns an *Error when the message is not ORU^R01, lacks MSH-7 or
// MSH-10, has an unreadable OBR-7, or names more than one patient (more
// than one PID segment), so that readings are never filed against the
// wrong patient.
func ExtractVitals(m *Message, loc *time.Location) (Vitals, error) {
	msh, ok := m.Segment("MSH")
	if !ok {
		return Vitals{}, errorf(CodeSegmentSequence, "MSH", 0, 0, "missing")
	}
	code, event := msh.Field(9).Component(1), msh.Field(9).Component(2)
	if code != "ORU" {
		return Vitals{}, errorf(CodeUnsupportedMessageType, "MSH", 1, 9, "unsupported message type %q: only ORU^R01 is accepted", clip(code))
	}
	if event != "R01" {
		return Vitals{}, errorf(CodeUnsupportedEventCode, "MSH", 1, 9, "unsupported trigger event %q: only ORU^R01 is accepted", clip(event))
	}
	v := Vitals{
		ControlID:          msh.Field(10).Value(),
		MessageType:        code + "^" + event,
		SendingApplication: hdName(msh.Field(3)),
		SendingFacility:    hdName(msh.Field(4)),
	}
	if v.ControlID == "" {
		return Vitals{}, errorf(CodeRequiredFieldMissing, "MSH", 1, 10, "message control id is required")
	}
	sent := msh.Field(7).Value()
	if sent == "" {
		return Vitals{}, errorf(CodeRequiredFieldMissing, "MSH", 1, 7, "message date/time is required")
	}
	msgTime, zoned, err := parseTime(sent, loc)
	if err != nil {
		return Vitals{}, errorf(CodeDataType, "MSH", 1, 7, "%v", err)
	}
	if zoned {
		loc = msgTime.Location()
	}

	pids := m.SegmentsNamed("PID")
	if len(pids) > 1 {
		return Vitals{}, errorf(CodeSegmentSequence, "PID", 2, 0, "more than one patient in one message is not supported")
	}
	if len(pids) == 1 {
		v.PatientIDs = identifiers(pids[0].Field(3))
	}
	if pv1, ok := m.Segment("PV1"); ok {
		v.VisitID = pv1.Field(19).Value()
	}

	var best [numVitals]reading
	obrTime, obrSeq := msgTime, 0
	for _, seg := range m.Segments {
		switch seg.Name {
		case "OBR":
			obrSeq++
			if obrSeq == 1 {
				v.OrderID = seg.Field(3).Value()
			}
			obrTime = msgTime
			if s := seg.Field(7).Value(); s != "" {
				if obrTime, _, err = parseTime(s, loc); err != nil {
					return Vitals{}, errorf(CodeDataType, "OBR", obrSeq, 7, "%v", err)
				}
			}
		case "OBX":
			k, r, note := readOBX(seg, loc, obrTime)
			switch {
			case note != "":
				v.Unmapped = append(v.Unmapped, note)
			case r.set && r.better(best[k]):
				best[k] = r
			}
		}
	}

	for k, r := range best {
		if !r.set {
			continue
		}
		if r.at.After(v.At) {
			v.At = r.at
		}
		value := r.value
		n := int(math.Round(value))
		switch vital(k) {
		case systolic:
			v.Systolic = &n
		case diastolic:
			v.Diastolic = &n
		case pulse:
			v.Pulse = &n
		case spO2:
			v.SpO2 = &n
		case respRate:
			v.RespRate = &n
		case temperature:
			v.TempC = &value
		}
	}
	if v.At.IsZero() {
		v.At = msgTime
	}
	return v, nil
}

// vital is one of the vital signs Vitals holds.
type vital int

const (
	systolic vital = iota
	diastolic
	pulse
	spO2
	respRate
	temperature
	numVitals
)

func (k vital) String() string {
	return [...]string{"systolic pressure", "diastolic pressure", "pulse", "SpO2", "respiration rate", "temperature"}[k]
}

// reading is a candidate value for one vital sign.
type reading struct {
	value float64
	rank  int // lower is preferred
	at    time.Time
	set   bool
}

func (r reading) better(than reading) bool {
	if !than.set {
		return true
	}
	if r.rank != than.rank {
		return r.rank < than.rank
	}
	return r.at.After(than.at)
}

// readOBX reads one OBX segment. It returns a reading when the observation
// is used, a note for Vitals.Unmapped when it is not, and neither when the
// OBX has no value.
func readOBX(obx Segment, loc *time.Location, fallback time.Time) (vital, reading, string) {
	if isEmpty(obx.Field(5)) {
		return 0, reading{}, ""
	}
	id := obx.Field(3).Repetition(1)
	name := codeText(id)
	mp, ok := lookup(id)
	if !ok {
		return 0, reading{}, name
	}
	if status := obx.Field(11).Value(); !usableStatus(status) {
		return 0, reading{}, fmt.Sprintf("%s: status %s", name, clip(status))
	}
	value, err := number(obx)
	if err == nil {
		value, err = convert(mp.vital, value, obx.Field(6))
	}
	if err != nil {
		return 0, reading{}, fmt.Sprintf("%s: %v", name, err)
	}
	at := fallback
	if s := obx.Field(14).Value(); s != "" {
		if at, _, err = parseTime(s, loc); err != nil {
			return 0, reading{}, fmt.Sprintf("%s: OBX-14: %v", name, err)
		}
	}
	return mp.vital, reading{value: value, rank: mp.rank, at: at, set: true}, ""
}

// usableStatus reports whether an OBX-11 result status may be used.
func usableStatus(s string) bool {
	switch s {
	case "F", "C", "R", "":
		return true
	}
	return false
}

// isEmpty reports whether a field holds nothing but empty values or the
// HL7 null "".
func isEmpty(f Field) bool {
	for _, rep := range f {
		for _, comp := range rep {
			for _, sub := range comp {
				if s := strings.TrimSpace(sub); s != "" && s != `""` {
					return false
				}
			}
		}
	}
	return true
}

// number reads OBX-5 as a number: NM, or SN without a comparator or range.
func number(obx Segment) (float64, error) {
	rep := obx.Field(5).Repetition(1)
	s := rep.Component(1)
	if obx.Field(2).Value() == "SN" {
		if c := rep.Component(1); c != "" && c != "=" {
			return 0, fmt.Errorf("value with comparator %q is not a reading", clip(c))
		}
		if rep.Component(3) != "" || rep.Component(4) != "" {
			return 0, errors.New("a range or ratio is not a reading")
		}
		s = rep.Component(2)
	}
	s = strings.TrimSpace(s)
	if !isDecimal(s) {
		return 0, fmt.Errorf("value %q is not a number", clip(s))
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.Abs(f) > 1e6 {
		return 0, fmt.Errorf("value %q is out of range", clip(s))
	}
	return f, nil
}

// isDecimal reports whether s is an HL7 NM value: an optional sign, then
// digits with at most one decimal point.
func isDecimal(s string) bool {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "+"), "-")
	digits, points := 0, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] >= '0' && s[i] <= '9':
			digits++
		case s[i] == '.':
			points++
		default:
			return false
		}
	}
	return digits > 0 && points <= 1
}

// unit is a unit of measure this package understands.
type unit int

const (
	noUnit unit = iota
	perMinute
	percent
	mmHg
	kPa
	celsius
	fahrenheit
)

// units maps lower-cased OBX-6 codes and texts (UCUM, MDC, and common
// spellings) to units. MDC dimension codes are the partition-4 codes.
var units = map[string]unit{
	"/min": perMinute, "1/min": perMinute, "min-1": perMinute, "/minute": perMinute,
	"bpm": perMinute, "beats/min": perMinute, "{beats}/min": perMinute, "{beat}/min": perMinute,
	"breaths/min": perMinute, "{breaths}/min": perMinute, "{breath}/min": perMinute,
	"rpm": perMinute, "brpm": perMinute, "br/min": perMinute,
	"264864": perMinute, "mdc_dim_beat_per_min": perMinute,
	"264928": perMinute, "mdc_dim_resp_per_min": perMinute,

	"%": percent, "percent": percent, "262688": percent, "mdc_dim_percent": percent,

	"mm[hg]": mmHg, "mmhg": mmHg, "mm hg": mmHg, "266016": mmHg, "mdc_dim_mmhg": mmHg,
	"kpa": kPa, "265987": kPa, "mdc_dim_kilo_pascal": kPa,

	"cel": celsius, "°c": celsius, "\xb0c": celsius, "℃": celsius, "c": celsius,
	"degc": celsius, "deg c": celsius, "celsius": celsius, "268192": celsius, "mdc_dim_degc": celsius,
	"[degf]": fahrenheit, "°f": fahrenheit, "\xb0f": fahrenheit, "℉": fahrenheit, "f": fahrenheit,
	"degf": fahrenheit, "deg f": fahrenheit, "fahrenheit": fahrenheit, "266560": fahrenheit, "mdc_dim_fahr": fahrenheit,
}

// convert checks the unit in OBX-6 against the vital sign and converts the
// value to the unit Vitals uses.
func convert(k vital, value float64, f Field) (float64, error) {
	u, shown, ok := unitOf(f)
	if !ok {
		return 0, fmt.Errorf("unit %q is not supported", clip(shown))
	}
	switch {
	case (k == pulse || k == respRate) && (u == noUnit || u == perMinute),
		k == spO2 && (u == noUnit || u == percent),
		(k == systolic || k == diastolic) && (u == noUnit || u == mmHg),
		k == temperature && u == celsius:
		return value, nil
	case (k == systolic || k == diastolic) && u == kPa:
		return value * 7.50062, nil
	case k == temperature && u == fahrenheit:
		return math.Round((value-32)*5/9*10) / 10, nil
	case k == temperature && u == noUnit:
		return 0, errors.New("temperature without a unit (Celsius or Fahrenheit?)")
	}
	return 0, fmt.Errorf("unit %q does not fit %v", clip(shown), k)
}

// unitOf reads the unit in OBX-6 from its code, else its text. It returns
// noUnit when both are empty and ok false when neither is known; shown is
// the unit as sent, for messages.
func unitOf(f Field) (u unit, shown string, ok bool) {
	code, label := strings.TrimSpace(f.Component(1)), strings.TrimSpace(f.Component(2))
	if code == "" && label == "" {
		return noUnit, "", true
	}
	for _, s := range []string{code, label} {
		if u, ok := units[strings.ToLower(s)]; ok && s != "" {
			return u, s, true
		}
	}
	if code == "" {
		return 0, label, false
	}
	return 0, code, false
}

// mapping says which vital sign a code gives, and how much it is preferred
// (lower rank first) when a message has several.
type mapping struct {
	vital vital
	rank  int
}

// loincCodes are the FHIR vital-signs LOINC codes.
var loincCodes = map[string]mapping{
	"8867-4":  {pulse, 0},
	"9279-1":  {respRate, 0},
	"2708-6":  {spO2, 0},
	"59408-5": {spO2, 0},
	"8480-6":  {systolic, 0},
	"8462-4":  {diastolic, 0},
	"8310-5":  {temperature, 0},
}

// mdcCode is an IEEE 11073-10101 code (partition 2, SCADA) with its
// reference id.
type mdcCode struct {
	mnemonic string
	mapping
}

// mdcCodes are the MDC codes bedside monitors send for the vital signs, by
// context-free code. Invasive arterial pressures are deliberately absent:
// ketacare records cuff (non-invasive) blood pressure.
var mdcCodes = map[string]mdcCode{
	"147842": {"MDC_ECG_HEART_RATE", mapping{pulse, 1}},
	"149530": {"MDC_PULS_OXIM_PULS_RATE", mapping{pulse, 2}},
	"149546": {"MDC_PULS_RATE_NON_INV", mapping{pulse, 3}},
	"150456": {"MDC_PULS_OXIM_SAT_O2", mapping{spO2, 1}},
	"151562": {"MDC_RESP_RATE", mapping{respRate, 1}},
	"151578": {"MDC_TTHOR_RESP_RATE", mapping{respRate, 2}},
	"151594": {"MDC_CO2_RESP_RATE", mapping{respRate, 2}},
	"151658": {"MDC_PULS_OXIM_PLETH_RESP_RATE", mapping{respRate, 3}},
	"150021": {"MDC_PRESS_BLD_NONINV_SYS", mapping{systolic, 1}},
	"150022": {"MDC_PRESS_BLD_NONINV_DIA", mapping{diastolic, 1}},
	"150301": {"MDC_PRESS_CUFF_SYS", mapping{systolic, 1}},
	"150302": {"MDC_PRESS_CUFF_DIA", mapping{diastolic, 1}},
	"150344": {"MDC_TEMP", mapping{temperature, 1}},
	"150364": {"MDC_TEMP_BODY", mapping{temperature, 1}},
	"150368": {"MDC_TEMP_CORE", mapping{temperature, 1}},
}

// mdcMnemonics maps each MDC reference id of mdcCodes to its code.
var mdcMnemonics = func() map[string]string {
	m := make(map[string]string, len(mdcCodes))
	for code, c := range mdcCodes {
		m[c.mnemonic] = code
	}
	return m
}()

// lookup maps an observation identifier (CWE) to a vital sign, trying the
// alternate identifier when the first is not known.
func lookup(id Repetition) (mapping, bool) {
	for _, first := range []int{1, 4} {
		code := strings.TrimSpace(id.Component(first))
		name := strings.ToUpper(strings.TrimSpace(id.Component(first + 1)))
		system := strings.ToUpper(strings.TrimSpace(id.Component(first + 2)))
		var mp mapping
		var ok bool
		switch system {
		case "LN", "LOINC", "HTTP://LOINC.ORG", "2.16.840.1.113883.6.1":
			mp, ok = loincCodes[code]
		case "MDC", "IEEE 11073", "ISO11073", "URN:ISO:STD:ISO:11073:10101", "2.16.840.1.113883.6.24":
			mp, ok = lookupMDC(code, name)
		case "":
			if mp, ok = loincCodes[code]; !ok {
				mp, ok = lookupMDC(code, name)
			}
		}
		if ok {
			return mp, true
		}
	}
	return mapping{}, false
}

// lookupMDC maps an MDC code and its mnemonic. The code decides; the
// mnemonic is used alone only when the code is not a plain number (some
// gateways send object ids there). A mnemonic that contradicts the code
// makes the observation untrusted.
func lookupMDC(code, name string) (mapping, bool) {
	c, known := mdcCodes[code]
	switch {
	case known && (name == "" || name == c.mnemonic || !strings.HasPrefix(name, "MDC_")):
		return c.mapping, true
	case known:
		return mapping{}, false
	}
	if byName, ok := mdcMnemonics[name]; ok && (code == "" || leadingDigits(code) != code) {
		return mdcCodes[byName].mapping, true
	}
	return mapping{}, false
}

// codeText returns the first coded triplet of a CWE as code^text^system,
// without trailing empty components.
func codeText(id Repetition) string {
	return strings.TrimRight(id.Component(1)+"^"+id.Component(2)+"^"+id.Component(3), "^")
}

// hdName returns the namespace id of an HD field, or its universal id.
func hdName(f Field) string {
	if s := f.Component(1); s != "" {
		return s
	}
	return f.Component(2)
}

// identifiers reads a CX field, skipping repetitions without an id.
func identifiers(f Field) []Identifier {
	var ids []Identifier
	for _, rep := range f {
		id := strings.TrimSpace(rep.Component(1))
		if id == "" || id == `""` {
			continue
		}
		authority := rep.Subcomponent(4, 1)
		if authority == "" {
			authority = rep.Subcomponent(4, 2)
		}
		ids = append(ids, Identifier{ID: id, Authority: authority, Type: rep.Component(5)})
	}
	return ids
}
