package models

import (
	"strconv"
	"strings"
	"time"
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

// Away is a person who is away: no new case goes to them, and their cases'
// due follow-ups move to the team's champion, else its managers.
type Away struct {
	Person string `gorm:"primaryKey;size:300"` // email, lower case
	// Until is the day they are back (its start, in the organisation's
	// zone); nil while a platform status says away.
	Until  *time.Time
	Source string    `gorm:"size:20;not null"` // AwayByCommand or AwayByStatus
	Since  time.Time `gorm:"not null"`
}

// How a person was marked away.
const (
	AwayByCommand = "command"
	AwayByStatus  = "status"
)

// AwayMove is a follow-up that moved from an away person to their cover,
// told to them in one DM when they are back.
type AwayMove struct {
	ID       int64     `gorm:"primaryKey"`
	Person   string    `gorm:"size:300;not null;index"`
	CaseID   int64     `gorm:"not null"`
	To       string    `gorm:"size:300;not null"`
	At       time.Time `gorm:"not null"`
	Reported bool      `gorm:"not null;default:false"`
}

// DecodeMoves reads a back DM's payload: case id and new owner per move.
func DecodeMoves(text string) []AwayMove {
	var out []AwayMove
	for _, part := range strings.Split(text, ",") {
		id, to, ok := strings.Cut(part, ":")
		n, err := strconv.ParseInt(id, 10, 64)
		if ok && err == nil {
			out = append(out, AwayMove{CaseID: n, To: to})
		}
	}
	return out
}

// Cover is who takes a due follow-up of an away owner: the team's champion,
// else its first manager, whoever is in and is not the owner.
func Cover(team *TeamPolicy, owner string, away map[string]bool) string {
	cands := append([]string{team.Champion}, team.Managers...)
	for _, c := range cands {
		if c != "" && !strings.EqualFold(c, owner) && !away[strings.ToLower(c)] {
			return c
		}
	}
	return ""
}
