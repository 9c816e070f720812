package teamsapp_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot/teams"
	"github.com/cxloop/cxloop/bot/teams/teamsfake"
	"github.com/cxloop/cxloop/jobs/digest"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// A digest queued for a Teams leadership channel goes out through the
// delivery worker as one Adaptive Card: the title, the summary, the chart.
func TestTeamsDigestCard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		e := newTeamsEnv(t, s)
		e.install()
		// A month of responses, without cases, so that only the digest posts.
		sept := time.Date(2026, 9, 2, 10, 0, 0, 0, time.UTC)
		var in []models.ResponseInput
		for i := 0; i < 40; i++ {
			r := models.ResponseInput{Source: "t", ExternalID: fmt.Sprintf("sep-%d", i), Score: i % 11,
				Comment: "the queue was long", SubmittedAt: sept.Add(time.Duration(i) * 7 * time.Hour)}
			r.Normalize(sept)
			in = append(in, r)
		}
		if _, err := s.Ingest(e.ctx, e.p, sept, in, models.IngestOptions{CasesSince: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
		poster := &digest.Poster{Store: s, Policy: e.p, Destinations: []models.Destination{{Transport: "teams", Channel: teamsfake.ChannelID}}}
		_, rep, err := poster.Post(e.ctx, "2026-09", e.clock.Now(), "cli", "cx.lead@example.com", false)
		if err != nil {
			t.Fatal(err)
		}
		e.fake.Reset()
		e.deliver()

		var msgs []models.OutboxMessage
		if err := s.DB().Where("kind = ?", models.KindDigest).Find(&msgs).Error; err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 1 || msgs[0].State != models.OutboxDelivered || msgs[0].Transport != "teams" {
			t.Fatalf("digest outbox %+v", msgs)
		}
		posts := callsWhere(e.fake.Calls(), isChannelPost)
		if len(posts) != 1 {
			t.Fatalf("%d channel posts, want 1: %+v", len(posts), e.fake.Calls())
		}
		card := teamsfake.CardOf(posts[0])
		if card == nil {
			t.Fatalf("the digest is not an Adaptive Card: %+v", posts[0].Body)
		}
		if card["version"] != "1.5" || card["type"] != "AdaptiveCard" {
			t.Errorf("card %v version %v", card["type"], card["version"])
		}
		if n := teams.CardSize(card); n > teams.MaxCardBytes {
			t.Errorf("card of %d bytes", n)
		}
		js := cardText(card)
		title := digest.Title("en", "2026-09")
		if !strings.Contains(js, teams.EscapeMarkdown(title)) {
			t.Errorf("no title %q in %s", title, js)
		}
		var runs strings.Builder
		var image string
		for _, el := range card["body"].([]any) {
			m := el.(map[string]any)
			switch m["type"] {
			case "RichTextBlock":
				for _, r := range m["inlines"].([]any) {
					runs.WriteString(r.(map[string]any)["text"].(string))
				}
				runs.WriteString("\n")
			case "Image":
				image, _ = m["url"].(string)
			}
		}
		lines := strings.Split(rep.Summary, "\n")
		if len(lines) < 3 || lines[0] != title {
			t.Fatalf("summary %q", rep.Summary)
		}
		for _, l := range lines[1:] {
			if !strings.Contains(runs.String(), l) {
				t.Errorf("summary line %q missing from the card's text %q", l, runs.String())
			}
		}
		png, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(image, "data:image/png;base64,"))
		if !strings.HasPrefix(image, "data:image/png;base64,") || err != nil || !strings.HasPrefix(string(png), "\x89PNG") {
			t.Errorf("no chart in the card: %.80q", image)
		}
	})
}
