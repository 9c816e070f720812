package handlers_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/handlers"
	"github.com/cxloop/cxloop/metrics"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

const (
	fullCard = "4111 1111 1111 1111"
	fullIBAN = "EE38 2200 2210 2014 5685"
	piiText  = "Charged twice on " + fullCard + ", refund to " + fullIBAN + " or mail kadri.k@example.com, isikukood 37605030299."
)

// columnTexts reads every text column of a table as the database holds it.
func columnTexts(t *testing.T, s *models.Store, table string, cols ...string) string {
	t.Helper()
	rows, err := s.DB().Table(table).Select(cols).Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			switch v := v.(type) {
			case []byte:
				b.Write(v)
			case string:
				b.WriteString(v)
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// A card number typed into a comment never reaches the database, and the
// rest of the personal data in it is masked on the channel card; the
// owner's Show contact reveals what was masked.
func TestCardNumberMaskedBeforeStoredAndOnCards(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		srv := &handlers.Server{Store: s, Policy: h.pol, Clock: h.clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Metrics: metrics.New(s), IngestToken: token}
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(ts.Close)
		body, _ := json.Marshal(map[string]any{"external_id": "r-card", "score": 2, "comment": piiText,
			"attributes": map[string]string{"order": "paid with 5500-0000-0000-0004"},
			"customer":   map[string]any{"name": "Kadri K.", "email": "kadri@example.com", "phone": "+372 5555 0101"}})
		if code, res := post(t, ts.URL, "Bearer "+token, "application/json", string(body)); code != 201 {
			t.Fatalf("ingest: %d %v", code, res)
		}
		r := storedResponse(t, s, "api", "r-card")
		if r.Comment != strings.Replace(piiText, fullCard, "•••• 1111", 1) || r.Attributes["order"] != "paid with •••• 0004" {
			t.Errorf("stored comment %q, attributes %v", r.Comment, r.Attributes)
		}
		h.slash("U0JAAN", "note 1 customer read out 4000 0000 0000 0002 on the phone")
		h.deliver()
		stored := columnTexts(t, s, "responses", "comment", "attributes") + columnTexts(t, s, "case_events", "detail") +
			columnTexts(t, s, "outbox_messages", "text")
		for _, full := range []string{fullCard, "4111111111111111", "5500-0000-0000-0004", "4000 0000 0000 0002"} {
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
		for _, leak := range []string{"4111 1111", fullIBAN, "kadri.k@example.com", "37605030299", "5500-0000"} {
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
		shown := strings.Join(h.ephemerals("U0JAAN"), "\n")
		for _, want := range []string{fullIBAN, "kadri.k@example.com", "37605030299"} {
			if !strings.Contains(shown, want) {
				t.Errorf("Show contact lacks %q:\n%s", want, shown)
			}
		}
	})
}

// The Teams card masks the same way.
func TestTeamsCardMasksPersonalData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		e := newTeamsEnv(t, s)
		e.install()
		e.detractor("r-iban", piiText)
		e.deliver()
		posts := callsWhere(e.fake.Calls(), isChannelPost)
		if len(posts) != 1 {
			t.Fatalf("%d channel posts", len(posts))
		}
		card := cardText(posts[0].Body)
		for _, leak := range []string{"4111 1111", fullIBAN, "kadri.k@example.com", "37605030299"} {
			if strings.Contains(card, leak) {
				t.Errorf("the Teams card shows %q", leak)
			}
		}
		if !strings.Contains(card, "•••• 1111") || !strings.Contains(card, "EE•• •••• 5685") {
			t.Errorf("the Teams card lacks the masked forms: %s", card)
		}
	})
}

// A dead letter is kept with its card numbers masked, still as JSON.
func TestDeadLetterMasksCardNumbers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		_, ts := hookServer(t, s, models.NewFixedClock(now), nil)
		body := hookFixture(t, "delighted_survey_response_created.json", func(m map[string]any) {
			jsonObj(m, "event_data")["score"] = 12
			jsonObj(m, "event_data")["comment"] = "my card " + fullCard + " was charged"
		})
		if code, res := hook(t, ts.URL, "delighted", signedAs("delighted", body), body); code != 202 {
			t.Fatalf("status %d %v, want a dead letter", code, res)
		}
		kept := columnTexts(t, s, "dead_letters", "body", "reason")
		if strings.Contains(kept, fullCard) || !strings.Contains(kept, "my card •••• 1111 was charged") {
			t.Errorf("dead letter holds %s", kept)
		}
		dls, err := s.DeadLetters(t.Context(), models.DeadLetterQuery{})
		if err != nil || len(dls) != 1 || !json.Valid(dls[0].Body) {
			t.Fatalf("dead letters %v, %v", dls, err)
		}
		// The sender's retry is the same dead letter.
		hook(t, ts.URL, "delighted", signedAs("delighted", body), body)
		if n := rows(t, s, "dead_letters"); n != 1 {
			t.Errorf("%d dead letters after a retry", n)
		}
	})
}
