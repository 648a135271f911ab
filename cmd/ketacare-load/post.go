package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// poster sends one simulated session's POSTs over its own keep-alive
// connection, writing each HTTP/1.1 request straight from a reused buffer.
// net/http's client hands every request between three goroutines and
// allocates its headers anew; on a machine whose cores the server shares,
// that client took about a quarter as much CPU as the server itself, which
// the server then did not have. The answer is read with
// http.ReadResponse, so any valid HTTP/1.1 response is understood.
type poster struct {
	host string // host:port
	head []byte // request line and headers up to "Content-Length: "
	buf  []byte
	conn net.Conn
	br   *bufio.Reader
}

// newPoster prepares POSTs to path on base with a bearer token.
func newPoster(base, path, token string) (*poster, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n",
		path, u.Host, token)
	return &poster{host: u.Host, head: []byte(head)}, nil
}

// post sends body with the extra header lines (each ending in "\r\n") and
// returns the status code once the whole answer is read. A keep-alive
// connection the server closed is dialled again once (so a POST may in
// rare cases be sent twice; with -idempotency-key the server keeps one).
func (p *poster) post(body, extra []byte) (int, error) {
	p.buf = append(p.buf[:0], p.head...)
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
	resp, err := http.ReadResponse(p.br, nil)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, err
	}
	if resp.Close {
		p.close()
	}
	return resp.StatusCode, nil
}

func (p *poster) close() {
	if p.conn != nil {
		p.conn.Close()
		p.conn = nil
	}
}
