package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Texter sends one text message to a mobile number in E.164. ref names the
// outbox message, so a gateway can drop a repeat of one it already sent.
type Texter interface {
	Text(ctx context.Context, to, body, ref string) error
}

// SMSGateway sends text messages through an HTTP gateway (the clinic's own,
// or a provider's relay). Each message is one POST of JSON to URL:
//
//	{"to": "+447911123456", "body": "…", "reference": "ketacare-outbox-12"}
//
// with "Authorization: Bearer <Token>" when a token is set and the
// reference repeated as the Idempotency-Key header. A 2xx answer means the
// gateway took the message; 4xx other than 408 and 429 is a refusal that a
// retry will not change (*PermanentError); anything else may succeed later.
type SMSGateway struct {
	URL   string
	Token string
	// Client sends the requests (one with a 30 s timeout when nil).
	Client *http.Client
}

// ParseSMSURL reads an --sms-url. The gateway must be reached over https,
// or over http on the loopback interface only (a relay on the same host),
// since the token and the messages travel with each request.
func ParseSMSURL(raw, token string) (*SMSGateway, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("sms url: %w", err)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("sms url: no host")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("sms url: use https, or http only to a gateway on this host")
		}
	default:
		return nil, fmt.Errorf("sms url: scheme must be https or http, not %q", u.Scheme)
	}
	return &SMSGateway{URL: u.String(), Token: token}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

var smsClient = &http.Client{Timeout: 30 * time.Second}

// Text sends one message.
func (g *SMSGateway) Text(ctx context.Context, to, body, ref string) error {
	if !strings.HasPrefix(to, "+") || len(to) < 8 {
		return &PermanentError{Err: fmt.Errorf("recipient is not a number in E.164")}
	}
	payload, err := json.Marshal(struct {
		To        string `json:"to"`
		Body      string `json:"body"`
		Reference string `json:"reference"`
	}{to, body, ref})
	if err != nil {
		return &PermanentError{Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL, bytes.NewReader(payload))
	if err != nil {
		return &PermanentError{Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", ref)
	if g.Token != "" {
		req.Header.Set("Authorization", "Bearer "+g.Token)
	}
	client := g.Client
	if client == nil {
		client = smsClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("sms gateway: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return nil
	case code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests:
		return &PermanentError{Err: fmt.Errorf("sms gateway refused the message: %s %s", resp.Status, strings.TrimSpace(string(answer)))}
	default:
		return fmt.Errorf("sms gateway: %s %s", resp.Status, strings.TrimSpace(string(answer)))
	}
}
