package teamsapp_test

import (
	"strings"
	"testing"

	"github.com/cxloop/cxloop/bot/teams/teamsfake"
	"github.com/cxloop/cxloop/handlers/internal/apptest"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// The Teams card masks the same way.
func TestTeamsCardMasksPersonalData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		e := newTeamsEnv(t, s)
		e.install()
		e.detractor("r-iban", apptest.PIIText)
		e.deliver()
		posts := callsWhere(e.fake.Calls(), isChannelPost)
		if len(posts) != 1 {
			t.Fatalf("%d channel posts", len(posts))
		}
		card := cardText(posts[0].Body)
		for _, leak := range []string{"4111 1111", apptest.FullIBAN, "kadri.k@example.com", "37605030299"} {
			if strings.Contains(card, leak) {
				t.Errorf("the Teams card shows %q", leak)
			}
		}
		if !strings.Contains(card, "•••• 1111") || !strings.Contains(card, "EE•• •••• 5685") {
			t.Errorf("the Teams card lacks the masked forms: %s", card)
		}
		// A manager's Show contact is recorded once, and reveals the IBAN.
		e.fake.Reset()
		e.execute(mariID, "show_contact", 1, nil)
		if views := apptest.ContactViews(t, s, 1); views != "mari@example.com" {
			t.Errorf("contact_viewed events by %q, want the manager's", views)
		}
		private := callsWhere(e.fake.Calls(), func(c teamsfake.Call) bool { return c.Conversation == "a:personal-"+mariID })
		if len(private) != 1 || !strings.Contains(teamsfake.TextOf(private[0]), "EE38 2200 2210 2014 5685") {
			t.Errorf("the manager's private chat: %+v", private)
		}
	})
}
