package models

import (
	"encoding/json"
	"fmt"
	"time"
)

// Follow-ups a case is chased for, and what the chasing sends.
const (
	FollowupThankYou   = "thank_you"
	FollowupResolution = "resolution"
	FollowupOwner      = "owner"
	FollowupFixTold    = "customer_told" // the third follow-up: the customer hears of the fix

	NoticeReminder = "reminder"
	NoticeOverdue  = "overdue"
	NoticeUnowned  = "unowned"
)

// FollowupNotice records that a reminder or escalation was sent. Its unique
// key (case, follow-up, kind) makes each one go out once, however many
// sweeps, replicas or restarts there are.
type FollowupNotice struct {
	ID       int64     `gorm:"primaryKey"`
	CaseID   int64     `gorm:"not null;uniqueIndex:ux_followup_notice,priority:1"`
	Followup string    `gorm:"size:20;not null;uniqueIndex:ux_followup_notice,priority:2"`
	Kind     string    `gorm:"size:120;not null;uniqueIndex:ux_followup_notice,priority:3"`
	At       time.Time `gorm:"not null"`
}

// SweepResult counts what one SLA pass sent.
type SweepResult struct {
	Reminders   int // follow-ups reminded of
	ReminderDMs int // the DMs that listed them: one per person per sweep
	Escalations int
	Covered     int // cases moved from an away owner to their cover
	Unowned     int
}

// sweep is the time an SLA pass decides at and the time its messages are
// deliverable from.
type sweep struct{ now, queueAt time.Time }

// deliverable moves a message's first attempt, asked for at as the sweep
// decides, to the queueing clock: a DM held for quiet hours stays held as
// long, one due at once goes at once.
func (sw sweep) deliverable(at time.Time) time.Time {
	if !at.After(sw.now) {
		return sw.queueAt
	}
	return sw.queueAt.Add(at.Sub(sw.now))
}

type noticeKey struct {
	caseID         int64
	followup, kind string
}

func managersOf(p *Policy, t *TeamPolicy) []string {
	if len(t.Managers) > 0 {
		return t.Managers
	}
	return p.Admins
}

// ReminderList is the payload of a reminder DM: the items it lists.
type ReminderList struct {
	Items []ReminderItem `json:"items"`
}

// EncodeReminderList writes a reminder DM's payload.
func EncodeReminderList(items []ReminderItem) (string, error) {
	b, err := json.Marshal(ReminderList{Items: items})
	if err != nil {
		return "", fmt.Errorf("encode reminders: %w", err)
	}
	return string(b), nil
}

// DecodeReminderList reads a reminder DM's payload.
func DecodeReminderList(text string) (ReminderList, error) {
	var l ReminderList
	if err := json.Unmarshal([]byte(text), &l); err != nil {
		return l, fmt.Errorf("decode reminders: %w", err)
	}
	return l, nil
}
