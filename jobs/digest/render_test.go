package digest_test

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"flag"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/jobs/digest"
	"github.com/cxloop/cxloop/models"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func f(v float64) *float64 { return &v }

// fixtureStats is a month as DigestStats would report it: October 2026 in
// Tallinn, two teams (one of them small), themes, terms, quotes, items.
func fixtureStats() *models.DigestStats {
	st := &models.DigestStats{
		Month: "2026-10", Location: "Europe/Tallinn",
		Start:     time.Date(2026, 9, 30, 21, 0, 0, 0, time.UTC),
		End:       time.Date(2026, 10, 31, 22, 0, 0, 0, time.UTC),
		BuiltAt:   time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC),
		AsOf:      time.Date(2026, 10, 31, 22, 0, 0, 0, time.UTC),
		Targets:   models.Targets{NPS: f(30), ThankedInSLA: f(0.8), ResolvedInSLA: f(0.8)},
		Responses: 292,
		NPS:       models.NPS{Promoters: 112, Passives: 75, Detractors: 63},
		PrevNPS:   models.NPS{Promoters: 100, Passives: 60, Detractors: 40},
		CSAT:      &models.ScoreStats{N: 30, Average: 4.1, TopShare: 0.8},
		CES:       &models.ScoreStats{N: 12, Average: 5.25},
		Loop: models.LoopHealth{Cases: 63, Closed: 55, ThankDue: 60, ThankedInSLA: 51, ResolveDue: 58, ResolvedInSLA: 44,
			MedianHoursToThank: f(5.5), MedianHoursToResolve: f(61), OverdueNow: 4},
		Teams: []models.TeamStats{
			{ID: "cc", Name: "Contact Center", Responses: 240, NPS: models.NPS{Promoters: 100, Passives: 60, Detractors: 50},
				Loop: models.LoopHealth{Cases: 50, Closed: 45, ThankDue: 48, ThankedInSLA: 42, ResolveDue: 46, ResolvedInSLA: 36,
					MedianHoursToThank: f(4), MedianHoursToResolve: f(50), OverdueNow: 3},
				Targets: models.Targets{NPS: f(20), ThankedInSLA: f(0.8), ResolvedInSLA: f(0.8)}},
			{ID: "riga", Name: "Riga | Branch", Responses: 52, NPS: models.NPS{Promoters: 10, Passives: 15, Detractors: 15},
				Loop: models.LoopHealth{Cases: 13, Closed: 10, ThankDue: 12, ThankedInSLA: 9, ResolveDue: 12, ResolvedInSLA: 8,
					MedianHoursToThank: f(9.25), MedianHoursToResolve: f(70), OverdueNow: 1},
				Targets: models.Targets{NPS: f(30), ThankedInSLA: f(0.8), ResolvedInSLA: f(0.8)}},
			{ID: "app", Name: "Mobile App", Responses: 60, NPS: models.NPS{Promoters: 24, Passives: 21, Detractors: 15},
				Loop:    models.LoopHealth{Cases: 15, Closed: 15, ThankDue: 15, ThankedInSLA: 15, ResolveDue: 15, ResolvedInSLA: 15, MedianHoursToThank: f(2), MedianHoursToResolve: f(20)},
				Targets: models.Targets{NPS: f(10), ThankedInSLA: f(0.8), ResolvedInSLA: f(0.8)}},
			{ID: "quiet", Name: "Quiet Team", Targets: models.Targets{NPS: f(30)}},
		},
		Touchpoints: []models.GroupNPS{{Name: "call-center", NPS: models.NPS{Promoters: 90, Passives: 50, Detractors: 45}},
			{Name: "web", NPS: models.NPS{Promoters: 20, Passives: 20, Detractors: 15}}, {Name: "", NPS: models.NPS{Promoters: 2, Passives: 5, Detractors: 3}}},
		Themes:         []models.ThemeCount{{Name: "waiting", Count: 31, PrevCount: 20}, {Name: "fees", Count: 12, PrevCount: 15}, {Name: "staff", Count: 4, PrevCount: 4}},
		DetractorTerms: []models.Term{{Word: "queue", Detractors: 28, Promoters: 1, Z: 6.1}, {Word: "järjekord", Detractors: 9, Promoters: 0, Z: 3.2}},
		PromoterTerms:  []models.Term{{Word: "friendly", Detractors: 1, Promoters: 40, Z: -7.5}},
		Quotes: []models.Quote{
			{ResponseID: 7, Segment: models.SegmentDetractor, Metric: models.MetricNPS, Score: 2, Touchpoint: "call-center", TeamName: "Contact Center",
				Text: "I waited 40 minutes in the *queue* and nobody called back. Call [phone]."},
			{ResponseID: 9, Segment: models.SegmentPromoter, Metric: models.MetricNPS, Score: 10, TeamName: "Riga | Branch",
				Text: "Friendly <b>people</b> & quick help"},
		},
		Recognition: []models.Recognition{{Owner: "liis@example.com", Loops: 14}, {Owner: "jaan@example.com", Loops: 11}},
		Names:       map[string]string{"liis@example.com": "Liis Tamm", "mari.manager@example.com": "Mari Maasikas"},
		Improvements: models.ImprovementDigest{Opened: 2, InProgress: 1, Done: 2, DoneItems: []models.DoneItem{
			{ImprovementSummary: models.ImprovementSummary{ImprovementItem: models.ImprovementItem{ID: 2, Title: "Explain fees before the payment", Status: models.ImprovementDone,
				Owner: "mari.manager@example.com"}, Linked: 14, Told: 9}, ToldByEmail: 6, ToldByPhone: 3, NotYetTold: 4, CannotTell: 1, Theme: "fees", Before: 9, After: 3, Days: 17},
			{ImprovementSummary: models.ImprovementSummary{ImprovementItem: models.ImprovementItem{ID: 4, Title: "Branch opening hours on the web", Status: models.ImprovementDone,
				Owner: "anna.manager@example.com"}, Linked: 3, Told: 1}, ToldByPhone: 1, NotYetTold: 2},
		}, Top: []models.ImprovementSummary{
			{ImprovementItem: models.ImprovementItem{ID: 3, Title: "Call-back instead of the queue", Status: models.ImprovementInProgress, Owner: "mari.manager@example.com"}, Linked: 17},
			{ImprovementItem: models.ImprovementItem{ID: 5, Title: "Explain the card fee", Status: models.ImprovementProposed}, Linked: 6},
		}},
	}
	st.Change = models.CompareNPS(st.NPS, st.PrevNPS)
	for i := 0; i < 12; i++ {
		m := models.MonthNPS{Month: models.AddMonths("2026-10", i-11)}
		switch {
		case i == 10:
			m.NPS = st.PrevNPS
		case i == 11:
			m.NPS = st.NPS
		case i >= 3:
			m.NPS = models.NPS{Promoters: int64(80 + 3*i), Passives: 50, Detractors: int64(60 - 2*i)}
		case i == 2:
			m.NPS = models.NPS{Promoters: 10, Passives: 5, Detractors: 5} // too few
		}
		st.Trend = append(st.Trend, m)
	}
	return st
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./jobs/digest -update rewrites it):\n%s", name, got)
	}
}

