package teams_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"github.com/cxloop/cxloop/bot"
	"image"
	"image/color"
	"image/png"
	"math/rand"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/bot/teams"
	"github.com/cxloop/cxloop/jobs/digest"
	"github.com/cxloop/cxloop/models"
)

// The Teams messenger posts digests with their chart (jobs/digest.Deliver
// uses it through this interface).
var _ digest.RichPoster = (*teams.Messenger)(nil)

// trendStats is a month with twelve months of trend, enough for a chart.
func trendStats() *models.DigestStats {
	st := &models.DigestStats{Month: "2026-10", Location: "Europe/Tallinn",
		NPS: models.NPS{Promoters: 112, Passives: 75, Detractors: 63}}
	for i := 0; i < 12; i++ {
		st.Trend = append(st.Trend, models.MonthNPS{Month: models.AddMonths("2026-10", i-11),
			NPS: models.NPS{Promoters: int64(80 + 3*i + i%3*7), Passives: 50, Detractors: int64(60 - 2*i)}})
	}
	return st
}

// cardImage returns the PNG of the card's Image element, if any.
func cardImage(t *testing.T, card map[string]any) []byte {
	t.Helper()
	body, _ := card["body"].([]any)
	for _, e := range body {
		el, _ := e.(map[string]any)
		if el["type"] != "Image" {
			continue
		}
		url, _ := el["url"].(string)
		data, ok := strings.CutPrefix(url, "data:image/png;base64,")
		if !ok {
			t.Fatalf("image url %.60q is not a PNG data URI", url)
		}
		b, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			t.Fatal(err)
		}
		if el["altText"] == "" {
			t.Error("the chart has no alternative text")
		}
		return b
	}
	return nil
}

func cardJSON(card map[string]any) string {
	b, _ := json.Marshal(card)
	return string(b)
}

func TestDigestCardFitsTheChart(t *testing.T) {
	chart, err := digest.Chart(trendStats())
	if err != nil {
		t.Fatal(err)
	}
	summary := "Customer experience digest — October 2026\nNPS +20 (±5.1); change -10, not significant.\nInner loop: 63 detractor cases; [click](https://evil.example) <at>everyone</at> **bold**"
	card := teams.DigestCard(bot.DigestPost{Title: "Customer experience digest — October 2026", Summary: summary, ChartPNG: chart})
	if card["version"] != "1.5" || card["type"] != "AdaptiveCard" {
		t.Fatalf("card %v %v", card["type"], card["version"])
	}
	if n := teams.CardSize(card); n > teams.MaxCardBytes {
		t.Fatalf("card of %d bytes, over %d", n, teams.MaxCardBytes)
	}
	img := cardImage(t, card)
	if img == nil {
		t.Fatalf("the chart (%d bytes) was left out: %s", len(chart), cardJSON(card))
	}
	if len(chart)*4/3 > teams.MaxCardBytes && bytes.Equal(img, chart) {
		t.Error("a chart too big for the card went in unchanged")
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil || cfg.Width != digest.ChartWidth || cfg.Height != digest.ChartHeight {
		t.Errorf("chart in the card: %+v %v; want %dx%d", cfg, err, digest.ChartWidth, digest.ChartHeight)
	}
	// The title once, the summary's lines as TextRuns, verbatim: Adaptive
	// Cards never read a TextRun as markdown, so nothing links or mentions.
	js := cardJSON(card)
	if strings.Count(js, "October 2026") != 1 {
		t.Errorf("title repeated or missing: %s", js)
	}
	var runs []string
	for _, e := range card["body"].([]any) {
		el := e.(map[string]any)
		if el["type"] == "RichTextBlock" {
			for _, r := range el["inlines"].([]any) {
				run := r.(map[string]any)
				if run["type"] != "TextRun" {
					t.Errorf("inline %v", run)
				}
				runs = append(runs, run["text"].(string))
			}
		}
	}
	all := strings.Join(runs, "")
	for _, want := range []string{"NPS +20 (±5.1); change -10, not significant.", "Inner loop: ", "[click](https://evil.example) <at>everyone</at> **bold**"} {
		if !strings.Contains(all, want) {
			t.Errorf("summary text %q missing from %q", want, all)
		}
	}
	if strings.Contains(js, `"type":"TextBlock","text":"Inner`) || strings.Contains(js, "mention") {
		t.Errorf("summary text outside TextRuns: %s", js)
	}
}

func TestDigestCardSmallChartAsIs(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	card := teams.DigestCard(bot.DigestPost{Title: "Digest", Summary: "NPS +1", ChartPNG: buf.Bytes()})
	if got := cardImage(t, card); !bytes.Equal(got, buf.Bytes()) {
		t.Error("a small chart was not embedded as it is")
	}
}

func TestDigestCardLeavesOutAChartThatCannotFit(t *testing.T) {
	// Noise does not compress: no encoding fits, so the chart is left out
	// with a note and the card stays valid.
	rng := rand.New(rand.NewSource(1))
	img := image.NewRGBA(image.Rect(0, 0, 600, 300))
	for y := 0; y < 300; y++ {
		for x := 0; x < 600; x++ {
			img.Set(x, y, color.RGBA{uint8(rng.Intn(256)), uint8(rng.Intn(256)), uint8(rng.Intn(256)), 0xff})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	for _, chart := range [][]byte{buf.Bytes(), bytes.Repeat([]byte("not a png "), 5000)} {
		card := teams.DigestCard(bot.DigestPost{Title: "Digest", Summary: "NPS +1\nResponses: 40.", ChartPNG: chart})
		if cardImage(t, card) != nil {
			t.Error("an oversized chart went into the card")
		}
		if js := cardJSON(card); !strings.Contains(js, "too large for a Teams card") || teams.CardSize(card) > teams.MaxCardBytes {
			t.Errorf("card without its chart: %s", js)
		}
	}
	// A huge summary is cut to fit too.
	card := teams.DigestCard(bot.DigestPost{Title: "Digest", Summary: strings.Repeat("Themes: waiting 40 (+3), fees 12. ", 3000)})
	if n := teams.CardSize(card); n > teams.MaxCardBytes {
		t.Errorf("card of %d bytes", n)
	}
}

// The digest card opens the full report (Action.OpenUrl), in the digest's language.
func TestDigestCardLinksTheFullReport(t *testing.T) {
	url := "https://cx.example.com/digests/2026-10.html?token=1800000000.abc"
	card := teams.DigestCard(bot.DigestPost{Title: "T", Summary: "NPS +1", Language: "et", ReportURL: url})
	b, _ := json.Marshal(card["actions"])
	if !strings.Contains(string(b), `"type":"Action.OpenUrl"`) || !strings.Contains(string(b), url) || !strings.Contains(string(b), "Ava täielik aruanne") {
		t.Errorf("actions: %s", b)
	}
	if _, ok := teams.DigestCard(bot.DigestPost{Title: "T", Summary: "NPS +1"})["actions"]; ok {
		t.Error("a card without a report URL has actions")
	}
}
