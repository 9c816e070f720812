// Package digest builds the monthly digest for the CX improvement meeting
// from models.DigestStats: Markdown, a self-contained printable HTML report,
// the 12-month NPS trend as a PNG chart and a short neutral summary for chat;
// and it posts the previous month's digest once per month on the configured
// schedule.
package digest

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/cxloop/cxloop/models"
)

// MonthTitle is "October 2026" for "2026-10".
func MonthTitle(month string) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	return t.Format("January 2006")
}

// Title is the digest's heading.
func Title(month string) string { return "Customer experience digest — " + MonthTitle(month) }

const tooFew = "too few responses"

// signed formats a number of points with its sign: "+10", "-4", "0".
func signed(v float64) string {
	r := math.Round(v)
	if r == 0 {
		return "0"
	}
	return fmt.Sprintf("%+.0f", r)
}

// npsText is "+10 ±36.4 (20 responses)", or "too few responses (12)".
func npsText(n models.NPS) string {
	switch {
	case n.N() == 0:
		return "no responses"
	case n.TooFew():
		return fmt.Sprintf("%s (%d)", tooFew, n.N())
	}
	return fmt.Sprintf("%s ±%.1f (%s responses)", signed(n.Score()), n.Margin(), num(n.N()))
}

// npsShort is "+10" or "too few" for tables.
func npsShort(n models.NPS) string {
	switch {
	case n.N() == 0:
		return "–"
	case n.TooFew():
		return "too few"
	}
	return signed(n.Score())
}

// changeText says how the month moved against the previous one.
func changeText(st *models.DigestStats) string {
	prev := MonthTitle(models.AddMonths(st.Month, -1))
	c := st.Change
	switch {
	case !c.Comparable:
		return "no comparison with " + prev + " (a month without NPS responses)"
	case st.NPS.TooFew() || st.PrevNPS.TooFew():
		return fmt.Sprintf("%s points against %s (%s); %s to tell", signed(c.Delta), prev, signed(st.PrevNPS.Score()), tooFew)
	}
	verdict := "not significant"
	if c.Significant {
		verdict = "significant"
	}
	if math.Round(c.Delta) == 0 {
		return fmt.Sprintf("no change against %s (%s): the difference is not significant at 95%% (±%.1f needed)", prev, signed(st.PrevNPS.Score()), c.Threshold)
	}
	dir := "up"
	switch {
	case math.Round(c.Delta) > 0:
		dir = "up"
	case math.Round(c.Delta) < 0:
		dir = "down"
	}
	return fmt.Sprintf("%s %s points against %s (%s): %s at 95%% (±%.1f needed)", dir, strings.TrimPrefix(signed(math.Abs(c.Delta)), "+"),
		prev, signed(st.PrevNPS.Score()), verdict, c.Threshold)
}

func pct(v float64) string { return fmt.Sprintf("%.0f%%", v*100) }

// slaText is "93% (140 of 150)", or "9 of 12" below MinResponses cases.
func slaText(in, due int64) string {
	switch {
	case due == 0:
		return "–"
	case due < models.MinResponses:
		return fmt.Sprintf("%s of %s", num(in), num(due))
	}
	return fmt.Sprintf("%s (%s of %s)", pct(float64(in)/float64(due)), num(in), num(due))
}

func hoursText(h *float64) string {
	if h == nil {
		return "–"
	}
	if *h >= 48 {
		return fmt.Sprintf("%.1f days", *h/24)
	}
	return fmt.Sprintf("%.1f h", *h)
}

func csatText(s *models.ScoreStats) string {
	if s.TooFew() {
		return fmt.Sprintf("%s (%d), average %.1f of 5", tooFew, s.N, s.Average)
	}
	return fmt.Sprintf("%s satisfied (4–5), average %.1f of 5 (%s responses)", pct(s.TopShare), s.Average, num(s.N))
}

func cesText(s *models.ScoreStats) string {
	return fmt.Sprintf("average %.1f of 7 (%s responses)", s.Average, num(s.N))
}

func changeCount(n int64) string {
	switch {
	case n == 0:
		return "±0"
	case n > 0:
		return "+" + num(n)
	}
	return num(n)
}

func touchpointName(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func statusText(s string) string { return strings.ReplaceAll(s, "_", " ") }

func orNobody(s string) string {
	if s == "" {
		return "no owner yet"
	}
	return s
}

func quoteAttribution(q models.Quote) string {
	parts := []string{segmentName(q.Segment), fmt.Sprintf("%s %d", strings.ToUpper(string(q.Metric)), q.Score)}
	if q.TeamName != "" {
		parts = append(parts, q.TeamName)
	}
	if q.Touchpoint != "" {
		parts = append(parts, q.Touchpoint)
	}
	return strings.Join(parts, ", ")
}

func segmentName(s models.Segment) string {
	switch s {
	case models.SegmentDetractor:
		return "Detractor"
	case models.SegmentPromoter:
		return "Promoter"
	}
	return "Passive"
}

func termList(ts []models.Term, detractor bool) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		if detractor {
			out[i] = fmt.Sprintf("%s (%s vs %s)", t.Word, num(t.Detractors), num(t.Promoters))
		} else {
			out[i] = fmt.Sprintf("%s (%s vs %s)", t.Word, num(t.Promoters), num(t.Detractors))
		}
	}
	return out
}

func trendMonth(month string) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	return t.Format("Jan 2006")
}

// hasTeamData reports whether a team had anything this month.
func hasTeamData(t models.TeamStats) bool {
	return t.Responses > 0 || t.Loop.Cases > 0 || t.Loop.OverdueNow > 0
}

// builtText is when the digest was built, in its time zone.
func builtText(st *models.DigestStats) string {
	t := st.BuiltAt
	if loc, err := time.LoadLocation(st.Location); err == nil {
		t = t.In(loc)
	}
	return t.Format("2006-01-02 15:04 MST")
}

// num writes a count with thousands separators: 72,354.
func num(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}
