package digest

import (
	"bytes"
	"fmt"
	"math"
	"sync"
	"time"

	chart "github.com/wcharczuk/go-chart/v2"
	"github.com/wcharczuk/go-chart/v2/drawing"

	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// The trend chart's size in pixels.
const (
	ChartWidth  = 1000
	ChartHeight = 400
)

// Chart draws the NPS trend as a PNG of ChartWidth × ChartHeight, from
// the first month with responses to the digest's month: the NPS line with
// its 95% margin as a band, months under MinResponses responses as hollow
// points, months without responses left out, and the organisation's NPS
// target as a dashed line.
func Chart(st *models.DigestStats) ([]byte, error) {
	if _, err := loadDefaultFont(); err != nil {
		return nil, fmt.Errorf("load chart font: %w", err)
	}
	trend := trendFromFirstData(st.Trend)
	if len(trend) == 0 {
		trend = st.Trend[len(st.Trend)-1:]
	}
	var xs, ys, lo, hi, fewX, fewY []float64
	labels := make([]string, len(trend))
	minY, maxY := 0.0, 0.0
	target := st.Targets.NPS
	if target != nil {
		minY, maxY = math.Min(minY, *target), math.Max(maxY, *target)
	}
	for i, m := range trend {
		labels[i] = shortMonth(st.Language, m.Month)
		if m.NPS.N() == 0 {
			continue
		}
		v := m.NPS.Score()
		xs, ys = append(xs, float64(i)), append(ys, v)
		margin := m.NPS.Margin()
		lo, hi = append(lo, v-margin), append(hi, v+margin)
		if m.NPS.TooFew() {
			fewX, fewY = append(fewX, float64(i)), append(fewY, v)
		}
		minY, maxY = math.Min(minY, v-margin), math.Max(maxY, v+margin)
	}
	minY = math.Max(-100, math.Floor(minY/10)*10-10)
	maxY = math.Min(100, math.Ceil(maxY/10)*10+10)
	// One month alone still gets a range to draw in.
	xMin, xMax := 0.0, float64(len(trend)-1)
	if len(trend) == 1 {
		xMin, xMax = -0.5, 0.5
	}
	blue := drawing.Color{R: 0x1f, G: 0x5f, B: 0xa8, A: 0xff}
	band := drawing.Color{R: 0x1f, G: 0x5f, B: 0xa8, A: 0x60}
	orange := drawing.Color{R: 0xd0, G: 0x6a, B: 0x00, A: 0xff}
	series := []chart.Series{}
	// A zero line keeps the sign of the score visible.
	series = append(series, chart.ContinuousSeries{Name: "zero", XValues: []float64{xMin, xMax}, YValues: []float64{0, 0},
		Style: chart.Style{StrokeColor: drawing.Color{R: 0x88, G: 0x88, B: 0x88, A: 0xff}, StrokeWidth: 1}})
	if target != nil {
		series = append(series, chart.ContinuousSeries{Name: "target", XValues: []float64{xMin, xMax}, YValues: []float64{*target, *target},
			Style: chart.Style{StrokeColor: orange, StrokeWidth: 2, StrokeDashArray: []float64{8, 5}}})
	}
	if len(xs) > 0 {
		series = append(series,
			chart.ContinuousSeries{Name: "95% margin, upper", XValues: xs, YValues: hi,
				Style: chart.Style{StrokeColor: band, StrokeWidth: 1, StrokeDashArray: []float64{4, 4}}},
			chart.ContinuousSeries{Name: "95% margin, lower", XValues: xs, YValues: lo,
				Style: chart.Style{StrokeColor: band, StrokeWidth: 1, StrokeDashArray: []float64{4, 4}}},
			chart.ContinuousSeries{Name: "NPS", XValues: xs, YValues: ys,
				Style: chart.Style{StrokeColor: blue, StrokeWidth: 3, DotColor: blue, DotWidth: 5}},
		)
	}
	if len(fewX) > 0 {
		series = append(series, chart.ContinuousSeries{Name: "too few responses", XValues: fewX, YValues: fewY,
			Style: chart.Style{StrokeWidth: chart.Disabled, DotColor: drawing.ColorWhite, DotWidth: 3}})
	}
	ticks := make([]chart.Tick, len(trend))
	for i := range trend {
		// The axis draws no text: monthLabels sets every label on one baseline.
		ticks[i] = chart.Tick{Value: float64(i), Label: ""}
	}
	if len(trend) == 1 { // the axis takes its range from the ticks
		ticks = []chart.Tick{{Value: xMin}, {Value: 0}, {Value: xMax}}
	}
	lang := st.Language
	title := l10n.T(lang, "report.chart.title", "Zone", st.Location)
	if target != nil {
		title = l10n.T(lang, "report.chart.title_target", "Zone", st.Location, "Target", signed(lang, *target))
	}
	c := chart.Chart{
		Title:      title,
		TitleStyle: chart.Style{FontSize: 14},
		Width:      ChartWidth,
		Height:     ChartHeight,
		DPI:        96,
		Background: chart.Style{Padding: chart.Box{Top: 50, Left: 40, Right: 30, Bottom: 20 + labelSpace}},
		XAxis: chart.XAxis{
			Range: &chart.ContinuousRange{Min: xMin, Max: xMax},
			Ticks: ticks,
		},
		YAxis: chart.YAxis{
			Name:           l10n.T(lang, "report.chart.axis"),
			Range:          &chart.ContinuousRange{Min: minY, Max: maxY},
			Ticks:          yTicks(lang, minY, maxY),
			ValueFormatter: func(v any) string { return signed(lang, v.(float64)) },
			GridMajorStyle: chart.Style{StrokeColor: drawing.Color{R: 0xdd, G: 0xdd, B: 0xdd, A: 0xff}, StrokeWidth: 1},
		},
		Series:   series,
		Elements: []chart.Renderable{monthLabels(labels, xMin, xMax), targetLabel(st, minY, maxY, orange)},
	}
	var b bytes.Buffer
	if err := c.Render(chart.PNG, &b); err != nil {
		return nil, fmt.Errorf("render chart: %w", err)
	}
	return b.Bytes(), nil
}

// loadDefaultFont parses go-chart's default font once. go-chart caches it
// in a package variable behind an unsynchronised check, so charts drawn by
// concurrent digests (replicas in one process, the tests) would race on it;
// loading it under a sync.Once first makes every later read safe.
var loadDefaultFont = sync.OnceValues(chart.GetDefaultFont)

// labelSpace is the room under the plot for the month labels, in pixels.
const labelSpace = 18

// monthLabels draws the x labels centred under their ticks on one
// baseline. go-chart places each label by its own measured height, so a
// label with a descender ("Sep", "Aug") would sit lower than "Nov".
func monthLabels(labels []string, xMin, xMax float64) chart.Renderable {
	return func(r chart.Renderer, box chart.Box, defaults chart.Style) {
		style := chart.Style{FontSize: 10, FontColor: drawing.Color{R: 0x33, G: 0x33, B: 0x33, A: 0xff}}.InheritFrom(defaults)
		baseline := box.Bottom + chart.DefaultXAxisMargin + chart.Draw.MeasureText(r, "0", style).Height()
		for i, l := range labels {
			x := box.Left + int((float64(i)-xMin)/(xMax-xMin)*float64(box.Width()))
			w := chart.Draw.MeasureText(r, l, style).Width()
			chart.Draw.Text(r, l, x-w/2, baseline, style)
		}
	}
}

// shortMonth is "Oct 26" (in English) for "2026-10".
func shortMonth(lang, month string) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	return l10n.MonthShort(lang, t.Month()) + " " + t.Format("06")
}

// targetLabel names the dashed target line at its right end, above it:
// "Target +30". Nothing when there is no target.
func targetLabel(st *models.DigestStats, minY, maxY float64, c drawing.Color) chart.Renderable {
	return func(r chart.Renderer, box chart.Box, defaults chart.Style) {
		if st.Targets.NPS == nil || maxY <= minY {
			return
		}
		text := l10n.T(st.Language, "report.chart.target", "Target", signed(st.Language, *st.Targets.NPS))
		style := chart.Style{FontSize: 10, FontColor: c}.InheritFrom(defaults)
		y := box.Bottom - int((*st.Targets.NPS-minY)/(maxY-minY)*float64(box.Height()))
		w := chart.Draw.MeasureText(r, text, style).Width()
		chart.Draw.Text(r, text, box.Right-w-4, y-4, style)
	}
}

// yTicks are round values every 10 points (20 on a wide range), through zero.
func yTicks(lang string, lo, hi float64) []chart.Tick {
	step := 10.0
	if hi-lo > 100 {
		step = 20
	}
	var out []chart.Tick
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		out = append(out, chart.Tick{Value: v, Label: signed(lang, v)})
	}
	return out
}
