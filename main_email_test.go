package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot/email/smtptest"
	"github.com/cxloop/cxloop/config"
	"github.com/cxloop/cxloop/models"
)

// TestKillNineSendsEachEmailOnce queues thank-you emails, lets the real
// binary start sending them to a server that never answers, kills it, and
// checks that after a restart every email reaches a real SMTP server
// (STARTTLS, AUTH PLAIN) exactly once.
func TestKillNineSendsEachEmailOnce(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	yaml := "teams:\n  - id: cc\n    name: Klienditugi\n    members: [liis@example.com]\n"
	if err := os.WriteFile(filepath.Join(dir, "cxloop.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	dbURL := "sqlite://" + filepath.Join(dir, "cx.db")
	// A server that accepts connections and never says a word.
	hole, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hole.Close() })
	dialled := make(chan net.Conn, 100)
	go func() {
		for {
			c, err := hole.Accept()
			if err != nil {
				return
			}
			dialled <- c
		}
	}()
	env := map[string]string{"CXLOOP_DATABASE_URL": dbURL, "CXLOOP_CONFIG": filepath.Join(dir, "cxloop.yaml"),
		"CXLOOP_SMTP_URL": "smtp://" + hole.Addr().String(), "CXLOOP_SMTP_FROM": "Klienditugi <cx@bank.example>"}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Policy()
	ctx := context.Background()
	store, err := models.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 12
	now := time.Now()
	yes := true
	var ins []models.ResponseInput
	for i := 0; i < n; i++ {
		ins = append(ins, models.ResponseInput{Source: "web", ExternalID: fmt.Sprintf("k-%d", i), Metric: "nps", Score: 2, SubmittedAt: now,
			Language: "et", Customer: models.Customer{Name: fmt.Sprintf("Klient %d", i), Email: fmt.Sprintf("k%d@example.com", i), ContactOK: &yes}})
	}
	res, err := store.Ingest(ctx, p, now, ins, models.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if _, err := store.Act(ctx, p, now, r.CaseID, "liis@example.com", models.Op{Kind: models.OpThank, Method: "email"}); err != nil {
			t.Fatal(err)
		}
	}
	_ = store.Close()

	first, _, _ := startServe(t, bin, dir, envList(env, "CXLOOP_DELIVERY_TIMEOUT=1s")...)
	select {
	case <-dialled:
	case <-time.After(20 * time.Second):
		t.Fatal("the binary never tried to send")
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()

	srv := smtptest.Start(t, smtptest.Options{})
	env["CXLOOP_SMTP_URL"] = srv.URL()
	// The child trusts the test server's certificate as its system roots.
	startServe(t, bin, dir, envList(env, "CXLOOP_DELIVERY_TIMEOUT=2s", "SSL_CERT_FILE="+srv.CAFile)...)
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	msgs, err := srv.Wait(wctx, n)
	if err != nil {
		t.Fatal(err)
	}
	// Every email is recorded as delivered soon after the server took it;
	// a second copy of any would be in the server's list by then.
	store, err = models.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		counts, err := store.OutboxCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var pendingEmails int64
		store.DB().Model(&models.OutboxMessage{}).Where("kind = ? AND state <> ?", models.KindCustomerEmail, models.OutboxDelivered).Count(&pendingEmails)
		if pendingEmails == 0 || time.Now().After(deadline) {
			if pendingEmails != 0 {
				t.Fatalf("%d emails not delivered: %v", pendingEmails, counts)
			}
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	msgs = srv.Messages()
	to := map[string]int{}
	for _, m := range msgs {
		to[m.To[0]]++
	}
	if len(msgs) != n || len(to) != n {
		t.Errorf("%d emails to %d addresses, want %d each once: %v", len(msgs), len(to), n, to)
	}
	if srv.Authenticated() < 1 {
		t.Error("the binary did not log in after STARTTLS")
	}
}

func envList(m map[string]string, extra ...string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return append(out, extra...)
}
