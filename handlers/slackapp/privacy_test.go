package slackapp_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/handlers"
	"github.com/cxloop/cxloop/handlers/internal/apptest"
	"github.com/cxloop/cxloop/metrics"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// A card number typed into a comment never reaches the database, and the
// rest of the personal data in it is masked on the channel card; the
// owner's Show contact reveals what was masked.
func TestCardNumberMaskedBeforeStoredAndOnCards(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		srv := &handlers.Server{Store: s, Policy: h.pol, Clock: h.clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Metrics: metrics.New(s), IngestToken: "test-ingest-token"}
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(ts.Close)
		body, _ := json.Marshal(map[string]any{"external_id": "r-card", "score": 2, "comment": apptest.PIIText,
			"attributes": map[string]string{"order": "paid with 5500-0000-0000-0004"},
			"customer":   map[string]any{"name": "Kadri K.", "email": "kadri@example.com", "phone": "+372 5555 0101"}})
		req, _ := http.NewRequest("POST", ts.URL+"/api/v1/responses", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer test-ingest-token")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 201 {
			t.Fatalf("ingest: %d", resp.StatusCode)
		}
		r := apptest.StoredResponse(t, s, "api", "r-card")
		if r.Comment != strings.Replace(apptest.PIIText, apptest.FullCard, "•••• 1111", 1) || r.Attributes["order"] != "paid with •••• 0004" {
			t.Errorf("stored comment %q, attributes %v", r.Comment, r.Attributes)
		}
		h.slash("U0JAAN", "note 1 customer read out 4000 0000 0000 0002 on the phone")
		h.deliver()
		stored := apptest.ColumnTexts(t, s, "responses", "comment", "attributes") + apptest.ColumnTexts(t, s, "case_events", "detail") +
			apptest.ColumnTexts(t, s, "outbox_messages", "text")
		for _, full := range []string{apptest.FullCard, "4111111111111111", "5500-0000-0000-0004", "4000 0000 0000 0002"} {
			if strings.Contains(stored, full) {
				t.Errorf("the database holds the card number %s", full)
			}
		}
		if !strings.Contains(stored, "•••• 0002") {
			t.Errorf("the note is not stored masked: %s", stored)
		}

		var card string
		for _, c := range h.fake.Calls("chat.postMessage") {
			if c.Params.Get("channel") == "C0CONTACT" && c.Params.Get("thread_ts") == "" {
				card += callText(c)
			}
		}
		for _, leak := range []string{"4111 1111", apptest.FullIBAN, "kadri.k@example.com", "37605030299", "5500-0000"} {
			if strings.Contains(card, leak) {
				t.Errorf("the channel card shows %q", leak)
			}
		}
		for _, masked := range []string{"•••• 1111", "EE•• •••• 5685", "k***@example.com", "•••• 0004"} {
			if !strings.Contains(card, masked) {
				t.Errorf("the channel card lacks %q:\n%s", masked, card)
			}
		}

		h.serve(h.press("U0JAAN", "case.show_contact", 1, "C0CONTACT", h.cardTS(1, "C0CONTACT")))
		h.serve(h.press("U0MARI", "case.show_contact", 1, "C0CONTACT", h.cardTS(1, "C0CONTACT")))
		h.serve(h.press("U0OUTSIDER", "case.show_contact", 1, "C0CONTACT", h.cardTS(1, "C0CONTACT")))
		if views := apptest.ContactViews(t, s, 1); views != "jaan@example.com,mari@example.com" {
			t.Errorf("contact_viewed events by %q, want the owner's and the manager's", views)
		}
		shown := strings.Join(h.ephemerals("U0JAAN"), "\n")
		for _, want := range []string{apptest.FullIBAN, "kadri.k@example.com", "37605030299"} {
			if !strings.Contains(shown, want) {
				t.Errorf("Show contact lacks %q:\n%s", want, shown)
			}
		}
	})
}
