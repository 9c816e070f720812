package teams

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// PostDigest posts the monthly digest to a leadership channel as a new
// thread holding one Adaptive Card (schema 1.5): the title, the summary's
// lines (outside text, so each in a TextRun, which Teams never reads as
// markdown) and the 12-month trend chart as an image with a data: URI. It
// returns the thread's reference, as PostCard does. It makes the Messenger
// a jobs/digest.RichPoster.
//
// A card must stay under MaxCardBytes, which a chart as drawn (about 35 KB
// of PNG, 46 KB in base64) does not, so the chart is re-encoded until the
// card fits (see DigestCard); if nothing fits it is left out with a note.
// The HTML report is not attached: a bot cannot attach a file to a channel
// message without Microsoft Graph and SharePoint, which cxloop does not use.
func (m *Messenger) PostDigest(ctx context.Context, channel string, p bot.DigestPost) (string, error) {
	card := DigestCard(p)
	act := Activity{Type: "message", Summary: clipRunes(oneLine(p.Title), 200), Attachments: cardAttachments(card)}
	return m.newThread(ctx, channel, act)
}

// DigestCard renders a digest as an Adaptive Card of at most MaxCardBytes.
// The chart goes in as a data: URI: as given when the card fits, otherwise
// re-encoded as a palette PNG of its own most frequent colours (a chart has
// few, so it looks the same at a third of the size), then at half the size;
// when even that does not fit, or chartPNG is no PNG, the chart is left out
// and DigestChartOmitted says so.
//
// With p.ReportURL the card ends with "Open the full report" (Action.OpenUrl).
func DigestCard(p bot.DigestPost) map[string]any {
	title, chartPNG := p.Title, p.ChartPNG
	lines := digestLines(title, p.Summary)
	if len(chartPNG) > 0 {
		for _, next := range chartEncodings(chartPNG) {
			img := next()
			if img == nil {
				continue
			}
			card := digestCard(p, lines, img, false)
			if CardSize(card) <= MaxCardBytes {
				return card
			}
		}
	}
	for {
		card := digestCard(p, lines, nil, len(chartPNG) > 0)
		if CardSize(card) <= MaxCardBytes || len(lines) == 0 {
			return card
		}
		// Only a summary far beyond any digest's gets here.
		for i := range lines {
			lines[i] = clipRunes(lines[i], utf8.RuneCountInString(lines[i])/2)
		}
		if utf8.RuneCountInString(lines[0]) < 20 {
			lines = lines[:len(lines)/2]
		}
	}
}

// digestLines are the summary's non-empty lines, without a first line that
// repeats the title.
func digestLines(title, summary string) []string {
	var out []string
	for i, l := range strings.Split(strings.ReplaceAll(summary, "\r\n", "\n"), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || i == 0 && l == strings.TrimSpace(title) {
			continue
		}
		out = append(out, clipRunes(l, 2000))
	}
	return out
}

func digestCard(p bot.DigestPost, lines []string, chart []byte, omitted bool) map[string]any {
	title, lang := p.Title, p.Language
	body := []any{element{"type": "TextBlock", "text": EscapeMarkdown(oneLine(title)), "size": "Large", "weight": "Bolder",
		"wrap": true, "style": "heading"}}
	for i, l := range lines {
		var in []any
		// "Inner loop: …": the label in bold.
		if label, rest, ok := strings.Cut(l, ": "); ok && utf8.RuneCountInString(label) <= 30 && !strings.ContainsAny(label, "0123456789;") {
			in = append(in, element{"type": "TextRun", "text": label + ": ", "weight": "Bolder"}, element{"type": "TextRun", "text": rest})
		} else {
			run := element{"type": "TextRun", "text": l}
			if i == 0 { // the headline: NPS and its change
				run["size"], run["weight"] = "Medium", "Bolder"
			}
			in = append(in, run)
		}
		block := element{"type": "RichTextBlock", "inlines": in}
		if i > 0 {
			block["spacing"] = "Small"
		}
		body = append(body, block)
	}
	switch {
	case chart != nil:
		body = append(body, element{"type": "Image", "url": "data:image/png;base64," + base64.StdEncoding.EncodeToString(chart),
			"altText": l10n.T(lang, "report.post.chart_alt"), "size": "Stretch", "spacing": "Medium"})
	case omitted:
		body = append(body, element{"type": "TextBlock", "text": EscapeMarkdown(l10n.T(lang, "report.post.chart_omitted")), "isSubtle": true, "size": "Small",
			"wrap": true, "spacing": "Medium"})
	}
	card := adaptiveCard(body)
	if p.ReportURL != "" {
		body = append(body, element{"type": "TextBlock", "text": EscapeMarkdown(l10n.T(lang, "report.post.link_note", "Days", l10n.Number(lang, models.DigestLinkDays))),
			"isSubtle": true, "size": "Small", "wrap": true, "spacing": "Small"})
		card["actions"] = []any{element{"type": "Action.OpenUrl", "title": l10n.T(lang, "report.post.open"), "url": p.ReportURL, "style": "positive"}}
	}
	card["body"] = body
	inertRuns(card)
	return card
}

