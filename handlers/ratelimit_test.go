package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/handlers"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

func mustReq(t *testing.T, url, auth, body string) *http.Request {
	req, _ := http.NewRequest("POST", url+"/api/v1/responses", strings.NewReader(body))
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", "application/json")
	return req
}

func TestIngestRateLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		clock := models.NewFixedClock(now)
		ts := newServerWithClock(t, s, clock, func(srv *handlers.Server) { srv.IngestRate = 2 })
		bearer := "Bearer " + token
		send := func(id string) *http.Response {
			req := mustReq(t, ts.URL, bearer, fmt.Sprintf(`{"external_id":%q,"score":9}`, id))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp
		}
		for i := 0; i < 2; i++ {
			if r := send(fmt.Sprint("ok-", i)); r.StatusCode != 201 {
				t.Fatalf("request %d within the rate: %d", i, r.StatusCode)
			}
		}
		// A wrong token is refused, and spends nothing of the real budget.
		if code, _ := post(t, ts.URL, "Bearer wrong", "application/json", `{"external_id":"x","score":9}`); code != 401 {
			t.Errorf("wrong token: %d, want 401", code)
		}
		r := send("over")
		if r.StatusCode != 429 {
			t.Fatalf("third request in a second: %d, want 429", r.StatusCode)
		}
		if ra := r.Header.Get("Retry-After"); ra != "1" {
			t.Errorf("Retry-After %q, want 1", ra)
		}
		code, body := do(t, mustReq(t, ts.URL, bearer, `{"external_id":"over","score":9}`))
		if e, _ := body["error"].(string); code != 429 || !strings.Contains(e, "nothing was stored") {
			t.Errorf("429 body %v", body)
		}
		var n int64
		s.DB().Model(&models.Response{}).Where("external_id = ?", "over").Count(&n)
		if n != 0 {
			t.Error("a refused request was stored")
		}
		clock.Advance(time.Second)
		if r := send("later"); r.StatusCode != 201 {
			t.Errorf("a second later: %d, want 201", r.StatusCode)
		}
	})
}

// With every place of the database taken, a request waits a moment and is
// answered 503 with Retry-After, storing nothing.
func TestIngestBusyDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		var srv *handlers.Server
		ts := newServerWithClock(t, s, models.NewFixedClock(now), func(x *handlers.Server) {
			x.IngestConcurrency, x.IngestWait, srv = 1, 20*time.Millisecond, x
		})
		release := srv.HoldIngestSlots()
		resp, err := http.DefaultClient.Do(mustReq(t, ts.URL, "Bearer "+token, `{"external_id":"busy-1","score":2}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
			t.Errorf("full database: %d Retry-After %q, want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		code, body := do(t, mustReq(t, ts.URL, "Bearer "+token, `{"external_id":"busy-1","score":2}`))
		if e, _ := body["error"].(string); code != 503 || !strings.Contains(e, "nothing was stored") {
			t.Errorf("503 body %v", body)
		}
		if rows(t, s, "responses") != 0 {
			t.Error("stored while busy")
		}
		release()
		if code, body := post(t, ts.URL, "Bearer "+token, "application/json", `{"external_id":"busy-1","score":2}`); code != 201 {
			t.Errorf("after the database freed up: %d %v", code, body)
		}
	})
}

// /readyz tells an unauthenticated caller only that the database is
// unreachable; the detail goes to the log.
func TestReadyzHidesTheDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ts := newServer(t, s)
		s.Close() // the writer and, on SQLite, the reader pool
		resp, err := http.Get(ts.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		buf := make([]byte, 4096)
		n, _ := resp.Body.Read(buf)
		b.Write(buf[:n])
		resp.Body.Close()
		if resp.StatusCode != 503 {
			t.Errorf("readyz with the database gone: %d", resp.StatusCode)
		}
		if got := b.String(); !strings.Contains(got, `"database unreachable"`) || strings.Contains(got, "sql") || strings.Contains(got, "127.0.0.1") {
			t.Errorf("readyz says %s", got)
		}
	})
}
