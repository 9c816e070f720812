package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

func TestReplayCommand(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			dir := t.TempDir()
			s := storetest.Open(t, db)
			body, err := os.ReadFile(filepath.Join("testdata", "webhooks", "typeform_form_response_nps.json"))
			if err != nil {
				t.Fatal(err)
			}
			dl, _, err := s.AddDeadLetter(context.Background(), "typeform", body, `typeform form "Vb3kQx9T" has no mapping`, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			env := map[string]string{"CXLOOP_DATABASE_URL": db.URL, "CXLOOP_CONFIG": testFile(t, dir, "before.yaml", cmdTestYAML)}

			code, out, errOut := runCmd(t, env, "replay")
			if code != 0 || !strings.Contains(out, "still failing: typeform form \"Vb3kQx9T\" has no mapping") ||
				!strings.Contains(out, "1 dead letter: 1 still failing") {
				t.Fatalf("replay before the fix: exit %d\n%s%s", code, out, errOut)
			}

			env["CXLOOP_CONFIG"] = testFile(t, dir, "after.yaml", cmdTestYAML+`
sources:
  typeform:
    forms:
      Vb3kQx9T: {metric: nps, score: nps_recommend, comment: nps_reason, touchpoint: web}
`)
			code, out, errOut = runCmd(t, env, "replay", "--dry-run")
			if code != 0 || !strings.Contains(out, "would be stored") || !strings.Contains(out, "nothing changed") {
				t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
			}
			code, out, errOut = runCmd(t, env, "replay", "--id", strconv.FormatInt(dl.ID, 10))
			if code != 0 || !strings.Contains(out, "ingested: created response") || !strings.Contains(out, "1 dead letter: 1 stored") {
				t.Fatalf("replay after the fix: exit %d\n%s%s", code, out, errOut)
			}
			var r models.Response
			if err := s.DB().Where("source = 'typeform'").Take(&r).Error; err != nil || r.Score != 8 || r.Touchpoint != "web" {
				t.Errorf("replayed response %+v (%v)", r, err)
			}
			code, out, _ = runCmd(t, env, "replay")
			if code != 0 || !strings.Contains(out, "no dead letters are waiting") {
				t.Errorf("third replay: exit %d\n%s", code, out)
			}
			code, _, errOut = runCmd(t, env, "replay", "--id", strconv.FormatInt(dl.ID, 10))
			if code != 1 || !strings.Contains(errOut, "nothing to do") {
				t.Errorf("replay of a replayed dead letter: exit %d %s", code, errOut)
			}
			if code, _, _ := runCmd(t, env, "replay", "extra"); code != 2 {
				t.Errorf("replay extra: exit %d, want 2", code)
			}
		})
	}
}
