package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxRequestAge is how far a request's timestamp may be from the clock, in
// either direction, before it is refused as a possible replay.
const MaxRequestAge = 5 * time.Minute

// Errors of VerifyRequest; match them with errors.Is.
var (
	ErrNoSigningSecret = errors.New("slack: no signing secret configured")
	ErrMissingHeaders  = errors.New("slack: missing X-Slack-Signature or X-Slack-Request-Timestamp")
	ErrStaleRequest    = errors.New("slack: request timestamp outside the replay window")
	ErrBadSignature    = errors.New("slack: invalid request signature")
)

// VerifyRequest checks Slack's v0 signature of an inbound request: the
// X-Slack-Signature header must be "v0=" + hex(HMAC-SHA256(secret,
// "v0:{X-Slack-Request-Timestamp}:{body}")) and the timestamp within
// MaxRequestAge of now. body must be the raw bytes received, before any
// parsing. The clock is a parameter so that callers and tests control it.
// A valid request may arrive again within the window (Slack retries, or a
// replay); deduplicating is the caller's job.
func VerifyRequest(secret string, header http.Header, body []byte, now time.Time) error {
	if secret == "" {
		return ErrNoSigningSecret
	}
	sig, tsText := header.Get("X-Slack-Signature"), header.Get("X-Slack-Request-Timestamp")
	if sig == "" || tsText == "" {
		return ErrMissingHeaders
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q is not a number", ErrBadSignature, tsText)
	}
	if age := now.Sub(time.Unix(ts, 0)); age > MaxRequestAge || age < -MaxRequestAge {
		return fmt.Errorf("%w: %s off", ErrStaleRequest, age.Round(time.Second))
	}
	hexSig, ok := strings.CutPrefix(sig, "v0=")
	if !ok {
		return fmt.Errorf("%w: not a v0 signature", ErrBadSignature)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: malformed", ErrBadSignature)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + tsText + ":"))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return ErrBadSignature
	}
	return nil
}
