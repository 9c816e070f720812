package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DigestEmail is what the delivery worker needs to write the digest email;
// the chart, shown inline as cid:ChartCID, is the month's DigestRun.ChartPNG.
type DigestEmail struct {
	To       string `json:"to"`
	Subject  string `json:"subject"`
	Language string `json:"language"`
	HTML     string `json:"html"`
	Text     string `json:"text"`
	ChartCID string `json:"chart_cid"`
}

// ParseDigestEmail reads a digest email message's payload.
func ParseDigestEmail(m *OutboxMessage) (DigestEmail, error) {
	var e DigestEmail
	if err := json.Unmarshal([]byte(m.Text), &e); err != nil {
		return e, fmt.Errorf("digest email %d: %w", m.ID, err)
	}
	return e, nil
}

// DigestRun records that a month's digest was posted: one row per month,
// whose unique key makes the scheduled post happen once however many
// replicas run. It keeps what was posted, so a delivery retry sends the
// same report.
type DigestRun struct {
	ID         int64     `gorm:"primaryKey"`
	Month      string    `gorm:"size:7;not null;uniqueIndex"`
	Via        string    `gorm:"size:20;not null"` // "schedule" or "cli"
	Actor      string    `gorm:"size:300"`
	Posts      int       `gorm:"not null;default:1"` // more than 1 after --force
	ClaimedAt  time.Time `gorm:"not null"`
	LastPostAt time.Time `gorm:"not null"`
	Summary    string    `gorm:"type:text"`
	HTML       string    `gorm:"type:text"`
	ChartPNG   []byte
}

// DigestPost is one month's digest ready to be posted.
type DigestPost struct {
	Month    string
	Via      string // "schedule" or "cli"
	Actor    string
	Summary  string // the neutral chat summary, the text of each post
	HTML     string // the full report
	ChartPNG []byte // the 12-month trend
	// Destinations are the leadership channels.
	Destinations []Destination
	// Emails are the digest.email addresses, each with the same Email.
	Emails []string
	Email  DigestEmail
}

// DigestOrderKey is the outbox order key of a digest post.
func DigestOrderKey(month string, d Destination) string {
	return "digest:" + month + ":" + d.Transport + ":" + d.Channel
}

// DigestMonthOf returns the month a digest message is about.
func DigestMonthOf(m *OutboxMessage) (string, bool) {
	rest, ok := strings.CutPrefix(m.OrderKey, "digest:")
	if !ok || len(rest) < 7 {
		return "", false
	}
	month := rest[:7]
	if _, _, err := ParseMonth(month); err != nil {
		return "", false
	}
	return month, true
}

// ErrDigestPosted is returned (wrapped) when a month was posted already and
// the caller did not force a second post.
var ErrDigestPosted = errors.New("digest already posted")

func orDash(a, b string) string {
	if a != "" {
		return a
	}
	if b != "" {
		return b
	}
	return "-"
}