// The fixture month: targets met and missed (within and beyond the
// margin), an insignificant change, two done items with customers told, and
// teams that are and are not significantly different.
func TestMarkdownGolden(t *testing.T) {
	golden(t, "october-2026.md", digest.Markdown(fixtureStats()))
}

// The same month after a September whose difference is significant.
func TestMarkdownGoldenSignificantChange(t *testing.T) {
	st := fixtureStats()
	st.PrevNPS = models.NPS{Promoters: 130, Passives: 50, Detractors: 20}
	st.Change = models.CompareNPS(st.NPS, st.PrevNPS)
	st.Trend[10].NPS = st.PrevNPS
	golden(t, "october-2026-significant.md", digest.Markdown(st))
}

func TestHTMLGolden(t *testing.T) {
	html, err := digest.HTML(fixtureStats(), []byte("chart"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "october-2026.html", html)
}

func TestMarkdownEscapesCustomerText(t *testing.T) {
	md := string(digest.Markdown(fixtureStats()))
	for _, bad := range []string{"*queue*", "<b>", "Riga | Branch"} {
		if strings.Contains(md, bad) {
			t.Errorf("markdown carries %q unescaped", bad)
		}
	}
	if !strings.Contains(md, "too few") || strings.Contains(md, "Quiet Team") {
		t.Errorf("small groups or empty teams wrong:\n%s", md)
	}
}

func TestChartPNG(t *testing.T) {
	for _, st := range []*models.DigestStats{fixtureStats(), emptyStats()} {
		b, err := digest.Chart(st)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if got := img.Bounds().Size(); got != (image.Point{X: digest.ChartWidth, Y: digest.ChartHeight}) {
			t.Errorf("chart is %v, want %dx%d", got, digest.ChartWidth, digest.ChartHeight)
		}
	}
}

func emptyStats() *models.DigestStats {
	st := &models.DigestStats{Month: "2026-10", Location: "UTC", BuiltAt: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
	for i := 0; i < 12; i++ {
		st.Trend = append(st.Trend, models.MonthNPS{Month: models.AddMonths("2026-10", i-11)})
	}
	return st
}

// wellFormed checks the HTML with a strict XML tokenizer and returns the
// src of every img.
func wellFormed(t *testing.T, doc []byte) (imgs []string) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = true
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("HTML is not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "img" {
			for _, a := range se.Attr {
				if a.Name.Local == "src" {
					imgs = append(imgs, a.Value)
				}
			}
		}
	}
	return imgs
}

