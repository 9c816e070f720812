package models

import (
	"fmt"
	"strings"
	"time"
)

// HuddleDay is one team's feedback of one day, in the team's time zone.
type HuddleDay struct {
	TeamID string
	Day    string // YYYY-MM-DD
	// Responses counts every response of the day, of any metric.
	Responses int
	// NPS is the day's NPS responses; its N is the count the score rests on.
	NPS        NPS
	Detractors []HuddleDetractor
	Praise     []HuddlePraise
}

// HuddleDetractor is one detractor response of the day and the case that
// follows it up (its own, or the open case of the same customer it joined).
type HuddleDetractor struct {
	ResponseID int64
	CaseID     int64 // 0 when the response has no case
	Metric     Metric
	Score      int
	Comment    string
	Owner      string
	State      CaseState
}

// HuddlePraise is a promoter's comment of the day and the employee it names
// (attributes.employee_email), if any.
type HuddlePraise struct {
	ResponseID int64
	Metric     Metric
	Score      int
	Comment    string
	Employee   string
}

// HuddleOrderKey is the order key of a team's huddle of a day.
func HuddleOrderKey(day, teamID string) string { return "huddle:" + day + ":" + teamID }

// HuddleOf returns the day and team a huddle message is about.
func HuddleOf(m *OutboxMessage) (day, teamID string, ok bool) {
	rest, ok := strings.CutPrefix(m.OrderKey, "huddle:")
	if !ok {
		return "", "", false
	}
	day, teamID, ok = strings.Cut(rest, ":")
	if _, err := time.Parse(time.DateOnly, day); err != nil || teamID == "" {
		return "", "", false
	}
	return day, teamID, ok
}

// DayBounds is the day YYYY-MM-DD in loc, as the instants [start, end).
func DayBounds(day string, loc *time.Location) (start, end time.Time, err error) {
	d, err := time.ParseInLocation(time.DateOnly, day, loc)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("day %q: %w", day, err)
	}
	return d, d.AddDate(0, 0, 1), nil
}

// PreviousDay is the day before now's, in loc, as YYYY-MM-DD.
func PreviousDay(now time.Time, loc *time.Location) string {
	t := now.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day()-1, 12, 0, 0, 0, loc).Format(time.DateOnly)
}

func joinedIDs(m map[int64]int64) []int64 {
	ids := []int64{0} // "IN ()" is not SQL
	for _, id := range m {
		ids = append(ids, id)
	}
	return ids
}
