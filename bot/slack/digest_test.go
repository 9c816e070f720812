package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/cxloop/cxloop/bot"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	cxslack "github.com/cxloop/cxloop/bot/slack"
)

// uploadFake answers the files upload flow as Slack does.
type uploadFake struct {
	mu       sync.Mutex
	srv      *httptest.Server
	uploads  map[string][]byte // file id → bytes
	names    map[string]string
	complete []map[string]string
	failGet  string
}

func newUploadFake(t *testing.T) *uploadFake {
	f := &uploadFake{uploads: map[string][]byte{}, names: map[string]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *uploadFake) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer xoxb-test" && r.FormValue("token") != "xoxb-test" {
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	switch {
	case r.URL.Path == "/api/files.getUploadURLExternal":
		if f.failGet != "" {
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": f.failGet})
			return
		}
		id := fmt.Sprintf("F%d", len(f.names)+1)
		f.names[id] = r.FormValue("filename")
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "file_id": id, "upload_url": f.srv.URL + "/upload/" + id})
	case strings.HasPrefix(r.URL.Path, "/upload/"):
		file, _, err := r.FormFile("file")
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		b, _ := io.ReadAll(file)
		f.uploads[strings.TrimPrefix(r.URL.Path, "/upload/")] = b
		_, _ = w.Write([]byte("OK"))
	case r.URL.Path == "/api/files.completeUploadExternal":
		call := map[string]string{"files": r.FormValue("files"), "channel_id": r.FormValue("channel_id"), "blocks": r.FormValue("blocks")}
		f.complete = append(f.complete, call)
		var files []map[string]any
		_ = json.Unmarshal([]byte(call["files"]), &files)
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "files": files})
	default:
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "unknown_method"})
	}
}

func TestPostDigestUploadsChartAndReport(t *testing.T) {
	f := newUploadFake(t)
	m := cxslack.New("xoxb-test", f.srv.URL+"/api/", nil)
	png, html := []byte("\x89PNG fake chart"), []byte("<html>report</html>")
	summary := "Customer experience digest — October 2026\nNPS +20 ±10.1 (250 responses); <!channel> down 10 points.\nRecognition: liis@example.com."
	ref, err := m.PostDigest(context.Background(), "C0LEADERS", bot.DigestPost{Title: "Customer experience digest — October 2026", Summary: summary, ChartPNG: png, ReportHTML: html})
	if err != nil {
		t.Fatal(err)
	}
	if ref != "F1" || string(f.uploads["F1"]) != string(png) || string(f.uploads["F2"]) != string(html) {
		t.Fatalf("ref %q, uploads %q", ref, f.uploads)
	}
	if f.names["F1"] != cxslack.DigestChartName || f.names["F2"] != cxslack.DigestReportName {
		t.Errorf("file names %v", f.names)
	}
	if len(f.complete) != 1 {
		t.Fatalf("%d completions, want one message with both files", len(f.complete))
	}
	c := f.complete[0]
	if c["channel_id"] != "C0LEADERS" || !strings.Contains(c["files"], `"F1"`) || !strings.Contains(c["files"], `"F2"`) {
		t.Errorf("completion %v", c)
	}
	if !strings.Contains(c["blocks"], `"type":"header"`) || !strings.Contains(c["blocks"], "October 2026") || !strings.Contains(c["blocks"], "NPS +20") {
		t.Errorf("blocks %s", c["blocks"])
	}
	if strings.Contains(c["blocks"], "<!channel>") {
		t.Errorf("customer-reachable text was not escaped: %s", c["blocks"])
	}
}

func TestPostDigestErrorsAreClassified(t *testing.T) {
	f := newUploadFake(t)
	f.failGet = "channel_not_found"
	m := cxslack.New("xoxb-test", f.srv.URL+"/api/", nil)
	_, err := m.PostDigest(context.Background(), "C0NONE", bot.DigestPost{Title: "t", Summary: "s", ChartPNG: []byte("x")})
	if err == nil || !strings.Contains(err.Error(), "files.getUploadURLExternal") {
		t.Fatalf("err %v", err)
	}
}

func TestDigestBlocksLimits(t *testing.T) {
	long := strings.Repeat("word ", 2000)
	blocks := cxslack.DigestBlocks(bot.DigestPost{Title: strings.Repeat("T", 300), Summary: "x\n" + long + "\n" + long}, true)
	b, _ := json.Marshal(blocks)
	var decoded []map[string]any
	_ = json.Unmarshal(b, &decoded)
	if len(decoded) < 3 || len(decoded) > 50 {
		t.Fatalf("%d blocks", len(decoded))
	}
	for _, bl := range decoded {
		if txt, ok := bl["text"].(map[string]any); ok {
			s, _ := txt["text"].(string)
			limit := 3000
			if bl["type"] == "header" {
				limit = 150
			}
			if n := len([]rune(s)); n > limit {
				t.Errorf("%s block of %d characters", bl["type"], n)
			}
		}
	}
}

// The digest post links to the full report, in the digest's language.
func TestDigestBlocksLinkTheFullReport(t *testing.T) {
	url := "https://cx.example.com/digests/2026-10.html?token=1800000000.abc"
	for lang, want := range map[string]string{"en": "Open the full report", "et": "Ava täielik aruanne", "pl": "Otwórz pełny raport", "ru": "Открыть полный отчёт"} {
		b, err := json.Marshal(cxslack.DigestBlocks(bot.DigestPost{Title: "T", Summary: "NPS +1", Language: lang, ReportURL: url}, true))
		if err != nil {
			t.Fatal(err)
		}
		text := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b))
		if !strings.Contains(text, "<"+url+"|"+want+">") {
			t.Errorf("%s: no link to the report in %s", lang, b)
		}
	}
	b, _ := json.Marshal(cxslack.DigestBlocks(bot.DigestPost{Title: "T", Summary: "NPS +1"}, true))
	if strings.Contains(string(b), "/digests/") {
		t.Errorf("a link without a report URL: %s", b)
	}
}
