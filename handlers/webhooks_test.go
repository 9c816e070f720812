package handlers_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/handlers"
	"github.com/cxloop/cxloop/handlers/httpio"
	"github.com/cxloop/cxloop/handlers/internal/apptest"
	"github.com/cxloop/cxloop/handlers/providers"
	"github.com/cxloop/cxloop/metrics"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

const (
	delightedSecret = "dl_test_api_key"
	typeformSecret  = "tf_test_secret"
	// formbricksSecret is the test secret of the Standard Webhooks specification.
	formbricksSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

	typeformForm     = "Vb3kQx9T"
	formbricksSurvey = "cm1x6q3tp0001l708k9m0n1p2"
)

var (
	typeformForms = map[string]models.FormMapping{
		typeformForm: {Metric: "nps", Score: "nps_recommend", Comment: "nps_reason", Touchpoint: "web"},
	}
	formbricksSurveys = map[string]models.FormMapping{
		formbricksSurvey: {Metric: "nps", Score: "q_nps_recommend", Comment: "q_nps_reason"},
	}
)

func hookPolicy() *models.Policy {
	return &models.Policy{
		Location: time.UTC, DefaultTeam: "cc", Segments: models.DefaultThresholds(),
		Teams: []models.TeamPolicy{{ID: "cc", Name: "Contact Center", Members: []string{"a@example.com"}, Assign: models.AssignRoundRobin,
			Destinations: []models.Destination{{Transport: "log", Channel: "cc"}}}},
		SLA: models.SLAPolicy{ThankYou: 24 * time.Hour, Resolution: 72 * time.Hour}, DMTransports: []string{"log"},
	}
}

