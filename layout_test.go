package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/cxloop/cxloop"

// productionImports maps each package directory of the module to what its
// non-test files import.
func productionImports(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			out[dir] = append(out[dir], p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The dependency rules the README's package map states hold for every
// non-test file: a change that breaks one fails here, not in review.
func TestPackagesImportOnlyWhatTheLayoutAllows(t *testing.T) {
	imports := productionImports(t)
	within := func(dir, pkg string) bool { return dir == pkg || strings.HasPrefix(dir, pkg+"/") }
	own := func(p string) (string, bool) {
		if p == module {
			return ".", true
		}
		rest, ok := strings.CutPrefix(p, module+"/")
		return rest, ok
	}
	rules := []struct {
		name    string
		applies func(dir string) bool
		allowed func(dir, imported string) bool
	}{
		{"models imports nothing of cxloop",
			func(dir string) bool { return dir == "models" },
			func(_, p string) bool { return false }},
		{"bot imports only bot and models",
			func(dir string) bool { return within(dir, "bot") },
			func(_, p string) bool { return within(p, "bot") || p == "models" }},
		{"config imports only models and the catalogs",
			func(dir string) bool { return dir == "config" },
			func(_, p string) bool { return p == "models" || p == "bot/l10n" }},
		{"handlers never imports jobs",
			func(dir string) bool { return within(dir, "handlers") },
			func(_, p string) bool { return !within(p, "jobs") }},
		{"the Slack app and the Teams bot import neither each other nor handlers",
			func(dir string) bool { return dir == "handlers/slackapp" || dir == "handlers/teamsapp" },
			func(dir, p string) bool {
				return p != "handlers" && (p != "handlers/slackapp" || dir == p) && (p != "handlers/teamsapp" || dir == p)
			}},
		{"only main mounts the platforms' apps",
			func(dir string) bool { return dir != "." },
			func(dir, p string) bool {
				return within(dir, "handlers/slackapp") || within(dir, "handlers/teamsapp") ||
					(p != "handlers/slackapp" && p != "handlers/teamsapp")
			}},
	}
	checked := 0
	for dir, list := range imports {
		for _, full := range list {
			if strings.HasPrefix(full, "github.com/jackc/pgx") {
				t.Errorf("%s imports %s: the database driver is gorm's business", dir, full)
			}
			p, ok := own(full)
			if !ok {
				continue
			}
			for _, r := range rules {
				checked++
				if r.applies(dir) && !r.allowed(dir, p) {
					t.Errorf("%s imports %s, but %s", dir, p, r.name)
				}
			}
		}
	}
	if len(imports["handlers/slackapp"]) == 0 || len(imports["models"]) == 0 || checked == 0 {
		t.Fatalf("walked %d packages, checked %d imports: the walk missed the module", len(imports), checked)
	}
}
