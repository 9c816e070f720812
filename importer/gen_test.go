package importer_test

import (
	"fmt"
	"io"
	"time"
)

// genCSV streams a realistic export of n responses without holding it:
// scores over the whole NPS scale, submitted over the 400 days before end
// (so a few percent are recent enough to open cases), comments in several
// languages, a customer and two attributes per row.
type genCSV struct {
	n, i int
	end  time.Time
	buf  []byte
}

func newGenCSV(n int, end time.Time) *genCSV {
	return &genCSV{n: n, end: end, buf: []byte("external_id,score,comment,submitted_at,touchpoint,customer_email,country,product\n")}
}

var genComments = []string{
	"Waited 40 minutes on the phone.",
	"Järjekord oli liiga pikk, ootasin pool tundi.",
	"Za wysoka prowizja za przelew.",
	"Очень долгое ожидание в очереди.",
	"The app keeps logging me out.",
	"",
	"Friendly staff, quick answer.",
	`Fees are "hidden", again`,
}

var genTouchpoints = []string{"call-center", "branch", "web", "app"}
var genCountries = []string{"EE", "LV", "LT", "PL"}

func (g *genCSV) Read(p []byte) (int, error) {
	for len(g.buf) < len(p) && g.i < g.n {
		i := g.i
		g.i++
		at := g.end.Add(-time.Duration(i%400)*24*time.Hour - time.Duration(i%1440)*time.Minute)
		comment := genComments[i%len(genComments)]
		if len(comment) > 0 && (comment[0] == '"' || containsQuote(comment)) {
			comment = `"` + doubleQuotes(comment) + `"`
		}
		g.buf = fmt.Appendf(g.buf, "g-%d,%d,%s,%s,%s,c%d@example.com,%s,%s\n", i, i%11, comment, at.UTC().Format(time.RFC3339),
			genTouchpoints[i%len(genTouchpoints)], i%5000, genCountries[i%len(genCountries)], []string{"loan", "card", "app"}[i%3])
	}
	if len(g.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.buf)
	g.buf = g.buf[:copy(g.buf, g.buf[n:])]
	return n, nil
}

func containsQuote(s string) bool {
	for _, c := range s {
		if c == '"' || c == ',' {
			return true
		}
	}
	return false
}

func doubleQuotes(s string) string {
	out := make([]byte, 0, len(s)+4)
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			out = append(out, '"')
		}
		out = append(out, s[i])
	}
	return string(out)
}