// hookServer is a server with every provider endpoint on; configure changes
// it before it starts.
func hookServer(t *testing.T, s *models.Store, clock models.Clock, configure func(*handlers.Server)) (*handlers.Server, *httptest.Server) {
	t.Helper()
	srv := &handlers.Server{Store: s, Policy: hookPolicy(), Clock: clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Metrics: metrics.New(s), IngestToken: token,
		DelightedSecret: delightedSecret, TypeformSecret: typeformSecret, FormbricksSecret: formbricksSecret,
		TypeformForms: typeformForms, FormbricksSurveys: formbricksSurveys}
	if configure != nil {
		configure(srv)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return srv, ts
}

// fixture reads a provider sample from testdata/webhooks, changed by change
// when given (numbers stay exact).
func hookFixture(t *testing.T, name string, change func(m map[string]any)) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "webhooks", name))
	if err != nil {
		t.Fatal(err)
	}
	if change == nil {
		return b
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	change(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func jsonObj(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		m = m[k].(map[string]any)
	}
	return m
}

// setTypeformScore changes the number answer to the NPS question.
func setTypeformScore(score int) func(map[string]any) {
	return func(m map[string]any) {
		for _, a := range jsonObj(m, "form_response")["answers"].([]any) {
			a := a.(map[string]any)
			if jsonObj(a, "field")["ref"] == "nps_recommend" {
				a["number"] = score
			}
		}
	}
}

func signDelighted(secret string, body []byte) http.Header {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return http.Header{providers.HeaderDelighted: {"sha256=" + hex.EncodeToString(mac.Sum(nil))}}
}

func signTypeform(secret string, body []byte) http.Header {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return http.Header{providers.HeaderTypeform: {"sha256=" + base64.StdEncoding.EncodeToString(mac.Sum(nil))}}
}

func signStandard(secret, id string, at time.Time, body []byte) http.Header {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.", id, ts)
	mac.Write(body)
	return http.Header{
		providers.HeaderWebhookID:        {id},
		providers.HeaderWebhookTimestamp: {ts},
		providers.HeaderWebhookSignature: {"v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))},
	}
}

// signed signs body as provider would, with the test secrets, at now.
func signedAs(provider string, body []byte) http.Header {
	switch provider {
	case providers.SourceDelighted:
		return signDelighted(delightedSecret, body)
	case providers.SourceTypeform:
		return signTypeform(typeformSecret, body)
	}
	return signStandard(formbricksSecret, "msg_test1", now, body)
}

func hook(t *testing.T, base, provider string, h http.Header, body []byte) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/webhooks/"+provider, bytes.NewReader(body))
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	return do(t, req)
}

func TestProviderWebhooksStoreFixtures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		_, ts := hookServer(t, s, models.NewFixedClock(now), nil)
		tests := []struct {
			name, provider string
			body           []byte
			externalID     string
			score          int
			comment, email string
			touchpoint     string
			customerID     string
			attrs          map[string]string
			wantCase       bool
		}{
			{"delighted detractor", "delighted",
				hookFixture(t, "delighted_survey_response_created.json", func(m map[string]any) { jsonObj(m, "event_data")["score"] = 3 }),
				"88412", 3, "", "mara.ostrowski@example.com", "", "104233",
				map[string]string{"customer_id": "cus_20931", "plan": "team", "locale": "en"}, true},
			{"typeform detractor", "typeform", hookFixture(t, "typeform_form_response_nps.json", setTypeformScore(2)),
				"c4e81f0b9a2d47e6b3f5a7c9d1e3f5a7", 2, "Reports are great, but exporting to CSV is slow.", "li.wen@example.org", "web", "",
				map[string]string{"user_id": "u_58213", "account_id": "acc_771"}, true},
			{"typeform passive", "typeform",
				hookFixture(t, "typeform_form_response_nps.json", func(m map[string]any) { jsonObj(m, "form_response")["token"] = "tok-passive" }),
				"tok-passive", 8, "Reports are great, but exporting to CSV is slow.", "li.wen@example.org", "web", "", nil, false},
			{"formbricks detractor", "formbricks", hookFixture(t, "formbricks_response_finished.json", nil),
				"cm1x8a9rz000bl708f5g6h7j8", 6, "Search misses results I know exist.", "noor.haddad@example.net", "", "user_4471",
				map[string]string{"plan": "pro", "meta.country": "NL"}, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, body := hook(t, ts.URL, tt.provider, signedAs(tt.provider, tt.body), tt.body)
				if code != 201 {
					t.Fatalf("status %d %v, want 201", code, body)
				}
				res := body["results"].([]any)[0].(map[string]any)
				if res["status"] != "created" || (res["case_id"] != nil) != tt.wantCase {
					t.Errorf("result %v, want created with case=%v", res, tt.wantCase)
				}
				r := apptest.StoredResponse(t, s, tt.provider, tt.externalID)
				if r.Score != tt.score || r.Metric != models.MetricNPS || r.Comment != tt.comment || r.CustomerEmail != tt.email ||
					r.Touchpoint != tt.touchpoint || r.CustomerID != tt.customerID {
					t.Errorf("stored %+v", r)
				}
				for k, v := range tt.attrs {
					if r.Attributes[k] != v {
						t.Errorf("attribute %s = %q, want %q (all: %v)", k, r.Attributes[k], v, r.Attributes)
					}
				}
				var cases int64
				s.DB().Model(&models.Case{}).Where("response_id = ?", r.ID).Count(&cases)
				if (cases == 1) != tt.wantCase {
					t.Errorf("%d cases, want case=%v", cases, tt.wantCase)
				}
				// the sender's retry changes nothing
				code, body = hook(t, ts.URL, tt.provider, signedAs(tt.provider, tt.body), tt.body)
				if code != 200 || body["results"].([]any)[0].(map[string]any)["status"] != "unchanged" {
					t.Errorf("repeat: %d %v, want 200 unchanged", code, body)
				}
			})
		}
		if n := rows(t, s, "dead_letters"); n != 0 {
			t.Errorf("%d dead letters", n)
		}
	})
}

// What a customer typed into a survey is theirs to get wrong: an address
// that is none, or a language that is none, is left out and the response
// is stored with its case, not sent to the dead letters.
func TestProviderWebhooksDropWhatTheCustomerMistyped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		_, ts := hookServer(t, s, models.NewFixedClock(now), nil)
		tests := []struct {
			name, provider, externalID string
			body                       []byte
		}{
			{"delighted email", "delighted", "88412", hookFixture(t, "delighted_survey_response_created.json", func(m map[string]any) {
				jsonObj(m, "event_data")["score"] = 3
				jsonObj(m, "event_data", "person")["email"] = "mara.ostrowski at example"
			})},
			{"formbricks language", "formbricks", "cm1x8a9rz000bl708f5g6h7j8", hookFixture(t, "formbricks_response_finished.json", func(m map[string]any) {
				jsonObj(m, "data")["language"] = "Klingon, please"
			})},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, body := hook(t, ts.URL, tt.provider, signedAs(tt.provider, tt.body), tt.body)
				if code != 201 {
					t.Fatalf("status %d %v, want 201", code, body)
				}
				r := apptest.StoredResponse(t, s, tt.provider, tt.externalID)
				if r.CustomerEmail != "" && tt.provider == "delighted" {
					t.Errorf("the mistyped address was kept: %q", r.CustomerEmail)
				}
				if r.Language != "" {
					t.Errorf("language %q, want none", r.Language)
				}
				var cases int64
				s.DB().Model(&models.Case{}).Where("response_id = ?", r.ID).Count(&cases)
				if cases != 1 {
					t.Errorf("%d cases for the detractor, want 1", cases)
				}
			})
		}
		if n := rows(t, s, "dead_letters"); n != 0 {
			t.Errorf("%d dead letters", n)
		}
	})
}

