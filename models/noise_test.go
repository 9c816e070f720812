package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

func weekdayHours() *models.BusinessHours {
	h := &models.BusinessHours{Start: 9 * time.Hour, End: 17 * time.Hour}
	for d := time.Monday; d <= time.Friday; d++ {
		h.Days[d] = true
	}
	return h
}

func TestQuietUntil(t *testing.T) {
	tallinn, _ := time.LoadLocation("Europe/Tallinn")
	at := func(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, tallinn) }
	holidays := []string{"2026-12-24"}
	cases := []struct {
		name  string
		now   time.Time
		hours *models.BusinessHours
		want  time.Time
	}{
		{"inside the hours: at once", at(10, 7, 11, 0), weekdayHours(), at(10, 7, 11, 0)},
		{"before opening: that morning", at(10, 7, 6, 30), weekdayHours(), at(10, 7, 9, 0)},
		{"after closing: the next morning", at(10, 7, 17, 0), weekdayHours(), at(10, 8, 9, 0)},
		{"Saturday 02:00: Monday 09:00", at(10, 10, 2, 0), weekdayHours(), at(10, 12, 9, 0)},
		{"Friday evening: Monday", at(10, 9, 22, 0), weekdayHours(), at(10, 12, 9, 0)},
		{"the eve of a holiday: after it", at(12, 23, 18, 0), weekdayHours(), at(12, 25, 9, 0)},
		{"no business hours: at once", at(10, 10, 2, 0), nil, at(10, 10, 2, 0)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := models.QuietUntil(c.now, c.hours, tallinn, holidays); !got.Equal(c.want) {
				t.Errorf("QuietUntil(%s) = %s, want %s", c.now, got.In(tallinn), c.want)
			}
		})
	}
}

func TestBurstSplit(t *testing.T) {
	cases := []struct {
		used, n, limit int
		top            int
		opens          bool
	}{
		{0, 3, 5, 3, false},   // within the budget
		{3, 2, 5, 2, false},   // exactly fills it
		{5, 1, 5, 0, true},    // the first over it opens the roll-up
		{6, 1, 5, 0, false},   // later ones join it
		{0, 30, 5, 5, true},   // one batch of 30: five cards and the roll-up
		{4, 3, 5, 1, true},    // one card, two in the roll-up it opens
		{0, 30, 0, 30, false}, // no limit
	}
	for _, c := range cases {
		top, opens := models.BurstSplit(c.used, c.n, c.limit)
		if top != c.top || opens != c.opens {
			t.Errorf("BurstSplit(%d, %d, %d) = %d, %v; want %d, %v", c.used, c.n, c.limit, top, opens, c.top, c.opens)
		}
	}
}

func TestBundleReminders(t *testing.T) {
	d := func(h int) time.Time { return time.Date(2026, 10, 7, h, 0, 0, 0, time.UTC) }
	items := []models.ReminderItem{
		{CaseID: 1, Owner: "jaan@example.com", Due: d(15)},
		{CaseID: 2, Owner: "liis@example.com", Due: d(11)},
		{CaseID: 3, Owner: "Jaan@Example.com", Due: d(10)},
		{CaseID: 4, Owner: "jaan@example.com", Due: d(10)},
	}
	got := models.BundleReminders(items)
	if len(got) != 2 || got[0].To != "jaan@example.com" || got[1].To != "liis@example.com" {
		t.Fatalf("bundles %+v, want one for jaan, one for liis", got)
	}
	var order []int64
	for _, it := range got[0].Items {
		order = append(order, it.CaseID)
	}
	if len(order) != 3 || order[0] != 3 || order[1] != 4 || order[2] != 1 {
		t.Errorf("jaan's items in order %v, want nearest first [3 4 1]", order)
	}
}

func TestAwayStatusSays(t *testing.T) {
	a := models.AwayStatus{Emoji: []string{":palm_tree:", "🌴"}, Words: []string{"vacation", "out of office", "puhkusel", "urlop", "отпуск"}}
	cases := []struct {
		emoji, text string
		want        bool
	}{
		{":palm_tree:", "", true},
		{"", "🌴 back on Monday", true},
		{"", "On VACATION until 12th", true},
		{"", "Out of office", true},
		{"", "Puhkusel kuni 10.11", true},
		{"", "Urlop do piątku", true},
		{"", "В отпуске до понедельника", false}, // "отпуске" contains "отпуск"? see below
		{":calendar:", "In a meeting", false},
		{"", "", false},
	}
	cases[6].want = true // the Russian word stem matches its inflected forms
	for _, c := range cases {
		if got := a.Says(c.emoji, c.text); got != c.want {
			t.Errorf("Says(%q, %q) = %v, want %v", c.emoji, c.text, got, c.want)
		}
	}
}

// quietPolicy is a Tallinn team with weekday hours and quiet hours on; a
// route for VIP customers is urgent.
func quietPolicy() *models.Policy {
	p := slaPolicy(mustTallinn())
	p.Teams[0].QuietHours = true
	p.Routes = append(p.Routes, models.Route{When: map[string][]string{"segment_vip": {"yes"}}, Team: "contact-center", Urgent: true})
	return p
}

func mustTallinn() *time.Location {
	l, err := time.LoadLocation("Europe/Tallinn")
	if err != nil {
		panic(err)
	}
	return l
}

func firstAttempt(t *testing.T, s *models.Store, kind, to string) time.Time {
	t.Helper()
	var m models.OutboxMessage
	if err := s.DB().Where("kind = ? AND recipient = ?", kind, to).Order("id").Take(&m).Error; err != nil {
		t.Fatalf("no %s to %s: %v", kind, to, err)
	}
	return m.NextAttemptAt
}

