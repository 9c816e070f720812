// Package email writes to customers: one Sender interface, an SMTP sender
// built on go-mail, and a printer for the demo and for installations
// without a mail server. The delivery worker is its only user; what to say
// and to whom is decided elsewhere.
package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/cxloop/cxloop/bot"
)

// Message is one email: a plain-text part, an HTML part (from the text when
// empty) and images the HTML shows inline.
type Message struct {
	From        string // "CX Team <cx@example.com>"
	To, ToName  string
	ReplyTo     string
	ReplyToName string
	Subject     string
	Text        string
	HTML        string
	// MessageID without angle brackets; the same for every attempt, so a
	// retried message is recognisable as one.
	MessageID string
	// Unsubscribe is the one-click unsubscribe URL (RFC 8058); empty for
	// mail that is not to customers.
	Unsubscribe string
	Inline      []Inline
}

// Inline is an image the HTML part refers to as cid:CID.
type Inline struct {
	CID, Name, ContentType string
	Data                   []byte
}

// Sender delivers emails. Errors are bot.DeliveryErrors: a 5xx answer is
// permanent, anything else (4xx, a broken connection) transient.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SMTP sends through one SMTP server.
type SMTP struct {
	host        string
	port        int
	user, pass  string
	implicitTLS bool
	tls         *tls.Config
	timeout     time.Duration
}

// Options tune the SMTP sender.
type Options struct {
	// TLS is the client's TLS configuration (nil: the system's roots).
	TLS *tls.Config
	// Timeout bounds each connection (default 30 s).
	Timeout time.Duration
}

// NewSMTP reads smtp://user:pass@host:587 (STARTTLS when the server offers
// it) or smtps://user:pass@host:465 (TLS from the first byte).
func NewSMTP(rawURL string, o Options) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" {
		return nil, errors.New("the SMTP URL is not smtp://user:pass@host:port or smtps://…")
	}
	s := &SMTP{host: u.Hostname(), timeout: o.Timeout}
	switch u.Scheme {
	case "smtp":
		s.port = 587
	case "smtps":
		s.port, s.implicitTLS = 465, true
	default:
		return nil, fmt.Errorf("the SMTP URL's scheme is %q, not smtp or smtps", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if s.port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("the SMTP URL's port %q is not a number", p)
		}
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	if s.timeout <= 0 {
		s.timeout = 30 * time.Second
	}
	if o.TLS != nil {
		s.tls = o.TLS.Clone()
	} else {
		s.tls = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if s.tls.ServerName == "" {
		s.tls.ServerName = s.host
	}
	return s, nil
}

// Send delivers one message in its own connection.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := build(m)
	if err != nil {
		return bot.PermanentError(err)
	}
	opts := []mail.Option{mail.WithPort(s.port), mail.WithTimeout(s.timeout), mail.WithTLSConfig(s.tls)}
	if s.implicitTLS {
		opts = append(opts, mail.WithSSL())
	} else {
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	}
	if s.user != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(s.user), mail.WithPassword(s.pass))
	}
	c, err := mail.NewClient(s.host, opts...)
	if err != nil {
		return bot.PermanentError(fmt.Errorf("smtp client: %w", err))
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return classify(err)
	}
	return nil
}

// classify turns an SMTP failure into a delivery error: the server's 5xx
// refuses the message for good; a 4xx, a timeout or a broken connection
// is worth another try.
func classify(err error) error {
	var se *mail.SendError
	if errors.As(err, &se) && se.ErrorCode() >= 500 {
		return bot.PermanentError(err)
	}
	return &bot.DeliveryError{Class: bot.Transient, Err: err}
}

// build writes the message with go-mail: UTF-8 headers and parts.
func build(m Message) (*mail.Msg, error) {
	msg := mail.NewMsg()
	if err := msg.From(m.From); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := msg.AddToFormat(m.ToName, m.To); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	if m.ReplyTo != "" {
		if err := msg.ReplyToFormat(m.ReplyToName, m.ReplyTo); err != nil {
			return nil, fmt.Errorf("reply-to: %w", err)
		}
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(m.MessageID)
	} else {
		msg.SetMessageID()
	}
	if m.Unsubscribe != "" {
		msg.SetListUnsubscribe(m.Unsubscribe)
		msg.SetListUnsubscribePost()
	}
	html := m.HTML
	if html == "" {
		var err error
		if html, err = HTMLFromText(m.Text); err != nil {
			return nil, err
		}
	}
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, html)
	for _, in := range m.Inline {
		err := msg.EmbedReader(in.Name, bytes.NewReader(in.Data), mail.WithFileContentID(in.CID), mail.WithFileContentType(mail.ContentType(in.ContentType)))
		if err != nil {
			return nil, fmt.Errorf("inline %s: %w", in.Name, err)
		}
	}
	return msg, nil
}

// htmlPage is the simple HTML part: the text's paragraphs, escaped.
var htmlPage = template.Must(template.New("email").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"></head>
<body style="font-family: Arial, Helvetica, sans-serif; font-size: 15px; line-height: 1.5; color: #222; max-width: 600px;">
{{range .}}<p style="margin: 0 0 1em 0;">{{range $i, $l := .}}{{if $i}}<br>{{end}}{{$l}}{{end}}</p>
{{end}}</body></html>
`))

// HTMLFromText renders plain text as the HTML part: a paragraph per block
// of lines, every character escaped.
func HTMLFromText(text string) (string, error) {
	var paras [][]string
	for _, block := range strings.Split(strings.ReplaceAll(strings.TrimSpace(text), "\r\n", "\n"), "\n\n") {
		if block = strings.TrimSpace(block); block != "" {
			paras = append(paras, strings.Split(block, "\n"))
		}
	}
	var b bytes.Buffer
	if err := htmlPage.Execute(&b, paras); err != nil {
		return "", fmt.Errorf("html part: %w", err)
	}
	return b.String(), nil
}
