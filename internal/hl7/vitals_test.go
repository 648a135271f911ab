package hl7

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func intp(n int) *int           { return &n }
func floatp(f float64) *float64 { return &f }

func TestExtractVitalsFromMonitors(t *testing.T) {
	bst := time.FixedZone("BST", 3600)
	tests := []struct {
		name string
		in   string
		loc  *time.Location
		want Vitals
	}{
		{
			name: "philips",
			in:   philipsORU,
			want: Vitals{
				ControlID:          "PHX0000123",
				MessageType:        "ORU^R01",
				SendingApplication: "PIC_iX",
				SendingFacility:    "Philips",
				PatientIDs: []Identifier{
					{ID: "MRN123456", Authority: "KETACLINIC", Type: "MR"},
					{ID: "9434765919", Authority: "NHS", Type: "NH"},
				},
				VisitID:   "V000777",
				OrderID:   "PHX0000123",
				At:        time.Date(2026, 3, 14, 10, 15, 0, 0, time.UTC),
				Systolic:  intp(132),
				Diastolic: intp(84),
				Pulse:     intp(72), // ECG heart rate is preferred to the pleth pulse rate (74)
				SpO2:      intp(97),
				RespRate:  intp(14),
				TempC:     floatp(36.8),
				Unmapped:  []string{"150023^MDC_PRESS_BLD_NONINV_MEAN^MDC"},
			},
		},
		{
			name: "ge",
			in:   geORU,
			want: Vitals{
				ControlID:          "GE20260601141035",
				MessageType:        "ORU^R01",
				SendingApplication: "VSP",
				SendingFacility:    "GE Healthcare",
				PatientIDs:         []Identifier{{ID: "4455667788", Authority: "2.16.840.1.113883.2.1.4.1", Type: "NH"}},
				OrderID:            "GE20260601141035",
				At:                 time.Date(2026, 6, 1, 14, 10, 30, 0, bst), // from OBR-7
				Systolic:           intp(148),
				Diastolic:          intp(92),
				Pulse:              intp(88),
				SpO2:               intp(95),
				RespRate:           intp(18),
				TempC:              floatp(37.0), // 98.6 °F
				Unmapped:           []string{"150037^MDC_PRESS_BLD_ART_ABP_SYS^MDC"},
			},
		},
		{
			name: "mindray local time",
			in:   mindrayORU,
			loc:  bst,
			want: Vitals{
				ControlID:          "MR10452",
				MessageType:        "ORU^R01",
				SendingApplication: "Mindray",
				SendingFacility:    "BeneVision N12",
				PatientIDs:         []Identifier{{ID: "PAT-0042", Authority: "KET", Type: "MR"}},
				OrderID:            "MR10452",
				At:                 time.Date(2026, 3, 14, 10, 15, 0, 0, bst),
				Systolic:           intp(176),
				Diastolic:          intp(108),
				Pulse:              intp(118),
				SpO2:               intp(93),
				RespRate:           intp(24),
				Unmapped:           []string{"101^HR^99MNDRY", "200^T1^99MNDRY"},
			},
		},
		{
			name: "loinc with kPa and Fahrenheit",
			in:   loincORU,
			want: Vitals{
				ControlID:          "LN-1",
				MessageType:        "ORU^R01",
				SendingApplication: "SPOTCHECK",
				SendingFacility:    "WARD1",
				PatientIDs:         []Identifier{{ID: "MRN123456", Authority: "KETACLINIC", Type: "MR"}},
				OrderID:            "LN-1",
				At:                 time.Date(2026, 3, 14, 10, 15, 0, 0, time.UTC),
				Systolic:           intp(120), // 16.0 kPa
				Diastolic:          intp(80),  // 10.7 kPa
				Pulse:              intp(61),
				SpO2:               intp(99),
				RespRate:           intp(12),
				TempC:              floatp(37.5), // 99.5 °F
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ExtractVitals(mustParse(t, tt.in), tt.loc)
			if err != nil {
				t.Fatalf("ExtractVitals: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Vitals (-want +got):\n%s", diff)
			}
			if _, offset := got.At.Zone(); offset != zoneOffset(tt.want.At) {
				t.Errorf("At = %v, want offset %d", got.At, zoneOffset(tt.want.At))
			}
		})
	}
}

func zoneOffset(t time.Time) int {
	_, offset := t.Zone()
	return offset
}

const testHeader = `MSH|^~\&|MON|ICU|||20260314101500+0000||ORU^R01|T1|P|2.6`

