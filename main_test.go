package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot/slack/slackfake"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// buildBinary compiles cxloop once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "cxloop-bin-")
		if err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(dir, "cxloop")
		out, err := exec.Command("go", "build", "-o", built.path, ".").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// built is the binary, compiled once for all the tests that run it.
var built struct {
	once sync.Once
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.path != "" {
		_ = os.RemoveAll(filepath.Dir(built.path))
	}
	os.Exit(code)
}

// lineWatcher collects a process's output and lets a test wait for a line.
type lineWatcher struct {
	mu    sync.Mutex
	lines []string
	more  chan struct{}
}

func watch(r io.Reader) *lineWatcher {
	w := &lineWatcher{more: make(chan struct{}, 1)}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			w.mu.Lock()
			w.lines = append(w.lines, sc.Text())
			w.mu.Unlock()
			select {
			case w.more <- struct{}{}:
			default:
			}
		}
	}()
	return w
}

// waitFor returns the first line containing s, failing after the deadline.
func (w *lineWatcher) waitFor(t *testing.T, s string, within time.Duration) string {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		w.mu.Lock()
		for _, l := range w.lines {
			if strings.Contains(l, s) {
				w.mu.Unlock()
				return l
			}
		}
		w.mu.Unlock()
		select {
		case <-w.more:
		case <-deadline.C:
			t.Fatalf("no line with %q within %s; got:\n%s", s, within, w.all())
		}
	}
}

func (w *lineWatcher) all() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.lines, "\n")
}

func TestEndToEndServe(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "serve")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CXLOOP_HTTP_ADDR=127.0.0.1:0", "CXLOOP_INGEST_TOKEN=e2e-secret-token",
		"CXLOOP_DATABASE_URL=", "CXLOOP_CONFIG=")
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	out, logs := watch(stdout), watch(stderr)
	var started struct{ Addr string }
	_ = json.Unmarshal([]byte(logs.waitFor(t, `"cxloop serving"`, 20*time.Second)), &started)
	base := "http://" + started.Addr

	body := `{"external_id":"r-1001","source":"web-survey","metric":"nps","score":3,"comment":"Waited 40 minutes on the phone.","touchpoint":"call-center","customer":{"name":"Kadri K.","email":"kadri@example.com","phone":"+372 5555 0000"}}`
	req, _ := http.NewRequest("POST", base+"/api/v1/responses", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer e2e-secret-token")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("POST answered %d", resp.StatusCode)
	}
	out.waitFor(t, "── card log-1 → #default ──", 10*time.Second)
	out.waitFor(t, "> Waited 40 minutes on the phone.", 5*time.Second)
	out.waitFor(t, "k***@example.com · +372 ***0000", 5*time.Second)
	if _, err := os.Stat(filepath.Join(dir, "cxloop.db")); err != nil {
		t.Errorf("cxloop.db not created in the working directory: %v", err)
	}
	for _, secret := range []string{"e2e-secret-token", "kadri@example.com", "5555 0000"} {
		if strings.Contains(logs.all(), secret) {
			t.Errorf("the log reveals %q", secret)
		}
	}
	// SIGTERM: a clean exit well within 10 s
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("still running 10 s after SIGTERM")
	}
}

func TestParallelMigrate(t *testing.T) {
	pg := os.Getenv(storetest.EnvPostgres)
	if pg == "" {
		t.Skip("set " + storetest.EnvPostgres + " to migrate PostgreSQL in parallel")
	}
	bin := buildBinary(t)
	url := storetest.PostgresSchema(t, pg)
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for i := 0; i < 2; i++ {
		c := exec.Command(bin, "migrate")
		c.Env = append(os.Environ(), "CXLOOP_DATABASE_URL="+url, "CXLOOP_CONFIG=")
		c.Dir = t.TempDir()
		var b bytes.Buffer
		c.Stdout, c.Stderr = &b, &b
		cmds, outs = append(cmds, c), append(outs, &b)
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("migrate %d: %v\n%s", i, err, outs[i])
		}
	}
	// the schema is whole: a third run finds nothing to do and serve-ready checks pass
	c := exec.CommandContext(context.Background(), bin, "migrate")
	c.Env = append(os.Environ(), "CXLOOP_DATABASE_URL="+url, "CXLOOP_CONFIG=")
	c.Dir = t.TempDir()
	if out, err := c.CombinedOutput(); err != nil || !strings.Contains(string(out), "schema is current") {
		t.Errorf("third migrate: %v\n%s", err, out)
	}
}

func TestUnknownAndPendingCommands(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, &out, &errb); code != 2 {
		t.Errorf("unknown command exit %d", code)
	}
	if !strings.Contains(errb.String(), `unknown command "frobnicate"`) {
		t.Errorf("stderr %q", errb.String())
	}
}

