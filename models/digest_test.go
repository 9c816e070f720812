package models_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

var tallinn = func() *time.Location {
	l, err := time.LoadLocation("Europe/Tallinn")
	if err != nil {
		panic(err)
	}
	return l
}()

// digestPolicy: two teams, wall-clock SLAs (24 h thank-you, 72 h resolution).
func digestPolicy() *models.Policy {
	return &models.Policy{
		Location: tallinn,
		Teams: []models.TeamPolicy{
			{ID: "cc", Name: "Contact Center", Members: []string{"jaan@example.com", "liis@example.com"}, Managers: []string{"boss@example.com"},
				Assign: models.AssignRoundRobin, Destinations: []models.Destination{{Transport: "log", Channel: "cc"}}},
			{ID: "web", Name: "Web Shop", Members: []string{"mari@example.com"}, Managers: []string{"web.boss@example.com"},
				Assign: models.AssignRoundRobin, Destinations: []models.Destination{{Transport: "log", Channel: "web"}}},
		},
		Routes:       []models.Route{{When: map[string][]string{"touchpoint": {"web"}}, Team: "web"}},
		DefaultTeam:  "cc",
		SLA:          models.SLAPolicy{ThankYou: 24 * time.Hour, Resolution: 72 * time.Hour, RemindBefore: 4 * time.Hour},
		Segments:     models.DefaultThresholds(),
		Themes:       []models.Theme{{Name: "waiting", Keywords: []string{"queue", "wait"}}, {Name: "fees", Keywords: []string{"fee"}}, {Name: "odd_name%", Keywords: []string{"zzz"}}},
		Admins:       []string{"cx.lead@example.com"},
		RootCauses:   []string{"process", "price", "product"},
		DMTransports: []string{"log"},
	}
}

var farFuture = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)

// seed stores responses without opening cases unless withCases.
func seed(t *testing.T, s *models.Store, p *models.Policy, withCases bool, ins []models.ResponseInput) []models.IngestResult {
	t.Helper()
	opts := models.IngestOptions{CasesSince: farFuture}
	if withCases {
		opts = models.IngestOptions{}
	}
	var out []models.IngestResult
	for i := 0; i < len(ins); i += 500 {
		batch := ins[i:min(i+500, len(ins))]
		for j := range batch {
			batch[j].Normalize(batch[j].SubmittedAt)
		}
		now := batch[0].SubmittedAt
		res, err := s.Ingest(context.Background(), p, now, batch, opts)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, res...)
	}
	return out
}

// npsMonth makes promoters, passives and detractors submitted from at on.
func npsMonth(prefix string, at time.Time, prom, pass, det int) []models.ResponseInput {
	var out []models.ResponseInput
	add := func(n, score int) {
		for i := 0; i < n; i++ {
			out = append(out, models.ResponseInput{Source: "test", ExternalID: fmt.Sprintf("%s-%d", prefix, len(out)), Metric: models.MetricNPS,
				Score: score, SubmittedAt: at.Add(time.Duration(len(out)) * time.Minute)})
		}
	}
	add(prom, 10)
	add(pass, 8)
	add(det, 3)
	return out
}

func near(a, b, eps float64) bool { return math.Abs(a-b) <= eps }

