package digest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cxloop/cxloop/models"
)

// significantlyApart reports whether two NPS samples differ at 95%.
func significantlyApart(a, b models.NPS) bool {
	return models.CompareNPS(a, b).Significant
}

// rankingText says which teams' NPS differ significantly, so that an order
// inside the margin of error is not read as a ranking. Teams under
// MinResponses NPS responses are left out of the comparison.
func rankingText(teams []models.TeamStats) string {
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
				apart = append(apart, fmt.Sprintf("%s (%s) above %s (%s)", ts[i].Name, signed(ts[i].NPS.Score()), ts[j].Name, signed(ts[j].NPS.Score())))
			}
		}
	}
	switch {
	case len(apart) == 0 && len(ts) == 2:
		return fmt.Sprintf("%s and %s are not significantly different: the gap is within the margin of error, so the order is not a ranking.", ts[0].Name, ts[1].Name)
	case len(apart) == 0:
		return "No two teams are significantly different: every gap is within the margin of error, so the order is not a ranking."
	case len(apart) == pairs:
		return "Every team differs significantly from every other: " + strings.Join(apart, "; ") + "."
	}
	return "Significantly different: " + strings.Join(apart, "; ") + ". The other gaps are within the margin of error."
}

// npsMargin is "+25 ±9" for tables, "too few" under MinResponses.
func npsMargin(n models.NPS) string {
	switch {
	case n.N() == 0:
		return "–"
	case n.TooFew():
		return "too few"
	}
	return fmt.Sprintf("%s ±%.0f", signed(n.Score()), n.Margin())
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

func (u durationUnit) name() string {
	if u == unitDays {
		return "days"
	}
	return "h"
}

// in formats one value of the column, without the unit.
func (u durationUnit) in(h *float64) string {
	if h == nil {
		return "–"
	}
	if u == unitDays {
		return fmt.Sprintf("%.1f", *h/24)
	}
	return fmt.Sprintf("%.1f", *h)
}

func targetText(r targetRow) string {
	if r.Measure == "nps" {
		return signed(r.Check.Target)
	}
	return pct(r.Check.Target)
}

func actualText(r targetRow) string {
	if r.Measure == "nps" {
		return npsMargin(r.NPS)
	}
	return slaText(r.In, r.Of)
}

func verdictText(r targetRow) string {
	switch r.Check.Verdict {
	case models.Met:
		return "met"
	case models.Missed:
		return "missed"
	case models.MissedBeyondMargin:
		return "missed beyond the margin"
	}
	return "too few to judge"
}

func whoText(who string) string {
	if who == "" {
		return "All teams"
	}
	return who
}

// asOfText names the instant overdue counts refer to: the month's end for a
// month that is over, otherwise when the digest was built.
func asOfText(st *models.DigestStats) string {
	if !st.AsOf.Before(st.End) {
		return "at the end of " + MonthTitle(st.Month)
	}
	return "at " + builtText(st)
}

// themeChange is "+11" for a theme that rose by 11 responses.
func themeChange(th models.ThemeCount) string { return changeCount(th.Change()) }

// doneLine describes a finished improvement: owner, customers told, theme.
func doneLine(st *models.DigestStats, d models.DoneItem) (owner, told, effect string) {
	owner = orNobody(st.Name(d.Owner))
	told = fmt.Sprintf("%s of %s customers told: %s by email, %s by phone, %s not yet", num(d.Told), num(d.ToldOf()),
		num(d.ToldByEmail), num(d.ToldByPhone), num(d.NotYetTold))
	if d.CannotTell > 0 {
		told += fmt.Sprintf("; %s cannot be contacted", num(d.CannotTell))
	}
	switch {
	case d.Theme == "":
		effect = "no theme among its detractors to follow"
	case d.Days < 1:
		effect = fmt.Sprintf("%s: too soon to tell", d.Theme)
	default:
		effect = fmt.Sprintf("%s detractors: %s in the %d days before, %s in the %d days since", d.Theme, num(d.Before), d.Days, num(d.After), d.Days)
	}
	return owner, told, effect
}

// tooManyInProgress is the warning when more than models.MaxInProgress
// items are in progress.
func tooManyInProgress(im models.ImprovementDigest) string {
	if im.InProgress <= models.MaxInProgress {
		return ""
	}
	return fmt.Sprintf("%d improvements are in progress, more than %d: fewer priorities are better; finish or drop some before starting more.",
		im.InProgress, models.MaxInProgress)
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
func cellText(r *targetRow) string {
	if r == nil {
		return "–"
	}
	return actualText(*r) + " (target " + targetText(*r) + "): " + verdictText(*r)
}

// targetsNote explains the verdicts.
const targetsNote = "Each actual against its target. Missed: below target but within the margin of error, so it may be chance; " +
	"missed beyond the margin: below target by more than the margin of error."