func TestProviderWebhooksRefuse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		_, ts := hookServer(t, s, models.NewFixedClock(now), nil)
		_, off := hookServer(t, s, models.NewFixedClock(now), func(srv *handlers.Server) {
			srv.DelightedSecret, srv.TypeformSecret, srv.FormbricksSecret = "", "", ""
		})
		dl := hookFixture(t, "delighted_survey_response_created.json", func(m map[string]any) { jsonObj(m, "event_data")["score"] = 3 })
		tf := hookFixture(t, "typeform_form_response_nps.json", setTypeformScore(2))
		fb := hookFixture(t, "formbricks_response_finished.json", nil)
		tampered := func(b []byte) []byte { return bytes.Replace(b, []byte(`"score":3`), []byte(`"score":9`), 1) }
		otherWh := "whsec_" + base64.StdEncoding.EncodeToString([]byte("another-secret-of-24-bytes"))
		tests := []struct {
			name, provider string
			header         http.Header
			body           []byte
			server         string
			msg            string
		}{
			{"delighted unsigned", "delighted", nil, dl, ts.URL, "missing webhook signature"},
			{"delighted wrong secret", "delighted", signDelighted("dl_other_key", dl), dl, ts.URL, "does not match"},
			{"delighted tampered body", "delighted", signDelighted(delightedSecret, dl), tampered(dl), ts.URL, "does not match"},
			{"delighted not hex", "delighted", http.Header{providers.HeaderDelighted: {"sha256=zz"}}, dl, ts.URL, "not hex"},
			{"typeform unsigned", "typeform", nil, tf, ts.URL, "missing webhook signature"},
			{"typeform wrong secret", "typeform", signTypeform("tf_other", tf), tf, ts.URL, "does not match"},
			{"typeform tampered body", "typeform", signTypeform(typeformSecret, tf), append(tf, ' '), ts.URL, "does not match"},
			{"formbricks unsigned", "formbricks", nil, fb, ts.URL, "missing webhook signature"},
			{"formbricks wrong secret", "formbricks", signStandard(otherWh, "msg_1", now, fb), fb, ts.URL, "no v1 entry"},
			{"formbricks tampered body", "formbricks", signStandard(formbricksSecret, "msg_1", now, fb), bytes.Replace(fb, []byte("6"), []byte("9"), 1), ts.URL, "no v1 entry"},
			{"formbricks stale timestamp", "formbricks", signStandard(formbricksSecret, "msg_1", now.Add(-6*time.Minute), fb), fb, ts.URL, "outside tolerance"},
			{"formbricks future timestamp", "formbricks", signStandard(formbricksSecret, "msg_1", now.Add(6*time.Minute), fb), fb, ts.URL, "outside tolerance"},
			{"delighted off", "delighted", signDelighted(delightedSecret, dl), dl, off.URL, "set DELIGHTED_WEBHOOK_SECRET"},
			{"typeform off", "typeform", signTypeform(typeformSecret, tf), tf, off.URL, "set TYPEFORM_WEBHOOK_SECRET"},
			{"formbricks off", "formbricks", signStandard(formbricksSecret, "msg_1", now, fb), fb, off.URL, "set FORMBRICKS_WEBHOOK_SECRET"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, body := hook(t, tt.server, tt.provider, tt.header, tt.body)
				if code != 401 {
					t.Errorf("status %d %v, want 401", code, body)
				}
				if e, _ := body["error"].(string); !strings.Contains(e, tt.msg) {
					t.Errorf("error %q, want it to contain %q", e, tt.msg)
				}
			})
		}
		// within the tolerance is fine
		code, body := hook(t, ts.URL, "formbricks", signStandard(formbricksSecret, "msg_2", now.Add(-4*time.Minute), fb), fb)
		if code != 201 {
			t.Errorf("timestamp 4 minutes old: %d %v", code, body)
		}
		if n := rows(t, s, "responses"); n != 1 {
			t.Errorf("refused requests stored %d responses (want only the last, good one)", n-1)
		}
		if n := rows(t, s, "dead_letters"); n != 0 {
			t.Errorf("refused requests left %d dead letters", n)
		}
		// too large: refused before anything else
		big := append([]byte(`{"event_type":"survey_response.created","pad":"`), bytes.Repeat([]byte("x"), httpio.MaxBodyBytes)...)
		big = append(big, `"}`...)
		if code, body := hook(t, ts.URL, "delighted", signDelighted(delightedSecret, big), big); code != 413 {
			t.Errorf("large body: %d %v, want 413", code, body)
		}
	})
}

