package digest

import (
	"sort"
	"strings"

	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// significantlyApart reports whether two NPS samples differ at 95%.
func significantlyApart(a, b models.NPS) bool {
	return models.CompareNPS(a, b).Significant
}

// rankingText says which teams' NPS differ significantly, so that an order
// inside the margin of error is not read as a ranking. Teams under
// MinResponses NPS responses are left out of the comparison.
func rankingText(lang string, teams []models.TeamStats) string {
	var ts []models.TeamStats
	for _, t := range teams {
		if !t.NPS.TooFew() {
			ts = append(ts, t)
		}
	}
	if len(ts) < 2 {
		return ""
	}
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].NPS.Score() > ts[j].NPS.Score() })
	var apart []string
	pairs := 0
	for i := range ts {
		for j := i + 1; j < len(ts); j++ {
			pairs++
			if significantlyApart(ts[i].NPS, ts[j].NPS) {
				apart = append(apart, l10n.T(lang, "report.ranking.above", "A", ts[i].Name, "AScore", signed(lang, ts[i].NPS.Score()),
					"B", ts[j].Name, "BScore", signed(lang, ts[j].NPS.Score())))
			}
		}
	}
	switch {
	case len(apart) == 0 && len(ts) == 2:
		return l10n.T(lang, "report.ranking.pair_same", "A", ts[0].Name, "B", ts[1].Name)
	case len(apart) == 0:
		return l10n.T(lang, "report.ranking.none_apart")
	case len(apart) == pairs:
		return l10n.T(lang, "report.ranking.all_apart", "List", strings.Join(apart, "; "))
	}
	return l10n.T(lang, "report.ranking.some_apart", "List", strings.Join(apart, "; "))
}

// npsMargin is "+25 ±9" for tables, "too few" under MinResponses.
func npsMargin(lang string, n models.NPS) string {
	switch {
	case n.N() == 0:
		return "–"
	case n.TooFew():
		return l10n.T(lang, "report.too_few_short")
	}
	return signed(lang, n.Score()) + " ±" + l10n.Decimal(lang, n.Margin(), 0)
}

// Duration units: a column of medians is in hours when every value is
// under 48 h, in days otherwise, so no column mixes the two.
type durationUnit int

const (
	unitHours durationUnit = iota
	unitDays
)

func columnUnit(hs ...*float64) durationUnit {
	for _, h := range hs {
		if h != nil && *h >= 48 {
			return unitDays
		}
	}
	return unitHours
}

func (u durationUnit) name(lang string) string {
	if u == unitDays {
		return l10n.T(lang, "report.unit.days")
	}
	return l10n.T(lang, "report.unit.hours")
}

// in formats one value of the column, without the unit.
func (u durationUnit) in(lang string, h *float64) string {
	if h == nil {
		return "–"
	}
	if u == unitDays {
		return dec(lang, *h/24)
	}
	return dec(lang, *h)
}

func targetText(lang string, r targetRow) string {
	if r.Measure == "nps" {
		return signed(lang, r.Check.Target)
	}
	return pct(lang, r.Check.Target)
}

func actualText(lang string, r targetRow) string {
	if r.Measure == "nps" {
		return npsMargin(lang, r.NPS)
	}
	return slaText(lang, r.In, r.Of)
}

func verdictText(lang string, r targetRow) string {
	switch r.Check.Verdict {
	case models.Met:
		return l10n.T(lang, "report.verdict.met")
	case models.Missed:
		return l10n.T(lang, "report.verdict.missed")
	case models.MissedBeyondMargin:
		return l10n.T(lang, "report.verdict.beyond")
	}
	return l10n.T(lang, "report.verdict.too_few")
}

func whoText(lang, who string) string {
	if who == "" {
		return l10n.T(lang, "report.all_teams")
	}
	return who
}

// overdueLabel names the open overdue cases and the instant they are
// counted at: the month's end for a month that is over, otherwise when the
// digest was built.
func overdueLabel(st *models.DigestStats) string {
	if !st.AsOf.Before(st.End) {
		return l10n.T(st.Language, "report.loop.overdue_end", "Month", MonthTitle(st.Language, st.Month))
	}
	return l10n.T(st.Language, "report.loop.overdue_at", "Built", builtText(st))
}

// themeChange is "+11" for a theme that rose by 11 responses.
func themeChange(lang string, th models.ThemeCount) string { return changeCount(lang, th.Change()) }

// doneLine describes a finished improvement: owner, customers told, theme.
func doneLine(st *models.DigestStats, d models.DoneItem) (owner, told, effect string) {
	lang := st.Language
	owner = orNobody(lang, st.Name(d.Owner))
	args := []any{"Told", num(lang, d.Told), "Of", num(lang, d.ToldOf()), "Email", num(lang, d.ToldByEmail),
		"Phone", num(lang, d.ToldByPhone), "NotYet", num(lang, d.NotYetTold)}
	if d.CannotTell > 0 {
		told = l10n.T(lang, "report.done.told_cannot", append(args, "Cannot", num(lang, d.CannotTell))...)
	} else {
		told = l10n.T(lang, "report.done.told", args...)
	}
	switch {
	case d.Theme == "":
		effect = l10n.T(lang, "report.done.no_theme")
	case d.Days < 1:
		effect = l10n.T(lang, "report.done.too_soon", "Theme", d.Theme)
	default:
		effect = l10n.N(lang, "report.done.effect", d.Days, "Theme", d.Theme, "Before", num(lang, d.Before), "After", num(lang, d.After))
	}
	return owner, told, effect
}

// tooManyInProgress is the warning when more than models.MaxInProgress
// items are in progress.
func tooManyInProgress(lang string, im models.ImprovementDigest) string {
	if im.InProgress <= models.MaxInProgress {
		return ""
	}
	return l10n.N(lang, "report.warn.in_progress", int(im.InProgress), "Max", l10n.Number(lang, models.MaxInProgress))
}

// targetLine is one team's (or all teams') targets, one cell per measure;
// a nil cell has no target.
type targetLine struct {
	Who   string
	Cells [3]*targetRow // NPS, thanked, resolved
}

// targetGrid arranges targetRows by who, in the rows' order.
func targetGrid(rows []targetRow) []targetLine {
	var out []targetLine
	for i := range rows {
		r := &rows[i]
		if len(out) == 0 || out[len(out)-1].Who != r.Who {
			out = append(out, targetLine{Who: r.Who})
		}
		col := 0
		switch r.Measure {
		case "thanked":
			col = 1
		case "resolved":
			col = 2
		}
		out[len(out)-1].Cells[col] = r
	}
	return out
}

// cellText is "+24 ±11 (target +20): met" for a target cell, "–" without one.
func cellText(lang string, r *targetRow) string {
	if r == nil {
		return "–"
	}
	return l10n.T(lang, "report.target.cell", "Actual", actualText(lang, *r), "Target", targetText(lang, *r), "Verdict", verdictText(lang, *r))
}
