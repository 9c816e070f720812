package slack_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	cxslack "github.com/cxloop/cxloop/bot/slack"
)

// Slack's documented example (api.slack.com/authentication/verifying-requests-from-slack).
const (
	vectorSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
	vectorTimestamp = "1531420618"
	vectorSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

func TestVerifyRequest(t *testing.T) {
	body, err := os.ReadFile("testdata/slash_command_signed_example.txt")
	if err != nil {
		t.Fatal(err)
	}
	vectorTime := time.Unix(1531420618, 0)
	headers := func(sig, ts string) http.Header {
		h := http.Header{}
		if sig != "" {
			h.Set("X-Slack-Signature", sig)
		}
		if ts != "" {
			h.Set("X-Slack-Request-Timestamp", ts)
		}
		return h
	}
	tampered := append([]byte(nil), body...)
	tampered[len(tampered)-1] ^= 1
	later := strconv.FormatInt(vectorTime.Add(time.Minute).Unix(), 10)

	tests := []struct {
		name    string
		secret  string
		header  http.Header
		body    []byte
		now     time.Time
		wantErr error
	}{
		{"documented vector", vectorSecret, headers(vectorSignature, vectorTimestamp), body, vectorTime, nil},
		{"vector, clock 4m59s ahead", vectorSecret, headers(vectorSignature, vectorTimestamp), body, vectorTime.Add(4*time.Minute + 59*time.Second), nil},
		{"vector, clock 5m behind", vectorSecret, headers(vectorSignature, vectorTimestamp), body, vectorTime.Add(-5 * time.Minute), nil},
		{"stale: 6 minutes old", vectorSecret, headers(vectorSignature, vectorTimestamp), body, vectorTime.Add(6 * time.Minute), cxslack.ErrStaleRequest},
		{"stale: 6 minutes in the future", vectorSecret, headers(vectorSignature, vectorTimestamp), body, vectorTime.Add(-6 * time.Minute), cxslack.ErrStaleRequest},
		{"forged signature", vectorSecret, headers("v0="+hex.EncodeToString(make([]byte, 32)), vectorTimestamp), body, vectorTime, cxslack.ErrBadSignature},
		{"signed with another secret", vectorSecret, headers(sign("other-secret", vectorTimestamp, body), vectorTimestamp), body, vectorTime, cxslack.ErrBadSignature},
		{"tampered body", vectorSecret, headers(vectorSignature, vectorTimestamp), tampered, vectorTime, cxslack.ErrBadSignature},
		{"timestamp changed, signature replayed", vectorSecret, headers(vectorSignature, later), body, vectorTime, cxslack.ErrBadSignature},
		{"re-signed for a new time", vectorSecret, headers(sign(vectorSecret, later, body), later), body, vectorTime, nil},
		{"wrong version", vectorSecret, headers("v1="+vectorSignature[3:], vectorTimestamp), body, vectorTime, cxslack.ErrBadSignature},
		{"not hex", vectorSecret, headers("v0=zz", vectorTimestamp), body, vectorTime, cxslack.ErrBadSignature},
		{"truncated", vectorSecret, headers(vectorSignature[:40], vectorTimestamp), body, vectorTime, cxslack.ErrBadSignature},
		{"timestamp not a number", vectorSecret, headers(vectorSignature, "soon"), body, vectorTime, cxslack.ErrBadSignature},
		{"missing signature", vectorSecret, headers("", vectorTimestamp), body, vectorTime, cxslack.ErrMissingHeaders},
		{"missing timestamp", vectorSecret, headers(vectorSignature, ""), body, vectorTime, cxslack.ErrMissingHeaders},
		{"no headers", vectorSecret, http.Header{}, body, vectorTime, cxslack.ErrMissingHeaders},
		{"no secret", "", headers(vectorSignature, vectorTimestamp), body, vectorTime, cxslack.ErrNoSigningSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := cxslack.VerifyRequest(tt.secret, tt.header, tt.body, tt.now)
			if tt.wantErr == nil && err != nil {
				t.Fatalf("got %v, want success", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
		})
	}
}
