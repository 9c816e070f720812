package main

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/cxloop/cxloop/models"
)

func post(t *testing.T, base, body string) (int, error) {
	req, _ := http.NewRequest("POST", base+"/api/v1/responses", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// The CLI runs beside a serve that drains a backlog on the same SQLite
// file: reads never wait for the writer, and writes queue behind it instead
// of failing with SQLITE_BUSY.
func TestCLIBesideDrainingServeOnSQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("drains 5,000 cases")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	_, _, base := startServe(t, bin, dir, "CXLOOP_DATABASE_URL=", "CXLOOP_CONFIG=")
	for b := 0; b < 10; b++ {
		var els []string
		for i := 0; i < 500; i++ {
			els = append(els, fmt.Sprintf(`{"external_id":"d-%d-%d","score":2,"comment":"queue"}`, b, i))
		}
		if code, err := post(t, base, "["+strings.Join(els, ",")+"]"); err != nil || code != 201 {
			t.Fatalf("batch %d: %d %v", b, code, err)
		}
	}
	// While the 10,000 messages drain: the digest (reads) and migrate
	// (a write transaction) from other processes, and single ingests.
	for i := 0; i < 6; i++ {
		args := []string{"digest", "--month", "2026-10"}
		if i%2 == 1 {
			args = []string{"migrate"}
		}
		c := exec.Command(bin, args...)
		c.Dir = dir
		c.Env = append(c.Environ(), "CXLOOP_DATABASE_URL=", "CXLOOP_CONFIG=")
		out, err := c.CombinedOutput()
		if err != nil || strings.Contains(string(out), "SQLITE_BUSY") || strings.Contains(string(out), "database is locked") {
			t.Fatalf("cxloop %s beside serve: %v\n%s", strings.Join(args, " "), err, out)
		}
		if code, err := post(t, base, fmt.Sprintf(`{"external_id":"beside-%d","score":1}`, i)); err != nil || code != 201 {
			t.Fatalf("single ingest during the drain: %d %v", code, err)
		}
	}
}

// kill -9 while groups of single responses are being written: every
// response that was answered 2xx is in the database afterwards.
func TestKillNineMidGroupKeepsAcknowledged(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	cmd, _, base := startServe(t, bin, dir, "CXLOOP_DATABASE_URL=", "CXLOOP_CONFIG=")
	var (
		mu    sync.Mutex
		acked []string
		n     atomic.Int64
		wg    sync.WaitGroup
	)
	killed := make(chan struct{})
	for c := 0; c < 32; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-killed:
					return
				default:
				}
				id := fmt.Sprintf("kill-%d", n.Add(1))
				code, err := post(t, base, fmt.Sprintf(`{"external_id":%q,"score":3,"comment":"slow"}`, id))
				if err != nil {
					return // the server is gone
				}
				if code/100 == 2 {
					mu.Lock()
					acked = append(acked, id)
					done := len(acked)
					mu.Unlock()
					if done == 400 {
						_ = cmd.Process.Signal(syscall.SIGKILL)
						close(killed)
					}
				}
			}
		}()
	}
	wg.Wait()
	_ = cmd.Wait()

	ctx := context.Background()
	s, err := models.Open(ctx, "sqlite://"+filepath.Join(dir, "cxloop.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var stored []string
	if err := s.DB().Model(&models.Response{}).Pluck("external_id", &stored).Error; err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, id := range stored {
		have[id] = true
	}
	lost := 0
	for _, id := range acked {
		if !have[id] {
			lost++
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged responses lost by kill -9 (%d stored)", lost, len(acked), len(stored))
	}
	t.Logf("%d acknowledged, %d stored after kill -9 (%d requests sent)", len(acked), len(stored), n.Load())
}
