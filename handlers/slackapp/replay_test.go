package slackapp_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// A signed slash command or button click replayed inside the five minutes
// its signature is accepted is acknowledged and not run again.
func TestSlackReplayedRequestsRunOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		h.ingest(models.ResponseInput{ExternalID: "r1", Score: 2, Comment: "Waited."})
		h.deliver()

		form, err := url.ParseQuery(string(slackFixture(t, "slash_command_cx_mine.txt")))
		if err != nil {
			t.Fatal(err)
		}
		form.Set("user_id", "U0JAAN")
		form.Set("channel_id", "C0CONTACT")
		form.Set("text", "note 1 called the customer")
		form.Set("response_url", h.fake.ResponseURL("commands/T0ACME/replay/secret"))
		first := h.request("application/x-www-form-urlencoded", []byte(form.Encode()))
		body := []byte(form.Encode())
		replay := func(orig *http.Request) *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/slack/events", bytes.NewReader(body))
			r.Header = orig.Header.Clone()
			return r
		}
		again := replay(first)
		for i, req := range []*http.Request{first, again} {
			if rec := h.serve(req); rec.Code != http.StatusOK {
				t.Fatalf("request %d: %d", i, rec.Code)
			}
		}
		var notes int64
		s.DB().Model(&models.CaseEvent{}).Where("case_id = ? AND kind = ?", 1, "note").Count(&notes)
		if notes != 1 {
			t.Errorf("%d notes after a replayed /cx note, want 1", notes)
		}

		// A button click, replayed: its modal opens once.
		click := h.press("U0MARI", "case.assign", 1, "C0CONTACT", h.cardTS(1, "C0CONTACT"))
		clickBody, _ := readAll(click)
		for i := 0; i < 2; i++ {
			r := httptest.NewRequest(http.MethodPost, "/slack/events", bytes.NewReader(clickBody))
			r.Header = click.Header.Clone()
			if rec := h.serve(r); rec.Code != http.StatusOK {
				t.Fatalf("click %d: %d", i, rec.Code)
			}
		}
		if n := len(h.fake.Calls("views.open")); n != 1 {
			t.Errorf("%d modals opened by a click and its replay, want 1", n)
		}
	})
}

func readAll(r *http.Request) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(r.Body)
	return b.Bytes(), err
}
