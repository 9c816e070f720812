package digest

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// mdEscape makes outside text (customers' words, names, titles) literal in
// Markdown: no emphasis, links, code, HTML, headings, lists or table breaks.
func mdEscape(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '~', '&':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	out := b.String()
	// What only means something at the start of a line.
	if out != "" && strings.ContainsRune("#+-=", rune(out[0])) {
		out = "\\" + out
	}
	if m := orderedListStart.FindStringIndex(out); m != nil {
		out = out[:m[1]-1] + "\\" + out[m[1]-1:]
	}
	return out
}

var orderedListStart = regexp.MustCompile(`^\d+[.)]`)

// Markdown renders the digest as one Markdown document: the story first,
// then targets, what was done and what is next, then the detail.
func Markdown(st *models.DigestStats) []byte {
	lang := st.Language
	T := func(id string, kv ...any) string { return l10n.T(lang, id, kv...) }
	var b bytes.Buffer
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	month := MonthTitle(lang, st.Month)
	w("# %s\n\n", mdEscape(Title(lang, st.Month)))
	w("_%s_\n\n", mdEscape(metaText(st)))
	if story := StoryText(st); story != "" {
		w("%s\n\n", mdEscape(story))
	}

	if rows := targetRows(st); len(rows) > 0 {
		w("## %s\n\n%s\n\n", T("report.h.targets"), mdEscape(T("report.targets.note")))
		w("| | %s | %s | %s |\n|---|---|---|---|\n", T("report.col.nps_margin"), T("report.col.thanked_in_sla"), T("report.col.resolved_in_sla"))
		for _, l := range targetGrid(rows) {
			w("| %s | %s | %s | %s |\n", mdEscape(whoText(lang, l.Who)), cellText(lang, l.Cells[0]), cellText(lang, l.Cells[1]), cellText(lang, l.Cells[2]))
		}
		w("\n")
	}

	w("## %s\n\n", T("report.h.headline"))
	w("- **%s**\n", mdEscape(T("report.headline.nps", "NPS", npsText(lang, st.NPS))))
	w("- %s\n", mdEscape(changeText(st)))
	w("- %s\n", mdEscape(T("report.headline.responses", "Count", num(lang, st.Responses))))
	if st.CSAT != nil {
		w("- %s\n", mdEscape(T("report.headline.csat", "CSAT", csatText(lang, st.CSAT))))
	}
	if st.CES != nil {
		w("- %s\n", mdEscape(T("report.headline.ces", "CES", cesText(lang, st.CES))))
	}
	w("\n")

	im := st.Improvements
	w("## %s\n\n", T("report.h.done"))
	if len(im.DoneItems) == 0 {
		w("%s\n\n", mdEscape(T("report.done.none", "Month", month)))
	} else {
		for _, d := range im.DoneItems {
			owner, told, effect := doneLine(st, d)
			w("- **%s** — %s; %s; %s\n", mdEscape(d.Title), mdEscape(owner), mdEscape(told), mdEscape(effect))
		}
		w("\n")
	}
	w("## %s\n\n", T("report.h.next"))
	w("%s\n\n", mdEscape(itemCounts(st)))
	if warn := tooManyInProgress(lang, im); warn != "" {
		w("**%s** %s\n\n", T("report.warning"), mdEscape(warn))
	}
	if len(im.Top) > 0 {
		w("%s\n\n", mdEscape(T("report.next.intro")))
		for i, it := range im.Top {
			w("%d. **%s** — %s\n", i+1, mdEscape(it.Title), mdEscape(topItemText(st, it)))
		}
		w("\n")
	}

	l := st.Loop
	w("## %s\n\n", T("report.h.loop"))
	w("- %s: %s\n", mdEscape(T("report.loop.cases", "Month", month)), mdEscape(T("report.loop.cases_closed", "Cases", num(lang, l.Cases), "Closed", num(lang, l.Closed))))
	w("- %s: %s\n", T("report.loop.thanked"), mdEscape(T("report.loop.thanked_of_due", "Share", slaText(lang, l.ThankedInSLA, l.ThankDue))))
	w("- %s: %s\n", T("report.loop.resolved"), mdEscape(T("report.loop.resolved_of_due", "Share", slaText(lang, l.ResolvedInSLA, l.ResolveDue))))
	w("- %s: %s\n", T("report.loop.median_thank"), hoursText(lang, l.MedianHoursToThank))
	w("- %s: %s\n", T("report.loop.median_resolve"), hoursText(lang, l.MedianHoursToResolve))
	w("- %s: %s\n\n", mdEscape(overdueLabel(st)), mdEscape(T("report.loop.overdue_any", "Count", num(lang, l.OverdueNow))))
	w("%s\n\n", mdEscape(sharesNote(st)))

	teams, tu, ru := teamRows(st)
	w("## %s\n\n", T("report.h.teams"))
	w("| %s |\n", strings.Join(teamHeaders(lang, tu, ru), " | "))
	w("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, t := range teams {
		w("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", mdEscape(t.Name), num(lang, t.Responses), npsMargin(lang, t.NPS), num(lang, t.Loop.Cases),
			slaText(lang, t.Loop.ThankedInSLA, t.Loop.ThankDue), slaText(lang, t.Loop.ResolvedInSLA, t.Loop.ResolveDue),
			tu.in(lang, t.Loop.MedianHoursToThank), ru.in(lang, t.Loop.MedianHoursToResolve), num(lang, t.Loop.OverdueNow))
	}
	w("\n")
	if r := rankingText(lang, teams); r != "" {
		w("%s\n\n", mdEscape(r))
	}

	if len(st.Touchpoints) > 0 {
		w("## %s\n\n| %s | %s | %s |\n|---|---:|---:|\n", T("report.h.touchpoints"), T("report.col.touchpoint"), T("report.col.nps_responses"), T("report.col.nps_margin"))
		for _, tp := range st.Touchpoints {
			w("| %s | %s | %s |\n", mdEscape(touchpointName(lang, tp.Name)), num(lang, tp.NPS.N()), npsMargin(lang, tp.NPS))
		}
		w("\n")
	}

	prev := MonthTitle(lang, models.AddMonths(st.Month, -1))
	w("## %s\n\n", T("report.h.themes"))
	if len(st.Themes) == 0 {
		w("%s\n\n", mdEscape(T("report.themes.none")))
	} else {
		w("| %s | %s | %s | %s |\n|---|---:|---:|---:|\n", T("report.col.theme"), month, prev, T("report.col.theme_change"))
		for _, th := range st.Themes {
			w("| %s | %s | %s | %s |\n", mdEscape(th.Name), num(lang, th.Count), num(lang, th.PrevCount), themeChange(lang, th))
		}
		w("\n")
	}
	if len(st.DetractorTerms) > 0 {
		w("%s\n\n", mdEscape(T("report.terms.detractors", "List", strings.Join(termList(lang, st.DetractorTerms, true), ", "))))
	}
	if len(st.PromoterTerms) > 0 {
		w("%s\n\n", mdEscape(T("report.terms.promoters", "List", strings.Join(termList(lang, st.PromoterTerms, false), ", "))))
	}

	if len(st.Quotes) > 0 {
		w("## %s\n\n", T("report.h.voice"))
		for _, q := range st.Quotes {
			w("> %s\n>\n> — %s\n\n", mdEscape(q.Text), mdEscape(quoteAttribution(lang, q)))
		}
	}

	w("## %s\n\n", T("report.h.recognition"))
	if len(st.Recognition) == 0 {
		w("%s\n\n", mdEscape(T("report.recognition.none")))
	} else {
		for _, r := range st.Recognition {
			w("- %s\n", mdEscape(recognitionText(st, r)))
		}
		w("\n")
	}

	w("## %s\n\n| %s | %s | %s | %s |\n|---|---:|---:|---:|\n", T("report.h.trend"), T("report.col.month"), T("report.col.nps"), T("report.col.margin"), T("report.col.responses"))
	for _, m := range trendFromFirstData(st.Trend) {
		w("| %s | %s | %s | %s |\n", trendMonth(lang, m.Month), npsShort(lang, m.NPS), marginText(lang, m.NPS), num(lang, m.NPS.N()))
	}
	w("\n%s\n", mdEscape(methodNote(lang)))
	return b.Bytes()
}

