package models

import (
	"strings"
	"time"
)

// Pacing is the least time between two messages to one conversation, per
// transport; a transport missing from it is not paced.
type Pacing map[string]time.Duration

// DMCardPrefix starts the CardRef channel of a card sent in a direct
// message: "dm:" and the recipient's email.
const DMCardPrefix = "dm:"

// DMCardChannel is the CardRef channel of the card in a person's DM.
func DMCardChannel(email string) string {
	return DMCardPrefix + strings.ToLower(strings.TrimSpace(email))
}

// CaseView is a case with its response and trail, as cards show it.
type CaseView struct {
	Case     Case
	Response Response
	Events   []CaseEvent
	// Suppressed is true when the customer's address unsubscribed.
	Suppressed bool
	// Joined are later responses of the same customer that joined the case.
	Joined []Response
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
