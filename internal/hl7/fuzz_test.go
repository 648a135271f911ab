package hl7

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		philipsORU, geORU, mindrayORU, loincORU,
		oru("M1", "P1", 70),
		hl7Lines(`MSH#!$*@%#APP!X#FAC#RCV#KC#20260314101500##ORU!R01#ODD1#P#2.7`, `PID###ID1!!!AUTH@1.2.3!MR$ID2##N!*F**S**P**X0D*`),
		hl7Lines(`MSH|^~\&|A|B|||20260314101500||ORU^R01|E1|P|2.5`, `NTE|1||a\T\b\F\c\S\d\R\e\E\f\X0D0A\g\H\h\N\\Zx\ \X0\ \`),
		hl7Lines(`MSH|^~\&|A|B|||20260314101500||ORU^R01|S1|P|2.5`, `OBX|1|SN|8867-4^HR^LN||<^50|/min|||||F|||20260314101500.1234-0530`),
		"MSH|^~\\&",
		"MSH|^~\\&|\rPID",
		"MSH|^~|\\&|",
		"MSH",
		"",
		"\r\n",
		"FHS|^~\\&",
		"\xef\xbb\xbfMSH|^~\\&|A\nPID|1\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		now := time.Date(2026, 3, 14, 10, 15, 0, 0, time.UTC)
		m, err := Parse(data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse error %v is %T, want *Error", err, err)
			}
			// A receiver can always reject it with a valid ACK.
			hdr, _ := ParseHeader(data)
			if _, err := Parse(NewAck(hdr, AckReject, err, now).Encode()); err != nil {
				t.Fatalf("reject ACK does not parse: %v", err)
			}
			return
		}

		// Encoding keeps everything: it parses back to the same message,
		// and encoding again gives the same bytes.
		enc := m.Encode()
		again, err := Parse(enc)
		if err != nil {
			t.Fatalf("Parse(Encode(m)): %v\nencoded: %q", err, enc)
		}
		if !reflect.DeepEqual(m, again) {
			t.Fatalf("Parse(Encode(m)) != m (-m +again):\n%s", cmp.Diff(m, again))
		}
		if enc2 := again.Encode(); !bytes.Equal(enc, enc2) {
			t.Fatalf("Encode is not stable:\n%q\n%q", enc, enc2)
		}

		// Extraction never panics, and every ACK parses and echoes the
		// control id.
		v, err := ExtractVitals(m, time.UTC)
		code := AckAccept
		if err != nil {
			code = AckReject
		} else if v.At.IsZero() {
			t.Fatal("ExtractVitals succeeded with a zero time")
		}
		ack, err2 := Parse(NewAck(m, code, err, now).Encode())
		if err2 != nil {
			t.Fatalf("ACK does not parse: %v", err2)
		}
		msh, _ := m.Segment("MSH")
		msa, _ := ack.Segment("MSA")
		if got, want := msa.Field(2).Value(), msh.Field(10).Value(); got != want {
			t.Fatalf("MSA-2 = %q, want MSH-10 %q", got, want)
		}
	})
}

func FuzzMLLPReader(f *testing.F) {
	for _, seed := range []string{
		frame(philipsORU),
		frame("A") + frame("B"),
		"\r\n" + frame("A") + "\n",
		"\x0bA\x1c\x0bB\x1c",
		"\x0bunterminated",
		"junk" + frame("A"),
		frame(""),
		frame(strings.Repeat("x", 300)),
		"\x0b\x0b\x1c\x1c\r",
	} {
		f.Add([]byte(seed))
	}
	const max = 256
	f.Fuzz(func(t *testing.T, data []byte) {
		// Whatever the stream, the reader returns frames within the limit
		// that survive being written and read again, then stops with an
		// error.
		r := NewReader(bytes.NewReader(data), max)
		for range len(data) + 1 {
			msg, err := r.ReadMessage()
			if err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
					errors.Is(err, ErrNotFramed) || errors.Is(err, ErrMessageTooLarge) {
					break
				}
				t.Fatalf("unexpected error %v", err)
			}
			if len(msg) > max || bytes.IndexByte(msg, EndBlock) >= 0 {
				t.Fatalf("bad frame %q", msg)
			}
			var buf bytes.Buffer
			WriteFrame(&buf, msg)
			back, err := NewReader(&buf, max).ReadMessage()
			if err != nil || !bytes.Equal(back, msg) {
				t.Fatalf("frame %q read back as %q, %v", msg, back, err)
			}
		}

		// Any payload without an end block is read back whole.
		if len(data) <= max && bytes.IndexByte(data, EndBlock) < 0 {
			var buf bytes.Buffer
			WriteFrame(&buf, data)
			back, err := NewReader(&buf, max).ReadMessage()
			if err != nil || !bytes.Equal(back, data) {
				t.Fatalf("payload %q read back as %q, %v", data, back, err)
			}
		}
	})
}
