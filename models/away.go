package models

import (
	"strings"
)

// AwayStatus says which platform statuses mark a person away: a status
// emoji from Emoji, or a status text containing one of Words (any case).
type AwayStatus struct {
	Emoji []string
	Words []string
}

// Says reports whether a status (emoji and text, as the platform gives
// them) says the person is away.
func (a AwayStatus) Says(emoji, text string) bool {
	emoji = strings.TrimSpace(emoji)
	for _, e := range a.Emoji {
		if emoji != "" && strings.EqualFold(strings.Trim(e, ":"), strings.Trim(emoji, ":")) {
			return true
		}
		if e != "" && strings.Contains(text, e) {
			return true
		}
	}
	lower := strings.ToLower(text)
	for _, w := range a.Words {
		if w != "" && strings.Contains(lower, strings.ToLower(w)) {
			return true
		}
	}
	return false
}
