package models

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

var (
	zonedLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02T15:04:05Z0700",
		"2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05 -0700 MST", "2006-01-02T15:04Z07:00", "2006-01-02 15:04Z07:00"}
	localLayouts = []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"}
)

// TimeFormats lists, for people, the times ParseTime reads.
const TimeFormats = "2026-10-03T10:00:00Z, 2026-10-03 10:00 or 2026-10-03"

// ParseTime reads a time as the import, the API and the command line all
// accept it: RFC 3339 (2026-10-03T10:00:00Z), the same with a space, a
// date and time without a zone (taken in loc), a date alone (midnight in
// loc), or unix seconds or milliseconds.
func ParseTime(v string, loc *time.Location) (time.Time, error) {
	v = strings.TrimSpace(v)
	if loc == nil {
		loc = time.UTC
	}
	for _, l := range zonedLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t, nil
		}
	}
	for _, l := range localLayouts {
		if t, err := time.ParseInLocation(l, v, loc); err == nil {
			return t, nil
		}
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
		switch {
		case len(v) <= 10:
			return time.Unix(n, 0), nil
		case len(v) == 13:
			return time.UnixMilli(n), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: write e.g. %s", v, TimeFormats)
}

// EarliestSubmittedAt is the earliest submitted_at accepted: anything
// before it is a broken clock or a placeholder, and would be stored where
// no digest or sweep ever looks.
var EarliestSubmittedAt = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// CheckSubmittedAt bounds a submitted_at: from 2000-01-01 to a day after now.
func CheckSubmittedAt(t, now time.Time) *FieldError {
	if t.Before(EarliestSubmittedAt) {
		return &FieldError{Field: "submitted_at", Msg: "must be 2000-01-01 or later, got " + t.UTC().Format(time.RFC3339)}
	}
	if t.After(now.Add(24 * time.Hour)) {
		return &FieldError{Field: "submitted_at", Msg: "more than a day in the future"}
	}
	return nil
}

// FormatDue writes a due time as people read it, in the team's zone loc:
// "Mon 5 Oct 17:00 EEST". Every message that names a due time uses it.
func FormatDue(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("Mon 2 Jan 15:04 MST")
}
