package digest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"strings"

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
	data := struct {
		*models.DigestStats
		Title, MonthName, PrevName, Change, Built, Story, AsOf, Shares, Method, Ranking, Warning, TargetsNote string
		TU, RU                                                                                                durationUnit
		Chart                                                                                                 template.URL
		ChartW, ChartH                                                                                        int
		Teams                                                                                                 []models.TeamStats
		Targets                                                                                               []targetLine
		Done                                                                                                  []htmlDone
		Trend                                                                                                 []models.MonthNPS
	}{DigestStats: st, Title: Title(st.Month), MonthName: MonthTitle(st.Month), PrevName: MonthTitle(models.AddMonths(st.Month, -1)),
		Change: capitalise(changeText(st)), Built: builtText(st), Story: StoryText(st), AsOf: asOfText(st), Shares: sharesNote(st),
		Method: methodNote(), TargetsNote: targetsNote, Warning: tooManyInProgress(st.Improvements), Chart: chart, ChartW: ChartWidth, ChartH: ChartHeight,
		Targets: targetGrid(targetRows(st)), Trend: trendFromFirstData(st.Trend)}
	var thank, resolve []*float64
	for _, t := range st.Teams {
		if hasTeamData(t) {
			data.Teams = append(data.Teams, t)
			thank, resolve = append(thank, t.Loop.MedianHoursToThank), append(resolve, t.Loop.MedianHoursToResolve)
		}
	}
	data.TU, data.RU = columnUnit(thank...), columnUnit(resolve...)
	data.Ranking = rankingText(data.Teams)
	for _, d := range st.Improvements.DoneItems {
		owner, told, effect := doneLine(st, d)
		data.Done = append(data.Done, htmlDone{Title: d.Title, Owner: owner, Told: told, Effect: effect})
	}
	var b bytes.Buffer
	if err := htmlTemplate.Execute(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

var htmlTemplate = template.Must(template.New("digest").Funcs(template.FuncMap{
	"nps": npsText, "npsM": npsMargin, "sla": slaText, "hours": hoursText, "csat": csatText, "ces": cesText,
	"num": num, "touchpoint": touchpointName, "status": statusText, "owner": orNobody,
	"attribution": quoteAttribution, "trendMonth": trendMonth, "npsShort": npsShort,
	"terms": func(ts []models.Term, det bool) string { return strings.Join(termList(ts, det), ", ") },
	"csatKPI": func(s *models.ScoreStats) string {
		if s.TooFew() {
			return "too few"
		}
		return pct(s.TopShare)
	},
	"margin": func(n models.NPS) string { return marginText(n) },
	"lower":  func(s models.Segment) string { return strings.ToLower(string(s)) },
	"who":    whoText,
	"cell":   cellText,
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
	"themeChange": themeChange,
	"unit":        func(u durationUnit) string { return u.name() },
	"dur":         func(u durationUnit, h *float64) string { return u.in(h) },
}).Parse(`<!DOCTYPE html>
<html lang="en" xmlns="http://www.w3.org/1999/xhtml">
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
<p class="meta">{{.MonthName}}, {{.Location}} · built {{.Built}}</p>
{{if .Story}}<p class="story">{{.Story}}</p>{{end}}
{{if .Targets}}<section class="keep">
<h2>Targets</h2>
<p class="note">{{.TargetsNote}}</p>
<table>
<tr><th></th><th>NPS ±95%</th><th>Thanked within SLA</th><th>Resolved within SLA</th></tr>
{{range .Targets}}<tr><td>{{who .Who}}</td>{{range .Cells}}<td class="{{verdictClass .}}">{{cell .}}</td>{{end}}</tr>
{{end}}</table>
</section>{{end}}
<section class="keep">
<h2>Headline</h2>
<div class="headline">
<div class="kpi"><div class="v">{{npsShort .NPS}}</div><div class="l">NPS · {{nps .NPS}}</div></div>
<div class="kpi"><div class="v">{{num .Responses}}</div><div class="l">responses, all surveys</div></div>
{{with .CSAT}}<div class="kpi"><div class="v">{{csatKPI .}}</div><div class="l">CSAT · {{csat .}}</div></div>{{end}}
{{with .CES}}<div class="kpi"><div class="v">{{printf "%.1f" .Average}}</div><div class="l">CES · {{ces .}}</div></div>{{end}}
</div>
<p>{{.Change}}.</p>
{{if .Chart}}<p><img class="chart" src="{{.Chart}}" width="{{.ChartW}}" height="{{.ChartH}}" alt="NPS by month"/></p>{{end}}
</section>
<div class="pair">
<section class="keep">
<h2>What was done</h2>
{{if .Done}}<ul>
{{range .Done}}<li><strong>{{.Title}}</strong> — {{.Owner}}; {{.Told}}; {{.Effect}}</li>
{{end}}</ul>{{else}}<p>No improvement was finished in {{.MonthName}}.</p>{{end}}
</section>
<section class="keep">
<h2>What is next</h2>
<p>Improvement items opened in {{.MonthName}}: {{.Improvements.Opened}} · in progress: {{.Improvements.InProgress}} · done: {{.Improvements.Done}}</p>
{{if .Warning}}<p class="warn"><strong>Warning:</strong> {{.Warning}}</p>{{end}}
{{if .Improvements.Top}}<p>Open items with the most linked detractors, at most three (fewer priorities are better):</p>
<ol>
{{range .Improvements.Top}}<li><strong>{{.Title}}</strong> — {{num .Linked}} detractors · {{status .Status}} · {{owner ($.Name .Owner)}}</li>
{{end}}</ol>{{end}}
</section>
</div>
<section class="keep">
<h2>Inner loop</h2>
<table>
<tr><th>Detractor cases opened in {{.MonthName}}</th><td>{{num .Loop.Cases}}, of which {{num .Loop.Closed}} closed</td></tr>
<tr><th>Thanked within SLA</th><td>{{sla .Loop.ThankedInSLA .Loop.ThankDue}} thank-yous due</td></tr>
<tr><th>Resolved within SLA</th><td>{{sla .Loop.ResolvedInSLA .Loop.ResolveDue}} resolutions due</td></tr>
<tr><th>Median time to thank</th><td>{{hours .Loop.MedianHoursToThank}}</td></tr>
<tr><th>Median time to resolve</th><td>{{hours .Loop.MedianHoursToResolve}}</td></tr>
<tr><th>Open overdue cases {{.AsOf}}</th><td>{{num .Loop.OverdueNow}}</td></tr>
</table>
<p class="note">{{.Shares}}</p>
</section>
<section class="keep">
<h2>Teams</h2>
<table>
<tr><th>Team</th><th>Responses</th><th>NPS ±95%</th><th>Cases</th><th>Thanked in SLA</th><th>Resolved in SLA</th><th>Median to thank, {{unit .TU}}</th><th>Median to resolve, {{unit .RU}}</th><th>Overdue</th></tr>
{{range .Teams}}<tr><td>{{.Name}}</td><td>{{num .Responses}}</td><td>{{npsM .NPS}}</td><td>{{num .Loop.Cases}}</td><td>{{sla .Loop.ThankedInSLA .Loop.ThankDue}}</td><td>{{sla .Loop.ResolvedInSLA .Loop.ResolveDue}}</td><td>{{dur $.TU .Loop.MedianHoursToThank}}</td><td>{{dur $.RU .Loop.MedianHoursToResolve}}</td><td>{{num .Loop.OverdueNow}}</td></tr>
{{end}}</table>
{{if .Ranking}}<p>{{.Ranking}}</p>{{end}}
</section>
<div class="pair">
{{if .Touchpoints}}<section class="keep">
<h2>Touchpoints</h2>
<table>
<tr><th>Touchpoint</th><th>NPS responses</th><th>NPS ±95%</th></tr>
{{range .Touchpoints}}<tr><td>{{touchpoint .Name}}</td><td>{{num .NPS.N}}</td><td>{{npsM .NPS}}</td></tr>
{{end}}</table>
</section>{{end}}
<section class="keep">
<h2>Themes</h2>
{{if .Themes}}<table>
<tr><th>Detractor theme</th><th>{{.MonthName}}</th><th>{{.PrevName}}</th><th>Change, responses</th></tr>
{{range .Themes}}<tr><td>{{.Name}}</td><td>{{num .Count}}</td><td>{{num .PrevCount}}</td><td>{{themeChange .}}</td></tr>
{{end}}</table>{{else}}<p>No configured theme among this month's detractors.</p>{{end}}
</section>
</div>
<section class="keep">
{{if .DetractorTerms}}<p>Words detractors use distinctly more than promoters (uses by detractors vs promoters): {{terms .DetractorTerms true}}.</p>{{end}}
{{if .PromoterTerms}}<p>Words promoters use distinctly more (uses by promoters vs detractors): {{terms .PromoterTerms false}}.</p>{{end}}
</section>
{{if .Quotes}}<section class="keep">
<h2>Voice of the customer</h2>
{{range .Quotes}}<blockquote class="{{lower .Segment}}">{{.Text}}<span class="who">— {{attribution .}}</span></blockquote>
{{end}}</section>{{end}}
<section class="keep">
<h2>Recognition</h2>
{{if .Recognition}}<ul>
{{range .Recognition}}<li>{{$.Name .Owner}}: {{.Loops}} loops closed within SLA</li>
{{end}}</ul>{{else}}<p>No loops were closed within SLA this month.</p>{{end}}
</section>
<section class="screen">
<h2>NPS trend</h2>
<table>
<tr><th>Month</th><th>NPS</th><th>±95%</th><th>Responses</th></tr>
{{range .Trend}}<tr><td>{{trendMonth .Month}}</td><td>{{npsShort .NPS}}</td><td>{{margin .NPS}}</td><td>{{num .NPS.N}}</td></tr>
{{end}}</table>
</section>
<p class="note">{{.Method}}</p>
</body>
</html>
`))

func marginText(n models.NPS) string {
	if n.N() < models.MinResponses {
		return "–"
	}
	return fmt.Sprintf("%.1f", n.Margin())
}
