package handlers_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// The full report behind "Open the full report": the signed link opens
// that month's HTML; anything else is 403 and says nothing.
func TestDigestReportLink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		posted := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
		for _, month := range []string{"2026-09", "2026-10"} {
			_, err := s.ClaimDigest(ctx, posted, models.DigestPost{Month: month, Via: "cli", Summary: "s",
				HTML: `<!DOCTYPE html><html lang="en"><body><h1>Report ` + month + `</h1></body></html>`}, false)
			if err != nil {
				t.Fatal(err)
			}
		}
		now := posted.Add(30 * 24 * time.Hour)
		srv := newServerWithClock(t, s, models.NewFixedClock(now))
		key, err := s.Key(ctx, models.DigestLinkKeyName)
		if err != nil {
			t.Fatal(err)
		}
		link := models.DigestReportURL(srv.URL, key, "2026-10", posted)
		_, token, _ := strings.Cut(link, "?token=")
		tampered := []byte(token)
		tampered[len(tampered)-2] ^= 1
		exp, mac, _ := strings.Cut(token, ".")
		get := func(url string) (int, string, http.Header) {
			t.Helper()
			resp, err := http.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b), resp.Header
		}
		code, body, h := get(link)
		if code != http.StatusOK || !strings.Contains(body, "<h1>Report 2026-10</h1>") || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			t.Fatalf("the signed link answered %d %q", code, body)
		}
		if h.Get("Cache-Control") != "private, no-store" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("headers: %v", h)
		}
		base := srv.URL + "/digests/"
		refused := []struct{ name, url string }{
			{"no token", base + "2026-10.html"},
			{"wrong token", base + "2026-10.html?token=1900000000.AAAA"},
			{"tampered token", base + "2026-10.html?token=" + string(tampered)},
			{"expiry moved", base + "2026-10.html?token=" + "9" + exp + "." + mac},
			{"other month's token", base + "2026-09.html?token=" + token},
			{"expired token", base + "2026-10.html?token=" + models.DigestLinkToken(key, "2026-10", now.Add(-time.Second))},
			{"another installation's key", base + "2026-10.html?token=" + models.DigestLinkToken([]byte("another key of 32 bytes, not ours"), "2026-10", now.Add(time.Hour))},
			{"month never posted", base + "2026-08.html?token=" + models.DigestLinkToken(key, "2026-08", now.Add(time.Hour))},
			{"not a month", base + "latest.html?token=" + token},
		}
		for _, tt := range refused {
			code, body, _ := get(tt.url)
			if code != http.StatusForbidden || body != "Forbidden\n" {
				t.Errorf("%s: %d %q, want 403 and nothing more", tt.name, code, body)
			}
		}
		// The link works until 90 days after the post, and not after.
		if err := models.CheckDigestLinkToken(key, "2026-10", token, posted.Add(models.DigestLinkTTL-time.Second)); err != nil {
			t.Errorf("the link stopped working before 90 days: %v", err)
		}
		if err := models.CheckDigestLinkToken(key, "2026-10", token, posted.Add(models.DigestLinkTTL)); err == nil {
			t.Error("the link still works after 90 days")
		}
	})
}
