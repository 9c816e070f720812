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
	data := struct {
		*models.DigestStats
		Title, MonthName, Change, Built string
		Chart                           template.URL
		ChartW, ChartH                  int
		Teams                           []models.TeamStats
	}{DigestStats: st, Title: Title(st.Month), MonthName: MonthTitle(st.Month), Change: capitalise(changeText(st)),
		Built: builtText(st), Chart: chart, ChartW: ChartWidth, ChartH: ChartHeight}
	for _, t := range st.Teams {
		if hasTeamData(t) {
			data.Teams = append(data.Teams, t)
		}
	}
	var b bytes.Buffer
	if err := htmlTemplate.Execute(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

var htmlTemplate = template.Must(template.New("digest").Funcs(template.FuncMap{
	"nps": npsText, "npsShort": npsShort, "sla": slaText, "hours": hoursText, "csat": csatText, "ces": cesText,
	"change": changeCount, "num": num, "touchpoint": touchpointName, "status": statusText, "owner": orNobody,
	"attribution": quoteAttribution, "trendMonth": trendMonth, "join": strings.Join,
	"terms": func(ts []models.Term, det bool) string { return strings.Join(termList(ts, det), ", ") },
	"csatKPI": func(s *models.ScoreStats) string {
		if s.TooFew() {
			return "too few"
		}
		return pct(s.TopShare)
	},
	"margin": func(n models.NPS) string { return marginText(n) },
	"minN":   func() int { return models.MinResponses },
	"lower":  func(s models.Segment) string { return strings.ToLower(string(s)) },
}).Parse(`<!DOCTYPE html>
<html lang="en" xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>{{.Title}}</title>
<style>
body { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1d2430; max-width: 60rem; margin: 2rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.15rem; border-bottom: 2px solid #e3e7ee; padding-bottom: 0.2rem; margin-top: 2rem; }
.meta { color: #5b6575; margin-top: 0; }
.headline { display: flex; flex-wrap: wrap; gap: 1rem; }
.kpi { border: 1px solid #d8dee8; border-radius: 6px; padding: 0.6rem 0.9rem; min-width: 11rem; }
.kpi .v { font-size: 1.6rem; font-weight: 600; }
.kpi .l { color: #5b6575; font-size: 0.85rem; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; }
th, td { border-bottom: 1px solid #e3e7ee; padding: 0.3rem 0.5rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f4f6f9; font-weight: 600; }
blockquote { margin: 0.6rem 0; padding: 0.4rem 0.9rem; border-left: 4px solid #c9d1dd; background: #f8f9fb; }
blockquote.detractor { border-left-color: #d9534f; }
blockquote.promoter { border-left-color: #3c9a5f; }
blockquote .who { color: #5b6575; font-size: 0.85rem; display: block; margin-top: 0.3rem; }
img.chart { width: 100%; height: auto; border: 1px solid #e3e7ee; }
.note { color: #5b6575; font-size: 0.85rem; }
@media print { body { margin: 0; max-width: none; font-size: 11pt; } h2 { break-after: avoid; } table, blockquote, img { break-inside: avoid; } }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="meta">{{.MonthName}}, {{.Location}} · built {{.Built}}</p>

<h2>Headline</h2>
<div class="headline">
<div class="kpi"><div class="v">{{npsShort .NPS}}</div><div class="l">NPS · {{nps .NPS}}</div></div>
<div class="kpi"><div class="v">{{num .Responses}}</div><div class="l">responses, all surveys</div></div>
{{with .CSAT}}<div class="kpi"><div class="v">{{csatKPI .}}</div><div class="l">CSAT · {{csat .}}</div></div>{{end}}
{{with .CES}}<div class="kpi"><div class="v">{{printf "%.1f" .Average}}</div><div class="l">CES · {{ces .}}</div></div>{{end}}
</div>
<p>{{.Change}}.</p>
{{if .Chart}}<p><img class="chart" src="{{.Chart}}" width="{{.ChartW}}" height="{{.ChartH}}" alt="NPS over the last 12 months"/></p>{{end}}

<h2>Inner loop</h2>
<table>
<tr><th>Detractor cases opened</th><td>{{num .Loop.Cases}}</td></tr>
<tr><th>Closed</th><td>{{num .Loop.Closed}}</td></tr>
<tr><th>Thanked within SLA</th><td>{{sla .Loop.ThankedInSLA .Loop.ThankDue}}</td></tr>
<tr><th>Resolved within SLA</th><td>{{sla .Loop.ResolvedInSLA .Loop.ResolveDue}}</td></tr>
<tr><th>Median time to thank</th><td>{{hours .Loop.MedianHoursToThank}}</td></tr>
<tr><th>Median time to resolve</th><td>{{hours .Loop.MedianHoursToResolve}}</td></tr>
<tr><th>Open overdue cases now</th><td>{{num .Loop.OverdueNow}}</td></tr>
</table>

<h2>Teams</h2>
<table>
<tr><th>Team</th><th>Responses</th><th>NPS</th><th>Cases</th><th>Thanked in SLA</th><th>Resolved in SLA</th><th>Median to thank</th><th>Median to resolve</th><th>Closed</th><th>Overdue now</th></tr>
{{range .Teams}}<tr><td>{{.Name}}</td><td>{{num .Responses}}</td><td>{{npsShort .NPS}}</td><td>{{num .Loop.Cases}}</td><td>{{sla .Loop.ThankedInSLA .Loop.ThankDue}}</td><td>{{sla .Loop.ResolvedInSLA .Loop.ResolveDue}}</td><td>{{hours .Loop.MedianHoursToThank}}</td><td>{{hours .Loop.MedianHoursToResolve}}</td><td>{{sla .Loop.Closed .Loop.Cases}}</td><td>{{num .Loop.OverdueNow}}</td></tr>
{{end}}</table>
{{if .Touchpoints}}
<h2>Touchpoints</h2>
<table>
<tr><th>Touchpoint</th><th>NPS responses</th><th>NPS</th></tr>
{{range .Touchpoints}}<tr><td>{{touchpoint .Name}}</td><td>{{num .NPS.N}}</td><td>{{npsShort .NPS}}</td></tr>
{{end}}</table>
{{end}}
<h2>Themes</h2>
{{if .Themes}}<table>
<tr><th>Detractor theme</th><th>Responses</th><th>Change</th></tr>
{{range .Themes}}<tr><td>{{.Name}}</td><td>{{num .Count}}</td><td>{{change .Change}}</td></tr>
{{end}}</table>{{else}}<p>No configured theme among this month's detractors.</p>{{end}}
{{if .DetractorTerms}}<p>Words detractors use distinctly more than promoters: {{terms .DetractorTerms true}}.</p>{{end}}
{{if .PromoterTerms}}<p>Words promoters use distinctly more: {{terms .PromoterTerms false}}.</p>{{end}}

<h2>Outer loop</h2>
<p>Improvement items opened: {{.Improvements.Opened}} · in progress: {{.Improvements.InProgress}} · done: {{.Improvements.Done}}</p>
<p>Customers told what was done: {{.Improvements.ToldByEmail}} by email · {{.Improvements.ToldByPhone}} by phone</p>
{{if .Improvements.Top}}<p>Proposed priorities, by linked detractors (fewer priorities are better):</p>
<ol>
{{range .Improvements.Top}}<li><strong>{{.Title}}</strong> — {{.Linked}} detractors · {{status .Status}} · {{owner .Owner}}</li>
{{end}}</ol>{{end}}
{{if .Quotes}}
<h2>Voice of the customer</h2>
{{range .Quotes}}<blockquote class="{{lower .Segment}}">{{.Text}}<span class="who">— {{attribution .}}</span></blockquote>
{{end}}{{end}}
<h2>Recognition</h2>
{{if .Recognition}}<ul>
{{range .Recognition}}<li>{{.Owner}}: {{.Loops}} loops closed within SLA</li>
{{end}}</ul>{{else}}<p>No loops were closed within SLA this month.</p>{{end}}

<h2>NPS trend, 12 months</h2>
<table>
<tr><th>Month</th><th>NPS</th><th>±95%</th><th>Responses</th></tr>
{{range .Trend}}<tr><td>{{trendMonth .Month}}</td><td>{{npsShort .NPS}}</td><td>{{margin .NPS}}</td><td>{{num .NPS.N}}</td></tr>
{{end}}</table>
<p class="note">NPS = % promoters − % detractors; the margin is the 95% confidence interval; groups under {{minN}} responses show "too few responses".</p>
</body>
</html>
`))

func marginText(n models.NPS) string {
	if n.N() < models.MinResponses {
		return "–"
	}
	return fmt.Sprintf("%.1f", n.Margin())
}
