package handlers_test

import (
	"bytes"
	"encoding/json"
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

const token = "test-ingest-token"

var now = time.Date(2026, 10, 3, 10, 0, 0, 0, time.UTC)

func newServer(t *testing.T, s *models.Store) *httptest.Server {
	t.Helper()
	return newServerWithClock(t, s, models.NewFixedClock(now))
}

// newServerWithClock is newServer on clock; opts adjust the server first.
func newServerWithClock(t *testing.T, s *models.Store, clock models.Clock, opts ...func(*handlers.Server)) *httptest.Server {
	t.Helper()
	p := &models.Policy{
		Location: time.UTC, DefaultTeam: "cc", Segments: models.DefaultThresholds(),
		Teams: []models.TeamPolicy{{ID: "cc", Name: "Contact Center", Members: []string{"a@example.com"}, Assign: models.AssignRoundRobin,
			Destinations: []models.Destination{{Transport: "log", Channel: "cc"}}}},
		SLA: models.SLAPolicy{ThankYou: 24 * time.Hour, Resolution: 72 * time.Hour}, DMTransports: []string{"log"},
	}
	srv := &handlers.Server{Store: s, Policy: p, Clock: clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Metrics: metrics.New(s), IngestToken: token}
	for _, o := range opts {
		o(srv)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func post(t *testing.T, url, auth, ctype, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/api/v1/responses", strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	return do(t, req)
}

// do sends a request and decodes its JSON answer.
func do(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("status %d: body is not JSON: %v", resp.StatusCode, err)
	}
	return resp.StatusCode, out
}

func rows(t *testing.T, s *models.Store, table string) int64 {
	var n int64
	if err := s.DB().Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

const good = `{"external_id":"r-1001","source":"web-survey","metric":"nps","score":3,"comment":"Waited 40 minutes on the phone.","submitted_at":"2026-10-03T09:00:00Z","touchpoint":"call-center","customer":{"id":"c-77","name":"Kadri K.","email":"kadri@example.com","phone":"+372 5555 0000","contact_ok":true},"attributes":{"country":"EE"}}`

func TestIngestBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ts := newServer(t, s)
		bearer := "Bearer " + token
		bigComment := strings.Repeat("x", 10001)
		batch := func(els ...string) string { return "[" + strings.Join(els, ",") + "]" }
		tests := []struct {
			name, auth, ctype, body string
			code                    int
			field, msg              string
		}{
			{"no token", "", "application/json", good, 401, "", "missing credentials"},
			{"wrong token", "Bearer nope", "application/json", good, 401, "", "invalid bearer token"},
			{"basic auth", "Basic dXNlcjpwYXNz", "application/json", good, 401, "", "missing credentials"},
			{"wrong type", bearer, "text/plain", good, 415, "", "Content-Type must be application/json"},
			{"form type", bearer, "application/x-www-form-urlencoded", good, 415, "", "Content-Type"},
			{"too large", bearer, "application/json", `{"external_id":"x","score":1,"comment":"` + strings.Repeat("y", 1<<20) + `"}`, 413, "", "body larger than"},
			{"not json", bearer, "application/json", `{"external_id":`, 400, "", "invalid JSON"},
			{"empty", bearer, "application/json", ``, 400, "", "empty body"},
			{"missing id", bearer, "application/json", `{"score":3}`, 400, "external_id", "required"},
			{"missing score", bearer, "application/json", `{"external_id":"a"}`, 400, "score", "required"},
			{"fractional score", bearer, "application/json", `{"external_id":"a","score":3.5}`, 400, "score", "must be an integer"},
			{"nps 11", bearer, "application/json", `{"external_id":"a","score":11}`, 400, "score", "nps score must be an integer from 0 to 10"},
			{"csat 0", bearer, "application/json", `{"external_id":"a","metric":"csat","score":0}`, 400, "score", "from 1 to 5"},
			{"ces 8", bearer, "application/json", `{"external_id":"a","metric":"ces","score":8}`, 400, "score", "from 1 to 7"},
			{"unknown metric", bearer, "application/json", `{"external_id":"a","metric":"nss","score":1}`, 400, "metric", "must be nps, csat or ces"},
			{"long id", bearer, "application/json", `{"external_id":"` + strings.Repeat("i", 201) + `","score":1}`, 400, "external_id", "at most 200"},
			{"long comment", bearer, "application/json", `{"external_id":"a","score":1,"comment":"` + bigComment + `"}`, 400, "comment", "at most 10000"},
			{"bad utf8", bearer, "application/json", "{\"external_id\":\"a\",\"score\":1,\"comment\":\"\xff\xfe\"}", 400, "", "valid UTF-8"},
			{"bad time", bearer, "application/json", `{"external_id":"a","score":1,"submitted_at":"03/10/2026"}`, 400, "submitted_at", "is not a time"},
			{"year 0000", bearer, "application/json", `{"external_id":"a","score":1,"submitted_at":"0000-01-01T00:00:00Z"}`, 400, "submitted_at", "2000-01-01 or later"},
			{"zero time", bearer, "application/json", `{"external_id":"a","score":1,"submitted_at":"0001-01-01T00:00:00Z"}`, 400, "submitted_at", "2000-01-01 or later"},
			{"1999", bearer, "application/json", `{"external_id":"a","score":1,"submitted_at":"1999-12-31 23:59"}`, 400, "submitted_at", "2000-01-01 or later"},
			{"zero time in batch", bearer, "application/json", batch(`{"external_id":"b","score":1,"submitted_at":"0001-01-01T00:00:00Z"}`), 400, "[0].submitted_at", "2000-01-01"},
			{"future", bearer, "application/json", `{"external_id":"a","score":1,"submitted_at":"2026-10-05T10:00:00Z"}`, 400, "submitted_at", "future"},
			{"id not string", bearer, "application/json", `{"external_id":5,"score":1}`, 400, "external_id", "must be a string"},
			{"unknown field", bearer, "application/json", `{"external_id":"a","score":1,"nps":3}`, 400, "nps", "unknown field"},
			{"bad batch element", bearer, "application/json", batch(good, `{"external_id":"b","score":1}`, `{"external_id":"c","score":99}`), 400, "[2].score", "from 0 to 10"},
			{"duplicate in batch", bearer, "application/json", batch(`{"external_id":"b","score":1}`, `{"external_id":"b","score":2}`), 400, "[1].external_id", "repeats element 0"},
			{"empty batch", bearer, "application/json", `[]`, 400, "", "empty array"},
			{"language not a code", bearer, "application/json", `{"external_id":"a","score":1,"language":"Estonian"}`, 400, "language", "ISO 639-1"},
			{"language no such code", bearer, "application/json", `{"external_id":"a","score":1,"language":"xx"}`, 400, "language", "ISO 639-1"},
			{"language no such code with region", bearer, "application/json", `{"external_id":"a","score":1,"language":"qq-QQ"}`, 400, "language", "ISO 639-1"},
			{"score a string", bearer, "application/json", `{"external_id":"a","score":"3"}`, 400, "score", "must be a number, not the string"},
			{"score a string in batch", bearer, "application/json", batch(good, `{"external_id":"b","score":"10"}`), 400, "[1].score", "must be a number"},
			{"score null", bearer, "application/json", `{"external_id":"a","score":null}`, 400, "score", "required"},
			{"score true", bearer, "application/json", `{"external_id":"a","score":true}`, 400, "score", "must be an integer"},
			{"email no at", bearer, "application/json", `{"external_id":"a","score":1,"customer":{"email":"kadri.example.com"}}`, 400, "customer.email", "must be an email address"},
			{"email no domain dot", bearer, "application/json", `{"external_id":"a","score":1,"customer":{"email":"kadri@example"}}`, 400, "customer.email", "must be an email address"},
			{"email with name", bearer, "application/json", `{"external_id":"a","score":1,"customer":{"email":"Kadri <kadri@example.com>"}}`, 400, "customer.email", "must be an email address"},
			{"email two", bearer, "application/json", `{"external_id":"a","score":1,"customer":{"email":"a@example.com, b@example.com"}}`, 400, "customer.email", "must be an email address"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, body := post(t, ts.URL, tt.auth, tt.ctype, tt.body)
				if code != tt.code {
					t.Errorf("status %d, want %d (%v)", code, tt.code, body)
				}
				if f, _ := body["field"].(string); f != tt.field {
					t.Errorf("field %q, want %q (%v)", f, tt.field, body)
				}
				if e, _ := body["error"].(string); !strings.Contains(e, tt.msg) {
					t.Errorf("error %q, want it to contain %q", e, tt.msg)
				}
			})
		}
		if n := rows(t, s, "responses"); n != 0 {
			t.Errorf("bad requests stored %d responses", n)
		}
		if n := rows(t, s, "outbox_messages"); n != 0 {
			t.Errorf("bad requests queued %d messages", n)
		}
	})
}

func TestIngestStoresLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ts := newServer(t, s)
		body := `[{"external_id":"l1","score":2,"language":"ru"},{"external_id":"l2","score":2,"language":"pl-PL"},` +
			`{"external_id":"l3","score":2,"language":"de"},{"external_id":"l4","score":2}]`
		if code, res := post(t, ts.URL, "Bearer "+token, "application/json", body); code != 201 {
			t.Fatalf("post %d %v", code, res)
		}
		want := map[string]string{"l1": "ru", "l2": "pl", "l3": "de", "l4": ""}
		var got []models.Response
		if err := s.DB().Order("external_id").Find(&got).Error; err != nil {
			t.Fatal(err)
		}
		for _, r := range got {
			if r.Language != want[r.ExternalID] {
				t.Errorf("%s: language %q, want %q", r.ExternalID, r.Language, want[r.ExternalID])
			}
		}
	})
}

func TestIngestCreatesThenRepeatsThenUpdates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ts := newServer(t, s)
		bearer := "Bearer " + token
		code, body := post(t, ts.URL, bearer, "application/json; charset=utf-8", good)
		if code != 201 {
			t.Fatalf("first post %d %v", code, body)
		}
		res := body["results"].([]any)[0].(map[string]any)
		if res["status"] != "created" || res["case_id"] == nil {
			t.Fatalf("result %v, want created with a case", res)
		}
		code, body = post(t, ts.URL, bearer, "application/json", good)
		if code != 200 || body["results"].([]any)[0].(map[string]any)["status"] != "unchanged" {
			t.Fatalf("repeat %d %v, want 200 unchanged", code, body)
		}
		updated := strings.Replace(good, `"score":3`, `"score":5`, 1)
		code, body = post(t, ts.URL, bearer, "application/json", updated)
		if code != 201 || body["results"].([]any)[0].(map[string]any)["status"] != "updated" {
			t.Fatalf("update %d %v, want 201 updated", code, body)
		}
		if rows(t, s, "responses") != 1 || rows(t, s, "cases") != 1 {
			t.Errorf("responses %d cases %d, want 1 and 1", rows(t, s, "responses"), rows(t, s, "cases"))
		}
		var els []string
		for i := 0; i < 100; i++ {
			els = append(els, fmt.Sprintf(`{"external_id":"b-%d","score":%d,"comment":"batch"}`, i, i%11))
		}
		code, body = post(t, ts.URL, bearer, "application/json", "["+strings.Join(els, ",")+"]")
		if code != 201 || len(body["ids"].([]any)) != 100 {
			t.Fatalf("batch %d, ids %d", code, len(body["ids"].([]any)))
		}
		var cases int64
		s.DB().Table("cases").Count(&cases)
		var det int64
		s.DB().Table("responses").Where("source = 'api' AND score <= 6").Count(&det)
		if cases != det+1 {
			t.Errorf("cases %d, want one per detractor (%d) plus the first", cases, det)
		}
	})
}

func TestHealthAndMetrics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ts := newServer(t, s)
		post(t, ts.URL, "Bearer "+token, "application/json", good)
		for _, path := range []string{"/healthz", "/readyz"} {
			resp, err := http.Get(ts.URL + path)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("%s: %v %v", path, resp.StatusCode, err)
			}
			resp.Body.Close()
		}
		resp, err := http.Get(ts.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		resp.Body.Close()
		for _, want := range []string{
			`cxloop_responses_ingested_total{outcome="created",segment="detractor",source="web-survey"} 1`,
			`cxloop_cases_opened_total{team="cc"} 1`,
			`cxloop_outbox_messages{state="pending"} 2`,
			`cxloop_http_request_duration_seconds_count{code="201",route="POST /api/v1/responses"} 1`,
		} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("metrics lack %s", want)
			}
		}
		// readiness fails when the schema is not current
		s.DB().Exec("UPDATE schema_versions SET version = 0")
		resp, _ = http.Get(ts.URL + "/readyz")
		if resp.StatusCode != 503 {
			t.Errorf("readyz with an old schema: %d", resp.StatusCode)
		}
		resp.Body.Close()
	})
}
