package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

const cmdTestYAML = `
timezone: Europe/Tallinn
teams:
  - id: cc
    name: Contact Center
    members: [a@example.com]
  - id: riga
    name: Riga
    members: [r@example.com]
routes:
  - when: {country: LV}
    team: riga
default_team: cc
`

// cli runs the command line with only the given environment.
func runCmd(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return vars[k] }
	code = run(context.Background(), args, getenv, &out, &errb)
	return code, out.String(), errb.String()
}

func testFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImportCommand(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"CXLOOP_DATABASE_URL": db.URL, "CXLOOP_CONFIG": testFile(t, dir, "cxloop.yaml", cmdTestYAML)}
			recent := time.Now().UTC().Add(-48 * time.Hour).Format(time.RFC3339)
			file := testFile(t, dir, "history.csv", "Response ID,NPS,Comment,Date,Country\n"+
				"x-1,2,Waited forever,"+recent+",LV\n"+
				"x-2,9,Lovely,2025-03-01,EE\n"+
				"x-3,eleven,Bad score,2025-03-01,EE\n"+
				"x-4,4,Old detractor,2025-03-02 14:00,EE\n")
			rejects := filepath.Join(dir, "history.rejects.csv")

			// a dry run validates without creating anything
			if db.Name == "sqlite" {
				dryEnv := map[string]string{"CXLOOP_DATABASE_URL": "sqlite://" + filepath.Join(dir, "dry.db"), "CXLOOP_CONFIG": env["CXLOOP_CONFIG"]}
				code, out, errOut := runCmd(t, dryEnv, "import", file, "--dry-run", "--map", "Response ID=external_id,NPS=score,Date=submitted_at")
				if code != 0 || !strings.Contains(out, "dry run of "+file+": 4 rows, 3 valid, 1 rejected") {
					t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
				}
				if !strings.Contains(errOut, `line 4: score: "eleven" is not a number`) {
					t.Errorf("dry run does not list the bad row: %s", errOut)
				}
				for _, p := range []string{filepath.Join(dir, "dry.db"), rejects} {
					if _, err := os.Stat(p); err == nil {
						t.Errorf("dry run created %s", p)
					}
				}
			}

			args := []string{"import", file, "--map", "Response ID=external_id,NPS=score,Date=submitted_at", "--source", "legacy"}
			code, out, errOut := runCmd(t, env, args...)
			if code != 0 {
				t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
			}
			for _, want := range []string{"4 rows in", "3 created, 0 updated, 0 unchanged, 1 rejected", "1 case opened (for detractors submitted since",
				"rejected rows, each with its line and reason: " + rejects} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if !strings.Contains(errOut, "attributes: comment") && !strings.Contains(errOut, "Comment→comment") {
				t.Errorf("no column report: %s", errOut)
			}
			b, err := os.ReadFile(rejects)
			if err != nil {
				t.Fatal(err)
			}
			if want := "Response ID,NPS,Comment,Date,Country,cxloop_reject_reason\nx-3,eleven,Bad score,2025-03-01,EE,\"line 4: score: \"\"eleven\"\" is not a number\"\n"; string(b) != want {
				t.Errorf("rejects file:\n%s\nwant:\n%s", b, want)
			}

			// again: nothing new, and no stale rejects file once the row is fixed
			if err := os.WriteFile(file, bytes.Replace(readTestFile(t, file), []byte("x-3,eleven"), []byte("x-3,5"), 1), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errOut = runCmd(t, env, args...)
			if code != 0 || !strings.Contains(out, "1 created, 0 updated, 3 unchanged, 0 rejected") || !strings.Contains(out, "0 cases opened") {
				t.Fatalf("re-run: exit %d\n%s%s", code, out, errOut)
			}
			if _, err := os.Stat(rejects); err == nil {
				t.Error("the rejects file of the first run is still there")
			}

			s, err := models.Open(context.Background(), db.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var r models.Response
			if err := s.DB().Where("source = 'legacy' AND external_id = 'x-1'").Take(&r).Error; err != nil {
				t.Fatal(err)
			}
			if r.TeamID != "riga" || r.Comment != "Waited forever" || r.Attributes["country"] != "LV" {
				t.Errorf("x-1 stored as %+v", r)
			}
		})
	}
}

func readTestFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestImportCommandUsage(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"CXLOOP_DATABASE_URL": "sqlite://" + filepath.Join(dir, "u.db"), "CXLOOP_CONFIG": testFile(t, dir, "c.yaml", cmdTestYAML)}
	file := testFile(t, dir, "f.csv", "a,b\n1,2\n")
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no file", []string{"import"}, 2, "usage: cxloop import FILE.csv"},
		{"two files", []string{"import", file, file}, 2, "usage"},
		{"bad map", []string{"import", file, "--map", "a"}, 2, `"a" is not column=field`},
		{"bad date", []string{"import", file, "--cases-since", "yesterday", "--dry-run"}, 2, "--cases-since"},
		{"no score column", []string{"import", file, "--dry-run", "--map", "a=external_id"}, 1, "no score column"},
		{"map to nothing", []string{"import", file, "--dry-run", "--map", "a=external_id,b=nps"}, 1, `"nps" is not a field`},
		{"missing file", []string{"import", filepath.Join(dir, "nope.csv"), "--dry-run"}, 1, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCmd(t, env, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.msg) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tt.code, tt.msg)
			}
		})
	}
}
