package providers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Signature errors. Verify functions wrap them with detail, so test with
// errors.Is.
var (
	// ErrNoSecret: no secret is configured (or it is not usable); the
	// endpoint must refuse everything rather than accept unsigned bodies.
	ErrNoSecret = errors.New("webhook secret not configured")
	// ErrMissingSignature: a required signature header is absent or empty.
	ErrMissingSignature = errors.New("missing webhook signature")
	// ErrBadSignature: the signature is malformed or does not match.
	ErrBadSignature = errors.New("bad webhook signature")
	// ErrStaleTimestamp: the signed timestamp is outside the replay window.
	ErrStaleTimestamp = errors.New("webhook timestamp outside tolerance")
)

// Header names of the supported schemes.
const (
	HeaderDelighted        = "X-Delighted-Webhook-Signature"
	HeaderTypeform         = "Typeform-Signature"
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
)

// StandardWebhookTolerance is how far webhook-timestamp may be from now, in
// either direction, as in the Standard Webhooks reference libraries: it
// bounds replays while allowing for clock skew.
const StandardWebhookTolerance = 5 * time.Minute

// VerifyDelighted checks X-Delighted-Webhook-Signature: "sha256=" followed by
// the hex HMAC-SHA256 of the raw body. Delighted keys it with the project's
// private API key (there is no separate webhook secret), so secret is that
// key. Delighted signs no timestamp: replay protection is the caller's
// idempotency on event_id.
func VerifyDelighted(secret string, header http.Header, body []byte) error {
	return verifySHA256Header(secret, header, HeaderDelighted, "hex", hex.DecodeString, body)
}

// VerifyTypeform checks Typeform-Signature: "sha256=" followed by the
// standard (padded) base64 HMAC-SHA256 of the raw body, keyed with the
// webhook's secret. Typeform omits the header when the webhook has no
// secret, which is ErrMissingSignature here: an endpoint with a secret
// configured must not accept unsigned deliveries.
func VerifyTypeform(secret string, header http.Header, body []byte) error {
	return verifySHA256Header(secret, header, HeaderTypeform, "base64", base64.StdEncoding.DecodeString, body)
}

// verifySHA256Header checks a "sha256=<digest>" header holding the HMAC-SHA256
// of the raw body, its digest written in the given encoding.
func verifySHA256Header(secret string, header http.Header, name, encoding string, decode func(string) ([]byte, error), body []byte) error {
	if secret == "" {
		return ErrNoSecret
	}
	v := strings.TrimSpace(header.Get(name))
	if v == "" {
		return fmt.Errorf("%w: no %s header", ErrMissingSignature, name)
	}
	algo, digest, ok := strings.Cut(v, "=")
	if !ok || !strings.EqualFold(algo, "sha256") {
		return fmt.Errorf("%w: %s is not sha256=<%s>", ErrBadSignature, name, encoding)
	}
	got, err := decode(digest)
	if err != nil {
		return fmt.Errorf("%w: %s is not %s: %w", ErrBadSignature, name, encoding, err)
	}
	if !hmac.Equal(got, hmacSHA256([]byte(secret), body)) {
		return fmt.Errorf("%w: %s does not match", ErrBadSignature, name)
	}
	return nil
}

// VerifyStandardWebhook checks a Standard Webhooks (v1, symmetric) delivery,
// as sent by Formbricks and accepted on the generic endpoint: the signed
// content is "{webhook-id}.{webhook-timestamp}.{body}", the key the base64
// bytes after "whsec_" in secret, and webhook-signature a space-separated
// list of "v1,<base64>" entries of which one must match (several allow key
// rotation; other versions such as v1a are skipped). The timestamp must be
// within StandardWebhookTolerance of now, either way.
func VerifyStandardWebhook(secret string, header http.Header, body []byte, now time.Time) error {
	key, err := standardWebhookKey(secret)
	if err != nil {
		return err
	}
	id := strings.TrimSpace(header.Get(HeaderWebhookID))
	ts := strings.TrimSpace(header.Get(HeaderWebhookTimestamp))
	sigs := strings.TrimSpace(header.Get(HeaderWebhookSignature))
	for _, h := range []struct{ name, v string }{
		{HeaderWebhookID, id}, {HeaderWebhookTimestamp, ts}, {HeaderWebhookSignature, sigs},
	} {
		if h.v == "" {
			return fmt.Errorf("%w: no %s header", ErrMissingSignature, h.name)
		}
	}
	// A dot in the id would make "id.timestamp.body" ambiguous.
	if strings.Contains(id, ".") {
		return fmt.Errorf("%w: %s contains '.'", ErrBadSignature, HeaderWebhookID)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s %q is not unix seconds", ErrBadSignature, HeaderWebhookTimestamp, ts)
	}
	// Compare bounds in seconds: subtracting an attacker's extreme timestamp
	// from now could overflow and wrap into the window.
	tol := int64(StandardWebhookTolerance / time.Second)
	if sec < now.Unix()-tol || sec > now.Unix()+tol {
		return fmt.Errorf("%w: %s %d, now %d", ErrStaleTimestamp, HeaderWebhookTimestamp, sec, now.Unix())
	}

	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	want := mac.Sum(nil)

	for _, entry := range strings.Fields(sigs) {
		version, sig, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err != nil {
			continue // one malformed entry must not hide a valid one
		}
		if hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("%w: no v1 entry of %s matches", ErrBadSignature, HeaderWebhookSignature)
}

// standardWebhookKey decodes a "whsec_<base64>" secret. The prefix is
// optional, as in the reference libraries.
func standardWebhookKey(secret string) ([]byte, error) {
	s := strings.TrimPrefix(strings.TrimSpace(secret), "whsec_")
	if s == "" {
		return nil, ErrNoSecret
	}
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: secret is not whsec_<base64>: %w", ErrNoSecret, err)
	}
	return key, nil
}

func hmacSHA256(key, msg []byte) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write(msg)
	return mac.Sum(nil)
}