func TestQuietHoursHoldDMsUntilMonday(t *testing.T) {
	tallinn := mustTallinn()
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		p := quietPolicy()
		fri := time.Date(2026, 10, 9, 10, 0, 0, 0, tallinn)
		in := detractor("quiet-1")
		vip := detractor("quiet-vip")
		vip.Attributes = map[string]string{"segment_vip": "yes"}
		res, err := s.Ingest(ctx, p, fri, []models.ResponseInput{in, vip}, models.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// The reminder falls due at 02:00 on Saturday: the sweep was down
		// Friday evening (due times stand as they are).
		sat := time.Date(2026, 10, 10, 2, 0, 0, 0, tallinn)
		for _, r := range res {
			if err := s.DB().Model(&models.Case{}).Where("id = ?", r.CaseID).Updates(map[string]any{
				"thank_you_due_at": sat.Add(3 * time.Hour), "resolution_due_at": sat.Add(-time.Minute)}).Error; err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.SweepSLA(ctx, p, sat); err != nil {
			t.Fatal(err)
		}
		monday := time.Date(2026, 10, 12, 9, 0, 0, 0, tallinn)
		var reminder models.OutboxMessage
		if err := s.DB().Where("kind = ?", models.KindReminderDM).Take(&reminder).Error; err != nil {
			t.Fatal(err)
		}
		if !reminder.NextAttemptAt.Equal(monday) {
			t.Errorf("the Saturday reminder goes at %s, want Monday 09:00", reminder.NextAttemptAt.In(tallinn))
		}
		var escalations []models.OutboxMessage
		s.DB().Where("kind = ?", models.KindEscalationDM).Order("case_id").Find(&escalations)
		if len(escalations) != 2 {
			t.Fatalf("%d escalations, want one per case", len(escalations))
		}
		if got := escalations[0].NextAttemptAt; !got.Equal(monday) {
			t.Errorf("an ordinary escalation goes at %s, want Monday 09:00", got.In(tallinn))
		}
		if got := escalations[1].NextAttemptAt; !got.Equal(sat) {
			t.Errorf("the urgent route's escalation goes at %s, want at once (%s)", got.In(tallinn), sat)
		}
		// Due times are unaffected.
		v, _ := s.CaseView(ctx, res[0].CaseID)
		if !v.Case.ThankYouDueAt.Equal(sat.Add(3 * time.Hour)) {
			t.Errorf("due time moved to %s", v.Case.ThankYouDueAt)
		}
		// A case opened at night tells its owner in the morning.
		night := time.Date(2026, 10, 13, 23, 30, 0, 0, tallinn)
		if _, err := s.Ingest(ctx, p, night, []models.ResponseInput{detractor("quiet-night")}, models.IngestOptions{}); err != nil {
			t.Fatal(err)
		}
		var dm models.OutboxMessage
		s.DB().Where("kind = ?", models.KindCaseDM).Order("id desc").Take(&dm)
		if want := time.Date(2026, 10, 14, 9, 0, 0, 0, tallinn); !dm.NextAttemptAt.Equal(want) {
			t.Errorf("the night's 'case is yours' goes at %s, want %s", dm.NextAttemptAt.In(tallinn), want)
		}
	})
}

func TestSixRemindersOneDM(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		p := testPolicy()
		p.Teams[0].Members = []string{"jaan@example.com"}
		now := time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC)
		var ins []models.ResponseInput
		for i := 0; i < 6; i++ {
			ins = append(ins, detractor("six-"+string(rune('a'+i))))
		}
		res, err := s.Ingest(ctx, p, now, ins, models.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// Due in reverse order of opening, so "nearest first" is visible.
		for i, r := range res {
			due := now.Add(28*time.Hour + time.Duration(5-i)*10*time.Minute)
			s.DB().Model(&models.Case{}).Where("id = ?", r.CaseID).Update("thank_you_due_at", due)
		}
		sweep := now.Add(25 * time.Hour) // every thank-you within 4 h
		got, err := s.SweepSLA(ctx, p, sweep)
		if err != nil {
			t.Fatal(err)
		}
		if got.Reminders != 6 || got.ReminderDMs != 1 {
			t.Fatalf("sweep %+v, want 6 reminders in 1 DM", got)
		}
		var msgs []models.OutboxMessage
		s.DB().Where("kind = ? AND recipient = ?", models.KindReminderDM, "jaan@example.com").Find(&msgs)
		if len(msgs) != 1 {
			t.Fatalf("%d reminder DMs, want 1", len(msgs))
		}
		l, err := models.DecodeReminderList(msgs[0].Text)
		if err != nil || len(l.Items) != 6 {
			t.Fatalf("the DM lists %d items (%v), want 6", len(l.Items), err)
		}
		for i := 1; i < len(l.Items); i++ {
			if l.Items[i].Due.Before(l.Items[i-1].Due) {
				t.Errorf("item %d is due before item %d: not nearest first", i, i-1)
			}
		}
		if l.Items[0].CaseID != res[5].CaseID {
			t.Errorf("first item is case %d, want the nearest, %d", l.Items[0].CaseID, res[5].CaseID)
		}
		// The next sweep sends nothing more.
		if again, _ := s.SweepSLA(ctx, p, sweep.Add(time.Minute)); again.Reminders != 0 || again.ReminderDMs != 0 {
			t.Errorf("second sweep %+v, want nothing", again)
		}
	})
}
