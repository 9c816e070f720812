package models

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	tallinn, err := time.LoadLocation("Europe/Tallinn")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-10-03T10:00:00Z", time.Date(2026, 10, 3, 10, 0, 0, 0, time.UTC), true},
		{"2026-10-03T10:00:00.5+02:00", time.Date(2026, 10, 3, 8, 0, 0, 5e8, time.UTC), true},
		{"2026-10-03 10:00:00Z", time.Date(2026, 10, 3, 10, 0, 0, 0, time.UTC), true},
		{"2026-10-03 10:00", time.Date(2026, 10, 3, 7, 0, 0, 0, time.UTC), true}, // Tallinn summer time, +03:00
		{"2026-10-03T10:00", time.Date(2026, 10, 3, 7, 0, 0, 0, time.UTC), true},
		{"2026-10-03 10:00:30", time.Date(2026, 10, 3, 7, 0, 30, 0, time.UTC), true},
		{"2026-12-03", time.Date(2026, 12, 2, 22, 0, 0, 0, time.UTC), true}, // winter, +02:00
		{" 2026-12-03 ", time.Date(2026, 12, 2, 22, 0, 0, 0, time.UTC), true},
		{"1790000000", time.Unix(1790000000, 0), true},
		{"1790000000000", time.UnixMilli(1790000000000), true},
		{"03/10/2026", time.Time{}, false},
		{"2026-13-01", time.Time{}, false},
		{"", time.Time{}, false},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in, tallinn)
		if (err == nil) != tt.ok {
			t.Errorf("ParseTime(%q) error %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && !got.Equal(tt.want) {
			t.Errorf("ParseTime(%q) = %s, want %s", tt.in, got.UTC(), tt.want.UTC())
		}
	}
}

func TestCheckSubmittedAt(t *testing.T) {
	now := time.Date(2026, 10, 3, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		at   time.Time
		want bool // accepted
	}{
		{time.Time{}, false},
		{time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC), false},
		{time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{now, true},
		{now.Add(24 * time.Hour), true},
		{now.Add(24*time.Hour + time.Second), false},
	}
	for _, tt := range tests {
		fe := CheckSubmittedAt(tt.at, now)
		if (fe == nil) != tt.want {
			t.Errorf("CheckSubmittedAt(%s) = %v, want accepted=%v", tt.at, fe, tt.want)
		}
		if fe != nil && fe.Field != "submitted_at" {
			t.Errorf("field %q", fe.Field)
		}
	}
}
