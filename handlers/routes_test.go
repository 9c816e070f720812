package handlers_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/handlers"
	"github.com/cxloop/cxloop/handlers/slackapp"
	"github.com/cxloop/cxloop/metrics"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// A platform's app answers under its own path beside the server's routes,
// timed like them; Slack's request URL is there only while a signing
// secret is set.
func TestHandlerMountsThePlatformsApps(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		const secret = "8f742231b10e8888abcd99yyyzzz85a5"
		clock := models.NewFixedClock(now)
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		p := &models.Policy{Location: time.UTC, DefaultTeam: "cc", Segments: models.DefaultThresholds()}
		for _, tt := range []struct {
			name   string
			secret string
			want   int
		}{
			{"signing secret set", secret, http.StatusOK},
			{"Socket Mode only", "", http.StatusNotFound},
		} {
			t.Run(tt.name, func(t *testing.T) {
				srv := &handlers.Server{Store: s, Policy: p, Clock: clock, Log: log, Metrics: metrics.New(s)}
				app := &slackapp.App{Store: s, Policy: p, Clock: clock, Log: log, SigningSecret: tt.secret}
				ts := httptest.NewServer(srv.Handler(app))
				t.Cleanup(ts.Close)
				t.Cleanup(func() { app.Shutdown(t.Context()) })

				body := `{"type":"url_verification","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}`
				stamp := strconv.FormatInt(now.Unix(), 10)
				mac := hmac.New(sha256.New, []byte(secret))
				mac.Write([]byte("v0:" + stamp + ":" + body))
				req, _ := http.NewRequest(http.MethodPost, ts.URL+slackapp.EventsPath, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Slack-Request-Timestamp", stamp)
				req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				answer, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.want {
					t.Fatalf("POST %s: %d %s, want %d", slackapp.EventsPath, resp.StatusCode, answer, tt.want)
				}
				timed := strings.Contains(scrapeMetrics(t, ts.URL), `route="POST /slack/events"`)
				if tt.want == http.StatusOK && (!strings.Contains(string(answer), "3eZbrw1aBm2r") || !timed) {
					t.Errorf("answer %s, timed %t: want the challenge back, timed under its route", answer, timed)
				}
				if code := getStatus(t, ts.URL+"/healthz"); code != http.StatusOK {
					t.Errorf("GET /healthz beside the app: %d", code)
				}
			})
		}
	})
}

func getStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
