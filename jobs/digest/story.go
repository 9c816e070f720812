package digest

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/cxloop/cxloop/models"
)

// Story is the digest's opening paragraph: at most three sentences, drawn
// from the numbers alone, for a board that reads two minutes. The first
// says what moved significantly (or that nothing did), the second where the
// month is furthest from target (or which theme weighs most when there are
// no targets), the third what was done and its effect so far.
func Story(st *models.DigestStats) []string {
	var out []string
	if s := movementSentence(st); s != "" {
		out = append(out, s)
	}
	if s := targetSentence(st); s != "" {
		out = append(out, s)
	}
	if s := doneSentence(st); s != "" {
		out = append(out, s)
	}
	return out
}

// StoryText is the opening paragraph as one string.
func StoryText(st *models.DigestStats) string { return strings.Join(Story(st), " ") }

func movementSentence(st *models.DigestStats) string {
	month, prev := MonthTitle(st.Month), MonthTitle(models.AddMonths(st.Month, -1))
	n, c := st.NPS, st.Change
	switch {
	case n.N() == 0:
		return fmt.Sprintf("No NPS responses came in %s, so there is no score to report.", month)
	case n.TooFew():
		return fmt.Sprintf("Only %s NPS responses came in %s: too few to read the score or any change in it.", num(n.N()), month)
	case !c.Comparable || st.PrevNPS.TooFew():
		return fmt.Sprintf("NPS was %s (±%.0f on %s responses) in %s; %s had too few responses to compare with.",
			signed(n.Score()), n.Margin(), num(n.N()), month, prev)
	case c.Significant && c.Delta > 0:
		return fmt.Sprintf("NPS rose significantly in %s, from %s to %s (±%.0f on %s responses).",
			month, signed(st.PrevNPS.Score()), signed(n.Score()), n.Margin(), num(n.N()))
	case c.Significant:
		return fmt.Sprintf("NPS fell significantly in %s, from %s to %s (±%.0f on %s responses).",
			month, signed(st.PrevNPS.Score()), signed(n.Score()), n.Margin(), num(n.N()))
	case math.Round(c.Delta) == 0:
		return fmt.Sprintf("NPS held at %s in %s (±%.0f on %s responses), level with %s.", signed(n.Score()), month, n.Margin(), num(n.N()), prev)
	}
	return fmt.Sprintf("NPS was %s in %s against %s in %s: a %.0f-point difference within the margin of error (±%.0f), so not a real change.",
		signed(n.Score()), month, signed(st.PrevNPS.Score()), prev, math.Abs(c.Delta), c.Threshold)
}

// targetRow is one target beside its actual, for one team or all.
type targetRow struct {
	Who     string // a team's name; "" for all teams
	Measure string // "nps", "thanked", "resolved"
	Check   models.TargetCheck
	// In and Of are a share's numerator and denominator.
	In, Of int64
	NPS    models.NPS
}

// severity orders misses: beyond the margin first, then by how far below
// target, NPS points and share percentage points alike.
func (r targetRow) severity() float64 {
	gap := r.Check.Gap()
	if r.Measure != "nps" {
		gap *= 100
	}
	if r.Check.Verdict == models.MissedBeyondMargin {
		gap += 1000
	}
	return gap
}

// targetRows lists every target set and measurable: all teams first, then
// each team with data.
func targetRows(st *models.DigestStats) []targetRow {
	var rows []targetRow
	add := func(who string, t models.Targets, n models.NPS, l models.LoopHealth) {
		if t.NPS != nil {
			rows = append(rows, targetRow{Who: who, Measure: "nps", Check: models.CheckNPS(t.NPS, n), NPS: n})
		}
		if t.ThankedInSLA != nil {
			rows = append(rows, targetRow{Who: who, Measure: "thanked", Check: withTarget(models.CheckShare(t.ThankedInSLA, l.ThankedInSLA, l.ThankDue), *t.ThankedInSLA), In: l.ThankedInSLA, Of: l.ThankDue})
		}
		if t.ResolvedInSLA != nil {
			rows = append(rows, targetRow{Who: who, Measure: "resolved", Check: withTarget(models.CheckShare(t.ResolvedInSLA, l.ResolvedInSLA, l.ResolveDue), *t.ResolvedInSLA), In: l.ResolvedInSLA, Of: l.ResolveDue})
		}
	}
	add("", st.Targets, st.NPS, st.Loop)
	for _, t := range st.Teams {
		if hasTeamData(t) {
			add(t.Name, t.Targets, t.NPS, t.Loop)
		}
	}
	for i := range rows {
		if rows[i].Measure == "nps" && rows[i].Check.Verdict == models.NoTarget {
			if t := targetOf(st, rows[i].Who); t.NPS != nil {
				rows[i].Check.Target = *t.NPS
			}
		}
	}
	return rows
}

