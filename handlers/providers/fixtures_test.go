package providers

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
)

// fixtureDir holds copies of shared/fixtures/webhooks so the repository
// tests itself; sharedFixtureDir is the original, present in the workspace.
const (
	fixtureDir       = "../../testdata/webhooks"
	sharedFixtureDir = "../../../shared/fixtures/webhooks"
)

func loadFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatalf("fixture %s missing (copy it from shared/fixtures/webhooks into testdata/webhooks): %v", name, err)
	}
	return b
}

// mutate returns the fixture with change applied to its decoded JSON, for
// variants the fixtures do not cover. Numbers stay json.Number so ids and
// times survive the round trip exactly.
func mutate(t *testing.T, name string, change func(m map[string]any)) []byte {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(loadFixture(t, name)))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	change(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// obj walks m along keys, each naming a nested object.
func obj(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		m = m[k].(map[string]any)
	}
	return m
}

// TestFixtureCopiesCurrent keeps testdata in step with the shared originals
// when they are around; elsewhere the copies stand alone.
func TestFixtureCopiesCurrent(t *testing.T) {
	entries, err := os.ReadDir(fixtureDir)
	if err != nil {
		t.Fatalf("reading %s: %v", fixtureDir, err)
	}
	if _, err := os.Stat(sharedFixtureDir); err != nil {
		t.Skipf("shared fixtures not present: %v", err)
	}
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".json" {
			continue
		}
		orig, err := os.ReadFile(filepath.Join(sharedFixtureDir, e.Name()))
		if err != nil {
			t.Errorf("%s: no shared original: %v", e.Name(), err)
			continue
		}
		if !bytes.Equal(orig, loadFixture(t, e.Name())) {
			t.Errorf("testdata/webhooks/%s differs from shared/fixtures/webhooks/%s", e.Name(), e.Name())
		}
	}
}

// errKind classifies a mapper's error as the HTTP handler would.
type errKind int

const (
	noErr         errKind = iota
	unmappableErr         // dead-letter with the reason
	malformedErr          // answer 400
)

func checkMapped(t *testing.T, got []models.ResponseInput, err error, wantKind errKind, want *models.ResponseInput) {
	t.Helper()
	var u *UnmappableError
	switch wantKind {
	case noErr:
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
	case unmappableErr:
		if !errors.As(err, &u) || u.Reason == "" {
			t.Fatalf("got %v (%T), want *UnmappableError with a reason", err, err)
		}
		if got != nil {
			t.Fatalf("got responses %+v with an error", got)
		}
		return
	case malformedErr:
		if err == nil || errors.As(err, &u) {
			t.Fatalf("got %v, want an ordinary error", err)
		}
		if got != nil {
			t.Fatalf("got responses %+v with an error", got)
		}
		return
	}
	if want == nil {
		if len(got) != 0 {
			t.Fatalf("got %+v, want no responses", got)
		}
		return
	}
	if len(got) != 1 {
		t.Fatalf("got %d responses, want 1: %+v", len(got), got)
	}
	g := got[0]
	if !g.SubmittedAt.Equal(want.SubmittedAt) || g.SubmittedAt.Location() != time.UTC {
		t.Errorf("SubmittedAt = %v, want %v in UTC", g.SubmittedAt, want.SubmittedAt)
	}
	w := *want
	g.SubmittedAt, w.SubmittedAt = time.Time{}, time.Time{}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("mapped\n got  %+v\n want %+v", g, w)
	}
}

func TestUnmappableError(t *testing.T) {
	err := error(&UnmappableError{Reason: "no score"})
	wrapped := errors.Join(errors.New("ctx"), err)
	u, ok := IsUnmappable(wrapped)
	if !ok || u.Reason != "no score" {
		t.Fatalf("IsUnmappable(%v) = %v, %v", wrapped, u, ok)
	}
	if _, ok := IsUnmappable(errors.New("plain")); ok {
		t.Fatal("plain error reported as unmappable")
	}
	if got := err.Error(); got != "unmappable payload: no score" {
		t.Fatalf("Error() = %q", got)
	}
}

func TestParseScore(t *testing.T) {
	tests := []struct {
		raw  string
		want int
		kind errKind
	}{
		{`9`, 9, noErr}, {`0`, 0, noErr}, {`-2`, -2, noErr}, {`8.0`, 8, noErr}, {`1e1`, 10, noErr},
		{`"7"`, 7, noErr}, {`" 7 "`, 7, noErr},
		{`7.5`, 0, unmappableErr}, {`"seven"`, 0, unmappableErr}, {`""`, 0, unmappableErr},
		{`null`, 0, unmappableErr}, {``, 0, unmappableErr}, {`true`, 0, unmappableErr},
		{`{"v":1}`, 0, unmappableErr}, {`[9]`, 0, unmappableErr},
		{`99999999999`, 0, unmappableErr}, {`1e300`, 0, unmappableErr},
	}
	for _, tt := range tests {
		got, err := parseScore(json.RawMessage(tt.raw), "test")
		var u *UnmappableError
		switch {
		case tt.kind == noErr && (err != nil || got != tt.want):
			t.Errorf("parseScore(%s) = %d, %v; want %d", tt.raw, got, err, tt.want)
		case tt.kind == unmappableErr && !errors.As(err, &u):
			t.Errorf("parseScore(%s) = %d, %v; want unmappable", tt.raw, got, err)
		}
	}
}