// TestDelightedCommentArrivesLater: Delighted sends the score first and the
// comment with survey_response.updated; there is one case, its card shows
// the comment and is refreshed in place.
func TestDelightedCommentArrivesLater(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		clock := models.NewFixedClock(now)
		srv, ts := hookServer(t, s, clock, nil)
		detractor := func(m map[string]any) { jsonObj(m, "event_data")["score"] = 4 }
		created := hookFixture(t, "delighted_survey_response_created.json", detractor)
		updated := hookFixture(t, "delighted_survey_response_updated.json", detractor)

		code, body := hook(t, ts.URL, "delighted", signedAs("delighted", created), created)
		if code != 201 {
			t.Fatalf("created: %d %v", code, body)
		}
		caseID := int64(body["results"].([]any)[0].(map[string]any)["case_id"].(float64))
		clock.Advance(9 * time.Minute)
		code, body = hook(t, ts.URL, "delighted", signedAs("delighted", updated), updated)
		res := body["results"].([]any)[0].(map[string]any)
		if code != 201 || res["status"] != "updated" || int64(res["case_id"].(float64)) != caseID {
			t.Fatalf("updated: %d %v, want 201 updated of case %d", code, body, caseID)
		}
		if rows(t, s, "responses") != 1 || rows(t, s, "cases") != 1 {
			t.Fatalf("responses %d cases %d, want 1 and 1", rows(t, s, "responses"), rows(t, s, "cases"))
		}
		view, err := s.CaseView(context.Background(), caseID)
		if err != nil {
			t.Fatal(err)
		}
		const comment = "Setup took ten minutes and support answered the same day."
		if card := bot.NewCard(view, srv.Policy); card.Comment != comment || card.Score != 4 {
			t.Errorf("card comment %q score %d, want %q and 4", card.Comment, card.Score, comment)
		}
		var updates int64
		s.DB().Model(&models.OutboxMessage{}).Where("case_id = ? AND kind = ?", caseID, models.KindCardUpdate).Count(&updates)
		if updates != 1 {
			t.Errorf("%d card.update messages, want 1", updates)
		}
		last := view.Events[len(view.Events)-1]
		if last.Kind != "response_updated" || !strings.Contains(last.Detail, "comment added") {
			t.Errorf("last event %+v, want the comment noted in the trail", last)
		}
	})
}

func TestDelightedUnsubscribeIgnored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		_, ts := hookServer(t, s, models.NewFixedClock(now), nil)
		body := []byte(`{"event_type":"unsubscribe.created","event_id":"e1","event_data":{"person":{"id":"1","email":"x@example.com"}}}`)
		code, out := hook(t, ts.URL, "delighted", signedAs("delighted", body), body)
		if code != 200 || out["status"] != "ignored" {
			t.Errorf("%d %v, want 200 ignored", code, out)
		}
		if rows(t, s, "responses")+rows(t, s, "dead_letters") != 0 {
			t.Error("an unsubscribe was stored")
		}
	})
}

