package digest

import (
	"fmt"
	"strings"

	"github.com/cxloop/cxloop/models"
)

// Summary is the digest in a few plain lines, for the leadership channel
// post and the private /cx digest preview. It has no markup; each platform
// escapes it as outside text.
func Summary(st *models.DigestStats) string {
	var lines []string
	add := func(format string, a ...any) { lines = append(lines, fmt.Sprintf(format, a...)) }
	add("%s", Title(st.Month))
	if story := StoryText(st); story != "" {
		add("%s", story)
	}
	add("NPS %s; %s.", npsText(st.NPS), changeText(st))
	extra := []string{"Responses: " + num(st.Responses)}
	if st.CSAT != nil {
		if st.CSAT.TooFew() {
			extra = append(extra, "CSAT: "+tooFew)
		} else {
			extra = append(extra, "CSAT: "+pct(st.CSAT.TopShare)+" satisfied")
		}
	}
	if st.CES != nil {
		extra = append(extra, fmt.Sprintf("CES: %.1f of 7", st.CES.Average))
	}
	add("%s.", strings.Join(extra, " · "))
	l := st.Loop
	add("Inner loop: %s detractor cases; thanked within SLA %s thank-yous due; resolved within SLA %s resolutions due; median %s to thank, %s to resolve; %s open cases overdue %s.",
		num(l.Cases), slaText(l.ThankedInSLA, l.ThankDue), slaText(l.ResolvedInSLA, l.ResolveDue),
		hoursText(l.MedianHoursToThank), hoursText(l.MedianHoursToResolve), num(l.OverdueNow), asOfText(st))
	if len(st.Themes) > 0 {
		var ts []string
		for i, th := range st.Themes {
			if i == 3 {
				break
			}
			ts = append(ts, fmt.Sprintf("%s %s (%s)", th.Name, num(th.Count), changeCount(th.Change())))
		}
		add("Top detractor themes: %s.", strings.Join(ts, ", "))
	}
	if len(st.DetractorTerms) > 0 {
		var ws []string
		for i, t := range st.DetractorTerms {
			if i == 5 {
				break
			}
			ws = append(ws, t.Word)
		}
		add("Detractors say: %s.", strings.Join(ws, ", "))
	}
	if top := st.Improvements.Top; len(top) > 0 {
		var ps []string
		for i, it := range top {
			ps = append(ps, fmt.Sprintf("%d. %s (%d detractors, %s, %s)", i+1, it.Title, it.Linked, statusText(it.Status), orNobody(st.Name(it.Owner))))
		}
		add("Proposed priorities: %s.", strings.Join(ps, "; "))
	}
	if len(st.Recognition) > 0 {
		r := st.Recognition[0]
		add("Recognition: %s, %d loops closed within SLA.", st.Name(r.Owner), r.Loops)
	}
	return strings.Join(lines, "\n")
}
