// Package digest builds the monthly digest for the CX improvement meeting
// from models.DigestStats: Markdown, a self-contained printable HTML report,
// the 12-month NPS trend as a PNG chart and a short neutral summary for chat;
// and it posts the previous month's digest once per month on the configured
// schedule. Every word is in the digest's language (st.Language), from the
// catalogs in bot/l10n (areas digest and report).
package digest

import (
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// MonthTitle is "October 2026" (in English) for "2026-10".
func MonthTitle(lang, month string) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	return l10n.MonthYear(lang, t.Year(), t.Month())
}

// Title is the digest's heading.
func Title(lang, month string) string {
	return l10n.T(lang, "report.title", "Month", MonthTitle(lang, month))
}

func tooFew(lang string) string { return l10n.T(lang, "report.too_few") }

// signed is a number of points with its sign: "+10", "−4", "0".
func signed(lang string, v float64) string { return points(lang, v) }

// dec is x with one decimal in lang.
func dec(lang string, x float64) string { return l10n.Decimal(lang, x, 1) }

// npsText is "+10 ±36.4 (20 responses)", or "too few responses (12)".
func npsText(lang string, n models.NPS) string {
	switch {
	case n.N() == 0:
		return l10n.T(lang, "report.nps.none")
	case n.TooFew():
		return l10n.N(lang, "report.nps.too_few", int(n.N()))
	}
	return l10n.N(lang, "report.nps.value", int(n.N()), "NPS", signed(lang, n.Score()), "Margin", dec(lang, n.Margin()))
}

// npsShort is "+10" or "too few" for tables.
func npsShort(lang string, n models.NPS) string {
	switch {
	case n.N() == 0:
		return "–"
	case n.TooFew():
		return l10n.T(lang, "report.too_few_short")
	}
	return signed(lang, n.Score())
}

// changeText says, as a sentence without its full stop, how the month
// moved against the previous one.
func changeText(st *models.DigestStats) string {
	lang := st.Language
	prev := MonthTitle(lang, models.AddMonths(st.Month, -1))
	c := st.Change
	args := []any{"Prev", prev, "PrevNPS", signed(lang, st.PrevNPS.Score()), "Threshold", dec(lang, c.Threshold),
		"Delta", l10n.Number(lang, int(math.Abs(math.Round(c.Delta))))}
	switch {
	case !c.Comparable:
		return l10n.T(lang, "report.change.no_comparison", args...)
	case st.NPS.TooFew() || st.PrevNPS.TooFew():
		return l10n.T(lang, "report.change.too_few", append(args, "Change", signed(lang, c.Delta))...)
	case math.Round(c.Delta) == 0:
		return l10n.T(lang, "report.change.none", args...)
	}
	id := "report.change."
	if math.Round(c.Delta) > 0 {
		id += "up"
	} else {
		id += "down"
	}
	if c.Significant {
		id += "_significant"
	} else {
		id += "_not_significant"
	}
	return l10n.T(lang, id, args...)
}

func pct(lang string, v float64) string { return l10n.Percent(lang, v, 0) }

// slaText is "93% (140 of 150)", or "9 of 12" below MinResponses cases.
func slaText(lang string, in, due int64) string {
	switch {
	case due == 0:
		return "–"
	case due < models.MinResponses:
		return l10n.T(lang, "report.share.few", "In", num(lang, in), "Of", num(lang, due))
	}
	return l10n.T(lang, "report.share", "Percent", pct(lang, float64(in)/float64(due)), "In", num(lang, in), "Of", num(lang, due))
}

// hoursText is a duration in hours under 48 h, in days above.
func hoursText(lang string, h *float64) string {
	if h == nil {
		return "–"
	}
	if *h >= 48 {
		return l10n.T(lang, "report.days", "Value", dec(lang, *h/24))
	}
	return l10n.T(lang, "report.hours", "Value", dec(lang, *h))
}

func csatText(lang string, s *models.ScoreStats) string {
	if s.TooFew() {
		return l10n.N(lang, "report.csat.too_few", int(s.N), "Average", dec(lang, s.Average))
	}
	return l10n.N(lang, "report.csat", int(s.N), "Share", pct(lang, s.TopShare), "Average", dec(lang, s.Average))
}

func cesText(lang string, s *models.ScoreStats) string {
	return l10n.N(lang, "report.ces", int(s.N), "Average", dec(lang, s.Average))
}

// changeCount is "+11", "−3" or "±0".
func changeCount(lang string, n int64) string {
	switch {
	case n == 0:
		return "±0"
	case n > 0:
		return "+" + num(lang, n)
	}
	return num(lang, n)
}

func touchpointName(lang, s string) string {
	if s == "" {
		return l10n.T(lang, "report.touchpoint.none")
	}
	return s
}

// statusText names an improvement item's status as the backlog does.
func statusText(lang, s string) string {
	id := "backlog.status." + s
	if t := l10n.T(lang, id); t != id {
		return lowerFirst(t) // it stands inside a line
	}
	return strings.ReplaceAll(s, "_", " ")
}

func orNobody(lang, s string) string {
	if s == "" {
		return l10n.T(lang, "report.no_owner")
	}
	return s
}

func quoteAttribution(lang string, q models.Quote) string {
	args := []any{"Segment", segmentName(lang, q.Segment), "Metric", strings.ToUpper(string(q.Metric)), "Score", l10n.Number(lang, q.Score)}
	if where := nonEmpty(q.TeamName, q.Touchpoint); len(where) > 0 {
		return l10n.T(lang, "report.quote.by_where", append(args, "Where", strings.Join(where, ", "))...)
	}
	return l10n.T(lang, "report.quote.by", args...)
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func segmentName(lang string, s models.Segment) string {
	switch s {
	case models.SegmentDetractor:
		return l10n.T(lang, "report.segment.detractor")
	case models.SegmentPromoter:
		return l10n.T(lang, "report.segment.promoter")
	}
	return l10n.T(lang, "report.segment.passive")
}

// termList is "fee (12/3)": the word, its uses by the group it
// characterises and by the other.
func termList(lang string, ts []models.Term, detractor bool) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		a, b := t.Detractors, t.Promoters
		if !detractor {
			a, b = b, a
		}
		out[i] = t.Word + " (" + num(lang, a) + "/" + num(lang, b) + ")"
	}
	return out
}

// trendMonth is "Oct 2026" in lang, for tables.
func trendMonth(lang, month string) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	return l10n.MonthShort(lang, t.Month()) + " " + t.Format("2006")
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
	return l10n.Date(st.Language, t) + " " + t.Format("15:04 MST")
}

// num writes a count with the language's digit grouping.
func num(lang string, n int64) string { return l10n.Number(lang, int(n)) }

// lowerFirst lowers a label's first letter where it stands inside a sentence.
func lowerFirst(s string) string {
	for i, r := range s {
		return string(unicode.ToLower(r)) + s[i+utf8.RuneLen(r):]
	}
	return s
}