func TestNPSStatistics(t *testing.T) {
	// The hand-computed fixtures, by shares.
	shares := []struct {
		name        string
		p1, d1      float64
		n1          int64
		p2, d2      float64
		n2          int64
		threshold   float64
		delta       float64
		significant bool
	}{
		{"200 (50/20) vs 250 (45/25)", 0.45, 0.25, 250, 0.50, 0.20, 200, 14.8, -10, false},
		{"2000 vs 2000, same shares", 0.45, 0.25, 2000, 0.50, 0.20, 2000, 4.9, -10, true},
	}
	for _, tt := range shares {
		th := models.NPSThreshold(tt.p1, tt.d1, tt.n1, tt.p2, tt.d2, tt.n2)
		delta := (tt.p1-tt.d1)*100 - (tt.p2-tt.d2)*100
		if !near(th, tt.threshold, 0.05) || !near(delta, tt.delta, 1e-9) || (math.Abs(delta) > th) != tt.significant {
			t.Errorf("%s: threshold %.2f (want %.1f), change %.1f, significant %v", tt.name, th, tt.threshold, delta, math.Abs(delta) > th)
		}
	}
	// By counts.
	counts := []struct {
		name          string
		cur, prev     models.NPS
		score, margin float64
		delta, th     float64
		significant   bool
		comparable    bool
	}{
		{"20 responses: +10 ± 36.4", models.NPS{Promoters: 8, Passives: 6, Detractors: 6}, models.NPS{}, 10, 36.4, 0, 0, false, false},
		{"2000 vs 2000", models.NPS{Promoters: 900, Passives: 600, Detractors: 500}, models.NPS{Promoters: 1000, Passives: 600, Detractors: 400}, 20, 3.6, -10, 4.9, true, true},
		{"empty month", models.NPS{}, models.NPS{Promoters: 1}, 0, 0, 0, 0, false, false},
	}
	for _, tt := range counts {
		c := models.CompareNPS(tt.cur, tt.prev)
		if !near(tt.cur.Score(), tt.score, 1e-9) || !near(tt.cur.Margin(), tt.margin, 0.05) {
			t.Errorf("%s: NPS %.2f ± %.2f", tt.name, tt.cur.Score(), tt.cur.Margin())
		}
		if c.Comparable != tt.comparable || !near(c.Delta, tt.delta, 1e-9) || !near(c.Threshold, tt.th, 0.05) || c.Significant != tt.significant {
			t.Errorf("%s: change %+v", tt.name, c)
		}
	}
}

func TestMonthBoundsTallinn(t *testing.T) {
	start, end, err := models.MonthBounds("2026-11", tallinn)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 10, 31, 22, 0, 0, 0, time.UTC); !start.Equal(want) {
		t.Errorf("November starts %v, want %v", start, want)
	}
	if want := time.Date(2026, 11, 30, 22, 0, 0, 0, time.UTC); !end.Equal(want) {
		t.Errorf("November ends %v, want %v", end, want)
	}
	for _, bad := range []string{"2026-13", "2026-1", "26-11", "2026-11-01", ""} {
		if _, _, err := models.MonthBounds(bad, tallinn); err == nil {
			t.Errorf("%q accepted as a month", bad)
		}
	}
}

