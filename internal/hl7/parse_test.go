package hl7

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustParse(t testing.TB, s string) *Message {
	t.Helper()
	m, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

func TestParseAccessByPosition(t *testing.T) {
	m := mustParse(t, philipsORU)

	if got, want := m.Delimiters, DefaultDelimiters(); got != want {
		t.Errorf("Delimiters = %+v, want %+v", got, want)
	}
	var names []string
	for _, s := range m.Segments {
		names = append(names, s.Name)
	}
	wantNames := []string{"MSH", "PID", "PV1", "OBR", "OBX", "OBX", "OBX", "OBX", "OBX", "OBX", "OBX", "OBX", "OBX"}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("segment names (-want +got):\n%s", diff)
	}

	msh, _ := m.Segment("MSH")
	pid, _ := m.Segment("PID")
	pv1, _ := m.Segment("PV1")
	obx := m.SegmentsNamed("OBX")
	tests := []struct {
		name, got, want string
	}{
		{"MSH-1", msh.Field(1).Value(), "|"},
		{"MSH-2", msh.Field(2).Value(), `^~\&`},
		{"MSH-3.1", msh.Field(3).Component(1), "PIC_iX"},
		{"MSH-3.3", msh.Field(3).Component(3), "EUI-64"},
		{"MSH-7", msh.Field(7).Value(), "20260314101502.250+0000"},
		{"MSH-9.2", msh.Field(9).Component(2), "R01"},
		{"MSH-9.3", msh.Field(9).Component(3), "ORU_R01"},
		{"MSH-10", msh.Field(10).Value(), "PHX0000123"},
		{"MSH-21.4", msh.Field(21).Component(4), "ISO"},
		{"PID-3(1).1", pid.Field(3).Repetition(1).Component(1), "MRN123456"},
		{"PID-3(2).1", pid.Field(3).Repetition(2).Component(1), "9434765919"},
		{"PID-3(2).5", pid.Field(3).Repetition(2).Component(5), "NH"},
		{"PID-5.2", pid.Field(5).Component(2), "Jane"},
		{"PV1-19.1", pv1.Field(19).Value(), "V000777"},
		{"OBX(2)-5", obx[1].Field(5).Value(), "72"},
		{"OBX(2)-7", obx[1].Field(7).Value(), "50-120"},
		{"absent field", pid.Field(40).Value(), ""},
		{"absent repetition", pid.Field(3).Repetition(3).Component(1), ""},
		{"absent component", msh.Field(10).Component(9), ""},
		{"field 0", pid.Field(0).Value(), ""},
		{"negative subcomponent", pid.Field(3).Repetition(1).Subcomponent(1, -1), ""},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if n := len(pid.Field(3)); n != 2 {
		t.Errorf("PID-3 has %d repetitions, want 2", n)
	}
	if _, ok := m.Segment("NTE"); ok {
		t.Error(`Segment("NTE") found a segment that is not there`)
	}
}

func TestParseSubcomponents(t *testing.T) {
	m := mustParse(t, geORU)
	pid, _ := m.Segment("PID")
	cx := pid.Field(3).Repetition(1)
	if got := cx.Subcomponent(4, 2); got != "2.16.840.1.113883.2.1.4.1" {
		t.Errorf("PID-3.4.2 = %q", got)
	}
	if got := cx.Subcomponent(4, 3); got != "ISO" {
		t.Errorf("PID-3.4.3 = %q", got)
	}
	if got := cx.Component(4); got != "" {
		t.Errorf("PID-3.4 (first subcomponent) = %q, want empty", got)
	}
}

func TestParseLineEndings(t *testing.T) {
	want := mustParse(t, philipsORU)
	for name, sep := range map[string]string{"LF": "\n", "CRLF": "\r\n", "CR CR": "\r\r"} {
		t.Run(name, func(t *testing.T) {
			in := strings.ReplaceAll(philipsORU, "\r", sep)
			got := mustParse(t, "\xef\xbb\xbf"+in+"\n\n")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("parsed differently (-CR +%s):\n%s", name, diff)
			}
		})
	}
}

