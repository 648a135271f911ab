package hl7

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

func frame(msg string) string { return "\x0b" + msg + "\x1c\r" }

// readAll reads messages until an error and returns them with that error.
func readAll(r *Reader) ([]string, error) {
	var msgs []string
	for {
		m, err := r.ReadMessage()
		if err != nil {
			return msgs, err
		}
		msgs = append(msgs, string(m))
	}
}

func TestReaderFrames(t *testing.T) {
	big := strings.Repeat("OBX|1|ST|X||"+strings.Repeat("v", 70)+"\r", 200) // ~16 KB, several buffer fills
	tests := []struct {
		name    string
		stream  string
		want    []string
		wantErr error
	}{
		{"one", frame("A"), []string{"A"}, io.EOF},
		{"several back to back", frame("A") + frame("B") + frame("C"), []string{"A", "B", "C"}, io.EOF},
		{"white space between frames", "\r\n" + frame("A") + "\n \t" + frame("B") + "\r\n", []string{"A", "B"}, io.EOF},
		{"trailer without CR", "\x0bA\x1c\x0bB\x1c", []string{"A", "B"}, io.EOF},
		{"empty frame", frame(""), []string{""}, io.EOF},
		{"larger than the buffer", frame(big) + frame("B"), []string{big, "B"}, io.EOF},
		{"empty stream", "", nil, io.EOF},
		{"ends inside a frame", frame("A") + "\x0bMSH|^~", []string{"A"}, io.ErrUnexpectedEOF},
		{"ends after start block", "\x0b", nil, io.ErrUnexpectedEOF},
		{"unframed text", "MSH|^~\\&|", nil, ErrNotFramed},
		{"garbage after a frame", frame("A") + "x" + frame("B"), []string{"A"}, ErrNotFramed},
	}
	for _, tt := range tests {
		for _, oneByte := range []bool{false, true} {
			var src io.Reader = strings.NewReader(tt.stream)
			name := tt.name
			if oneByte {
				src, name = iotest.OneByteReader(src), name+" one byte at a time"
			}
			t.Run(name, func(t *testing.T) {
				got, err := readAll(NewReader(src, 0))
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("messages (-want +got):\n%s", diff)
				}
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("error = %v, want %v", err, tt.wantErr)
				}
			})
		}
	}
}

func TestReaderMaxSize(t *testing.T) {
	const max = 5000
	exact := strings.Repeat("x", max)
	got, err := readAll(NewReader(strings.NewReader(frame(exact)+frame(exact+"y")+frame("after")), max))
	if len(got) != 1 || got[0] != exact {
		t.Errorf("read %d messages before the oversize one, want the one of exactly %d bytes", len(got), max)
	}
	if !errors.Is(err, ErrMessageTooLarge) {
		t.Errorf("error = %v, want ErrMessageTooLarge", err)
	}

	// An endless frame fails without reading it all.
	endless := io.MultiReader(strings.NewReader("\x0b"), neverEnding('x'))
	if _, err := NewReader(endless, max).ReadMessage(); !errors.Is(err, ErrMessageTooLarge) {
		t.Errorf("endless frame: error = %v, want ErrMessageTooLarge", err)
	}
}

// neverEnding is an endless stream of one byte.
type neverEnding byte

func (b neverEnding) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

func TestWriteFrame(t *testing.T) {
	var buf bytes.Buffer
	for _, msg := range []string{"MSH|^~\\&|A\r", "", "second"} {
		if err := WriteFrame(&buf, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := buf.String(), "\x0bMSH|^~\\&|A\r\x1c\r\x0b\x1c\r\x0bsecond\x1c\r"; got != want {
		t.Errorf("frames = %q, want %q", got, want)
	}
	got, err := readAll(NewReader(&buf, 0))
	if diff := cmp.Diff([]string{"MSH|^~\\&|A\r", "", "second"}, got); diff != "" || err != io.EOF {
		t.Errorf("read back (-want +got):\n%s\nerror %v", diff, err)
	}
}
