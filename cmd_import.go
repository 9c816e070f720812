package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/cxloop/cxloop/config"
	"github.com/cxloop/cxloop/importer"
	"github.com/cxloop/cxloop/models"
)

// shownRejects is how many bad rows the import lists on the terminal; the
// rejects file has them all.
const shownRejects = 20

// importCmd bulk-imports responses from a CSV file.
func importCmd(ctx context.Context, e *env) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	source := fs.String("source", "csv", "source of the responses; a source column overrides it row by row")
	mapFlag := fs.String("map", "", "column=field,... where field is one of "+strings.Join(importer.Fields, ", ")+
		", attributes.NAME, or - to leave the column out; other columns are matched by name, the rest become attributes")
	dry := fs.Bool("dry-run", false, "read and validate the file and report; write nothing")
	since := fs.String("cases-since", "", "open cases only for responses submitted on or after this date (YYYY-MM-DD, or all); default 30 days ago")
	workers := fs.Int("workers", 0, "batches stored at once (default 4 on PostgreSQL, 1 on SQLite)")
	encoding := fs.String("encoding", "", "the file's code page when it is not UTF-8: windows-1251 (Cyrillic), windows-1250 (Polish, Central European), windows-1257 (Baltic), …")
	pos, err := e.parse(fs, e.args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("want one CSV file")
	}
	path := pos[0]
	overrides, err := importer.ParseMap(*mapFlag)
	if err != nil {
		return usageError(err.Error())
	}

	// A dry run needs only the configuration: it must not create or migrate
	// a database.
	var (
		cfg   *config.Config
		store *models.Store
	)
	if *dry {
		if cfg, err = config.Load(e.getenv); err != nil {
			return fmt.Errorf("configuration: %w", err)
		}
	} else {
		if cfg, store, err = open(ctx, e.getenv, e.log); err != nil {
			return err
		}
		defer store.Close()
	}
	policy := cfg.Policy()
	clock := models.SystemClock{}
	loc := policy.Location
	if loc == nil {
		loc = time.UTC
	}
	casesSince, err := parseCasesSince(*since, clock.Now(), loc)
	if err != nil {
		return usageError(err.Error())
	}

	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var size int64
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}

	rejectsPath := importer.RejectsPath(path)
	term := isTerminal(e.stderr)
	rejects := &shownRejectWriter{w: e.stderr, term: term}
	if !*dry {
		// The file of an earlier run would describe rows of that run.
		if err := os.Remove(rejectsPath); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		rejects.file = &importer.RejectsFile{Path: rejectsPath}
	}
	progress := &importer.Progress{W: e.stderr, Terminal: term, Total: size}
	opts := importer.Options{
		Source: *source, Map: overrides, Location: loc, Encoding: *encoding, CasesSince: casesSince, DryRun: *dry,
		Workers: *workers, Clock: clock, Rejects: rejects, Progress: progress.Update,
		Layout: func(l *importer.Layout) { fmt.Fprintf(e.stderr, "%s: %s\n", path, l.Describe()) },
	}
	// A soft memory limit makes the garbage collector keep the heap near
	// what the import holds, instead of letting it double between cycles,
	// unless GOMEMLIMIT says otherwise.
	if prev := debug.SetMemoryLimit(-1); prev == math.MaxInt64 {
		debug.SetMemoryLimit(importMemoryLimit)
		defer debug.SetMemoryLimit(prev)
	}
	start := time.Now()
	st, err := importer.Import(ctx, store, policy, f, opts)
	progress.Done(st)
	if rejects.file != nil {
		if cerr := rejects.file.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("write %s: %w", rejectsPath, cerr)
		}
	}
	elapsed := time.Since(start)
	if err != nil {
		if st.Stored() > 0 {
			fmt.Fprintf(e.stderr, "%s stored before the import stopped; run it again to finish: rows already imported are skipped\n",
				plural64(st.Stored(), "row was", "rows were"))
		}
		return err
	}
	rate := float64(st.Rows) / max(elapsed.Seconds(), 1e-3)
	if *dry {
		fmt.Fprintf(e.stdout, "dry run of %s: %s, %s valid, %s rejected (%.1fs); nothing was written\n",
			path, plural64(st.Rows, "row", "rows"), importer.Thousands(st.Valid), importer.Thousands(st.Rejected), elapsed.Seconds())
	} else {
		fmt.Fprintf(e.stdout, "imported %s: %s in %.1fs (%s rows/s): %s created, %s updated, %s unchanged, %s rejected\n",
			path, plural64(st.Rows, "row", "rows"), elapsed.Seconds(), importer.Thousands(int64(rate)),
			importer.Thousands(st.Created), importer.Thousands(st.Updated), importer.Thousands(st.Unchanged), importer.Thousands(st.Rejected))
		when := "any time"
		if !casesSince.IsZero() {
			when = "since " + casesSince.In(loc).Format("2006-01-02")
		}
		fmt.Fprintf(e.stdout, "%s opened (for detractors submitted %s)\n", plural64(st.CasesOpened, "case", "cases"), when)
	}
	if st.Rejected > 0 {
		if *dry {
			fmt.Fprintf(e.stdout, "%s be rejected; the import writes them to %s\n", plural64(st.Rejected, "row would", "rows would"), rejectsPath)
		} else {
			fmt.Fprintf(e.stdout, "rejected rows, each with its line and reason: %s (fix them there and import that file)\n", rejectsPath)
		}
	}
	return nil
}

// importMemoryLimit is the import's soft memory limit.
const importMemoryLimit = 64 << 20

// parseCasesSince reads --cases-since: a date (midnight in loc), "all", or
// empty for 30 days before now.
func parseCasesSince(s string, now time.Time, loc *time.Location) (time.Time, error) {
	switch strings.TrimSpace(s) {
	case "":
		return now.AddDate(0, 0, -30), nil
	case "all":
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("--cases-since: %q is not a date (YYYY-MM-DD) or all", s)
	}
	return t, nil
}

// shownRejectWriter lists the first rejected rows on the terminal and hands
// every one to the rejects file, when there is one.
type shownRejectWriter struct {
	w     io.Writer
	term  bool // clear the progress bar's line first
	file  *importer.RejectsFile
	shown int
}

func (s *shownRejectWriter) WriteReject(header []string, row *importer.Row) error {
	s.shown++
	clear := ""
	if s.term {
		clear = "\r\x1b[K"
	}
	switch {
	case s.shown <= shownRejects:
		fmt.Fprintf(s.w, "%sline %d: %s\n", clear, row.Line, row.Reason)
	case s.shown == shownRejects+1:
		fmt.Fprintf(s.w, "%s… more rejected rows are not listed here\n", clear)
	}
	if s.file != nil {
		return s.file.WriteReject(header, row)
	}
	return nil
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