func TestParseEscapes(t *testing.T) {
	in := hl7Lines(
		`MSH|^~\&|APP|FAC|||20260314101500||ORU^R01|E1|P|2.5`,
		`NTE|1||Sys \T\ Dia 120\F\80 \S\ ok \R\ \E\ done`,
		`NTE|2||line one\X0D0A\line two\X41\`,
		`NTE|3||\H\bold\N\ \.br\ \Zvendor\ \P\ \X0\ \XZZ\ \\ trailing\E`,
	)
	m := mustParse(t, in)
	notes := m.SegmentsNamed("NTE")
	tests := []struct{ got, want string }{
		{notes[0].Field(3).Value(), `Sys & Dia 120|80 ^ ok ~ \ done`},
		{notes[1].Field(3).Value(), "line one\r\nline twoA"},
		// Formatting and unknown sequences, \P\ without a declared
		// truncation character, bad hex and an unclosed escape stay as sent.
		{notes[2].Field(3).Value(), `\H\bold\N\ \.br\ \Zvendor\ \P\ \X0\ \XZZ\ \\ trailing\E`},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("NTE %d: got %q, want %q", i+1, tt.got, tt.want)
		}
	}

	// Encoding escapes the decoded values again, and reads back the same.
	again := mustParse(t, string(m.Encode()))
	if diff := cmp.Diff(m, again); diff != "" {
		t.Errorf("re-parsed message differs (-first +second):\n%s", diff)
	}
	if enc := string(m.Encode()); !strings.Contains(enc, `Sys \T\ Dia 120\F\80 \S\ ok \R\ \E\ done`) ||
		!strings.Contains(enc, `line one\X0D\\X0A\line twoA`) {
		t.Errorf("Encode did not escape as expected:\n%s", enc)
	}
}

func TestParseOddDelimiters(t *testing.T) {
	// Field '#', component '!', repetition '$', escape '*', subcomponent
	// '@', truncation '%' (HL7 v2.7).
	in := hl7Lines(
		`MSH#!$*@%#APP!X#FAC#RCV#KC#20260314101500##ORU!R01#ODD1#P#2.7`,
		`PID###ID1!!!AUTH@1.2.3!MR$ID2!!!!PI##Name!With *F* and *S* and *P*`,
	)
	m := mustParse(t, in)
	want := Delimiters{Field: '#', Component: '!', Repetition: '$', Escape: '*', Subcomponent: '@', Truncation: '%'}
	if m.Delimiters != want {
		t.Fatalf("Delimiters = %+v, want %+v", m.Delimiters, want)
	}
	msh, _ := m.Segment("MSH")
	pid, _ := m.Segment("PID")
	checks := []struct{ name, got, want string }{
		{"MSH-1", msh.Field(1).Value(), "#"},
		{"MSH-2", msh.Field(2).Value(), `!$*@%`},
		{"MSH-3.2", msh.Field(3).Component(2), "X"},
		{"MSH-9", msh.Field(9).Component(1) + "/" + msh.Field(9).Component(2), "ORU/R01"},
		{"PID-3(1).4.2", pid.Field(3).Repetition(1).Subcomponent(4, 2), "1.2.3"},
		{"PID-3(2).5", pid.Field(3).Repetition(2).Component(5), "PI"},
		{"PID-5.2", pid.Field(5).Component(2), "With # and ! and %"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if got := string(m.Encode()); got != in {
		t.Errorf("Encode changed the message:\n got %q\nwant %q", got, in)
	}
}

func TestEncodeReproducesWireForm(t *testing.T) {
	for name, in := range map[string]string{"philips": philipsORU, "ge": geORU, "mindray": mindrayORU} {
		if got := string(mustParse(t, in).Encode()); got != in {
			t.Errorf("%s: Encode(Parse(x)) != x:\n got %q\nwant %q", name, got, in)
		}
	}
}

func TestEncodeBuiltMessage(t *testing.T) {
	m := &Message{Segments: []Segment{
		{Name: "MSH", Fields: []Field{nil, nil, text("A|B"), components("x^y", "z")}},
		{Name: "NTE", Fields: []Field{text("1"), {Repetition{Component{"a&b", "c"}}, Repetition{Component{"d~e"}}}}},
	}}
	want := "MSH|^~\\&|A\\F\\B|x\\S\\y^z\rNTE|1|a\\T\\b&c~d\\R\\e\r"
	if got := string(m.Encode()); got != want {
		t.Errorf("Encode = %q, want %q", got, want)
	}
	if got := m.String(); got != strings.ReplaceAll(strings.TrimSuffix(want, "\r"), "\r", "\n") {
		t.Errorf("String = %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		code ErrorCode
		msg  string
	}{
		{"empty", "", CodeSegmentSequence, "empty message"},
		{"only line breaks", "\r\n\r\n", CodeSegmentSequence, "empty message"},
		{"no MSH", "PID|||123\rOBX|1", CodeSegmentSequence, "does not start with an MSH"},
		{"leading garbage", "xxMSH|^~\\&|A", CodeSegmentSequence, "does not start with an MSH"},
		{"batch", "FHS|^~\\&|A\rBHS|^~\\&\rMSH|^~\\&|", CodeUnsupportedMessageType, "batch"},
		{"MSH too short", "MSH|^~", CodeRequiredFieldMissing, "too short"},
		{"MSH name only", "MSH", CodeRequiredFieldMissing, "too short"},
		{"letter as field separator", "MSHX^~\\&X", CodeDataType, "invalid field separator"},
		{"space as field separator", "MSH ^~\\& A", CodeDataType, "invalid field separator"},
		{"three encoding characters", "MSH|^~\\|APP", CodeDataType, "must be 4"},
		{"six encoding characters", "MSH|^~\\&#!|APP", CodeDataType, "must be 4"},
		{"repeated encoding character", "MSH|^^\\&|APP", CodeDataType, "used twice"},
		{"field separator among encoding characters", "MSH|^~|\\&|A", CodeDataType, "must be 4"},
		{"digit as encoding character", "MSH|^~\\1|APP", CodeDataType, "invalid encoding character"},
		{"control character", "MSH|^~\\\x01|APP", CodeDataType, "invalid encoding character"},
		{"lower-case segment", "MSH|^~\\&|A\rpid|1", CodeSegmentSequence, "line 2: not a segment"},
		{"short segment", "MSH|^~\\&|A\rPI", CodeSegmentSequence, "line 2: not a segment"},
		{"name without separator", "MSH|^~\\&|A\rPIDX|1", CodeSegmentSequence, "line 2: not a segment"},
		{"stray text line", "MSH|^~\\&|A\rOBX|1|TX|x||first line\rsecond line", CodeSegmentSequence, "line 3: not a segment"},
		{"two messages", "MSH|^~\\&|A\rMSH|^~\\&|B", CodeSegmentSequence, "second MSH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("Parse succeeded: %v", m)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is %T, want *Error", err, err)
			}
			if e.Code != tt.code || !strings.Contains(e.Error(), tt.msg) {
				t.Errorf("error = %v (code %d), want code %d containing %q", err, e.Code, tt.code, tt.msg)
			}
		})
	}
}

func TestParseErrorsDoNotQuotePatientData(t *testing.T) {
	_, err := Parse([]byte("MSH|^~\\&|A\rPID|||SECRET123||Doe^Jane\rbad line Doe"))
	if err == nil {
		t.Fatal("Parse succeeded")
	}
	for _, s := range []string{"SECRET123", "Doe", "Jane"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q quotes %q", err, s)
		}
	}
}

func TestParseHeader(t *testing.T) {
	// The body is broken, but the header is readable for the ACK.
	in := "MSH|^~\\&|MON|ICU|KC|KET|20260314101500||ORU^R01|C42|P|2.5\rthis is not a segment"
	if _, err := Parse([]byte(in)); err == nil {
		t.Fatal("Parse accepted a broken body")
	}
	h, err := ParseHeader([]byte(in))
	if err != nil {
		t.Fatalf("ParseHeader: %v", err)
	}
	msh, _ := h.Segment("MSH")
	if got := msh.Field(10).Value(); got != "C42" || len(h.Segments) != 1 {
		t.Errorf("ParseHeader: control id %q, %d segments", got, len(h.Segments))
	}
}
