package digest_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/jobs/digest"
)

// The print stylesheet's rules that keep the report on two A4 pages with no
// heading left alone at the foot of a page.
func TestPrintStylesheet(t *testing.T) {
	rep, err := digest.Render(fixtureStats())
	if err != nil {
		t.Fatal(err)
	}
	html := string(rep.HTML)
	i := strings.Index(html, "@media print")
	if i < 0 || !strings.Contains(html, "@page { size: A4;") {
		t.Fatal("no A4 print stylesheet")
	}
	print := html[i:]
	for _, rule := range []string{
		`h2 { break-after: avoid; page-break-after: avoid; }`,
		`section.keep, table, blockquote, img, li, tr, .kpi { break-inside: avoid;`,
		`img.chart { display: block; width: auto; max-width: 100%; height: 52mm;`,
		`.screen { display: none; }`,
	} {
		if !strings.Contains(print, rule) {
			t.Errorf("print stylesheet lacks %q", rule)
		}
	}
	// Every section heading opens a section that is kept whole in print.
	if n, kept := strings.Count(html, "<h2>"), len(regexp.MustCompile(`<section class="(keep|screen)">\s*<h2>`).FindAllString(html, -1)); n != kept {
		t.Errorf("%d headings, %d of them at the top of a kept section", n, kept)
	}
}

// chromium finds a headless Chromium, or "" when the machine has none.
func chromium() string {
	if p := os.Getenv("CXLOOP_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

var pdfPage = regexp.MustCompile(`/Type\s*/Page[^s]`)

// The fixture month printed by headless Chromium fits two A4 pages.
func TestPrintFitsTwoPages(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("no headless Chromium on this machine (set CXLOOP_CHROMIUM); TestPrintStylesheet checks the rules")
	}
	if testing.Short() {
		t.Skip("prints with Chromium")
	}
	rep, err := digest.Render(fixtureStats())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "digest.html"), filepath.Join(dir, "digest.pdf")
	if err := os.WriteFile(in, rep.HTML, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--no-pdf-header-footer", "--print-to-pdf="+out, "file://"+in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	pdf, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(pdfPage.FindAll(pdf, -1)); n < 1 || n > 2 {
		t.Errorf("the printed digest has %d pages, want at most 2", n)
	}
}
