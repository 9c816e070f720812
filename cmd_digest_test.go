package main

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
)

const digestYAML = `
timezone: Europe/Tallinn
admins: [cx.lead@example.com]
teams:
  - id: cc
    name: Contact Center
    members: [jaan@example.com]
default_team: cc
themes:
  waiting: [queue, wait]
digest:
  slack_channel: C0LEADERS
`

func TestDigestCommand(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "cxloop.yaml")
	if err := os.WriteFile(cfgPath, []byte(digestYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"CXLOOP_DATABASE_URL": "sqlite://" + filepath.Join(dir, "cx.db"), "CXLOOP_CONFIG": cfgPath, "USER": "tester"}
	getenv := func(k string) string { return vars[k] }
	ctx := context.Background()

	// October's feedback, stored as the service would.
	store, err := models.Open(ctx, vars["CXLOOP_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	p := &models.Policy{Location: time.UTC, DefaultTeam: "cc", Segments: models.DefaultThresholds(),
		Teams: []models.TeamPolicy{{ID: "cc", Name: "Contact Center", Members: []string{"jaan@example.com"}}}}
	var in []models.ResponseInput
	for i := 0; i < 36; i++ {
		r := models.ResponseInput{Source: "t", ExternalID: fmt.Sprint(i), Score: i % 11, Comment: "the queue was long",
			SubmittedAt: time.Date(2026, 10, 2, 8, i, 0, 0, time.UTC)}
		r.Normalize(r.SubmittedAt)
		in = append(in, r)
	}
	if _, err := store.Ingest(ctx, p, time.Date(2026, 10, 2, 9, 0, 0, 0, time.UTC), in, models.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	store.Close()

	cli := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(ctx, append([]string{"digest"}, args...), getenv, &out, &errb)
		return code, out.String(), errb.String()
	}
	code, out, errs := cli("--month", "2026-10", "--now", "2026-11-01T09:00:00+02:00")
	if code != 0 || !strings.HasPrefix(out, "# Customer experience digest — October 2026") || !strings.Contains(out, "Contact Center") {
		t.Fatalf("markdown: %d %s %s", code, out, errs)
	}
	htmlPath, pngPath := filepath.Join(dir, "d.html"), filepath.Join(dir, "d.png")
	if code, _, errs := cli("--month", "2026-10", "--format", "html", "--out", htmlPath); code != 0 {
		t.Fatalf("html: %s", errs)
	}
	if b, _ := os.ReadFile(htmlPath); !bytes.Contains(b, []byte(`src="data:image/png;base64,`)) {
		t.Error("the HTML report has no embedded chart")
	}
	if code, _, errs := cli("--month", "2026-10", "--format", "png", "--out", pngPath); code != 0 {
		t.Fatalf("png: %s", errs)
	}
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(f)
	f.Close()
	if err != nil || cfg.Width != 1000 || cfg.Height != 400 {
		t.Errorf("png %+v %v", cfg, err)
	}

	// --post queues the digest once; a second --post is refused; --force posts again.
	if code, _, errs := cli("--month", "2026-10", "--post"); code != 0 || !strings.Contains(errs, "log:leadership") {
		t.Fatalf("first post: %d %s", code, errs)
	}
	code, _, errs = cli("--month", "2026-10", "--post")
	if code != 1 || !strings.Contains(errs, "already posted") || !strings.Contains(errs, "--force") || !strings.Contains(errs, "cli:tester") {
		t.Fatalf("second post: %d %s", code, errs)
	}
	if code, _, errs := cli("--month", "2026-10", "--post", "--force"); code != 0 || !strings.Contains(errs, "post #2") {
		t.Fatalf("forced post: %d %s", code, errs)
	}
	store, err = models.Open(ctx, vars["CXLOOP_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var n int64
	store.DB().Model(&models.OutboxMessage{}).Where("kind = ? AND transport = ? AND channel = ?", models.KindDigest, "log", "leadership").Count(&n)
	if n != 2 {
		t.Errorf("%d digest posts queued, want 2", n)
	}

	for _, bad := range [][]string{{"--month", "2026-13"}, {"--format", "pdf"}, {"--force"}, {"extra"}} {
		if code, _, _ := cli(bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
}
