package digest

import (
	"math"
	"sort"
	"strings"

	"github.com/cxloop/cxloop/bot/l10n"
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
	lang, n, c := st.Language, st.NPS, st.Change
	count := int(n.N())
	switch {
	case n.N() == 0:
		return l10n.T(lang, "digest.story.no_responses")
	case n.TooFew():
		return l10n.N(lang, "digest.story.too_few", count)
	}
	args := []any{"NPS", points(lang, n.Score()), "Margin", l10n.Decimal(lang, n.Margin(), 0), "Prev", points(lang, st.PrevNPS.Score())}
	switch {
	case !c.Comparable || st.PrevNPS.TooFew():
		return l10n.N(lang, "digest.story.no_previous", count, args...)
	case c.Significant && c.Delta > 0:
		return l10n.N(lang, "digest.story.rose", count, args...)
	case c.Significant:
		return l10n.N(lang, "digest.story.fell", count, args...)
	case math.Round(c.Delta) == 0:
		return l10n.N(lang, "digest.story.held", count, args...)
	}
	return l10n.T(lang, "digest.story.within_margin", append(args, "Delta", l10n.Decimal(lang, math.Abs(c.Delta), 0),
		"Threshold", l10n.Decimal(lang, c.Threshold, 0))...)
}

// points is an NPS in whole points with its sign, in the digest's language.
func points(lang string, v float64) string {
	r := math.Round(v)
	if r == 0 {
		return "0"
	}
	return l10n.Signed(lang, r, 0)
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
	lang := st.Language
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
			return l10n.T(lang, "digest.story.all_met", "Met", l10n.Number(lang, judged), "Total", l10n.Number(lang, len(rows)))
		}
		return themeSentence(st)
	}
	sort.SliceStable(missed, func(i, j int) bool { return missed[i].severity() > missed[j].severity() })
	w := missed[0]
	verdict := l10n.T(lang, "digest.story.miss_within")
	if w.Check.Verdict == models.MissedBeyondMargin {
		verdict = l10n.T(lang, "digest.story.miss_beyond")
	}
	scope := "team"
	if w.Who == "" {
		scope = "all"
	}
	if w.Measure == "nps" {
		return l10n.T(lang, "digest.story.worst_nps_"+scope, "Team", w.Who, "Actual", points(lang, w.Check.Actual),
			"Target", points(lang, w.Check.Target), "Verdict", verdict)
	}
	return l10n.T(lang, "digest.story.worst_"+w.Measure+"_"+scope, "Team", w.Who, "Actual", l10n.Percent(lang, w.Check.Actual, 0),
		"In", l10n.Number(lang, int(w.In)), "Of", l10n.Number(lang, int(w.Of)), "Target", l10n.Percent(lang, w.Check.Target, 0), "Verdict", verdict)
}

// themeSentence names the theme that weighs most among detractors.
func themeSentence(st *models.DigestStats) string {
	if len(st.Themes) == 0 || st.Themes[0].Count == 0 {
		return ""
	}
	th := st.Themes[0]
	return l10n.N(st.Language, "digest.story.theme", int(th.Count), "Theme", th.Name, "Prev", l10n.Number(st.Language, int(th.PrevCount)))
}

func doneSentence(st *models.DigestStats) string {
	lang := st.Language
	done := st.Improvements.DoneItems
	if len(done) == 0 {
		if n := st.Improvements.InProgress; n > 0 {
			return l10n.N(lang, "digest.story.none_done", int(n))
		}
		return ""
	}
	d := done[0]
	for _, o := range done[1:] {
		if o.Linked > d.Linked {
			d = o
		}
	}
	args := []any{"Title", d.Title, "Told", l10n.Number(lang, int(d.Told)), "Of", l10n.Number(lang, int(d.ToldOf()))}
	if d.Theme != "" && d.Days >= 1 {
		return l10n.N(lang, "digest.story.done_effect", d.Days, append(args, "Theme", d.Theme,
			"Before", l10n.Number(lang, int(d.Before)), "After", l10n.Number(lang, int(d.After)))...)
	}
	return l10n.T(lang, "digest.story.done", args...)
}
