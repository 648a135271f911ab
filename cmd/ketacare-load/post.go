package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// poster sends one simulated session's POSTs over its own keep-alive
// connection, writing each HTTP/1.1 request straight from a reused buffer.
// net/http's client hands every request between three goroutines and
// allocates its headers anew; on a machine whose cores the server shares,
// that client took about a quarter as much CPU as the server itself, which
// the server then did not have. The answer is read by readAnswer.
type poster struct {
	host    string // host:port
	path    string // where post sends
	headers []byte // the header lines before Content-Length
	buf     []byte
	conn    net.Conn
	br      *bufio.Reader
}

// newPoster prepares POSTs to path on base with a bearer token.
func newPoster(base, path, token string) (*poster, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	headers := fmt.Sprintf("Host: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n", u.Host, token)
	return &poster{host: u.Host, path: path, headers: []byte(headers)}, nil
}

// post sends body with the extra header lines (each ending in "\r\n") and
// returns the status code once the whole answer is read. A keep-alive
// connection the server closed is dialled again once (so a POST may in
// rare cases be sent twice; with -idempotency-key the server keeps one).
func (p *poster) post(body, extra []byte) (int, error) {
	return p.postTo(p.path, body, extra)
}

// postTo is post to another path of the same server.
func (p *poster) postTo(path string, body, extra []byte) (int, error) {
	p.buf = append(p.buf[:0], "POST "...)
	p.buf = append(p.buf, path...)
	p.buf = append(p.buf, " HTTP/1.1\r\n"...)
	p.buf = append(p.buf, p.headers...)
	p.buf = append(p.buf, extra...)
	p.buf = append(p.buf, "Content-Length: "...)
	p.buf = strconv.AppendInt(p.buf, int64(len(body)), 10)
	p.buf = append(p.buf, "\r\n\r\n"...)
	p.buf = append(p.buf, body...)
	for attempt := 0; ; attempt++ {
		status, err := p.roundTrip()
		if err == nil || attempt == 1 {
			return status, err
		}
		p.close()
	}
}

func (p *poster) roundTrip() (int, error) {
	if p.conn == nil {
		c, err := net.DialTimeout("tcp", p.host, 5*time.Second)
		if err != nil {
			return 0, err
		}
		p.conn = c
		if p.br == nil {
			p.br = bufio.NewReaderSize(c, 4096)
		} else {
			p.br.Reset(c)
		}
	}
	if err := p.conn.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		return 0, err
	}
	if _, err := p.conn.Write(p.buf); err != nil {
		return 0, err
	}
	status, closing, err := readAnswer(p.br)
	if err != nil {
		return 0, err
	}
	if closing {
		p.close()
	}
	return status, nil
}

// readAnswer reads one HTTP/1.1 answer and discards its body: the status
// line, then the headers, of which only Content-Length, Transfer-Encoding
// and Connection matter here, then a body of that length, in chunks, or up
// to the end of the connection. It replaces http.ReadResponse, which builds
// a header map of every line: in the load tool's profile a sixth of its CPU
// went to that, on the cores the server shares.
func readAnswer(br *bufio.Reader) (status int, closing bool, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, false, fmt.Errorf("not an HTTP/1.x status line: %q", line)
	}
	if status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return 0, false, fmt.Errorf("status line %q: %w", line, err)
	}
	closing = line[7] == '0' // HTTP/1.0 closes unless told otherwise
	length, chunked := int64(-1), false
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, false, fmt.Errorf("header line %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.ParseInt(string(value), 10, 64); err != nil || length < 0 {
				return 0, false, fmt.Errorf("Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.Contains(bytes.ToLower(value), []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			closing = bytes.EqualFold(value, []byte("close"))
		}
	}
	switch {
	case status < 200 || status == http.StatusNoContent || status == http.StatusNotModified:
	case chunked:
		err = discardChunks(br)
	case length >= 0:
		_, err = br.Discard(int(length))
	default: // the body runs to the end of the connection
		_, err = io.Copy(io.Discard, br)
		closing = true
	}
	return status, closing, err
}

// discardChunks reads a chunked body and its trailer.
func discardChunks(br *bufio.Reader) error {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		n, err := strconv.ParseInt(string(bytes.TrimSpace(size)), 16, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("chunk size %q", line)
		}
		if n == 0 {
			for { // the trailer, up to its blank line
				line, err := br.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(bytes.TrimRight(line, "\r\n")) == 0 {
					return nil
				}
			}
		}
		if _, err := br.Discard(int(n)); err != nil {
			return err
		}
		if _, err := br.ReadSlice('\n'); err != nil {
			return err
		}
	}
}

func (p *poster) close() {
	if p.conn != nil {
		p.conn.Close()
		p.conn = nil
	}
}

// idempotencyKey returns a new Idempotency-Key: a UUID of version 7, whose
// leading bits are the time, so that the server's key index grows at one end
// as the API advises; or, when random, one of version 4, which lands
// anywhere in that index.
func idempotencyKey(random bool) string {
	if random {
		return uuid.NewString()
	}
	return uuid.Must(uuid.NewV7()).String()
}
