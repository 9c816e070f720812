package models

import (
	"time"
)

// DeadLetter is a provider webhook delivery whose signature checked out but
// which could not become a response: a form without a mapping, no score, a
// score out of range, a body not in the provider's shape. It is kept as
// received, with the reason, until a replay (after the configuration is
// fixed) turns it into a response: nothing a survey tool sends is lost.
//
// An identical body delivered again (a sender's retry) is the same dead
// letter: the pair (provider, body hash) is unique.
type DeadLetter struct {
	ID       int64  `gorm:"primaryKey"`
	Provider string `gorm:"size:40;not null;uniqueIndex:ux_dead_letters_body,priority:1"`
	BodyHash string `gorm:"size:64;not null;uniqueIndex:ux_dead_letters_body,priority:2"`
	Body     []byte `gorm:"not null"`
	// Reason says why the body could not be stored, last time it was tried.
	Reason     string    `gorm:"type:text;not null"`
	ReceivedAt time.Time `gorm:"not null"`
	// LastReceivedAt and Deliveries count the sender's repeats.
	LastReceivedAt time.Time `gorm:"not null"`
	Deliveries     int       `gorm:"not null;default:1"`
	// Attempts counts replays that did not succeed.
	Attempts    int `gorm:"not null;default:0"`
	LastTriedAt *time.Time
	// ReplayedAt is set once a replay has dealt with it; pending dead letters
	// have none.
	ReplayedAt *time.Time `gorm:"index"`
	ResponseID *int64
	// Outcome says what the replay did (created, updated, unchanged,
	// superseded by a later delivery, ignored).
	Outcome string `gorm:"size:300"`
}

// Pending reports whether the dead letter still waits for a replay.
func (d *DeadLetter) Pending() bool { return d.ReplayedAt == nil }

// Dead-letter states, as DeadLetterCounts reports them.
const (
	DeadLetterPending  = "pending"
	DeadLetterReplayed = "replayed"
)

// DeadLetterQuery selects dead letters.
type DeadLetterQuery struct {
	ID       int64  // only this one
	Provider string // only this provider's
	Pending  bool   // only those not yet replayed
	Limit    int    // at most this many (0: all)
}
