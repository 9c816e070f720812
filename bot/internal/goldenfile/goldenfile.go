// Package goldenfile pins what a renderer makes to a file under testdata:
// the same files the card check of .ci/run passes through the platforms'
// own code. Tests that run with -update rewrite them instead.
package goldenfile

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Check compares got with the file at path, or writes it when update is set.
func Check(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run %s -update writes it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what the renderer makes now; check the change and run go test -run %s -update\n got: %.2000s", path, t.Name(), got)
	}
}

// JSON is Check for v as indented JSON ending in a newline.
func JSON(t testing.TB, path string, v any, update bool) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	Check(t, path, append(got, '\n'), update)
}