// withTarget keeps the target on a check that could not be judged.
func withTarget(c models.TargetCheck, target float64) models.TargetCheck {
	c.Target = target
	return c
}

func targetOf(st *models.DigestStats, who string) models.Targets {
	for _, t := range st.Teams {
		if t.Name == who && who != "" {
			return t.Targets
		}
	}
	return st.Targets
}

func targetSentence(st *models.DigestStats) string {
	rows := targetRows(st)
	var missed []targetRow
	judged := 0
	for _, r := range rows {
		switch r.Check.Verdict {
		case models.Missed, models.MissedBeyondMargin:
			missed = append(missed, r)
			judged++
		case models.Met:
			judged++
		}
	}
	if len(missed) == 0 {
		if judged > 0 {
			return fmt.Sprintf("Every target that could be judged was met (%d of %d).", judged, len(rows))
		}
		return themeSentence(st)
	}
	sort.SliceStable(missed, func(i, j int) bool { return missed[i].severity() > missed[j].severity() })
	w := missed[0]
	beyond := w.Check.Verdict == models.MissedBeyondMargin
	who := w.Who
	switch {
	case w.Measure == "nps" && who == "" && beyond:
		return fmt.Sprintf("The furthest from target is NPS overall: %s against %s, a miss beyond the margin of error.", signed(w.Check.Actual), signed(w.Check.Target))
	case w.Measure == "nps" && who == "":
		return fmt.Sprintf("The furthest from target is NPS overall: %s against %s, within the margin of error.", signed(w.Check.Actual), signed(w.Check.Target))
	case w.Measure == "nps" && beyond:
		return fmt.Sprintf("%s is furthest from target: NPS %s against %s, a miss beyond the margin of error.", who, signed(w.Check.Actual), signed(w.Check.Target))
	case w.Measure == "nps":
		return fmt.Sprintf("%s is furthest from target: NPS %s against %s, within the margin of error.", who, signed(w.Check.Actual), signed(w.Check.Target))
	}
	what := "Thanked within SLA"
	if w.Measure == "resolved" {
		what = "Resolved within SLA"
	}
	switch {
	case who == "" && beyond:
		return fmt.Sprintf("%s is furthest from target: %s (%s of %s cases due) against %s, a miss beyond the margin of error.",
			what, pct(w.Check.Actual), num(w.In), num(w.Of), pct(w.Check.Target))
	case who == "":
		return fmt.Sprintf("%s is furthest from target: %s (%s of %s cases due) against %s, within the margin of error.",
			what, pct(w.Check.Actual), num(w.In), num(w.Of), pct(w.Check.Target))
	case beyond:
		return fmt.Sprintf("%s is furthest from target: %s %s (%s of %s cases due) against %s, a miss beyond the margin of error.",
			who, strings.ToLower(what), pct(w.Check.Actual), num(w.In), num(w.Of), pct(w.Check.Target))
	}
	return fmt.Sprintf("%s is furthest from target: %s %s (%s of %s cases due) against %s, within the margin of error.",
		who, strings.ToLower(what), pct(w.Check.Actual), num(w.In), num(w.Of), pct(w.Check.Target))
}

// themeSentence names the theme that weighs most among detractors.
func themeSentence(st *models.DigestStats) string {
	if len(st.Themes) == 0 || st.Themes[0].Count == 0 {
		return ""
	}
	th := st.Themes[0]
	prev := MonthTitle(models.AddMonths(st.Month, -1))
	return fmt.Sprintf("The theme detractors named most was %s: %s responses, against %s in %s.", th.Name, num(th.Count), num(th.PrevCount), prev)
}

func doneSentence(st *models.DigestStats) string {
	done := st.Improvements.DoneItems
	month := MonthTitle(st.Month)
	if len(done) == 0 {
		if n := st.Improvements.InProgress; n > 0 {
			return fmt.Sprintf("No improvement was finished in %s; %d in progress.", month, n)
		}
		return ""
	}
	d := done[0]
	for _, o := range done[1:] {
		if o.Linked > d.Linked {
			d = o
		}
	}
	told := fmt.Sprintf("%s of %s customers told", num(d.Told), num(d.ToldOf()))
	if d.Theme != "" && d.Days >= 1 {
		return fmt.Sprintf("Done: %q (%s); %s detractors went from %s in the %d days before to %s in the %d days since.",
			d.Title, told, d.Theme, num(d.Before), d.Days, num(d.After), d.Days)
	}
	return fmt.Sprintf("Done: %q (%s).", d.Title, told)
}