// TestDeadLettersAndReplay: signed deliveries that cannot be mapped are kept,
// counted and listed; after the configuration is fixed a replay stores them.
func TestDeadLettersAndReplay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		clock := models.NewFixedClock(now)
		// the YAML has no Typeform form and no Formbricks survey yet
		_, ts := hookServer(t, s, clock, func(srv *handlers.Server) { srv.TypeformForms, srv.FormbricksSurveys = nil, nil })

		tf := hookFixture(t, "typeform_form_response_nps.json", setTypeformScore(2))
		fbCreated := hookFixture(t, "formbricks_response_created.json", nil)
		fbFinished := hookFixture(t, "formbricks_response_finished.json", nil)
		outOfRange := hookFixture(t, "delighted_survey_response_created.json", func(m map[string]any) {
			jsonObj(m, "event_data")["score"] = 12
			jsonObj(m, "event_data")["id"] = "90001"
		})
		enps := hookFixture(t, "delighted_survey_response_created.json", func(m map[string]any) {
			jsonObj(m, "event_data")["survey_type"] = "enps"
			jsonObj(m, "event_data")["id"] = "90002"
		})
		malformed := []byte(`{"event_id":"x","event_type":"form_response"}`)
		// The Delighted signature vector of the providers' tests: its signature is right, its body no payload
		vector := []byte(`{"score":9}`)
		vectorHeader := http.Header{providers.HeaderDelighted: {"sha256=e8410ccaa035da741ed56dc838482d77058400f3e26b80254014f2fe738c5f29"}}

		tests := []struct {
			name, provider string
			header         http.Header
			body           []byte
			code           int
			reason         string
		}{
			{"unknown typeform form", "typeform", signedAs("typeform", tf), tf, 202, `typeform form "Vb3kQx9T" has no mapping`},
			{"typeform retry", "typeform", signedAs("typeform", tf), tf, 202, `typeform form "Vb3kQx9T" has no mapping`},
			{"unknown formbricks survey", "formbricks", signedAs("formbricks", fbCreated), fbCreated, 202, "has no mapping under sources.formbricks.surveys"},
			{"same response finished", "formbricks", signedAs("formbricks", fbFinished), fbFinished, 202, "has no mapping"},
			{"score out of range", "delighted", signedAs("delighted", outOfRange), outOfRange, 202, "nps score must be an integer from 0 to 10"},
			{"survey type not scored", "delighted", signedAs("delighted", enps), enps, 202, `survey_type "enps"`},
			{"not the provider's shape", "typeform", signedAs("typeform", malformed), malformed, 400, "no form_response"},
			{"documented signature vector", "delighted", vectorHeader, vector, 400, "no event_type"},
		}
		ids := map[string]float64{}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, body := hook(t, ts.URL, tt.provider, tt.header, tt.body)
				if code != tt.code {
					t.Fatalf("status %d %v, want %d", code, body, tt.code)
				}
				reason, _ := body["reason"].(string)
				if tt.code == 400 {
					reason, _ = body["error"].(string)
				}
				if !strings.Contains(reason, tt.reason) {
					t.Errorf("reason %q, want it to contain %q", reason, tt.reason)
				}
				if tt.code == 202 && body["status"] != "dead_letter" {
					t.Errorf("status %v", body["status"])
				}
				ids[tt.name] = body["dead_letter_id"].(float64)
			})
		}
		if ids["typeform retry"] != ids["unknown typeform form"] {
			t.Errorf("a retried delivery made a second dead letter")
		}
		if n := rows(t, s, "responses"); n != 0 {
			t.Fatalf("%d responses stored", n)
		}
		pending, err := s.DeadLetters(ctx, models.DeadLetterQuery{Pending: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) != 7 {
			t.Fatalf("%d dead letters, want 7", len(pending))
		}
		if d := pending[0]; d.Provider != "typeform" || d.Deliveries != 2 || !bytes.Equal(d.Body, tf) || !strings.Contains(d.Reason, "Vb3kQx9T") {
			t.Errorf("first dead letter %+v", d)
		}
		metricsText := scrapeMetrics(t, ts.URL)
		for _, want := range []string{
			`cxloop_dead_letters{state="pending"} 7`,
			`cxloop_dead_letters_total{provider="typeform"} 3`,
			`cxloop_dead_letters_total{provider="formbricks"} 2`,
			`cxloop_webhook_requests_total{outcome="dead_letter",provider="delighted"} 2`,
			`cxloop_webhook_requests_total{outcome="malformed",provider="typeform"} 1`,
		} {
			if !strings.Contains(metricsText, want) {
				t.Errorf("metrics lack %s", want)
			}
		}

		// The CX lead adds the form and the survey to the YAML.
		clock.Advance(time.Hour)
		dry, err := replay(ctx, s, clock, providers.ReplayOptions{DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(dry) != 7 || rows(t, s, "responses") != 0 {
			t.Fatalf("dry run: %d results, %d responses", len(dry), rows(t, s, "responses"))
		}
		results, err := replay(ctx, s, clock, providers.ReplayOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{providers.ReplayIngested, providers.ReplaySuperseded, providers.ReplayIngested,
			providers.ReplayFailed, providers.ReplayFailed, providers.ReplayFailed, providers.ReplayFailed}
		for i, r := range results {
			if i >= len(want) || r.Status != want[i] {
				t.Errorf("dead letter %d (%s): %s %q, want %v", r.DeadLetter.ID, r.DeadLetter.Provider, r.Status, r.Detail, want)
			}
		}
		if len(results) != len(want) {
			t.Fatalf("%d results, want %d", len(results), len(want))
		}
		if results[0].CaseID == 0 {
			t.Errorf("typeform detractor replayed without a case: %+v", results[0])
		}
		fb := apptest.StoredResponse(t, s, "formbricks", "cm1x8a9rz000bl708f5g6h7j8")
		if fb.Comment != "Search misses results I know exist." {
			t.Errorf("formbricks response replayed from the wrong delivery: comment %q", fb.Comment)
		}
		if rows(t, s, "responses") != 2 || rows(t, s, "cases") != 2 {
			t.Errorf("responses %d cases %d, want 2 and 2", rows(t, s, "responses"), rows(t, s, "cases"))
		}
		if !strings.Contains(results[3].Detail, "nps score must be") {
			t.Errorf("out-of-range reason %q", results[3].Detail)
		}

		// A second replay leaves the stored alone and tries the rest again.
		again, err := replay(ctx, s, clock, providers.ReplayOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(again) != 4 || rows(t, s, "responses") != 2 {
			t.Errorf("second replay: %d results, %d responses; want 4 still failing and 2", len(again), rows(t, s, "responses"))
		}
		d, _ := s.DeadLetter(ctx, again[0].DeadLetter.ID)
		if d.Attempts != 2 || d.ReplayedAt != nil {
			t.Errorf("still failing dead letter %+v, want 2 attempts and pending", d)
		}
		done, _ := s.DeadLetter(ctx, results[0].DeadLetter.ID)
		if done.ReplayedAt == nil || done.ResponseID == nil || *done.ResponseID != results[0].ResponseID {
			t.Errorf("replayed dead letter %+v", done)
		}
		if _, err := replay(ctx, s, clock, providers.ReplayOptions{ID: done.ID}); err == nil || !strings.Contains(err.Error(), "nothing to do") {
			t.Errorf("replay of a replayed dead letter: %v", err)
		}
		counts, _ := s.DeadLetterCounts(ctx)
		if counts[models.DeadLetterPending] != 4 || counts[models.DeadLetterReplayed] != 3 {
			t.Errorf("counts %v", counts)
		}
	})
}

// TestReplayKeepsNewerDelivery: a response that a later delivery stored
// before the replay is not rolled back to the dead letter's version.
func TestReplayKeepsNewerDelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		clock := models.NewFixedClock(now)
		_, before := hookServer(t, s, clock, func(srv *handlers.Server) { srv.FormbricksSurveys = nil })
		created := hookFixture(t, "formbricks_response_created.json", nil)
		if code, body := hook(t, before.URL, "formbricks", signedAs("formbricks", created), created); code != 202 {
			t.Fatalf("%d %v", code, body)
		}
		clock.Advance(time.Minute)
		_, after := hookServer(t, s, clock, nil)
		finished := hookFixture(t, "formbricks_response_finished.json", nil)
		key := signStandard(formbricksSecret, "msg_2", clock.Now(), finished)
		if code, body := hook(t, after.URL, "formbricks", key, finished); code != 201 {
			t.Fatalf("%d %v", code, body)
		}
		clock.Advance(time.Minute)
		results, err := replay(ctx, s, clock, providers.ReplayOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(results) != 1 || results[0].Status != providers.ReplaySuperseded {
			t.Fatalf("results %+v, want one superseded", results)
		}
		if r := apptest.StoredResponse(t, s, "formbricks", "cm1x8a9rz000bl708f5g6h7j8"); r.Comment == "" || r.Version != 1 {
			t.Errorf("response rolled back: %+v", r)
		}
	})
}

// replay replays the dead letters with the fixed configuration's mappings.
func replay(ctx context.Context, s *models.Store, clock models.Clock, opts providers.ReplayOptions) ([]providers.ReplayResult, error) {
	m := providers.Mappings{TypeformForms: typeformForms, FormbricksSurveys: formbricksSurveys}
	return providers.Replay(ctx, s, hookPolicy(), m, clock.Now(), opts)
}

func scrapeMetrics(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
