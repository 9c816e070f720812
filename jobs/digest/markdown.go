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

// Markdown renders the digest as one Markdown document.
func Markdown(st *models.DigestStats) []byte {
	var b bytes.Buffer
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# %s\n\n", Title(st.Month))
	w("_%s, %s · built %s_\n\n", MonthTitle(st.Month), st.Location, builtText(st))

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

	l := st.Loop
	w("## Inner loop\n\n")
	w("- Detractor cases opened: %s, closed %s\n", num(l.Cases), num(l.Closed))
	w("- Thanked within SLA: %s\n", slaText(l.ThankedInSLA, l.ThankDue))
	w("- Resolved within SLA: %s\n", slaText(l.ResolvedInSLA, l.ResolveDue))
	w("- Median time to thank: %s; to resolve: %s\n", hoursText(l.MedianHoursToThank), hoursText(l.MedianHoursToResolve))
	w("- Open overdue cases now: %s\n\n", num(l.OverdueNow))

	w("## Teams\n\n")
	w("| Team | Responses | NPS | Cases | Thanked in SLA | Resolved in SLA | Median to thank | Median to resolve | Closed | Overdue now |\n")
	w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, t := range st.Teams {
		if !hasTeamData(t) {
			continue
		}
		w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", mdEscape(t.Name), num(t.Responses), npsShort(t.NPS), num(t.Loop.Cases),
			slaText(t.Loop.ThankedInSLA, t.Loop.ThankDue), slaText(t.Loop.ResolvedInSLA, t.Loop.ResolveDue),
			hoursText(t.Loop.MedianHoursToThank), hoursText(t.Loop.MedianHoursToResolve), slaText(t.Loop.Closed, t.Loop.Cases), num(t.Loop.OverdueNow))
	}
	w("\n")

	if len(st.Touchpoints) > 0 {
		w("## Touchpoints\n\n| Touchpoint | NPS responses | NPS |\n|---|---:|---:|\n")
		for _, tp := range st.Touchpoints {
			w("| %s | %s | %s |\n", mdEscape(touchpointName(tp.Name)), num(tp.NPS.N()), npsShort(tp.NPS))
		}
		w("\n")
	}

	w("## Themes\n\n")
	if len(st.Themes) == 0 {
		w("No configured theme among this month's detractors.\n\n")
	} else {
		w("| Detractor theme | Responses | Change |\n|---|---:|---:|\n")
		for _, th := range st.Themes {
			w("| %s | %s | %s |\n", mdEscape(th.Name), num(th.Count), changeCount(th.Change()))
		}
		w("\n")
	}
	if len(st.DetractorTerms) > 0 {
		w("Words detractors use distinctly more than promoters: %s.\n\n", mdEscape(strings.Join(termList(st.DetractorTerms, true), ", ")))
	}
	if len(st.PromoterTerms) > 0 {
		w("Words promoters use distinctly more: %s.\n\n", mdEscape(strings.Join(termList(st.PromoterTerms, false), ", ")))
	}

	im := st.Improvements
	w("## Outer loop\n\n")
	w("- Improvement items opened: %d · in progress: %d · done: %d\n", im.Opened, im.InProgress, im.Done)
	w("- Customers told what was done: %d by email · %d by phone\n\n", im.ToldByEmail, im.ToldByPhone)
	if len(im.Top) > 0 {
		w("Proposed priorities, by linked detractors (fewer priorities are better):\n\n")
		for i, it := range im.Top {
			w("%d. **%s** — %d detractors · %s · %s\n", i+1, mdEscape(it.Title), it.Linked, statusText(it.Status), mdEscape(orNobody(it.Owner)))
		}
		w("\n")
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
			w("- %s: %d loops closed within SLA\n", mdEscape(r.Owner), r.Loops)
		}
		w("\n")
	}

	w("## NPS trend, 12 months\n\n| Month | NPS | ±95%% | Responses |\n|---|---:|---:|---:|\n")
	for _, m := range st.Trend {
		w("| %s | %s | %s | %s |\n", trendMonth(m.Month), npsShort(m.NPS), marginText(m.NPS), num(m.NPS.N()))
	}
	w("\nNPS = %% promoters − %% detractors; the margin is the 95%% confidence interval; groups under %d responses show \"%s\".\n",
		models.MinResponses, tooFew)
	return b.Bytes()
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
