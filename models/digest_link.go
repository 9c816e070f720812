package models

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// DigestLinkKeyName names the installation key (see Store.Key) that signs
// the links to a month's full digest report.
const DigestLinkKeyName = "digest-link"

// DigestLinkTTL is how long a link to a full digest report works.
const DigestLinkTTL = DigestLinkDays * 24 * time.Hour

// DigestLinkDays is DigestLinkTTL in days, as the posts say it.
const DigestLinkDays = 90

// DigestLinkToken signs a link to month's full report that works until
// expires: "EXPIRY.MAC", the expiry in Unix seconds and the HMAC-SHA-256
// of the month and the expiry. The month is in the path, not the token, so
// a token for one month opens no other.
func DigestLinkToken(key []byte, month string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	return exp + "." + base64.RawURLEncoding.EncodeToString(digestLinkMAC(key, month, exp))
}

// CheckDigestLinkToken reports whether token opens month's report at now:
// signed by key for that month and not expired. Every failure is
// ErrBadToken, so the answer says nothing about why.
func CheckDigestLinkToken(key []byte, month, token string, now time.Time) error {
	exp, mac, ok := strings.Cut(token, ".")
	if !ok || len(key) == 0 || len(exp) == 0 || len(exp) > 19 {
		return ErrBadToken
	}
	secs, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || strconv.FormatInt(secs, 10) != exp {
		return ErrBadToken
	}
	got, err := base64.RawURLEncoding.DecodeString(mac)
	if err != nil {
		return ErrBadToken
	}
	if subtle.ConstantTimeCompare(got, digestLinkMAC(key, month, exp)) != 1 {
		return ErrBadToken
	}
	if !now.Before(time.Unix(secs, 0)) {
		return ErrBadToken
	}
	return nil
}

func digestLinkMAC(key []byte, month, exp string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("digest-report\x00" + month + "\x00" + exp))
	return h.Sum(nil)
}

// DigestReportPath is the path of a month's full report on the service.
func DigestReportPath(month string) string { return "/digests/" + month + ".html" }

// DigestReportURL is the signed link to month's full report under the
// service's public address, working for DigestLinkTTL from posted.
func DigestReportURL(publicURL string, key []byte, month string, posted time.Time) string {
	return strings.TrimRight(publicURL, "/") + DigestReportPath(month) + "?token=" + DigestLinkToken(key, month, posted.Add(DigestLinkTTL))
}