func TestDigestHeadline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := digestPolicy()
		ctx := context.Background()
		// October (Tallinn): 8 promoters, 6 passives, 6 detractors → +10 ± 36.4.
		in := npsMonth("oct", time.Date(2026, 10, 3, 9, 0, 0, 0, time.UTC), 8, 6, 6)
		// 23:30 UTC on 31 October is 01:30 on 1 November in Tallinn.
		in = append(in, models.ResponseInput{Source: "test", ExternalID: "edge", Score: 10, SubmittedAt: time.Date(2026, 10, 31, 23, 30, 0, 0, time.UTC)})
		// 21:30 UTC on 30 September is 00:30 on 1 October in Tallinn.
		in = append(in, models.ResponseInput{Source: "test", ExternalID: "edge-sep", Score: 9, SubmittedAt: time.Date(2026, 9, 30, 21, 30, 0, 0, time.UTC)})
		in = append(in,
			models.ResponseInput{Source: "test", ExternalID: "csat-1", Metric: models.MetricCSAT, Score: 5, SubmittedAt: time.Date(2026, 10, 9, 9, 0, 0, 0, time.UTC)},
			models.ResponseInput{Source: "test", ExternalID: "csat-2", Metric: models.MetricCSAT, Score: 2, SubmittedAt: time.Date(2026, 10, 9, 9, 0, 0, 0, time.UTC)},
			models.ResponseInput{Source: "test", ExternalID: "ces-1", Metric: models.MetricCES, Score: 6, SubmittedAt: time.Date(2026, 10, 9, 9, 0, 0, 0, time.UTC)},
			models.ResponseInput{Source: "test", ExternalID: "web-1", Score: 0, Touchpoint: "web", SubmittedAt: time.Date(2026, 10, 10, 9, 0, 0, 0, time.UTC)},
		)
		seed(t, s, p, false, in)
		now := time.Date(2026, 11, 1, 9, 0, 0, 0, tallinn)
		st, err := s.DigestStats(ctx, p, "2026-10", now)
		if err != nil {
			t.Fatal(err)
		}
		// The September-edge promoter counts for October; the web detractor too.
		want := models.NPS{Promoters: 9, Passives: 6, Detractors: 7}
		if st.NPS != want {
			t.Fatalf("October NPS %+v, want %+v", st.NPS, want)
		}
		if st.Responses != 25 {
			t.Errorf("responses %d, want 25", st.Responses)
		}
		if st.CSAT == nil || st.CSAT.N != 2 || !near(st.CSAT.TopShare, 0.5, 1e-9) || !near(st.CSAT.Average, 3.5, 1e-9) {
			t.Errorf("CSAT %+v", st.CSAT)
		}
		if st.CES == nil || st.CES.N != 1 || st.CES.Average != 6 {
			t.Errorf("CES %+v", st.CES)
		}
		if len(st.Teams) != 2 || st.Teams[0].ID != "cc" || st.Teams[1].NPS.Detractors != 1 || st.Teams[1].Name != "Web Shop" {
			t.Errorf("teams %+v", st.Teams)
		}
		if len(st.Touchpoints) != 2 || st.Touchpoints[0].Name != "" || st.Touchpoints[1].Name != "web" {
			t.Errorf("touchpoints %+v", st.Touchpoints)
		}
		nov, err := s.DigestStats(ctx, p, "2026-11", now)
		if err != nil {
			t.Fatal(err)
		}
		if nov.NPS != (models.NPS{Promoters: 1}) || nov.Responses != 1 {
			t.Errorf("November %+v: the 23:30 UTC response on 31 October belongs to November in Tallinn", nov.NPS)
		}
		if nov.PrevNPS != want || nov.Trend[10].NPS != want || nov.Trend[11].Month != "2026-11" || nov.Trend[0].Month != "2025-12" {
			t.Errorf("November's previous month %+v, trend %+v", nov.PrevNPS, nov.Trend)
		}
		// The hand-computed fixture alone: 8/6/6.
		only := digestPolicy()
		only.Location = time.UTC
		s2 := seedOnly(t, s, "fix20", time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), 8, 6, 6)
		st, err = s2.DigestStats(ctx, only, "2027-03", now)
		if err != nil {
			t.Fatal(err)
		}
		if !near(st.NPS.Score(), 10, 1e-9) || !near(st.NPS.Margin(), 36.4, 0.05) || !st.NPS.TooFew() {
			t.Errorf("20 responses: NPS %.2f ± %.2f, too few %v", st.NPS.Score(), st.NPS.Margin(), st.NPS.TooFew())
		}
	})
}

func seedOnly(t *testing.T, s *models.Store, prefix string, at time.Time, prom, pass, det int) *models.Store {
	seed(t, s, digestPolicy(), false, npsMonth(prefix, at, prom, pass, det))
	return s
}

