package handlers_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

func TestUnsubscribe(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ts := newServer(t, s)
		ctx := context.Background()
		key, err := s.Key(ctx, models.UnsubscribeKeyName)
		if err != nil {
			t.Fatal(err)
		}
		good := models.UnsubscribeToken(key, "kadri@example.com")
		send := func(method, tok string) (int, string) {
			var body io.Reader
			if method == "POST" {
				body = strings.NewReader("List-Unsubscribe=One-Click")
			}
			req, _ := http.NewRequest(method, ts.URL+"/unsubscribe?token="+url.QueryEscape(tok), body)
			if method == "POST" {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		other := models.UnsubscribeToken(key, "mari@example.com")
		tampered := map[string]string{
			"address changed": other[:strings.IndexByte(other, '.')] + good[strings.IndexByte(good, '.'):],
			"signature cut":   good[:len(good)-3],
			"missing":         "",
			"another key":     models.UnsubscribeToken([]byte("a key this installation never made"), "kadri@example.com"),
		}
		for name, tok := range tampered {
			for _, m := range []string{"GET", "POST"} {
				if code, _ := send(m, tok); code != http.StatusBadRequest {
					t.Errorf("%s %s: %d, want 400", m, name, code)
				}
			}
		}
		if n := rows(t, s, "suppressions"); n != 0 {
			t.Fatalf("%d addresses suppressed by tampered links", n)
		}
		code, page := send("POST", good)
		if code != http.StatusOK || !strings.Contains(page, "Olete loobunud") || !strings.Contains(page, "Вы отписались") {
			t.Errorf("one-click POST: %d\n%s", code, page)
		}
		if sup, _ := s.Suppressed(ctx, "Kadri@example.com"); !sup {
			t.Error("the address is not suppressed")
		}
		if code, _ := send("GET", models.UnsubscribeToken(key, "mari@example.com")); code != http.StatusOK {
			t.Errorf("GET: %d", code)
		}
		if sup, _ := s.Suppressed(ctx, "mari@example.com"); !sup || rows(t, s, "suppressions") != 2 {
			t.Error("a click on the link suppresses too")
		}
	})
}
