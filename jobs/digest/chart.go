package digest

import (
	"bytes"
	"fmt"
	"math"
	"time"

	chart "github.com/wcharczuk/go-chart/v2"
	"github.com/wcharczuk/go-chart/v2/drawing"

	"github.com/cxloop/cxloop/models"
)

// The trend chart's size in pixels.
const (
	ChartWidth  = 1000
	ChartHeight = 400
)

// Chart draws the 12-month NPS trend as a PNG of ChartWidth × ChartHeight:
// the NPS line with its 95% margin as a band, months under MinResponses
// responses as hollow points, months without responses left out.
func Chart(st *models.DigestStats) ([]byte, error) {
	var xs, ys, lo, hi, fewX, fewY []float64
	ticks := make([]chart.Tick, len(st.Trend))
	minY, maxY := 0.0, 0.0
	for i, m := range st.Trend {
		ticks[i] = chart.Tick{Value: float64(i), Label: shortMonth(m.Month)}
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
	blue := drawing.Color{R: 0x1f, G: 0x5f, B: 0xa8, A: 0xff}
	band := drawing.Color{R: 0x1f, G: 0x5f, B: 0xa8, A: 0x60}
	series := []chart.Series{}
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
	// A zero line keeps the sign of the score visible.
	series = append(series, chart.ContinuousSeries{Name: "zero", XValues: []float64{0, float64(len(st.Trend) - 1)}, YValues: []float64{0, 0},
		Style: chart.Style{StrokeColor: drawing.Color{R: 0x88, G: 0x88, B: 0x88, A: 0xff}, StrokeWidth: 1}})
	c := chart.Chart{
		Title:      "NPS, last 12 months (" + st.Location + ")",
		TitleStyle: chart.Style{FontSize: 14},
		Width:      ChartWidth,
		Height:     ChartHeight,
		DPI:        96,
		Background: chart.Style{Padding: chart.Box{Top: 50, Left: 20, Right: 30, Bottom: 20}},
		XAxis: chart.XAxis{
			Range: &chart.ContinuousRange{Min: 0, Max: float64(len(st.Trend) - 1)},
			Ticks: ticks,
		},
		YAxis: chart.YAxis{
			Name:           "NPS",
			Range:          &chart.ContinuousRange{Min: minY, Max: maxY},
			Ticks:          yTicks(minY, maxY),
			ValueFormatter: func(v any) string { return fmt.Sprintf("%+.0f", v.(float64)) },
			GridMajorStyle: chart.Style{StrokeColor: drawing.Color{R: 0xdd, G: 0xdd, B: 0xdd, A: 0xff}, StrokeWidth: 1},
		},
		Series: series,
	}
	var b bytes.Buffer
	if err := c.Render(chart.PNG, &b); err != nil {
		return nil, fmt.Errorf("render chart: %w", err)
	}
	return b.Bytes(), nil
}

// shortMonth is "Oct 26" for "2026-10".
func shortMonth(month string) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	return t.Format("Jan 06")
}

// yTicks are round values every 10 points (20 on a wide range), through zero.
func yTicks(lo, hi float64) []chart.Tick {
	step := 10.0
	if hi-lo > 100 {
		step = 20
	}
	var out []chart.Tick
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		out = append(out, chart.Tick{Value: v, Label: signed(v)})
	}
	return out
}