func TestDemoWritesTheDigest(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	today := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	res, err := simulateDemo(context.Background(), &out, dir, today)
	if err != nil {
		t.Fatal(err)
	}
	demoTellsTheTruth(t, res)
	for name, min := range map[string]int{"digest-2026-10.md": 1000, "digest-2026-10.html": 5000, "nps-trend-2026-10.png": 5000} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(b) < min {
			t.Errorf("%s has %d bytes, want at least %d", name, len(b), min)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, "digest-2026-10.md"))
	// What is next: the open item, with the manager who took it.
	for _, want := range []string{"NPS", "Contact Center", "Riga Branch", "Mobile App", "waiting",
		"**Stop the app crashing at login and payment** — ", " · in progress · Piotr Nowak"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("the digest lacks %q", want)
		}
	}
	for _, want := range []string{"1. A detractor arrives", "Month by month", "The outer loop", "The digest of October 2026",
		"The thank-you went to the customer by email", "── email → ", "Reply-To: ", "List-Unsubscribe: <https://cx.bank.example/unsubscribe?token=",
		"One of the " + fmt.Sprint(res.ToldByEmail) + " emails", "It went by email to the 2 addresses of digest.email"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the narration lacks %q", want)
		}
	}
	// The customers read what changed in their language, as the CX lead
	// worded it, not the item's working title.
	told := map[string]bool{}
	for _, e := range res.Emails {
		if e.Msg.Unsubscribe == "" {
			continue // the digest, to the executives
		}
		if !e.At.Before(res.FixAt) && strings.Contains(e.Msg.Text, res.Item.Title) {
			t.Errorf("a fix_done email shows the item's title %q:\n%s", res.Item.Title, e.Msg.Text)
		}
		for lang, change := range demoFixDescription {
			if strings.Contains(e.Msg.Text, change) {
				told[lang] = true
			}
		}
	}
	if len(told) < 3 {
		t.Errorf("fix_done emails went out in %v, want the customers' several languages", told)
	}
	// The digest reaches each executive once, with the chart the HTML shows inline.
	var to []string
	for _, e := range res.DigestEmails {
		to = append(to, e.Msg.To)
		if e.Msg.To == "cx.lead@example.com" && e.Msg.ToName != "Kristi Lepp" {
			t.Errorf("the digest is addressed to %q <%s>, want the directory's name", e.Msg.ToName, e.Msg.To)
		}
		if len(e.Msg.Inline) != 1 || !strings.Contains(e.Msg.HTML, "cid:"+e.Msg.Inline[0].CID) || !strings.Contains(e.Msg.Text, "October 2026") {
			t.Errorf("digest email to %s: %d inline images, HTML refers to them: %v", e.Msg.To, len(e.Msg.Inline),
				len(e.Msg.Inline) == 1 && strings.Contains(e.Msg.HTML, "cid:"+e.Msg.Inline[0].CID))
		}
	}
	if want := []string{"cx.lead@example.com", "ceo@example.com"}; !slices.Equal(to, want) {
		t.Errorf("the digest went by email to %v, want %v", to, want)
	}
}

