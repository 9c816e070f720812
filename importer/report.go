package importer

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cxloop/cxloop/models"
)

// RejectsPath names the rejects file of an input: data/2025.csv →
// data/2025.rejects.csv.
func RejectsPath(input string) string {
	if strings.EqualFold(filepath.Ext(input), ".csv") {
		input = input[:len(input)-len(".csv")]
	}
	return input + ".rejects.csv"
}

// RejectsFile writes rejected rows to a CSV file, created at the first one:
// the input's header plus a reason column (RejectColumn), then each row as
// read with its line number and reason. Fixed, it imports as it is.
type RejectsFile struct {
	Path string
	N    int
	f    *os.File
	w    *csv.Writer
}

// WriteReject adds a row.
func (r *RejectsFile) WriteReject(header []string, row *Row) error {
	if r.w == nil {
		// 0600: the rows hold customers' contact details.
		f, err := os.OpenFile(r.Path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		r.f, r.w = f, csv.NewWriter(f)
		cols := make([]string, 0, len(header)+1)
		for _, h := range header {
			cols = append(cols, Neutralize(h))
		}
		if err := r.w.Write(append(cols, RejectColumn)); err != nil {
			return err
		}
	}
	rec := make([]string, 0, len(header)+1)
	for _, cell := range row.Record {
		// A full card number is never written anywhere; opened in a
		// spreadsheet, no cell runs as a formula.
		rec = append(rec, Neutralize(models.MaskCardNumbers(cell)))
	}
	for len(rec) < len(header) {
		rec = append(rec, "")
	}
	r.N++
	return r.w.Write(append(rec, Neutralize(models.MaskCardNumbers(fmt.Sprintf("line %d: %s", row.Line, row.Reason)))))
}

// Close flushes and closes the file, if one was written.
func (r *RejectsFile) Close() error {
	if r.w == nil {
		return nil
	}
	r.w.Flush()
	err := r.w.Error()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Progress draws an import's progress: a bar with rate and ETA redrawn in
// place on a terminal, a plain line every few seconds otherwise.
type Progress struct {
	W        io.Writer
	Terminal bool
	Total    int64 // input size in bytes; 0 when unknown
	// Every is the least time between two plain lines; default 5 s.
	Every time.Duration
	Now   func() time.Time // wall clock, for rates; default time.Now

	start, last time.Time
	drawn       bool
}

// Update shows the totals so far, at most every Every (a tenth of a
// second on a terminal).
func (p *Progress) Update(s Stats) {
	if p.Now == nil {
		p.Now = time.Now
	}
	now := p.Now()
	if p.start.IsZero() {
		p.start, p.last = now, now
	}
	every := p.Every
	if every <= 0 {
		every = 5 * time.Second
	}
	if p.Terminal {
		every = 100 * time.Millisecond
	}
	if now.Sub(p.last) < every {
		return
	}
	p.last = now
	p.draw(s, now)
}

// Done ends the progress display with the final totals.
func (p *Progress) Done(s Stats) {
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.start.IsZero() {
		return
	}
	if p.Terminal {
		p.draw(s, p.Now())
		fmt.Fprintln(p.W)
	}
}

func (p *Progress) draw(s Stats, now time.Time) {
	elapsed := now.Sub(p.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(s.Rows) / elapsed
	}
	frac, eta := -1.0, ""
	if p.Total > 0 {
		frac = float64(s.Bytes) / float64(p.Total)
		if frac > 1 {
			frac = 1
		}
		if frac > 0 && elapsed > 0 {
			left := time.Duration(elapsed * (1 - frac) / frac * float64(time.Second))
			eta = "ETA " + fmtDuration(left)
		}
	}
	if !p.Terminal {
		pct := ""
		if frac >= 0 {
			pct = fmt.Sprintf(" (%.0f%%)", 100*frac)
		}
		fmt.Fprintf(p.W, "import: %s rows%s, %s rows/s, %s rejected %s\n",
			thousands(s.Rows), pct, thousands(int64(rate)), thousands(s.Rejected), eta)
		return
	}
	const width = 30
	bar := strings.Repeat("·", width)
	if frac >= 0 {
		n := int(frac * width)
		bar = strings.Repeat("█", n) + strings.Repeat("·", width-n)
	}
	pct := "   "
	if frac >= 0 {
		pct = fmt.Sprintf("%3.0f%%", 100*frac)
	}
	fmt.Fprintf(p.W, "\r%s %s %s rows  %s rows/s  %s rejected  %s\x1b[K",
		bar, pct, thousands(s.Rows), thousands(int64(rate)), thousands(s.Rejected), eta)
	p.drawn = true
}

func fmtDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, sec := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%d:%02d", m, sec)
}

// thousands writes n with thousands separators: 1,000,000.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Thousands formats a count with thousands separators.
func Thousands(n int64) string { return thousands(n) }