func TestDigestSignificance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := digestPolicy()
		p.Location = time.UTC
		// September: 200 responses, 50% promoters, 20% detractors (+30);
		// October: 250 responses, 45% and 25% (+20, as 112.5 promoters
		// cannot be stored: 112 promoters and 62.5 → 63 detractors is
		// +19.6; the shares below are exact on 240 + 10 with two months
		// built to the figures).
		in := npsMonth("sep", time.Date(2026, 9, 2, 0, 0, 0, 0, time.UTC), 100, 60, 40)
		in = append(in, npsMonth("oct", time.Date(2026, 10, 2, 0, 0, 0, 0, time.UTC), 112, 75, 63)...)
		seed(t, s, p, false, in)
		st, err := s.DigestStats(context.Background(), p, "2026-10", time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if st.PrevNPS.N() != 200 || !near(st.PrevNPS.Score(), 30, 1e-9) || st.NPS.N() != 250 {
			t.Fatalf("months %+v %+v", st.PrevNPS, st.NPS)
		}
		if !near(st.Change.Delta, -10.4, 1e-9) || !near(st.Change.Threshold, 14.8, 0.05) || st.Change.Significant {
			t.Errorf("change %+v: want −10.4, threshold ±14.8, not significant", st.Change)
		}
	})
}

// setCase rewrites a case's timings, as if it had been worked on.
func setCase(t *testing.T, s *models.Store, id int64, cols map[string]any) {
	t.Helper()
	if err := s.DB().Model(&models.Case{}).Where("id = ?", id).Updates(cols).Error; err != nil {
		t.Fatal(err)
	}
}

func TestDigestLoopHealth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := digestPolicy()
		p.Location = time.UTC
		opened := time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC)
		var in []models.ResponseInput
		for i := 0; i < 4; i++ {
			in = append(in, models.ResponseInput{Source: "t", ExternalID: fmt.Sprintf("cc-%d", i), Score: 2, SubmittedAt: opened})
		}
		for i := 0; i < 2; i++ {
			in = append(in, models.ResponseInput{Source: "t", ExternalID: fmt.Sprintf("web-%d", i), Score: 1, Touchpoint: "web", SubmittedAt: opened})
		}
		for i := range in {
			in[i].Normalize(opened)
		}
		res, err := s.Ingest(context.Background(), p, opened, in, models.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		h := func(n float64) time.Time { return opened.Add(time.Duration(n * float64(time.Hour))) }
		// Contact Center: thanked after 2 h, 4 h, 30 h (late) and never;
		// resolved after 10 h, 20 h, 100 h (late) and never.
		cc := []struct {
			owner             string
			thanked, resolved float64
		}{{"jaan@example.com", 2, 10}, {"jaan@example.com", 4, 20}, {"liis@example.com", 30, 100}, {"liis@example.com", -1, -1}}
		for i, c := range cc {
			cols := map[string]any{"owner": c.owner, "state": string(models.StateAssigned)}
			if c.thanked >= 0 {
				cols["thanked_at"], cols["state"] = h(c.thanked), string(models.StateThanked)
			}
			if c.resolved >= 0 {
				cols["resolved_at"], cols["closed_at"], cols["state"] = h(c.resolved), h(c.resolved), string(models.StateResolved)
			}
			setCase(t, s, res[i].CaseID, cols)
		}
		// Web Shop: thanked after 1 h and 3 h; one closed without contact.
		setCase(t, s, res[4].CaseID, map[string]any{"thanked_at": h(1), "state": string(models.StateThanked)})
		setCase(t, s, res[5].CaseID, map[string]any{"thanked_at": h(3), "state": string(models.StateNoContact), "closed_at": h(5)})
		now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
		st, err := s.DigestStats(context.Background(), p, "2026-10", now)
		if err != nil {
			t.Fatal(err)
		}
		ccS, webS := st.Teams[0], st.Teams[1]
		if ccS.Loop.Cases != 4 || ccS.Loop.Closed != 3 || ccS.Loop.ThankDue != 4 || ccS.Loop.ThankedInSLA != 2 ||
			ccS.Loop.ResolveDue != 4 || ccS.Loop.ResolvedInSLA != 2 || ccS.Loop.OverdueNow != 1 {
			t.Errorf("Contact Center loop %+v", ccS.Loop)
		}
		if !near(ccS.Loop.ThankedShare(), 0.5, 1e-9) || !near(ccS.Loop.CloseRate(), 0.75, 1e-9) {
			t.Errorf("shares %v %v", ccS.Loop.ThankedShare(), ccS.Loop.CloseRate())
		}
		med := func(p *float64) float64 {
			if p == nil {
				return -1
			}
			return *p
		}
		if !near(med(ccS.Loop.MedianHoursToThank), 4, 1e-6) || !near(med(ccS.Loop.MedianHoursToResolve), 20, 1e-6) {
			t.Errorf("Contact Center medians %v %v, want 4 and 20", med(ccS.Loop.MedianHoursToThank), med(ccS.Loop.MedianHoursToResolve))
		}
		if !near(med(webS.Loop.MedianHoursToThank), 2, 1e-6) || webS.Loop.MedianHoursToResolve != nil {
			t.Errorf("Web Shop medians %v %v, want 2 and none", med(webS.Loop.MedianHoursToThank), webS.Loop.MedianHoursToResolve)
		}
		if webS.Loop.ThankDue != 2 || webS.Loop.ThankedInSLA != 2 || webS.Loop.ResolveDue != 1 || webS.Loop.OverdueNow != 1 {
			t.Errorf("Web Shop loop %+v", webS.Loop)
		}
		// All teams: thank-you after 1, 2, 3, 4, 30 h → 3; resolution 10, 20, 100 → 20.
		if !near(med(st.Loop.MedianHoursToThank), 3, 1e-6) || !near(med(st.Loop.MedianHoursToResolve), 20, 1e-6) || st.Loop.Cases != 6 {
			t.Errorf("overall %+v, medians %v %v", st.Loop, med(st.Loop.MedianHoursToThank), med(st.Loop.MedianHoursToResolve))
		}
		if len(st.Recognition) != 1 || st.Recognition[0] != (models.Recognition{Owner: "jaan@example.com", Loops: 2}) {
			t.Errorf("recognition %+v", st.Recognition)
		}
	})
}

