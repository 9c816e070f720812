package handlers_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/handlers"
	"github.com/cxloop/cxloop/metrics"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// The Standard Webhooks specification's published vector.
const (
	vectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTS     = 1614265330
	vectorBody   = `{"test": 2432232314}`
	vectorSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func sign(secret, id string, ts int64, body string) string {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%d.%s", id, ts, body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestGenericEndpointStandardWebhooks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		clock := models.NewFixedClock(time.Unix(vectorTS, 0))
		srv := &handlers.Server{Store: s, Policy: &models.Policy{DefaultTeam: "cc", Segments: models.DefaultThresholds(),
			Teams: []models.TeamPolicy{{ID: "cc"}}}, Clock: clock,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: metrics.New(nil), IngestSecret: vectorSecret}
		ts := httptest.NewServer(srv.Handler())
		defer ts.Close()
		send := func(id string, stamp int64, sig, body string) (int, map[string]any) {
			req, _ := http.NewRequest("POST", ts.URL+"/api/v1/responses", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("webhook-id", id)
			req.Header.Set("webhook-timestamp", fmt.Sprint(stamp))
			req.Header.Set("webhook-signature", sig)
			return do(t, req)
		}
		// The vector's signature is accepted; its body is no survey response, so validation answers.
		if code, body := send(vectorID, vectorTS, vectorSig, vectorBody); code != 400 || body["field"] != "test" {
			t.Errorf("published vector: %d %v, want the signature accepted and the body refused on field test", code, body)
		}
		good := `{"external_id":"sw-1","score":2,"comment":"slow"}`
		now := clock.Now().Unix()
		if code, body := send("msg_1", now, sign(vectorSecret, "msg_1", now, good), good); code != 201 {
			t.Errorf("signed response: %d %v", code, body)
		}
		tests := []struct {
			name, sig, body string
			stamp           int64
		}{
			{"tampered body", sign(vectorSecret, "msg_2", now, good), strings.Replace(good, "2", "9", 1), now},
			{"wrong secret", sign("whsec_"+base64.StdEncoding.EncodeToString([]byte("another secret")), "msg_2", now, good), good, now},
			{"stale timestamp", sign(vectorSecret, "msg_2", now-6*60, good), good, now - 6*60},
		}
		for _, tt := range tests {
			if code, body := send("msg_2", tt.stamp, tt.sig, tt.body); code != 401 {
				t.Errorf("%s: %d %v, want 401", tt.name, code, body)
			}
		}
		var n int64
		s.DB().Table("responses").Count(&n)
		if n != 1 {
			t.Errorf("responses stored %d, want only the signed one", n)
		}
	})
}
