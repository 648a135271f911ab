// Package outbox delivers the messages of ketacare's durable outbox: email
// over SMTP, and text messages through an HTTP gateway. Messages are written to the outbox table in the same
// transaction as the change that causes them; a Sender claims due messages
// under a lease, hands them to the mail server and marks them sent, retrying
// failures with exponential backoff. Because the outbox is a table, nothing
// queued is lost when the process stops.
//
// Delivery is at least once: a message is marked sent right after the mail
// server accepts it, in its own short transaction. If the process dies
// between the server's acceptance and that mark, the lease runs out and the
// message is sent again. Messages carry only a link, never clinical detail,
// so a duplicate is harmless.
package outbox

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/ketacare/ketacare/internal/auth"
)

// Mailer sends one email.
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// PermanentError is a refusal that will not change on a retry (an SMTP 5xx
// reply, a gateway's 4xx): the message is given up.
type PermanentError struct{ Err error }

// Error implements error.
func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }

// Unwrap returns the server's error.
func (e *PermanentError) Unwrap() error { return e.Err }

// SMTP is a mail server reached with a URL: smtp://[user:pass@]host[:port]
// (port 25 by default; STARTTLS whenever the server offers it) or
// smtps://[user:pass@]host[:port] (TLS from the start, port 465 by
// default). Credentials are sent with AUTH PLAIN, and only over TLS or to a
// server on the loopback interface.
type SMTP struct {
	Host     string // host:port
	Implicit bool   // smtps: TLS from the first byte
	User     string
	Password string
	From     string // the envelope and header sender
	// TLSConfig overrides the TLS settings (tests); ServerName is set from
	// Host when empty.
	TLSConfig *tls.Config
	// Timeout bounds one delivery, connection to QUIT (30 s when zero).
	Timeout time.Duration
}

// ParseSMTPURL reads an --smtp-url.
func ParseSMTPURL(raw, from string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("smtp url: %w", err)
	}
	s := &SMTP{From: from}
	port := "25"
	switch u.Scheme {
	case "smtp":
	case "smtps":
		s.Implicit, port = true, "465"
	default:
		return nil, fmt.Errorf("smtp url: scheme must be smtp or smtps, not %q", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("smtp url: no host")
	}
	if u.Port() != "" {
		port = u.Port()
	}
	s.Host = net.JoinHostPort(u.Hostname(), port)
	if u.User != nil {
		s.User = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	if _, err := mail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("mail-from %q is not an email address", from)
	}
	return s, nil
}

// Send delivers one plain-text email. A 5xx reply is returned as a
// *PermanentError; anything else (4xx, a network error) may succeed later.
func (s *SMTP) Send(ctx context.Context, to, subject, body string) error {
	rcpt, err := mail.ParseAddress(to)
	if err != nil {
		return &PermanentError{Err: fmt.Errorf("recipient %q is not an email address", to)}
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return &PermanentError{Err: fmt.Errorf("sender %q is not an email address", s.From)}
	}
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	host, _, _ := net.SplitHostPort(s.Host)
	tlsConfig := s.TLSConfig
	if tlsConfig == nil {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if tlsConfig.ServerName == "" {
		tlsConfig = tlsConfig.Clone()
		tlsConfig.ServerName = host
	}
	d := net.Dialer{}
	var conn net.Conn
	if s.Implicit {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: tlsConfig}).DialContext(ctx, "tcp", s.Host)
	} else {
		conn, err = d.DialContext(ctx, "tcp", s.Host)
	}
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", s.Host, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return classify(err)
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return classify(err)
	}
	if !s.Implicit {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsConfig); err != nil {
				return classify(fmt.Errorf("STARTTLS: %w", err))
			}
		}
	}
	if s.User != "" {
		// net/smtp's PLAIN refuses to send credentials over a connection
		// that is neither TLS nor to localhost.
		if err := c.Auth(smtp.PlainAuth("", s.User, s.Password, host)); err != nil {
			return classify(fmt.Errorf("AUTH: %w", err))
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return classify(err)
	}
	if err := c.Rcpt(rcpt.Address); err != nil {
		return classify(err)
	}
	w, err := c.Data()
	if err != nil {
		return classify(err)
	}
	if _, err := w.Write(compose(from, rcpt, subject, body, time.Now())); err != nil {
		return classify(err)
	}
	if err := w.Close(); err != nil {
		return classify(err)
	}
	_ = c.Quit() // the message was accepted at the end of DATA
	return nil
}

// classify marks 5xx replies as permanent.
func classify(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 && te.Code < 600 {
		return &PermanentError{Err: err}
	}
	return err
}

// compose writes the message: headers (the subject encoded when it is not
// ASCII) and a quoted-printable UTF-8 body with CRLF line ends.
func compose(from, to *mail.Address, subject, body string, now time.Time) []byte {
	var b strings.Builder
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	hdr := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	hdr("From", from.String())
	hdr("To", to.String())
	hdr("Subject", mime.QEncoding.Encode("utf-8", strings.NewReplacer("\r", " ", "\n", " ").Replace(subject)))
	hdr("Date", now.Format(time.RFC1123Z))
	hdr("Message-ID", "<"+auth.RandomToken(16)+"@"+domain+">")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n")))
	_ = qp.Close()
	b.WriteString("\r\n")
	return []byte(b.String())
}