func TestDigestThemesTermsQuotes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := digestPolicy()
		p.Location = time.UTC
		oct := time.Date(2026, 10, 6, 8, 0, 0, 0, time.UTC)
		sep := time.Date(2026, 9, 6, 8, 0, 0, 0, time.UTC)
		rare := strings.Fields("apple banana cherry damson elder fig grape hazel iris juniper kiwi lemon mango nectar olive papaya")
		var in []models.ResponseInput
		add := func(at time.Time, score int, comment string) {
			in = append(in, models.ResponseInput{Source: "t", ExternalID: fmt.Sprintf("r%d", len(in)), Score: score, Comment: comment,
				SubmittedAt: at.Add(time.Duration(len(in)) * time.Minute)})
		}
		for i := 0; i < 12; i++ {
			add(oct, 2, fmt.Sprintf("The queue at the service desk was endless, %s", rare[i]))
			add(oct, 10, fmt.Sprintf("Friendly people at the service desk, %s", rare[i]))
		}
		add(oct, 1, "A fee appeared on the bill, call me on +372 5555 0000 or kadri@example.com")
		add(oct, 1, "Another fee, no queue this time")
		add(oct, 8, "Passive words here")
		add(sep, 1, "Queue again")
		add(sep, 1, "Queue again and again")
		for i := 0; i < 4; i++ {
			add(sep, 2, "That fee")
		}
		seed(t, s, p, false, in)
		st, err := s.DigestStats(context.Background(), p, "2026-10", time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		want := []models.ThemeCount{{Name: "waiting", Count: 13, PrevCount: 2}, {Name: "fees", Count: 2, PrevCount: 4}}
		if len(st.Themes) != 2 || st.Themes[0] != want[0] || st.Themes[1] != want[1] || st.Themes[1].Change() != -2 {
			t.Errorf("themes %+v, want %+v", st.Themes, want)
		}
		if len(st.DetractorTerms) == 0 || st.DetractorTerms[0].Word != "queue" || st.DetractorTerms[0].Detractors != 13 {
			t.Errorf("detractor terms %+v, want queue first", st.DetractorTerms)
		}
		if len(st.PromoterTerms) == 0 || st.PromoterTerms[0].Word != "friendly" {
			t.Errorf("promoter terms %+v, want friendly first", st.PromoterTerms)
		}
		for _, term := range append(st.DetractorTerms, st.PromoterTerms...) {
			for _, w := range append(rare, "service", "desk", "the", "at") {
				if term.Word == w {
					t.Errorf("%q is no distinctive term: %+v", w, term)
				}
			}
		}
		var det, pro int
		for _, q := range st.Quotes {
			if strings.Contains(q.Text, "@") || strings.Contains(q.Text, "5555") {
				t.Errorf("quote shows contact details: %q", q.Text)
			}
			switch q.Segment {
			case models.SegmentDetractor:
				det++
				if !strings.Contains(strings.ToLower(q.Text), "queue") && !strings.Contains(q.Text, "fee") {
					t.Errorf("unrepresentative detractor quote %q", q.Text)
				}
			case models.SegmentPromoter:
				pro++
				if !strings.Contains(q.Text, "Friendly") {
					t.Errorf("unrepresentative promoter quote %q", q.Text)
				}
			}
		}
		if det == 0 || pro == 0 {
			t.Errorf("quotes %+v", st.Quotes)
		}
	})
}