// metaText is "November 2026, Europe/Tallinn · built 1 Dec 2026 09:00 EET".
func metaText(st *models.DigestStats) string {
	return l10n.T(st.Language, "report.meta", "Month", MonthTitle(st.Language, st.Month), "Zone", st.Location, "Built", builtText(st))
}

// itemCounts is the improvement items opened, in progress and done.
func itemCounts(st *models.DigestStats) string {
	lang, im := st.Language, st.Improvements
	return l10n.T(lang, "report.next.counts", "Month", MonthTitle(lang, st.Month), "Opened", l10n.Number(lang, int(im.Opened)),
		"InProgress", l10n.Number(lang, int(im.InProgress)), "Done", l10n.Number(lang, int(im.Done)))
}

// topItemText is "12 detractors · in progress · Mari".
func topItemText(st *models.DigestStats, it models.ImprovementSummary) string {
	lang := st.Language
	return l10n.N(lang, "report.next.item", int(it.Linked), "Status", statusText(lang, it.Status), "Owner", orNobody(lang, st.Name(it.Owner)))
}

func recognitionText(st *models.DigestStats, r models.Recognition) string {
	return l10n.N(st.Language, "report.recognition.loops", int(r.Loops), "Name", st.Name(r.Owner))
}

// teamRows are the teams with data this month and the units of their
// median columns.
func teamRows(st *models.DigestStats) (teams []models.TeamStats, thankUnit, resolveUnit durationUnit) {
	var thank, resolve []*float64
	for _, t := range st.Teams {
		if hasTeamData(t) {
			teams = append(teams, t)
			thank, resolve = append(thank, t.Loop.MedianHoursToThank), append(resolve, t.Loop.MedianHoursToResolve)
		}
	}
	return teams, columnUnit(thank...), columnUnit(resolve...)
}

func teamHeaders(lang string, tu, ru durationUnit) []string {
	T := func(id string, kv ...any) string { return l10n.T(lang, id, kv...) }
	return []string{T("report.col.team"), T("report.col.responses"), T("report.col.nps_margin"), T("report.col.cases"),
		T("report.col.thanked_in_sla_short"), T("report.col.resolved_in_sla_short"), T("report.col.median_thank", "Unit", tu.name(lang)),
		T("report.col.median_resolve", "Unit", ru.name(lang)), T("report.col.overdue")}
}

// sharesNote explains what each share counts, so that "51 of 60" beside
// "63 cases" reads as it should.
func sharesNote(st *models.DigestStats) string {
	lang, l := st.Language, st.Loop
	return l10n.N(lang, "report.loop.shares_note", int(l.Cases), "Month", MonthTitle(lang, st.Month),
		"ThankDue", num(lang, l.ThankDue), "ResolveDue", num(lang, l.ResolveDue))
}

func methodNote(lang string) string {
	return l10n.T(lang, "report.method", "Min", l10n.Number(lang, models.MinResponses), "TooFew", tooFew(lang))
}

// trendFromFirstData drops the months before the first one with responses.
func trendFromFirstData(tr []models.MonthNPS) []models.MonthNPS {
	for i, m := range tr {
		if m.NPS.N() > 0 {
			return tr[i:]
		}
	}
	return nil
}