// chartEncodings are the ways to put the chart in a card, best first, each
// computed only when asked for; nil means that one is not possible.
func chartEncodings(raw []byte) []func() []byte {
	var decoded image.Image
	decode := func() image.Image {
		if decoded == nil {
			if img, err := png.Decode(bytes.NewReader(raw)); err == nil {
				decoded = img
			}
		}
		return decoded
	}
	return []func() []byte{
		func() []byte { return raw },
		func() []byte {
			if img := decode(); img != nil {
				return encodePaletted(img)
			}
			return nil
		},
		func() []byte {
			if img := decode(); img != nil && img.Bounds().Dx() >= 2 && img.Bounds().Dy() >= 2 {
				return encodePaletted(halve(img))
			}
			return nil
		},
	}
}

// encodePaletted encodes img as a palette PNG of its 256 most frequent
// colours, each other colour drawn as the nearest of those.
func encodePaletted(img image.Image) []byte {
	b := img.Bounds()
	counts := map[color.RGBA]int{}
	px := make([]color.RGBA, 0, b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			counts[c]++
			px = append(px, c)
		}
	}
	type freq struct {
		c color.RGBA
		n int
	}
	all := make([]freq, 0, len(counts))
	for c, n := range counts {
		all = append(all, freq{c, n})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].n != all[j].n {
			return all[i].n > all[j].n
		}
		return rgbaKey(all[i].c) < rgbaKey(all[j].c)
	})
	var pal color.Palette
	for i := 0; i < len(all) && i < 256; i++ {
		pal = append(pal, all[i].c)
	}
	out := image.NewPaletted(image.Rect(0, 0, b.Dx(), b.Dy()), pal)
	index := make(map[color.RGBA]uint8, len(counts))
	for i, c := range px {
		idx, ok := index[c]
		if !ok {
			idx = uint8(pal.Index(c))
			index[c] = idx
		}
		out.Pix[i] = idx // Stride is the width for a fresh image
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, out); err != nil {
		return nil
	}
	return buf.Bytes()
}

func rgbaKey(c color.RGBA) uint32 {
	return uint32(c.R)<<24 | uint32(c.G)<<16 | uint32(c.B)<<8 | uint32(c.A)
}

// halve scales img to half its size, each pixel the mean of four.
func halve(img image.Image) image.Image {
	b := img.Bounds()
	w, h := b.Dx()/2, b.Dy()/2
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var r, g, bl, a uint32
			for dy := 0; dy < 2; dy++ {
				for dx := 0; dx < 2; dx++ {
					cr, cg, cb, ca := img.At(b.Min.X+2*x+dx, b.Min.Y+2*y+dy).RGBA()
					r, g, bl, a = r+cr, g+cg, bl+cb, a+ca
				}
			}
			out.Set(x, y, color.RGBA64{R: uint16(r / 4), G: uint16(g / 4), B: uint16(bl / 4), A: uint16(a / 4)})
		}
	}
	return out
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
