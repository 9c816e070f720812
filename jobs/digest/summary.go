package digest

import (
	"strings"

	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// Summary is the digest in a few plain lines, for the leadership channel
// post and the private /cx digest preview. It has no markup; each platform
// escapes it as outside text.
func Summary(st *models.DigestStats) string {
	lang := st.Language
	T := func(id string, kv ...any) string { return l10n.T(lang, id, kv...) }
	lines := []string{Title(lang, st.Month)}
	if story := StoryText(st); story != "" {
		lines = append(lines, story)
	}
	lines = append(lines, T("report.summary.nps", "NPS", npsText(lang, st.NPS), "Change", changeText(st)))
	extra := []string{T("report.summary.responses", "Count", num(lang, st.Responses))}
	if st.CSAT != nil {
		if st.CSAT.TooFew() {
			extra = append(extra, T("report.summary.csat_too_few"))
		} else {
			extra = append(extra, T("report.summary.csat", "Share", pct(lang, st.CSAT.TopShare)))
		}
	}
	if st.CES != nil {
		extra = append(extra, T("report.summary.ces", "Average", dec(lang, st.CES.Average)))
	}
	lines = append(lines, strings.Join(extra, " · ")+".")
	l := st.Loop
	lines = append(lines, l10n.N(lang, "report.summary.loop", int(l.Cases),
		"Thanked", slaText(lang, l.ThankedInSLA, l.ThankDue), "Resolved", slaText(lang, l.ResolvedInSLA, l.ResolveDue),
		"Thank", hoursText(lang, l.MedianHoursToThank), "Resolve", hoursText(lang, l.MedianHoursToResolve),
		"Overdue", lowerFirst(overdueLabel(st)), "OverdueCount", num(lang, l.OverdueNow)))
	if len(st.Themes) > 0 {
		var ts []string
		for i, th := range st.Themes {
			if i == 3 {
				break
			}
			ts = append(ts, th.Name+" "+num(lang, th.Count)+" ("+changeCount(lang, th.Change())+")")
		}
		lines = append(lines, T("report.summary.themes", "List", strings.Join(ts, ", ")))
	}
	if len(st.DetractorTerms) > 0 {
		var ws []string
		for i, t := range st.DetractorTerms {
			if i == 5 {
				break
			}
			ws = append(ws, t.Word)
		}
		lines = append(lines, T("report.summary.terms", "List", strings.Join(ws, ", ")))
	}
	if top := st.Improvements.Top; len(top) > 0 {
		var ps []string
		for i, it := range top {
			ps = append(ps, l10n.Number(lang, i+1)+". "+it.Title+" ("+topItemText(st, it)+")")
		}
		lines = append(lines, T("report.summary.priorities", "List", strings.Join(ps, "; ")))
	}
	if len(st.Recognition) > 0 {
		r := st.Recognition[0]
		lines = append(lines, l10n.N(lang, "report.summary.recognition", int(r.Loops), "Name", st.Name(r.Owner)))
	}
	return strings.Join(lines, "\n")
}
