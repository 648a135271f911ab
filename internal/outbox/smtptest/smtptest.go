// Package smtptest runs a small SMTP server inside a test process: it
// accepts mail on 127.0.0.1, records each message, and can be told to
// refuse mail with a chosen reply code, so tests exercise a real SMTP
// conversation, retries and failures.
package smtptest

import (
	"bufio"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
)

// Message is one accepted message.
type Message struct {
	From string
	To   []string
	Data string // as received, headers and body
	Auth string // the AUTH PLAIN user, if any
}

// Header returns a header of the message.
func (m Message) Header(name string) string {
	msg, err := mail.ReadMessage(strings.NewReader(m.Data))
	if err != nil {
		return ""
	}
	return msg.Header.Get(name)
}

// Body returns the decoded text body.
func (m Message) Body() string {
	msg, err := mail.ReadMessage(strings.NewReader(m.Data))
	if err != nil {
		return ""
	}
	var r io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, _ := io.ReadAll(r)
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

// Server is a running test SMTP server.
type Server struct {
	Addr string
	ln   net.Listener

	mu       sync.Mutex
	msgs     []Message
	failCode int
	failLeft int // -1: always
	attempts int
	wg       sync.WaitGroup
	notify   chan struct{}
}

// Start starts a server that is closed when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), ln: ln, notify: make(chan struct{}, 1000)}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(s.Close)
	return s
}

// URL is the server's smtp:// URL.
func (s *Server) URL() string { return "smtp://" + s.Addr }

// Close stops the server.
func (s *Server) Close() {
	s.ln.Close()
	s.wg.Wait()
}

// Fail makes the next n messages be refused with code at the end of DATA
// (n < 0: every message until Fail(0, 0)).
func (s *Server) Fail(code, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failCode, s.failLeft = code, n
}

// Messages returns the accepted messages in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Attempts counts the messages offered (accepted or refused).
func (s *Server) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// Accepted is signalled once per accepted message.
func (s *Server) Accepted() <-chan struct{} { return s.notify }

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.conn(c) }()
	}
}

func (s *Server) conn(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	reply := func(format string, args ...any) { fmt.Fprintf(c, format+"\r\n", args...) }
	reply("220 smtptest ready")
	var cur Message
	user := ""
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			reply("250-smtptest")
			reply("250-8BITMIME")
			reply("250 AUTH PLAIN")
		case "HELO":
			reply("250 smtptest")
		case "AUTH":
			user = arg
			reply("235 2.7.0 Authentication successful")
		case "MAIL":
			_, addr, _ := strings.Cut(arg, ":")
			cur = Message{From: strings.Trim(addr, "<> "), Auth: user}
			reply("250 OK")
		case "RCPT":
			_, addr, _ := strings.Cut(arg, ":")
			cur.To = append(cur.To, strings.Trim(addr, "<> "))
			reply("250 OK")
		case "DATA":
			reply("354 go ahead")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			cur.Data = b.String()
			s.mu.Lock()
			s.attempts++
			code := 0
			if s.failLeft != 0 {
				code = s.failCode
				if s.failLeft > 0 {
					s.failLeft--
				}
			}
			if code == 0 {
				s.msgs = append(s.msgs, cur)
			}
			s.mu.Unlock()
			if code != 0 {
				reply("%d refused by smtptest", code)
			} else {
				reply("250 OK queued")
				select {
				case s.notify <- struct{}{}:
				default:
				}
			}
		case "RSET":
			cur = Message{}
			reply("250 OK")
		case "NOOP":
			reply("250 OK")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}
