package digest

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"strings"

	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// HTML renders the digest as one self-contained, printable HTML file (also
// well-formed XML) with the trend chart embedded as a data: URI. chartPNG
// may be nil, then the report has no chart.
func HTML(st *models.DigestStats, chartPNG []byte) ([]byte, error) {
	var chart template.URL
	if len(chartPNG) > 0 {
		chart = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(chartPNG))
	}
	return renderHTML(st, chart)
}

// EmailHTML is the report for an email: the chart is the inline part with
// the Content-ID cid.
func EmailHTML(st *models.DigestStats, cid string) ([]byte, error) {
	return renderHTML(st, template.URL("cid:"+cid))
}

// htmlDone is a finished improvement as the report lists it.
type htmlDone struct {
	Title, Owner, Told, Effect string
}

func renderHTML(st *models.DigestStats, chart template.URL) ([]byte, error) {
	lang := st.Language
	data := struct {
		*models.DigestStats
		Lang, Title, Meta, MonthName, PrevName, Change, Story, Overdue, Shares, Method, Ranking, Warning, ItemCounts string
		TeamHeaders                                                                                                  []string
		TU, RU                                                                                                       durationUnit
		Chart                                                                                                        template.URL
		ChartW, ChartH                                                                                               int
		Teams                                                                                                        []models.TeamStats
		Targets                                                                                                      []targetLine
		Done                                                                                                         []htmlDone
		Trend                                                                                                        []models.MonthNPS
	}{DigestStats: st, Lang: l10n.Lang(lang), Title: Title(lang, st.Month), Meta: metaText(st), MonthName: MonthTitle(lang, st.Month),
		PrevName: MonthTitle(lang, models.AddMonths(st.Month, -1)), Change: changeText(st), Story: StoryText(st), Overdue: overdueLabel(st),
		Shares: sharesNote(st), Method: methodNote(lang), Warning: tooManyInProgress(lang, st.Improvements), ItemCounts: itemCounts(st),
		Chart: chart, ChartW: ChartWidth, ChartH: ChartHeight, Targets: targetGrid(targetRows(st)), Trend: trendFromFirstData(st.Trend)}
	data.Teams, data.TU, data.RU = teamRows(st)
	data.TeamHeaders = teamHeaders(lang, data.TU, data.RU)
	data.Ranking = rankingText(lang, data.Teams)
	for _, d := range st.Improvements.DoneItems {
		owner, told, effect := doneLine(st, d)
		data.Done = append(data.Done, htmlDone{Title: d.Title, Owner: owner, Told: told, Effect: effect})
	}
	tpl, err := htmlTemplate.Clone()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := tpl.Funcs(htmlFuncs(st)).Execute(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// htmlFuncs are the template's functions, in the digest's language.
func htmlFuncs(st *models.DigestStats) template.FuncMap {
	lang := st.Language
	return template.FuncMap{
		"t":           func(id string, kv ...any) string { return l10n.T(lang, id, kv...) },
		"nps":         func(n models.NPS) string { return npsText(lang, n) },
		"npsM":        func(n models.NPS) string { return npsMargin(lang, n) },
		"sla":         func(in, due int64) string { return slaText(lang, in, due) },
		"hours":       func(h *float64) string { return hoursText(lang, h) },
		"csat":        func(s *models.ScoreStats) string { return csatText(lang, s) },
		"ces":         func(s *models.ScoreStats) string { return cesText(lang, s) },
		"dec":         func(x float64) string { return dec(lang, x) },
		"num":         func(n int64) string { return num(lang, n) },
		"touchpoint":  func(s string) string { return touchpointName(lang, s) },
		"attribution": func(q models.Quote) string { return quoteAttribution(lang, q) },
		"trendMonth":  func(m string) string { return trendMonth(lang, m) },
		"npsShort":    func(n models.NPS) string { return npsShort(lang, n) },
		"terms":       func(ts []models.Term, det bool) string { return strings.Join(termList(lang, ts, det), ", ") },
		"csatKPI": func(s *models.ScoreStats) string {
			if s.TooFew() {
				return l10n.T(lang, "report.too_few_short")
			}
			return pct(lang, s.TopShare)
		},
		"margin":      func(n models.NPS) string { return marginText(lang, n) },
		"who":         func(w string) string { return whoText(lang, w) },
		"cell":        func(r *targetRow) string { return cellText(lang, r) },
		"themeChange": func(th models.ThemeCount) string { return themeChange(lang, th) },
		"dur":         func(u durationUnit, h *float64) string { return u.in(lang, h) },
		"topItem":     func(it models.ImprovementSummary) string { return topItemText(st, it) },
		"recognition": func(r models.Recognition) string { return recognitionText(st, r) },
	}
}

// htmlTemplate is parsed once with placeholder functions; each rendering
// clones it with the functions of its language.
var htmlTemplate = template.Must(template.New("digest").Funcs(htmlFuncs(&models.DigestStats{})).Funcs(template.FuncMap{
	"lower": func(s models.Segment) string { return strings.ToLower(string(s)) },
	"verdictClass": func(r *targetRow) string {
		if r == nil {
			return "na"
		}
		switch r.Check.Verdict {
		case models.Met:
			return "met"
		case models.Missed:
			return "missed"
		case models.MissedBeyondMargin:
			return "beyond"
		}
		return "na"
	},
}).Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}" xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>{{.Title}}</title>
<style>
body { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1d2430; max-width: 60rem; margin: 2rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 0.2rem; }
h2 { font-size: 1.1rem; border-bottom: 2px solid #e3e7ee; padding-bottom: 0.15rem; margin: 1.4rem 0 0.5rem; }
.meta { color: #5b6575; margin-top: 0; }
.story { font-size: 1.1rem; border-left: 4px solid #1f5fa8; padding: 0.3rem 0.9rem; background: #f3f7fc; }
.headline { display: flex; flex-wrap: wrap; gap: 0.8rem; }
.kpi { border: 1px solid #d8dee8; border-radius: 6px; padding: 0.4rem 0.8rem; min-width: 10rem; }
.kpi .v { font-size: 1.5rem; font-weight: 600; }
.kpi .l { color: #5b6575; font-size: 0.85rem; }
table { border-collapse: collapse; width: 100%; margin: 0.4rem 0; }
th, td { border-bottom: 1px solid #e3e7ee; padding: 0.25rem 0.45rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td.l, th.l { text-align: left; }
th { background: #f4f6f9; font-weight: 600; }
td.met { color: #2e7d4f; } td.missed { color: #9a6a00; } td.beyond { color: #b3261e; font-weight: 600; } td.na { color: #5b6575; }
.warn { border-left: 4px solid #b3261e; padding: 0.3rem 0.8rem; background: #fdf3f2; }
blockquote { margin: 0.5rem 0; padding: 0.3rem 0.9rem; border-left: 4px solid #c9d1dd; background: #f8f9fb; }
blockquote.detractor { border-left-color: #d9534f; }
blockquote.promoter { border-left-color: #3c9a5f; }
blockquote .who { color: #5b6575; font-size: 0.85rem; display: block; margin-top: 0.2rem; }
img.chart { width: 100%; height: auto; border: 1px solid #e3e7ee; }
.note { color: #5b6575; font-size: 0.85rem; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 0 1.5rem; }
@page { size: A4; margin: 11mm 12mm; }
@media print {
  body { margin: 0; padding: 0; max-width: none; font-size: 8pt; line-height: 1.28; }
  h1 { font-size: 13pt; } h2 { font-size: 10pt; margin: 0.55rem 0 0.2rem; }
  p { margin: 0.25rem 0; } ul, ol { margin: 0.2rem 0; padding-left: 1.3rem; }
  .story { font-size: 9pt; margin: 0.3rem 0; }
  h2 { break-after: avoid; page-break-after: avoid; }
  /* A heading stays with what follows it: the short sections do not break. */
  section.keep, table, blockquote, img, li, tr, .kpi { break-inside: avoid; page-break-inside: avoid; }
  th, td { padding: 0.05rem 0.3rem; }
  .kpi { padding: 0.15rem 0.5rem; min-width: 8rem; } .kpi .v { font-size: 11pt; }
  blockquote { margin: 0.2rem 0; padding: 0.1rem 0.6rem; }
  img.chart { display: block; width: auto; max-width: 100%; height: 52mm; margin: 0 auto; }
  .note, .kpi .l, blockquote .who { font-size: 7pt; }
  .screen { display: none; }
}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="meta">{{.Meta}}</p>
{{if .Story}}<p class="story">{{.Story}}</p>{{end}}
{{if .Targets}}<section class="keep">
<h2>{{t "report.h.targets"}}</h2>
<p class="note">{{t "report.targets.note"}}</p>
<table>
<tr><th></th><th>{{t "report.col.nps_margin"}}</th><th>{{t "report.col.thanked_in_sla"}}</th><th>{{t "report.col.resolved_in_sla"}}</th></tr>
{{range .Targets}}<tr><td>{{who .Who}}</td>{{range .Cells}}<td class="{{verdictClass .}}">{{cell .}}</td>{{end}}</tr>
{{end}}</table>
</section>{{end}}
<section class="keep">
<h2>{{t "report.h.headline"}}</h2>
<div class="headline">
<div class="kpi"><div class="v">{{npsShort .NPS}}</div><div class="l">{{t "report.kpi.nps" "Text" (nps .NPS)}}</div></div>
<div class="kpi"><div class="v">{{num .Responses}}</div><div class="l">{{t "report.kpi.responses"}}</div></div>
{{with .CSAT}}<div class="kpi"><div class="v">{{csatKPI .}}</div><div class="l">{{t "report.kpi.csat" "Text" (csat .)}}</div></div>{{end}}
{{with .CES}}<div class="kpi"><div class="v">{{dec .Average}}</div><div class="l">{{t "report.kpi.ces" "Text" (ces .)}}</div></div>{{end}}
</div>
<p>{{.Change}}.</p>
{{if .Chart}}<p><img class="chart" src="{{.Chart}}" width="{{.ChartW}}" height="{{.ChartH}}" alt="{{t "report.chart.alt"}}"/></p>{{end}}
</section>
<div class="pair">
<section class="keep">
<h2>{{t "report.h.done"}}</h2>
{{if .Done}}<ul>
{{range .Done}}<li><strong>{{.Title}}</strong> — {{.Owner}}; {{.Told}}; {{.Effect}}</li>
{{end}}</ul>{{else}}<p>{{t "report.done.none" "Month" .MonthName}}</p>{{end}}
</section>
<section class="keep">
<h2>{{t "report.h.next"}}</h2>
<p>{{.ItemCounts}}</p>
{{if .Warning}}<p class="warn"><strong>{{t "report.warning"}}</strong> {{.Warning}}</p>{{end}}
{{if .Improvements.Top}}<p>{{t "report.next.intro"}}</p>
<ol>
{{range .Improvements.Top}}<li><strong>{{.Title}}</strong> — {{topItem .}}</li>
{{end}}</ol>{{end}}
</section>
</div>
<section class="keep">
<h2>{{t "report.h.loop"}}</h2>
<table>
<tr><th>{{t "report.loop.cases" "Month" .MonthName}}</th><td>{{t "report.loop.cases_closed" "Cases" (num .Loop.Cases) "Closed" (num .Loop.Closed)}}</td></tr>
<tr><th>{{t "report.loop.thanked"}}</th><td>{{t "report.loop.thanked_of_due" "Share" (sla .Loop.ThankedInSLA .Loop.ThankDue)}}</td></tr>
<tr><th>{{t "report.loop.resolved"}}</th><td>{{t "report.loop.resolved_of_due" "Share" (sla .Loop.ResolvedInSLA .Loop.ResolveDue)}}</td></tr>
<tr><th>{{t "report.loop.median_thank"}}</th><td>{{hours .Loop.MedianHoursToThank}}</td></tr>
<tr><th>{{t "report.loop.median_resolve"}}</th><td>{{hours .Loop.MedianHoursToResolve}}</td></tr>
<tr><th>{{.Overdue}}</th><td>{{t "report.loop.overdue_any" "Count" (num .Loop.OverdueNow)}}</td></tr>
</table>
<p class="note">{{.Shares}}</p>
</section>
<section class="keep">
<h2>{{t "report.h.teams"}}</h2>
<table>
<tr>{{range .TeamHeaders}}<th>{{.}}</th>{{end}}</tr>
{{range .Teams}}<tr><td>{{.Name}}</td><td>{{num .Responses}}</td><td>{{npsM .NPS}}</td><td>{{num .Loop.Cases}}</td><td>{{sla .Loop.ThankedInSLA .Loop.ThankDue}}</td><td>{{sla .Loop.ResolvedInSLA .Loop.ResolveDue}}</td><td>{{dur $.TU .Loop.MedianHoursToThank}}</td><td>{{dur $.RU .Loop.MedianHoursToResolve}}</td><td>{{num .Loop.OverdueNow}}</td></tr>
{{end}}</table>
{{if .Ranking}}<p>{{.Ranking}}</p>{{end}}
</section>
<div class="pair">
{{if .Touchpoints}}<section class="keep">
<h2>{{t "report.h.touchpoints"}}</h2>
<table>
<tr><th>{{t "report.col.touchpoint"}}</th><th>{{t "report.col.nps_responses"}}</th><th>{{t "report.col.nps_margin"}}</th></tr>
{{range .Touchpoints}}<tr><td>{{touchpoint .Name}}</td><td>{{num .NPS.N}}</td><td>{{npsM .NPS}}</td></tr>
{{end}}</table>
</section>{{end}}
<section class="keep">
<h2>{{t "report.h.themes"}}</h2>
{{if .Themes}}<table>
<tr><th>{{t "report.col.theme"}}</th><th>{{.MonthName}}</th><th>{{.PrevName}}</th><th>{{t "report.col.theme_change"}}</th></tr>
{{range .Themes}}<tr><td>{{.Name}}</td><td>{{num .Count}}</td><td>{{num .PrevCount}}</td><td>{{themeChange .}}</td></tr>
{{end}}</table>{{else}}<p>{{t "report.themes.none"}}</p>{{end}}
</section>
</div>
<section class="keep">
{{if .DetractorTerms}}<p>{{t "report.terms.detractors" "List" (terms .DetractorTerms true)}}</p>{{end}}
{{if .PromoterTerms}}<p>{{t "report.terms.promoters" "List" (terms .PromoterTerms false)}}</p>{{end}}
</section>
{{if .Quotes}}<section class="keep">
<h2>{{t "report.h.voice"}}</h2>
{{range .Quotes}}<blockquote class="{{lower .Segment}}">{{.Text}}<span class="who">— {{attribution .}}</span></blockquote>
{{end}}</section>{{end}}
<section class="keep">
<h2>{{t "report.h.recognition"}}</h2>
{{if .Recognition}}<ul>
{{range .Recognition}}<li>{{recognition .}}</li>
{{end}}</ul>{{else}}<p>{{t "report.recognition.none"}}</p>{{end}}
</section>
<section class="screen">
<h2>{{t "report.h.trend"}}</h2>
<table>
<tr><th>{{t "report.col.month"}}</th><th>{{t "report.col.nps"}}</th><th>{{t "report.col.margin"}}</th><th>{{t "report.col.responses"}}</th></tr>
{{range .Trend}}<tr><td>{{trendMonth .Month}}</td><td>{{npsShort .NPS}}</td><td>{{margin .NPS}}</td><td>{{num .NPS.N}}</td></tr>
{{end}}</table>
</section>
<p class="note">{{.Method}}</p>
</body>
</html>
`))

func marginText(lang string, n models.NPS) string {
	if n.N() < models.MinResponses {
		return "–"
	}
	return dec(lang, n.Margin())
}
