package hl7

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// MLLP framing bytes: a frame is StartBlock, the message, EndBlock, CR.
const (
	StartBlock byte = 0x0B
	EndBlock   byte = 0x1C
)

// DefaultMaxMessageSize is the largest message a Reader accepts when given
// no limit: 1 MiB, far more than any vital-signs message.
const DefaultMaxMessageSize = 1 << 20

// Errors returned by Reader.ReadMessage.
var (
	// ErrMessageTooLarge means a frame grew beyond the maximum message
	// size. The stream cannot be resynchronised: drop the connection.
	ErrMessageTooLarge = errors.New("hl7: MLLP message too large")
	// ErrNotFramed means bytes other than white space came outside a
	// frame: the peer is not speaking MLLP.
	ErrNotFramed = errors.New("hl7: data outside an MLLP frame")
)

// Reader reads MLLP frames from a stream.
//
// White space between frames is skipped (some senders add a line feed
// after the trailer). A frame ends at the first EndBlock byte; the CR that
// should follow is then read as white space before the next frame, so
// senders that omit it still work. EndBlock cannot occur inside HL7 text.
type Reader struct {
	br  *bufio.Reader
	max int
}

// NewReader returns a Reader of r that accepts messages of at most maxSize
// bytes (DefaultMaxMessageSize when maxSize <= 0).
func NewReader(r io.Reader, maxSize int) *Reader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	if maxSize <= 0 {
		maxSize = DefaultMaxMessageSize
	}
	return &Reader{br: br, max: maxSize}
}

// ReadMessage returns the next message, without its framing bytes. It
// returns io.EOF when the stream ends between frames,
// io.ErrUnexpectedEOF when it ends inside one, ErrMessageTooLarge,
// ErrNotFramed, or the error of the underlying reader.
func (r *Reader) ReadMessage() ([]byte, error) {
	if err := r.waitStart(); err != nil {
		return nil, err
	}
	return r.readBody()
}

// waitStart skips white space up to and including the next StartBlock.
func (r *Reader) waitStart() error {
	for {
		b, err := r.br.ReadByte()
		if err != nil {
			return err
		}
		switch b {
		case StartBlock:
			return nil
		case '\r', '\n', ' ', '\t':
		default:
			return fmt.Errorf("%w: byte 0x%02X", ErrNotFramed, b)
		}
	}
}

// readBody reads the rest of a frame after its StartBlock.
func (r *Reader) readBody() ([]byte, error) {
	var msg []byte
	for {
		chunk, err := r.br.ReadSlice(EndBlock)
		msg = append(msg, chunk...)
		size := len(msg)
		if err == nil {
			size-- // the EndBlock
		}
		if size > r.max {
			return nil, fmt.Errorf("%w: more than %d bytes", ErrMessageTooLarge, r.max)
		}
		switch {
		case err == nil:
			return msg[:len(msg)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return nil, io.ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
}

// WriteFrame writes msg to w as one MLLP frame, in a single Write.
func WriteFrame(w io.Writer, msg []byte) error {
	frame := make([]byte, 0, len(msg)+3)
	frame = append(frame, StartBlock)
	frame = append(frame, msg...)
	frame = append(frame, EndBlock, '\r')
	_, err := w.Write(frame)
	return err
}
