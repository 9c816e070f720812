package bot_test

import (
	"strings"
	"testing"

	"github.com/cxloop/cxloop/bot"
)

// The log transport's card names the owner as people know them.
func TestRenderTextNamesTheOwner(t *testing.T) {
	for _, tc := range []struct {
		name  string
		card  bot.Card
		owner string
	}{
		{"from the directory", bot.Card{Owner: "jaan@example.com", Names: map[string]string{"jaan@example.com": "Jaan Tamm"}}, "Jaan Tamm"},
		{"as the email reads", bot.Card{Owner: "kadri.kask@example.com"}, "Kadri Kask"},
		{"nobody yet", bot.Card{}, "(nobody yet)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := bot.RenderText(tc.card); !strings.Contains(got, "Owner:       "+tc.owner+"\n") || strings.Contains(got, "@example.com") {
				t.Errorf("card:\n%s\nwant owner %q", got, tc.owner)
			}
		})
	}
}
