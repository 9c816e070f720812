package models

import (
	"sort"
	"strings"
	"time"
)

// This file holds the pure decisions that keep cxloop quiet: when a DM may
// reach a person, how a channel's per-minute card budget is spent, and how
// one sweep's reminders are bundled per person.

// QuietUntil is the earliest moment a DM queued at now may reach a person
// of a team with these business hours: now itself inside the hours, else
// the start of the next business day (holidays skipped). Without business
// hours people are reachable at any time.
func QuietUntil(now time.Time, hours *BusinessHours, loc *time.Location, holidays []string) time.Time {
	loc, off, ok := calendar(hours, loc, holidays)
	if !ok {
		return now
	}
	t := now.In(loc)
	for i := 0; i < 3660; i++ {
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		open, closeAt := addClock(day, hours.Start), addClock(day, hours.End)
		if hours.Days[day.Weekday()] && !off[day.Format("2006-01-02")] && t.Before(closeAt) {
			if t.Before(open) {
				return open
			}
			return now
		}
		t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
	}
	return now
}

// DMAt is when a DM to a person of team, queued at now, may go: at once
// when the team keeps no quiet hours or the message is urgent, else at the
// next business moment.
func (p *Policy) DMAt(team *TeamPolicy, now time.Time, urgent bool) time.Time {
	if team == nil || !team.QuietHours || urgent {
		return now
	}
	return QuietUntil(now, team.Hours, p.TeamLocation(team), team.Holidays)
}

// BurstSplit spends a channel's per-minute budget of top-level cards: with
// used cards already counted this minute and n new ones, the first top go
// to the channel and the rest into the minute's roll-up. The counter only
// grows, so exactly one batch crosses the budget: opensRollup is true for
// it, and it posts the roll-up. A limit of 0 or less means no limit.
func BurstSplit(used, n, limit int) (top int, opensRollup bool) {
	if limit <= 0 {
		return n, false
	}
	top = min(max(limit-used, 0), n)
	return top, used <= limit && used+n > limit
}

// BurstMinute is the minute a card counts against, in UTC.
func BurstMinute(t time.Time) time.Time { return t.UTC().Truncate(time.Minute) }

// ReminderItem is one follow-up a person is reminded of.
type ReminderItem struct {
	CaseID   int64
	Followup string // FollowupThankYou, FollowupResolution, FollowupFixTold
	Owner    string
	TeamID   string
	Due      time.Time
}

// ReminderBundle is what one person hears from one sweep: one DM.
type ReminderBundle struct {
	To    string
	Items []ReminderItem
}

// BundleReminders groups a sweep's reminders by person (emails compared
// without case): one bundle each, in order of first appearance, its items
// nearest due first (then by case number, so the order is stable).
func BundleReminders(items []ReminderItem) []ReminderBundle {
	idx := map[string]int{}
	var out []ReminderBundle
	for _, it := range items {
		k := strings.ToLower(it.Owner)
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, ReminderBundle{To: it.Owner})
		}
		out[i].Items = append(out[i].Items, it)
	}
	for i := range out {
		sort.SliceStable(out[i].Items, func(a, b int) bool {
			x, y := out[i].Items[a], out[i].Items[b]
			if !x.Due.Equal(y.Due) {
				return x.Due.Before(y.Due)
			}
			return x.CaseID < y.CaseID
		})
	}
	return out
}