func TestHTMLIsSelfContainedAndWellFormed(t *testing.T) {
	rep, err := digest.Render(fixtureStats())
	if err != nil {
		t.Fatal(err)
	}
	imgs := wellFormed(t, rep.HTML)
	if len(imgs) != 1 || !strings.HasPrefix(imgs[0], "data:image/png;base64,") {
		t.Fatalf("images %v, want the chart as a data: URI", imgs)
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(imgs[0], "data:image/png;base64,"))
	if err != nil || !bytes.Equal(b, rep.PNG) {
		t.Fatalf("embedded chart differs from the PNG: %v", err)
	}
	html := string(rep.HTML)
	for _, want := range []string{"@media print", "Contact Center", "&#43;20", "too few", "Call-back instead of the queue", "&lt;b&gt;people&lt;/b&gt; &amp; quick"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if regexp.MustCompile(`(?i)<(script|link)\b|https?://`).MatchString(strings.ReplaceAll(html, "http://www.w3.org/1999/xhtml", "")) {
		t.Error("the report loads something from outside")
	}
	// A month with nothing in it renders too.
	rep, err = digest.Render(emptyStats())
	if err != nil {
		t.Fatal(err)
	}
	wellFormed(t, rep.HTML)
}

func TestSummary(t *testing.T) {
	s := digest.Summary(fixtureStats())
	for _, want := range []string{
		"Customer experience digest — October 2026",
		"NPS +20 ±10.1 (250 responses). Down 10 points against September 2026 (+30): not significant at 95% (±14.8 needed).",
		"Responses: 292 · CSAT: 80% satisfied · CES: 5.2 of 7.",
		"thanked within SLA 85% (51 of 60)",
		"Top detractor themes: waiting 31 (+11), fees 12 (-3), staff 4 (±0).",
		"1. Call-back instead of the queue (17 detractors · in progress · Mari Maasikas)",
		"Recognition: Liis Tamm, 14 loops closed within SLA.",
		"Done: \"Explain fees before the payment\" (9 of 13 customers told)",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	if strings.ContainsAny(s, "*_`") {
		t.Errorf("summary has markup:\n%s", s)
	}
}

// digest.language: et. The same month in Estonian, Markdown and HTML.
func TestGoldenEstonian(t *testing.T) {
	st := fixtureStats()
	st.Language = "et"
	golden(t, "october-2026.et.md", digest.Markdown(st))
	html, err := digest.HTML(st, []byte("chart"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "october-2026.et.html", html)
}

// Every language renders the digest without English left in it: each
// English-only word of the English digest is absent from the others, apart
// from configured names (teams, themes, items, people, quotes).
func TestDigestHasNoEnglishLeft(t *testing.T) {
	english := []string{"Targets", "Headline", "What was done", "What is next", "Inner loop", "Touchpoints", "Voice of the customer",
		"Recognition", "NPS trend", "Responses", "responses", "within SLA", "target", "margin", "detractors", "promoters", "Median",
		"Overdue", "overdue", "closed", "customers told", "by email", "by phone", "not yet", "built", "significant", "against",
		"Change", "Month", "Team", "Cases", "in progress", "proposed", "no owner", "All teams", "met", "missed", "too few", "days", "Warning",
		"Customer experience digest", "October", "September", "Detractor", "Promoter", "average", "satisfied", "of 5", "of 7"}
	for _, lang := range []string{"et", "pl", "ru"} {
		st := fixtureStats()
		st.Language = lang
		// Configured names stay as written: leave them out of the check.
		names := []string{}
		for _, tm := range st.Teams {
			names = append(names, tm.Name)
		}
		for _, th := range st.Themes {
			names = append(names, th.Name)
		}
		for _, it := range st.Improvements.Top {
			names = append(names, it.Title)
		}
		for _, d := range st.Improvements.DoneItems {
			names = append(names, d.Title)
		}
		for _, q := range st.Quotes {
			names = append(names, q.Text, q.Touchpoint)
		}
		for _, n := range st.Names {
			names = append(names, n)
		}
		for _, tm := range append(st.DetractorTerms, st.PromoterTerms...) {
			names = append(names, tm.Word)
		}
		for _, tp := range st.Touchpoints {
			names = append(names, tp.Name)
		}
		rep, err := digest.Render(st)
		if err != nil {
			t.Fatal(err)
		}
		for form, body := range map[string]string{"markdown": string(rep.Markdown), "html": string(rep.HTML), "summary": rep.Summary} {
			text := styleOrTag.ReplaceAllString(body, " ")
			for _, n := range names {
				if n != "" {
					text = strings.ReplaceAll(text, n, "")
				}
			}
			for _, w := range english {
				if loc := regexp.MustCompile(`\b` + w + `\b`).FindStringIndex(text); loc != nil {
					i := loc[0]
					t.Errorf("%s %s: English %q left: …%s…", lang, form, w, text[max(0, i-60):min(len(text), i+60)])
				}
			}
		}
	}
}

// styleOrTag is the HTML's stylesheet and tags: markup, not words.
var styleOrTag = regexp.MustCompile(`(?s)<style>.*?</style>|<[^>]*>`)