// extract parses a message made of testHeader, a PID and the given OBX
// segments, and extracts its vital signs.
func extract(t *testing.T, obx ...string) Vitals {
	t.Helper()
	segs := append([]string{testHeader, "PID|||P1^^^KET^MR"}, obx...)
	v, err := ExtractVitals(mustParse(t, hl7Lines(segs...)), time.UTC)
	if err != nil {
		t.Fatalf("ExtractVitals: %v", err)
	}
	return v
}

// onlyReadings compares the vital signs and Unmapped only.
var onlyReadings = cmpopts.IgnoreFields(Vitals{}, "ControlID", "MessageType", "SendingApplication",
	"SendingFacility", "PatientIDs", "VisitID", "OrderID", "At")

func TestExtractVitalsMapping(t *testing.T) {
	tests := []struct {
		name string
		obx  []string
		want Vitals
	}{
		{
			name: "result status",
			obx: []string{
				`OBX|1|NM|8867-4^Heart rate^LN||70|/min|||||F`,
				`OBX|2|NM|2708-6^SpO2^LN||96|%|||||C`,
				`OBX|3|NM|9279-1^Resp rate^LN||16|/min|||||R`,
				`OBX|4|NM|8310-5^Temp^LN||36.6|Cel|||||`,
				`OBX|5|NM|8480-6^Systolic^LN||150|mm[Hg]|||||P`,
				`OBX|6|NM|8462-4^Diastolic^LN||95|mm[Hg]|||||D`,
				`OBX|7|NM|8462-4^Diastolic^LN||96|mm[Hg]|||||W`,
				`OBX|8|NM|8480-6^Systolic^LN||||||||X`,
			},
			want: Vitals{
				Pulse: intp(70), SpO2: intp(96), RespRate: intp(16), TempC: floatp(36.6),
				Unmapped: []string{
					"8480-6^Systolic^LN: status P",
					"8462-4^Diastolic^LN: status D",
					"8462-4^Diastolic^LN: status W",
				},
			},
		},
		{
			name: "preferred source for pulse",
			obx: []string{
				`OBX|1|NM|149546^MDC_PULS_RATE_NON_INV^MDC||77|264864^MDC_DIM_BEAT_PER_MIN^MDC|||||R`,
				`OBX|2|NM|149530^MDC_PULS_OXIM_PULS_RATE^MDC||78|264864^MDC_DIM_BEAT_PER_MIN^MDC|||||R`,
				`OBX|3|NM|147842^MDC_ECG_HEART_RATE^MDC||80|264864^MDC_DIM_BEAT_PER_MIN^MDC|||||R`,
			},
			want: Vitals{Pulse: intp(80)},
		},
		{
			name: "loinc preferred to mdc",
			obx: []string{
				`OBX|1|NM|147842^MDC_ECG_HEART_RATE^MDC||80|bpm|||||R`,
				`OBX|2|NM|8867-4^Heart rate^LN||82|/min|||||F`,
			},
			want: Vitals{Pulse: intp(82)},
		},
		{
			name: "latest reading of one source",
			obx: []string{
				`OBX|1|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC||140|mmHg|||||R|||20260314100000+0000`,
				`OBX|2|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC||150|mmHg|||||R|||20260314101400+0000`,
				`OBX|3|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC||145|mmHg|||||R|||20260314100700+0000`,
			},
			want: Vitals{Systolic: intp(150)},
		},
		{
			name: "respiration sources",
			obx: []string{
				`OBX|1|NM|151658^MDC_PULS_OXIM_PLETH_RESP_RATE^MDC||19|264928^MDC_DIM_RESP_PER_MIN^MDC|||||R`,
				`OBX|2|NM|151594^MDC_CO2_RESP_RATE^MDC||12|264864^MDC_DIM_BEAT_PER_MIN^MDC|||||R`,
			},
			want: Vitals{RespRate: intp(12)},
		},
		{
			name: "mnemonic contradicting its code is not trusted",
			obx: []string{
				`OBX|1|NM|150021^MDC_PRESS_BLD_ART_SYS^MDC||132|266016^MDC_DIM_MMHG^MDC|||||F`,
				`OBX|2|NM|150033^MDC_PRESS_BLD_NONINV_SYS^MDC||133|266016^MDC_DIM_MMHG^MDC|||||F`,
			},
			want: Vitals{Unmapped: []string{
				"150021^MDC_PRESS_BLD_ART_SYS^MDC",
				"150033^MDC_PRESS_BLD_NONINV_SYS^MDC",
			}},
		},
		{
			name: "mnemonic with an object id as code",
			obx:  []string{`OBX|1|NM|1.2.3.4.7^MDC_ECG_HEART_RATE^MDC||66|bpm|||||R`},
			want: Vitals{Pulse: intp(66)},
		},
		{
			name: "code without coding system",
			obx: []string{
				`OBX|1|NM|150456||96|%|||||R`,
				`OBX|2|NM|8867-4^Heart rate||61|/min|||||R`,
			},
			want: Vitals{Pulse: intp(61), SpO2: intp(96)},
		},
		{
			name: "alternate identifier",
			obx:  []string{`OBX|1|NM|HR^Heart rate^L^8867-4^Heart rate^LN||59|/min|||||F`},
			want: Vitals{Pulse: intp(59)},
		},
		{
			name: "local coding system is not guessed",
			obx:  []string{`OBX|1|NM|8867-4^Heart rate^99LOCAL||59|/min|||||F`},
			want: Vitals{Unmapped: []string{"8867-4^Heart rate^99LOCAL"}},
		},
		{
			name: "units",
			obx: []string{
				`OBX|1|NM|8480-6^Systolic^LN||16.5|265987^MDC_DIM_KILO_PASCAL^MDC|||||F`,
				`OBX|2|NM|8462-4^Diastolic^LN||79|||||F`,
				`OBX|3|NM|8310-5^Temp^LN||101.3|^°F|||||F`,
				`OBX|4|NM|8867-4^Heart rate^LN||72|{beats}/min^^UCUM|||||F`,
				`OBX|5|NM|2708-6^SpO2^LN||98||||||F`,
			},
			want: Vitals{Systolic: intp(124), Diastolic: intp(79), TempC: floatp(38.5), Pulse: intp(72), SpO2: intp(98)},
		},
		{
			name: "unusable units",
			obx: []string{
				`OBX|1|NM|8310-5^Temp^LN||37.1||||||F`,
				`OBX|2|NM|2708-6^SpO2^LN||98|mm[Hg]|||||F`,
				`OBX|3|NM|8867-4^Heart rate^LN||72|furlongs|||||F`,
				`OBX|4|NM|8480-6^Systolic^LN||120|Cel|||||F`,
			},
			want: Vitals{Unmapped: []string{
				"8310-5^Temp^LN: temperature without a unit (Celsius or Fahrenheit?)",
				`2708-6^SpO2^LN: unit "mm[Hg]" does not fit SpO2`,
				`8867-4^Heart rate^LN: unit "furlongs" is not supported`,
				`8480-6^Systolic^LN: unit "Cel" does not fit systolic pressure`,
			}},
		},
		{
			name: "values",
			obx: []string{
				`OBX|1|NM|2708-6^SpO2^LN||97.5|%|||||F`,
				`OBX|2|NM|8867-4^Heart rate^LN|| +72 |/min|||||F`,
				`OBX|3|NM|9279-1^Resp^LN||""|/min|||||F`,
				`OBX|4|NM|8480-6^Systolic^LN||abc|mmHg|||||F`,
				`OBX|5|NM|8480-6^Systolic^LN||NaN|mmHg|||||F`,
				`OBX|6|NM|8480-6^Systolic^LN||1e2|mmHg|||||F`,
				`OBX|7|NM|8480-6^Systolic^LN||99999999999|mmHg|||||F`,
			},
			want: Vitals{SpO2: intp(98), Pulse: intp(72), Unmapped: []string{
				`8480-6^Systolic^LN: value "abc" is not a number`,
				`8480-6^Systolic^LN: value "NaN" is not a number`,
				`8480-6^Systolic^LN: value "1e2" is not a number`,
				`8480-6^Systolic^LN: value "99999999999" is out of range`,
			}},
		},
		{
			name: "structured numeric",
			obx: []string{
				`OBX|1|SN|8867-4^Heart rate^LN||^118|/min|||||F`,
				`OBX|2|SN|2708-6^SpO2^LN||=^99|%|||||F`,
				`OBX|3|SN|9279-1^Resp^LN||<^6|/min|||||F`,
				`OBX|4|SN|8480-6^Systolic^LN||^120^/^80|mmHg|||||F`,
			},
			want: Vitals{Pulse: intp(118), SpO2: intp(99), Unmapped: []string{
				`9279-1^Resp^LN: value with comparator "<" is not a reading`,
				`8480-6^Systolic^LN: a range or ratio is not a reading`,
			}},
		},
		{
			name: "bad observation time",
			obx:  []string{`OBX|1|NM|8867-4^Heart rate^LN||72|/min|||||F|||20261340`},
			want: Vitals{Unmapped: []string{
				`8867-4^Heart rate^LN: OBX-14: timestamp "20261340": want YYYYMMDDHHMM[SS[.S]][+/-ZZZZ]`,
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := extract(t, tt.obx...)
			if diff := cmp.Diff(tt.want, got, onlyReadings); diff != "" {
				t.Errorf("Vitals (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExtractVitalsTime(t *testing.T) {
	plus2 := time.FixedZone("", 2*3600)
	tests := []struct {
		name string
		msh7 string
		loc  *time.Location
		obx  string
		want time.Time
	}{
		{"OBX-14 in MSH-7's zone", "20260314101500+0100", time.UTC,
			`OBX|1|NM|8867-4^HR^LN||72|/min|||||F|||20260314101400`,
			time.Date(2026, 3, 14, 10, 14, 0, 0, time.FixedZone("", 3600))},
		{"OBX-14 with its own zone", "20260314101500+0100", time.UTC,
			`OBX|1|NM|8867-4^HR^LN||72|/min|||||F|||20260314091400+0000`,
			time.Date(2026, 3, 14, 9, 14, 0, 0, time.UTC)},
		{"no zone anywhere: loc", "20260314101500", plus2,
			`OBX|1|NM|8867-4^HR^LN||72|/min|||||F|||20260314101400`,
			time.Date(2026, 3, 14, 10, 14, 0, 0, plus2)},
		{"no OBX-14 nor OBR: MSH-7", "20260314101500.5+0000", nil,
			`OBX|1|NM|8867-4^HR^LN||72|/min|||||F`,
			time.Date(2026, 3, 14, 10, 15, 0, 500_000_000, time.UTC)},
		{"no reading: MSH-7", "20260314101500+0000", nil,
			`OBX|1|NM|0000^Unknown^99X||1|/min|||||F`,
			time.Date(2026, 3, 14, 10, 15, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := hl7Lines(`MSH|^~\&|MON|ICU|||`+tt.msh7+`||ORU^R01|T1|P|2.6`, tt.obx)
			v, err := ExtractVitals(mustParse(t, in), tt.loc)
			if err != nil {
				t.Fatalf("ExtractVitals: %v", err)
			}
			if !v.At.Equal(tt.want) || zoneOffset(v.At) != zoneOffset(tt.want) {
				t.Errorf("At = %v, want %v", v.At, tt.want)
			}
		})
	}
}

func TestExtractVitalsErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		code    ErrorCode
		segment string
		field   int
	}{
		{"not ORU", hl7Lines(`MSH|^~\&|ADT|H|||20260314101500||ADT^A01|A1|P|2.5`, "PID|||P1"), CodeUnsupportedMessageType, "MSH", 9},
		{"not R01", hl7Lines(`MSH|^~\&|MON|ICU|||20260314101500||ORU^R30|A1|P|2.5`), CodeUnsupportedEventCode, "MSH", 9},
		{"no control id", hl7Lines(`MSH|^~\&|MON|ICU|||20260314101500||ORU^R01||P|2.5`), CodeRequiredFieldMissing, "MSH", 10},
		{"no message time", hl7Lines(`MSH|^~\&|MON|ICU|||||ORU^R01|A1|P|2.5`), CodeRequiredFieldMissing, "MSH", 7},
		{"bad message time", hl7Lines(`MSH|^~\&|MON|ICU|||2026-03-14||ORU^R01|A1|P|2.5`), CodeDataType, "MSH", 7},
		{"two patients", hl7Lines(testHeader, "PID|||SECRET1^^^KET^MR", "OBX|1|NM|8867-4^HR^LN||72|/min|||||F", "PID|||SECRET2^^^KET^MR"), CodeSegmentSequence, "PID", 0},
		{"bad OBR-7", hl7Lines(testHeader, "OBR|1||X|Y|||yesterday"), CodeDataType, "OBR", 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ExtractVitals(mustParse(t, tt.in), nil)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error = %v, want *Error", err)
			}
			if e.Code != tt.code || e.Segment != tt.segment || e.Field != tt.field {
				t.Errorf("error = %v (code %d, %s-%d), want code %d at %s-%d", err, e.Code, e.Segment, e.Field, tt.code, tt.segment, tt.field)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error %q quotes a patient identifier", err)
			}
		})
	}
}
