package models_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
)

func TestDueAt(t *testing.T) {
	tallinn, _ := time.LoadLocation("Europe/Tallinn")
	weekdays := &models.BusinessHours{Start: 9 * time.Hour, End: 17 * time.Hour}
	for d := time.Monday; d <= time.Friday; d++ {
		weekdays.Days[d] = true
	}
	fri := time.Date(2026, 10, 2, 16, 30, 0, 0, tallinn)
	tests := []struct {
		name     string
		start    time.Time
		d        time.Duration
		hours    *models.BusinessHours
		holidays []string
		want     time.Time
	}{
		{"friday afternoon, 24 business hours", fri, 24 * time.Hour, weekdays, nil, time.Date(2026, 10, 7, 16, 30, 0, 0, tallinn)},
		{"wall clock", fri, 24 * time.Hour, nil, nil, fri.Add(24 * time.Hour)},
		{"before opening starts at nine", time.Date(2026, 10, 5, 7, 0, 0, 0, tallinn), 2 * time.Hour, weekdays, nil, time.Date(2026, 10, 5, 11, 0, 0, 0, tallinn)},
		{"saturday starts monday", time.Date(2026, 10, 3, 12, 0, 0, 0, tallinn), 4 * time.Hour, weekdays, nil, time.Date(2026, 10, 5, 13, 0, 0, 0, tallinn)},
		{"holiday monday skipped", fri, 8 * time.Hour, weekdays, []string{"2026-10-05"}, time.Date(2026, 10, 6, 16, 30, 0, 0, tallinn)},
		{"ends exactly at closing", time.Date(2026, 10, 5, 9, 0, 0, 0, tallinn), 8 * time.Hour, weekdays, nil, time.Date(2026, 10, 5, 17, 0, 0, 0, tallinn)},
		{"across the autumn clock change", time.Date(2026, 10, 23, 16, 0, 0, 0, tallinn), 2 * time.Hour, weekdays, nil, time.Date(2026, 10, 26, 10, 0, 0, 0, tallinn)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := models.DueAt(tt.start, tt.d, tt.hours, tallinn, tt.holidays)
			if !got.Equal(tt.want) {
				t.Errorf("DueAt = %s, want %s", got.In(tallinn), tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	p := &models.Policy{Segments: models.DefaultThresholds()}
	tests := []struct {
		metric models.Metric
		score  int
		want   models.Segment
	}{
		{"nps", 0, "detractor"}, {"nps", 6, "detractor"}, {"nps", 7, "passive"}, {"nps", 8, "passive"}, {"nps", 9, "promoter"}, {"nps", 10, "promoter"},
		{"csat", 1, "detractor"}, {"csat", 2, "detractor"}, {"csat", 3, "passive"}, {"csat", 4, "passive"}, {"csat", 5, "promoter"},
		{"ces", 3, "detractor"}, {"ces", 4, "passive"}, {"ces", 5, "passive"}, {"ces", 6, "promoter"},
	}
	for _, tt := range tests {
		got, err := p.Classify(tt.metric, tt.score)
		if err != nil || got != tt.want {
			t.Errorf("Classify(%s, %d) = %s, %v; want %s", tt.metric, tt.score, got, err, tt.want)
		}
	}
	p.Segments[models.MetricNPS] = models.Thresholds{DetractorMax: 4, PromoterMin: 8}
	if got, _ := p.Classify("nps", 5); got != models.SegmentPassive {
		t.Errorf("custom thresholds: 5 is %s", got)
	}
}

func TestMatchThemes(t *testing.T) {
	p := &models.Policy{Themes: []models.Theme{
		{Name: "waiting", Keywords: []string{"wait", "queue", "järjekord", "kolejk", "очеред"}},
		{Name: "fees", Keywords: []string{"fee", "комисси", "hidden charge"}},
	}}
	tests := []struct {
		text string
		want []string
	}{
		{"Seisin JÄRJEKORRAS tund aega", []string{"waiting"}},
		{"Waited 40 minutes", []string{"waiting"}},
		{"Długa kolejka w oddziale", []string{"waiting"}},
		{"Очередь и комиссия!", []string{"waiting", "fees"}},
		{"a Hidden Charges surprise", []string{"fees"}},
		{"hidden costs, no charge", nil},
		{"await nothing", nil},
		{"", nil},
	}
	for _, tt := range tests {
		got := p.MatchThemes(tt.text)
		if len(got) != len(tt.want) {
			t.Errorf("MatchThemes(%q) = %v, want %v", tt.text, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("MatchThemes(%q) = %v, want %v", tt.text, got, tt.want)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	now := time.Date(2026, 10, 3, 10, 0, 0, 0, time.UTC)
	ok := models.ResponseInput{ExternalID: "a", Score: 5}
	tests := []struct {
		name  string
		mod   func(*models.ResponseInput)
		field string
	}{
		{"valid", func(*models.ResponseInput) {}, ""},
		{"missing id", func(in *models.ResponseInput) { in.ExternalID = " " }, "external_id"},
		{"long id", func(in *models.ResponseInput) { in.ExternalID = string(make([]byte, 201)) }, "external_id"},
		{"nps 11", func(in *models.ResponseInput) { in.Score = 11 }, "score"},
		{"csat 0", func(in *models.ResponseInput) { in.Metric, in.Score = "csat", 0 }, "score"},
		{"ces 8", func(in *models.ResponseInput) { in.Metric, in.Score = "ces", 8 }, "score"},
		{"unknown metric", func(in *models.ResponseInput) { in.Metric = "csi" }, "metric"},
		{"bad utf8", func(in *models.ResponseInput) { in.Comment = "a\xffb" }, "comment"},
		{"long touchpoint", func(in *models.ResponseInput) { in.Touchpoint = strings.Repeat("t", 201) }, "touchpoint"},
		{"long phone", func(in *models.ResponseInput) { in.Customer.Phone = strings.Repeat("5", 101) }, "customer.phone"},
		{"future", func(in *models.ResponseInput) { in.SubmittedAt = now.Add(25 * time.Hour) }, "submitted_at"},
		{"slightly future", func(in *models.ResponseInput) { in.SubmittedAt = now.Add(23 * time.Hour) }, ""},
		{"language with region", func(in *models.ResponseInput) { in.Language = "pl-PL" }, ""},
		{"language any ISO 639-1", func(in *models.ResponseInput) { in.Language = "DE" }, ""},
		{"language a name", func(in *models.ResponseInput) { in.Language = "Eesti" }, "language"},
		{"language default", func(in *models.ResponseInput) { in.Language = "default" }, "language"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := ok
			tt.mod(&in)
			in.Normalize(now)
			fe := in.Validate(now)
			switch {
			case tt.field == "" && fe != nil:
				t.Errorf("unexpected error %v", fe)
			case tt.field != "" && (fe == nil || fe.Field != tt.field):
				t.Errorf("error %v, want one on %s", fe, tt.field)
			}
		})
	}
}

func TestNormalizeLanguage(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"et", "et", true}, {"ET", "et", true}, {"pl-PL", "pl", true}, {"ru_RU", "ru", true},
		{"EN-GB", "en", true}, {" de ", "de", true}, {"", "", false}, {"default", "", false},
		{"e1", "", false}, {"рус", "", false}, {"-PL", "", false},
	}
	for _, tt := range tests {
		got, ok := models.NormalizeLanguage(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizeLanguage(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	for _, tt := range []struct{ locale, fallback, want string }{
		{"pl-PL", "et", "pl"}, {"ru-RU", "en", "ru"}, {"de-DE", "et", "et"}, {"", "pl", "pl"}, {"en-US", "ru", "en"},
	} {
		if got := models.SupportedLanguage(tt.locale, tt.fallback); got != tt.want {
			t.Errorf("SupportedLanguage(%q, %q) = %q, want %q", tt.locale, tt.fallback, got, tt.want)
		}
	}
}

func TestRemindAtInvertsDueAt(t *testing.T) {
	tallinn, _ := time.LoadLocation("Europe/Tallinn")
	hours := &models.BusinessHours{Start: 9 * time.Hour, End: 17 * time.Hour}
	for d := time.Monday; d <= time.Friday; d++ {
		hours.Days[d] = true
	}
	tests := []struct {
		name     string
		due      time.Time
		d        time.Duration
		hours    *models.BusinessHours
		holidays []string
		want     time.Time
	}{
		{"same day", time.Date(2026, 10, 7, 16, 30, 0, 0, tallinn), 4 * time.Hour, hours, nil, time.Date(2026, 10, 7, 12, 30, 0, 0, tallinn)},
		{"monday morning reaches back to friday", time.Date(2026, 10, 5, 10, 0, 0, 0, tallinn), 4 * time.Hour, hours, nil, time.Date(2026, 10, 2, 14, 0, 0, 0, tallinn)},
		{"over a holiday friday", time.Date(2026, 10, 5, 10, 0, 0, 0, tallinn), 4 * time.Hour, hours, []string{"2026-10-02"}, time.Date(2026, 10, 1, 14, 0, 0, 0, tallinn)},
		{"wall clock", time.Date(2026, 10, 5, 10, 0, 0, 0, tallinn), 4 * time.Hour, nil, nil, time.Date(2026, 10, 5, 6, 0, 0, 0, tallinn)},
		{"due at opening", time.Date(2026, 10, 6, 9, 0, 0, 0, tallinn), time.Hour, hours, nil, time.Date(2026, 10, 5, 16, 0, 0, 0, tallinn)},
	}
	for _, tt := range tests {
		got := models.RemindAt(tt.due, tt.d, tt.hours, tallinn, tt.holidays)
		if !got.Equal(tt.want) {
			t.Errorf("%s: RemindAt = %s, want %s", tt.name, got.In(tallinn), tt.want)
		}
		if tt.hours != nil && tt.name != "due at opening" { // 17:00 and the next 09:00 are one business instant
			if back := models.DueAt(got, tt.d, tt.hours, tallinn, tt.holidays); !back.Equal(tt.due) {
				t.Errorf("%s: DueAt(RemindAt) = %s, want %s", tt.name, back.In(tallinn), tt.due)
			}
		}
	}
}