func TestTermScoresShrinkRareWords(t *testing.T) {
	c := models.NewTermCounts()
	for i := 0; i < 50; i++ {
		c.Add(models.SegmentDetractor, []string{"slow", "service"})
		c.Add(models.SegmentPromoter, []string{"fast", "service"})
	}
	c.Add(models.SegmentDetractor, []string{"once"}) // seen once, only among detractors
	c.Add(models.SegmentPromoter, []string{"slow"})
	z := c.Scores()
	if !(z["slow"] > 1.96) || !(z["fast"] < -1.96) || math.Abs(z["service"]) > 0.5 {
		t.Errorf("z %v", z)
	}
	if z["once"] >= 1.96 || z["once"] >= z["slow"] {
		t.Errorf("a word seen once dominates: z(once) = %.2f, z(slow) = %.2f", z["once"], z["slow"])
	}
}

// A month's cases are its responses' cases: November's responses imported
// on 2 December are November's detractor cases, not December's.
func TestDigestCountsCasesByResponseMonth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		p := digestPolicy()
		imported := time.Date(2026, 12, 2, 10, 0, 0, 0, tallinn)
		ins := npsMonth("late", time.Date(2026, 11, 20, 12, 0, 0, 0, tallinn), 4, 2, 5)
		// The last detractor answered on 30 November at 23:50 Tallinn time,
		// 21:50 UTC: still November where the digest counts.
		ins = append(ins, models.ResponseInput{Source: "test", ExternalID: "late-edge", Metric: models.MetricNPS, Score: 2,
			SubmittedAt: time.Date(2026, 11, 30, 23, 50, 0, 0, tallinn)})
		for i := range ins {
			ins[i].Normalize(imported)
		}
		if _, err := s.Ingest(ctx, p, imported, ins, models.IngestOptions{}); err != nil {
			t.Fatal(err)
		}
		now := imported.Add(time.Hour)
		nov, err := s.DigestStats(ctx, p, "2026-11", now)
		if err != nil {
			t.Fatal(err)
		}
		if nov.Loop.Cases != 6 {
			t.Errorf("November's digest counts %d cases of its 6 detractor responses", nov.Loop.Cases)
		}
		if nov.NPS.N() != 12 {
			t.Errorf("November's NPS responses: %d, want 12", nov.NPS.N())
		}
		dec, err := s.DigestStats(ctx, p, "2026-12", now)
		if err != nil {
			t.Fatal(err)
		}
		if dec.Loop.Cases != 0 {
			t.Errorf("December's digest counts %d cases of November's responses", dec.Loop.Cases)
		}
	})
}
