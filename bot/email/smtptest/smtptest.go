// Package smtptest runs a real SMTP server (emersion/go-smtp) for tests:
// STARTTLS with a throwaway certificate, AUTH PLAIN, scripted refusals, and
// the delivered messages read back part by part.
package smtptest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Delivered is one message the server accepted.
type Delivered struct {
	From string
	To   []string
	Data []byte
}

// Server is a running SMTP server.
type Server struct {
	User, Pass string
	Addr       string
	// CAFile holds the server's certificate as PEM (SSL_CERT_FILE for a
	// child process); RootCAs trusts it in this one.
	CAFile  string
	RootCAs *x509.CertPool

	mu       sync.Mutex
	msgs     []Delivered
	rejects  []int // codes answered to the next RCPTs, in order
	attempts int
	authed   int
	arrived  chan struct{}
}

// Options say what the server offers.
type Options struct {
	NoTLS bool // no STARTTLS (and then no AUTH)
}

// Start runs a server until the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{User: "cxloop", Pass: "s3cret-pass", arrived: make(chan struct{}, 1000)}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 10 << 20
	if !o.NoTLS {
		cert, pemBytes, err := selfSigned()
		if err != nil {
			t.Fatal(err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		s.CAFile = filepath.Join(t.TempDir(), "smtp-ca.pem")
		if err := os.WriteFile(s.CAFile, pemBytes, 0o600); err != nil {
			t.Fatal(err)
		}
		s.RootCAs = x509.NewCertPool()
		s.RootCAs.AppendCertsFromPEM(pemBytes)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// URL is the smtp:// URL with the server's credentials.
func (s *Server) URL() string {
	return (&url.URL{Scheme: "smtp", User: url.UserPassword(s.User, s.Pass), Host: s.Addr}).String()
}

// ClientTLS trusts the server's certificate.
func (s *Server) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: s.RootCAs, MinVersion: tls.VersionTLS12}
}

// Reject answers the next RCPT commands with these codes (421, 550…), one
// each, before accepting again.
func (s *Server) Reject(codes ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejects = append(s.rejects, codes...)
}

// Messages returns what was delivered so far.
func (s *Server) Messages() []Delivered {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivered(nil), s.msgs...)
}

// Attempts counts RCPT commands, refused or not.
func (s *Server) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// Authenticated counts successful AUTH PLAIN logins.
func (s *Server) Authenticated() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authed
}

// Wait returns once n messages were delivered, or fails when ctx ends.
func (s *Server) Wait(ctx context.Context, n int) ([]Delivered, error) {
	for {
		if m := s.Messages(); len(m) >= n {
			return m, nil
		}
		select {
		case <-s.arrived:
		case <-ctx.Done():
			return s.Messages(), fmt.Errorf("%d of %d messages delivered: %w", len(s.Messages()), n, ctx.Err())
		}
	}
}

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s      *Server
	authed bool
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.s.User || password != ss.s.Pass {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		ss.s.mu.Lock()
		ss.s.authed++
		ss.s.mu.Unlock()
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	ss.s.attempts++
	if len(ss.s.rejects) > 0 {
		code := ss.s.rejects[0]
		ss.s.rejects = ss.s.rejects[1:]
		enh := smtp.EnhancedCode{4, 3, 0}
		msg := "Try again later"
		if code >= 500 {
			enh, msg = smtp.EnhancedCode{5, 1, 1}, "Mailbox unavailable"
		}
		select {
		case ss.s.arrived <- struct{}{}:
		default:
		}
		return &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: msg}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, Delivered{From: ss.from, To: ss.to, Data: b})
	ss.s.mu.Unlock()
	select {
	case ss.s.arrived <- struct{}{}:
	default:
	}
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// Parsed is a delivered message read back: its headers decoded, its text
// and HTML parts decoded from their transfer encoding, with the wire's CRLF
// line ends read as LF.
type Parsed struct {
	Header  mail.Header
	Subject string
	Text    string
	HTML    string
	// Inline maps Content-ID (without brackets) to the part's bytes.
	Inline map[string][]byte
}

// Parse reads a delivered message.
func Parse(data []byte) (Parsed, error) {
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return Parsed{}, err
	}
	p := Parsed{Header: m.Header, Inline: map[string][]byte{}}
	dec := new(mime.WordDecoder)
	if p.Subject, err = dec.DecodeHeader(m.Header.Get("Subject")); err != nil {
		return p, fmt.Errorf("subject: %w", err)
	}
	return p, p.walk(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), "", m.Body)
}

func (p *Parsed) walk(ctype, cte, cid string, body io.Reader) error {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return fmt.Errorf("content type %q: %w", ctype, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := p.walk(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"),
				strings.Trim(part.Header.Get("Content-Id"), "<>"), part); err != nil {
				return err
			}
		}
	}
	var r io.Reader = body
	switch strings.ToLower(cte) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = newBase64(body)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	switch {
	case cid != "":
		p.Inline[cid] = b
	case mt == "text/plain":
		p.Text = strings.ReplaceAll(string(b), "\r\n", "\n")
	case mt == "text/html":
		p.HTML = strings.ReplaceAll(string(b), "\r\n", "\n")
	}
	return nil
}

func selfSigned() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "cxloop test SMTP"},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pemBytes, nil
}

func newBase64(r io.Reader) io.Reader {
	return base64.NewDecoder(base64.StdEncoding, &stripNewlines{r: r})
}

// stripNewlines drops the line breaks of a base64 body.
type stripNewlines struct{ r io.Reader }

func (s *stripNewlines) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	j := 0
	for _, c := range p[:n] {
		if c != '\r' && c != '\n' {
			p[j] = c
			j++
		}
	}
	return j, err
}