// demoTellsTheTruth checks that the demo shows the outer loop working: the
// fee fix is done in the digest's month, the owners tell their customers
// (mostly on time, a few late), so the "customer told" follow-ups do not
// flood the month with reminders; fee complaints fall; no second item of
// the same title opens; and the digest names the item with how many
// customers were told.
func demoTellsTheTruth(t *testing.T, res *demoOutcome) {
	t.Helper()
	if res.Item.ID == 0 || res.Item.Status != models.ImprovementDone {
		t.Fatalf("the fee item is not done: %+v", res.Item)
	}
	// Customers with an address and consent are emailed; the owners call
	// the others, mostly on time, a few late.
	called := res.ToldOnTime + res.ToldLate
	byPhone := called + res.NotTold
	told := called + res.ToldByEmail
	all := told + res.NotTold
	if byPhone < 30 || res.ToldOnTime*10 < byPhone*8 || res.ToldLate == 0 || called*100 < byPhone*90 {
		t.Errorf("customers called: %d on time, %d late, %d not yet; want most on time, a few late, nearly all told",
			res.ToldOnTime, res.ToldLate, res.NotTold)
	}
	if res.ToldByEmail < 30 || int64(all) != res.Item.Linked || int64(told) != res.Item.Told {
		t.Errorf("%d told by email, %d by phone, %d not yet, of %d linked (%d told)", res.ToldByEmail, called, res.NotTold,
			res.Item.Linked, res.Item.Told)
	}
	fixMonth := res.Months[len(res.Months)-1]
	maxRem, maxEsc, fees := 0, 0, 0
	for _, m := range res.Months[:len(res.Months)-1] {
		maxRem, maxEsc, fees = max(maxRem, m.Reminders), max(maxEsc, m.Escalations), fees+m.Fee
	}
	if fixMonth.Reminders > 2*maxRem || fixMonth.Escalations > 2*maxEsc {
		t.Errorf("the month of the fix has %d reminders and %d escalations, against at most %d and %d in the others",
			fixMonth.Reminders, fixMonth.Escalations, maxRem, maxEsc)
	}
	if avg := fees / (len(res.Months) - 1); fixMonth.Fee*2 > avg {
		t.Errorf("fee complaints did not fall after the fix: %d against %d a month before", fixMonth.Fee, avg)
	}
	titles := map[string]int{}
	for _, it := range res.Items {
		if titles[it.Title]++; titles[it.Title] > 1 {
			t.Errorf("two improvement items titled %q", it.Title)
		}
	}
	want := fmt.Sprintf("Done: %q (%d of %d customers told)", res.Item.Title, told, all)
	if !strings.Contains(res.Report.Summary, want) {
		t.Errorf("the digest does not say %s:\n%s", want, res.Report.Summary)
	}
	for _, d := range res.Report.Stats.Improvements.DoneItems {
		if d.ID == res.Item.ID && (d.Before == 0 || d.After*2 > d.Before) {
			t.Errorf("fee detractors %d before the fix and %d after", d.Before, d.After)
		}
	}
	// The app outage's burst is rolled up, customers writing again join
	// their case, reminders are bundled, and nobody gets a DM at night.
	n := res.Noise
	if n.CardsInRollups < 25 || n.Joined == 0 || n.ReminderDMs >= n.ReminderItems || n.DMsOutsideHours == 0 || n.DMsDeliveredOutsideHours != 0 {
		t.Errorf("noise control did not show in the demo: %+v", n)
	}
}

// startServe runs the binary with extra environment and returns its log
// watcher and base URL.
func startServe(t *testing.T, bin, dir string, extra ...string) (*exec.Cmd, *lineWatcher, string) {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"CXLOOP_HTTP_ADDR=127.0.0.1:0", "CXLOOP_INGEST_TOKEN=tok"}, extra...)...)
	stderr, _ := cmd.StderrPipe()
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	logs := watch(stderr)
	var started struct{ Addr string }
	_ = json.Unmarshal([]byte(logs.waitFor(t, `"cxloop serving"`, 30*time.Second)), &started)
	return cmd, logs, "http://" + started.Addr
}

func TestKillNineLosesNothing(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	// A burst budget above the 50 cards: each is its own top-level post.
	yaml := "teams:\n  - id: cc\n    name: Contact Center\n    slack_channel: C0CARDS\n    burst: 100\n"
	if err := os.WriteFile(filepath.Join(dir, "cxloop.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	// First life: Slack swallows every request, so all 50 cards stay pending.
	arrived := make(chan struct{}, 100)
	release := make(chan struct{})
	blackhole := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); blackhole.Close() })
	slackEnv := []string{"SLACK_BOT_TOKEN=xoxb-kill", "SLACK_SIGNING_SECRET=secret", "CXLOOP_DELIVERY_TIMEOUT=1s"}
	first, _, base := startServe(t, bin, dir, append(slackEnv, "SLACK_API_URL="+blackhole.URL+"/api/")...)
	var els []string
	for i := 0; i < 50; i++ {
		els = append(els, fmt.Sprintf(`{"external_id":"k-%d","score":2,"comment":"case %d"}`, i, i))
	}
	req, _ := http.NewRequest("POST", base+"/api/v1/responses", strings.NewReader("["+strings.Join(els, ",")+"]"))
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("ingest: %v %v", resp, err)
	}
	resp.Body.Close()
	select {
	case <-arrived:
	case <-time.After(20 * time.Second):
		t.Fatal("no delivery attempt reached Slack")
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()

	// Second life: Slack works again; leases of the dead process expire and
	// every card goes out.
	fake := slackfake.New(t, "xoxb-kill")
	startServe(t, bin, dir, append(slackEnv, "SLACK_API_URL="+fake.URL())...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := fake.WaitCalls(ctx, "chat.postMessage", 50); err != nil {
		t.Fatalf("after the restart: %v (%d posts)", err, len(fake.Calls("chat.postMessage")))
	}
	posted := map[string]int{}
	total := 0
	for _, c := range fake.Calls("chat.postMessage") {
		if c.Failure == "" && c.Params.Get("thread_ts") == "" {
			posted[c.Params.Get("text")]++
			total++
		}
	}
	if len(posted) != 50 {
		t.Errorf("%d distinct cards delivered, want 50", len(posted))
	}
	if total > 51 {
		t.Errorf("%d posts for 50 cards: more than one repeated", total)
	}
}
