package hl7

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var ackTime = time.Date(2026, 3, 14, 10, 15, 3, 0, time.UTC)

// encodeWithControlID encodes an ACK with its random MSH-10 replaced, so
// the wire form can be compared exactly.
func encodeWithControlID(t *testing.T, ack *Message, id string) string {
	t.Helper()
	if got := ack.Segments[0].Field(10).Value(); len(got) != 20 {
		t.Errorf("ACK control id %q: want 20 characters", got)
	}
	ack.Segments[0].Fields[9] = text(id)
	return string(ack.Encode())
}

func TestNewAckAccept(t *testing.T) {
	orig := mustParse(t, philipsORU)
	ack := NewAck(orig, AckAccept, nil, ackTime)
	want := hl7Lines(
		`MSH|^~\&|KETACARE|KETACLINIC|PIC_iX^00095CFFFE7A1B2C^EUI-64|Philips|20260314101503+0000||ACK^R01^ACK|ACK1|P|2.6||||||8859/1`,
		`MSA|AA|PHX0000123`,
	)
	if got := encodeWithControlID(t, ack, "ACK1"); got != want {
		t.Errorf("ACK:\n got %q\nwant %q", got, want)
	}
}

func TestNewAckControlIDsDiffer(t *testing.T) {
	orig := mustParse(t, philipsORU)
	seen := map[string]bool{"PHX0000123": true}
	for range 50 {
		msh, _ := NewAck(orig, AckAccept, nil, ackTime).Segment("MSH")
		id := msh.Field(10).Value()
		if seen[id] {
			t.Fatalf("control id %q repeated", id)
		}
		seen[id] = true
	}
}

func TestNewAckApplicationError(t *testing.T) {
	orig := mustParse(t, geORU)
	cause := errors.New("no active session for this bed | try again ^ later")
	ack := mustParse(t, string(NewAck(orig, AckError, cause, ackTime).Encode()))

	msh, _ := ack.Segment("MSH")
	msa, _ := ack.Segment("MSA")
	errSeg, ok := ack.Segment("ERR")
	if !ok {
		t.Fatal("no ERR segment")
	}
	got := []string{
		msh.Field(3).Value(), msh.Field(5).Component(1), msh.Field(6).Value(), msh.Field(18).Value(),
		msa.Field(1).Value(), msa.Field(2).Value(), msa.Field(3).Value(),
		errSeg.Field(2).Value(), errSeg.Field(3).Component(1), errSeg.Field(3).Component(2), errSeg.Field(3).Component(3),
		errSeg.Field(4).Value(), errSeg.Field(8).Value(),
	}
	want := []string{
		"", "VSP", "GE Healthcare", "UNICODE UTF-8",
		"AE", "GE20260601141035", cause.Error(),
		"", "207", "Application internal error", "HL70357",
		"E", cause.Error(),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ACK fields (-want +got):\n%s", diff)
	}
}

func TestNewAckRejectLocatesTheError(t *testing.T) {
	orig := mustParse(t, hl7Lines(`MSH|^~\&|ADT|H|KC|KET|20260314101500||ADT^A01|A1|P|2.5.1`))
	_, cause := ExtractVitals(orig, nil)
	if cause == nil {
		t.Fatal("ExtractVitals accepted ADT^A01")
	}
	ack := NewAck(orig, AckReject, cause, ackTime)
	want := hl7Lines(
		`MSH|^~\&|KC|KET|ADT|H|20260314101503+0000||ACK^A01^ACK|ACK1|P|2.5.1`,
		`MSA|AR|A1|hl7: MSH-9: unsupported message type "ADT": only ORU\S\R01 is accepted`,
		`ERR||MSH^1^9|200^Unsupported message type^HL70357|E||||hl7: MSH-9: unsupported message type "ADT": only ORU\S\R01 is accepted`,
	)
	if got := encodeWithControlID(t, ack, "ACK1"); got != want {
		t.Errorf("ACK:\n got %q\nwant %q", got, want)
	}
}

func TestNewAckOldVersionUsesERR1(t *testing.T) {
	orig := mustParse(t, hl7Lines(`MSH|^~\&|Mindray|BV|||20260314101500||ORU^R01|MR1|P|2.3.1`))
	cause := &Error{Code: CodeRequiredFieldMissing, Segment: "OBX", Sequence: 3, Field: 5, Msg: "value missing"}
	ack := NewAck(orig, AckReject, cause, ackTime)
	want := hl7Lines(
		`MSH|^~\&|||Mindray|BV|20260314101503+0000||ACK^R01^ACK|ACK1|P|2.3.1`,
		`MSA|AR|MR1|hl7: OBX-5: value missing`,
		`ERR|OBX^3^5^101&Required field missing&HL70357`,
	)
	if got := encodeWithControlID(t, ack, "ACK1"); got != want {
		t.Errorf("ACK:\n got %q\nwant %q", got, want)
	}
}

func TestBeforeV25(t *testing.T) {
	for version, want := range map[string]bool{
		"2.1": true, "2.2": true, "2.3": true, "2.3.1": true, "2.4": true,
		"2.5": false, "2.5.1": false, "2.6": false, "2.7": false, "2.8.2": false, "2.31": false, "": false,
	} {
		if got := beforeV25(version); got != want {
			t.Errorf("beforeV25(%q) = %v, want %v", version, got, want)
		}
	}
}

func TestNewAckWithoutMessage(t *testing.T) {
	_, cause := Parse([]byte("not hl7 at all"))
	ack := NewAck(nil, AckReject, cause, ackTime)
	want := hl7Lines(
		`MSH|^~\&|||||20260314101503+0000||ACK^ACK^ACK|ACK1|P|2.5`,
		`MSA|AR||hl7: the message does not start with an MSH segment`,
		`ERR|||100^Segment sequence error^HL70357|E||||hl7: the message does not start with an MSH segment`,
	)
	if got := encodeWithControlID(t, ack, "ACK1"); got != want {
		t.Errorf("ACK:\n got %q\nwant %q", got, want)
	}
}

func TestNewAckKeepsSenderDelimitersAndCutsLongText(t *testing.T) {
	orig := mustParse(t, hl7Lines(`MSH#!$*@#MON#ICU#KC#KET#20260314101500##ORU!R01#ODD1#P#2.5`))
	cause := errors.New(strings.Repeat("é", 100)) // 200 bytes
	ack := NewAck(orig, AckError, cause, ackTime)
	enc := string(ack.Encode())
	if !strings.HasPrefix(enc, "MSH#!$*@#KC#KET#MON#ICU#") {
		t.Errorf("ACK does not use the sender's delimiters: %q", enc)
	}
	back := mustParse(t, enc)
	msa, _ := back.Segment("MSA")
	errSeg, _ := back.Segment("ERR")
	if got := msa.Field(3).Value(); got != strings.Repeat("é", 40) {
		t.Errorf("MSA-3 = %q (%d bytes), want 40 characters", got, len(got))
	}
	if got := errSeg.Field(8).Value(); got != cause.Error() {
		t.Errorf("ERR-8 = %q, want the whole text", got)
	}
}
