package models

import (
	"sync"
	"time"
)

// BusinessHours are the days and daily hours in which SLA time runs.
type BusinessHours struct {
	Days  [7]bool // indexed by time.Weekday
	Start time.Duration
	End   time.Duration // offsets from midnight
}

// DueAt adds d of SLA time to start. Without business hours the wall clock
// runs; with them only time inside the working days and hours counts, skipping
// holidays (YYYY-MM-DD in loc).
func DueAt(start time.Time, d time.Duration, hours *BusinessHours, loc *time.Location, holidays []string) time.Time {
	loc, off, ok := calendar(hours, loc, holidays)
	if !ok {
		return start.Add(d)
	}
	t := start.In(loc)
	remaining := d
	for i := 0; i < 3660; i++ { // ten years of days bounds a misconfiguration
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		open := addClock(day, hours.Start)
		closeAt := addClock(day, hours.End)
		if hours.Days[day.Weekday()] && !off[day.Format("2006-01-02")] && t.Before(closeAt) {
			if t.Before(open) {
				t = open
			}
			avail := closeAt.Sub(t)
			if remaining <= avail {
				return t.Add(remaining)
			}
			remaining -= avail
		}
		t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
	}
	return start.Add(d)
}

// RemindAt is the instant d of SLA time before due: the reminder time of a
// follow-up due at due. It walks business hours backwards as DueAt walks
// them forwards.
func RemindAt(due time.Time, d time.Duration, hours *BusinessHours, loc *time.Location, holidays []string) time.Time {
	loc, off, ok := calendar(hours, loc, holidays)
	if !ok {
		return due.Add(-d)
	}
	t := due.In(loc)
	remaining := d
	for i := 0; i < 3660; i++ {
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		open := addClock(day, hours.Start)
		closeAt := addClock(day, hours.End)
		if hours.Days[day.Weekday()] && !off[day.Format("2006-01-02")] && t.After(open) {
			if t.After(closeAt) {
				t = closeAt
			}
			avail := t.Sub(open)
			if remaining <= avail {
				return t.Add(-remaining)
			}
			remaining -= avail
		}
		t = day.Add(-time.Nanosecond) // the last instant of the day before
	}
	return due.Add(-d)
}

// calendar prepares business-time arithmetic: the time zone and the set of
// holidays; ok is false when the hours do not apply (wall-clock time runs).
func calendar(hours *BusinessHours, loc *time.Location, holidays []string) (*time.Location, map[string]bool, bool) {
	if hours == nil || hours.End <= hours.Start || !hours.anyDay() {
		return nil, nil, false
	}
	if loc == nil {
		loc = time.UTC
	}
	off := make(map[string]bool, len(holidays))
	for _, h := range holidays {
		off[h] = true
	}
	return loc, off, true
}

// addClock places a time-of-day on a date, by the clock on the wall (so a
// daylight-saving change does not shift opening hours).
func addClock(day time.Time, off time.Duration) time.Time {
	h := int(off / time.Hour)
	m := int((off % time.Hour) / time.Minute)
	return time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, day.Location())
}

func (b *BusinessHours) anyDay() bool {
	for _, d := range b.Days {
		if d {
			return true
		}
	}
	return false
}

// Clock tells the time; tests inject a fixed or stepping one.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// FixedClock reads a set instant until it is moved; tests inject it.
type FixedClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewFixedClock starts a clock at t.
func NewFixedClock(t time.Time) *FixedClock { return &FixedClock{t: t} }

// Now returns the set instant.
func (c *FixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *FixedClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Advance moves the clock forward by d.
func (c *FixedClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
