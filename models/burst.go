package models

import (
	"strconv"
	"strings"
	"time"
)

// Bursts: at most a team's burst of new top-level cards go to a channel in
// one minute. The others are listed in one roll-up message per channel and
// minute, and each one's full card is posted in the roll-up's thread. The
// budget is counted in the database when the cards are queued, so every
// replica spends the same budget, and the claim of the outbox stays as it
// is: a card waiting for its roll-up is simply not due yet.

// rollupWait is how long a card waits for its roll-up to be posted; after
// it the card goes anyway (in the channel, if the roll-up never made it).
const rollupWait = time.Hour

// ChannelBurst counts the new cards queued for one channel in one minute; a
// minute over its budget has a roll-up, posted at Ref.
type ChannelBurst struct {
	ID        int64     `gorm:"primaryKey"`
	Transport string    `gorm:"size:20;not null;uniqueIndex:ux_channel_burst,priority:1"`
	Channel   string    `gorm:"size:200;not null;uniqueIndex:ux_channel_burst,priority:2"`
	Minute    time.Time `gorm:"not null;uniqueIndex:ux_channel_burst,priority:3"`
	Cards     int       `gorm:"not null"`
	Ref       string    `gorm:"size:200;not null;default:''"`
}

// RollupCase is a case listed in a roll-up, its card in the roll-up's thread.
type RollupCase struct {
	BurstID int64 `gorm:"primaryKey;autoIncrement:false"`
	CaseID  int64 `gorm:"primaryKey;autoIncrement:false;index"`
}

// rollupOrderKey orders a roll-up's post before its updates.
func rollupOrderKey(burstID int64) string { return "rollup:" + strconv.FormatInt(burstID, 10) }

// RollupID reads the roll-up a roll-up message is about.
func RollupID(m *OutboxMessage) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimPrefix(m.OrderKey, "rollup:"), 10, 64)
	return id, err == nil && strings.HasPrefix(m.OrderKey, "rollup:")
}

// Rollup is a roll-up as it shows: its cases, in order.
type Rollup struct {
	Burst ChannelBurst
	Cases []RollupLine
}

// RollupLine is one case of a roll-up: number, score, first words, owner.
type RollupLine struct {
	CaseID  int64
	Metric  Metric
	Score   int
	Comment string // raw, untrusted
	Owner   string
	State   CaseState
}
