package digest

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

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
	var b bytes.Buffer
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# %s\n\n", Title(st.Month))
	w("_%s, %s · built %s_\n\n", MonthTitle(st.Month), st.Location, builtText(st))
	if story := StoryText(st); story != "" {
		w("%s\n\n", mdEscape(story))
	}

	if rows := targetRows(st); len(rows) > 0 {
		w("## Targets\n\n%s\n\n", targetsNote)
		w("| | NPS ±95%% | Thanked within SLA | Resolved within SLA |\n|---|---|---|---|\n")
		for _, l := range targetGrid(rows) {
			w("| %s | %s | %s | %s |\n", mdEscape(whoText(l.Who)), cellText(l.Cells[0]), cellText(l.Cells[1]), cellText(l.Cells[2]))
		}
		w("\n")
	}

	w("## Headline\n\n")
	w("- **NPS %s**\n", npsText(st.NPS))
	w("- %s\n", capitalise(changeText(st)))
	w("- Responses: %s (all surveys)\n", num(st.Responses))
	if st.CSAT != nil {
		w("- CSAT: %s\n", csatText(st.CSAT))
	}
	if st.CES != nil {
		w("- CES: %s\n", cesText(st.CES))
	}
	w("\n")

	im := st.Improvements
	w("## What was done\n\n")
	if len(im.DoneItems) == 0 {
		w("No improvement was finished in %s.\n\n", MonthTitle(st.Month))
	} else {
		for _, d := range im.DoneItems {
			owner, told, effect := doneLine(st, d)
			w("- **%s** — %s; %s; %s\n", mdEscape(d.Title), mdEscape(owner), told, mdEscape(effect))
		}
		w("\n")
	}
	w("## What is next\n\n")
	w("Improvement items opened in %s: %d · in progress: %d · done: %d\n\n", MonthTitle(st.Month), im.Opened, im.InProgress, im.Done)
	if warn := tooManyInProgress(im); warn != "" {
		w("**Warning:** %s\n\n", warn)
	}
	if len(im.Top) > 0 {
		w("Open items with the most linked detractors, at most three (fewer priorities are better):\n\n")
		for i, it := range im.Top {
			w("%d. **%s** — %s detractors · %s · %s\n", i+1, mdEscape(it.Title), num(it.Linked), statusText(it.Status), mdEscape(orNobody(st.Name(it.Owner))))
		}
		w("\n")
	}

	l := st.Loop
	w("## Inner loop\n\n")
	w("- Detractor cases opened in %s: %s, of which %s closed\n", MonthTitle(st.Month), num(l.Cases), num(l.Closed))
	w("- Thanked within SLA: %s thank-yous due\n", slaText(l.ThankedInSLA, l.ThankDue))
	w("- Resolved within SLA: %s resolutions due\n", slaText(l.ResolvedInSLA, l.ResolveDue))
	w("- Median time to thank: %s; to resolve: %s\n", hoursText(l.MedianHoursToThank), hoursText(l.MedianHoursToResolve))
	w("- Open overdue cases %s: %s (cases of any month)\n\n", asOfText(st), num(l.OverdueNow))
	w("%s\n\n", sharesNote(st))

	var teams []models.TeamStats
	var thank, resolve []*float64
	for _, t := range st.Teams {
		if hasTeamData(t) {
			teams = append(teams, t)
			thank, resolve = append(thank, t.Loop.MedianHoursToThank), append(resolve, t.Loop.MedianHoursToResolve)
		}
	}
	tu, ru := columnUnit(thank...), columnUnit(resolve...)
	w("## Teams\n\n")
	w("| Team | Responses | NPS ±95%% | Cases | Thanked in SLA | Resolved in SLA | Median to thank, %s | Median to resolve, %s | Overdue |\n", tu.name(), ru.name())
	w("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, t := range teams {
		w("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", mdEscape(t.Name), num(t.Responses), npsMargin(t.NPS), num(t.Loop.Cases),
			slaText(t.Loop.ThankedInSLA, t.Loop.ThankDue), slaText(t.Loop.ResolvedInSLA, t.Loop.ResolveDue),
			tu.in(t.Loop.MedianHoursToThank), ru.in(t.Loop.MedianHoursToResolve), num(t.Loop.OverdueNow))
	}
	w("\n")
	if r := rankingText(teams); r != "" {
		w("%s\n\n", mdEscape(r))
	}

	if len(st.Touchpoints) > 0 {
		w("## Touchpoints\n\n| Touchpoint | NPS responses | NPS ±95%% |\n|---|---:|---:|\n")
		for _, tp := range st.Touchpoints {
			w("| %s | %s | %s |\n", mdEscape(touchpointName(tp.Name)), num(tp.NPS.N()), npsMargin(tp.NPS))
		}
		w("\n")
	}

	prev := MonthTitle(models.AddMonths(st.Month, -1))
	w("## Themes\n\n")
	if len(st.Themes) == 0 {
		w("No configured theme among this month's detractors.\n\n")
	} else {
		w("| Detractor theme | %s | %s | Change, responses |\n|---|---:|---:|---:|\n", MonthTitle(st.Month), prev)
		for _, th := range st.Themes {
			w("| %s | %s | %s | %s |\n", mdEscape(th.Name), num(th.Count), num(th.PrevCount), themeChange(th))
		}
		w("\n")
	}
	if len(st.DetractorTerms) > 0 {
		w("Words detractors use distinctly more than promoters (uses by detractors vs promoters): %s.\n\n", mdEscape(strings.Join(termList(st.DetractorTerms, true), ", ")))
	}
	if len(st.PromoterTerms) > 0 {
		w("Words promoters use distinctly more (uses by promoters vs detractors): %s.\n\n", mdEscape(strings.Join(termList(st.PromoterTerms, false), ", ")))
	}

	if len(st.Quotes) > 0 {
		w("## Voice of the customer\n\n")
		for _, q := range st.Quotes {
			w("> %s\n>\n> — %s\n\n", mdEscape(q.Text), mdEscape(quoteAttribution(q)))
		}
	}

	w("## Recognition\n\n")
	if len(st.Recognition) == 0 {
		w("No loops were closed within SLA this month.\n\n")
	} else {
		for _, r := range st.Recognition {
			w("- %s: %d loops closed within SLA\n", mdEscape(st.Name(r.Owner)), r.Loops)
		}
		w("\n")
	}

	w("## NPS trend\n\n| Month | NPS | ±95%% | Responses |\n|---|---:|---:|---:|\n")
	for _, m := range trendFromFirstData(st.Trend) {
		w("| %s | %s | %s | %s |\n", trendMonth(m.Month), npsShort(m.NPS), marginText(m.NPS), num(m.NPS.N()))
	}
	w("\n%s\n", methodNote())
	return b.Bytes()
}

// sharesNote explains what each share counts, so that "51 of 60" beside
// "63 cases" reads as it should.
func sharesNote(st *models.DigestStats) string {
	l := st.Loop
	return fmt.Sprintf("Shares count the %s cases opened in %s whose due time had passed when the digest was built, or that were done in time; "+
		"cases closed without contact before the step are left out, so %s thank-yous and %s resolutions were due.",
		num(l.Cases), MonthTitle(st.Month), num(l.ThankDue), num(l.ResolveDue))
}

func methodNote() string {
	return fmt.Sprintf("NPS = %% promoters − %% detractors; ± is the 95%% margin of error; a change or a gap is significant when it is larger "+
		"than the margin of the difference; groups under %d responses show \"%s\".", models.MinResponses, tooFew)
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

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
