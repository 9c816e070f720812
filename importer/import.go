package importer

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cxloop/cxloop/models"
)

// Default batch sizes: how many rows go to the database in one Ingest (one
// transaction, a handful of statements). On PostgreSQL 500 rows keep every
// multi-row statement well under its limit on bound parameters. SQLite's
// driver binds parameters in time quadratic in their number, so there
// smaller batches go faster.
const (
	DefaultBatchPostgres = 500
	DefaultBatchSQLite   = 100
)

// Options tune an import.
type Options struct {
	Source   string            // source of rows without a source column; default "csv"
	Map      map[string]string // column → field overrides (ParseMap)
	Location *time.Location    // zone of times written without one; default UTC
	Encoding string            // the file's code page (windows-1251…); default UTF-8, or as its byte-order mark says
	// CasesSince: rows submitted before it are stored without a case, so a
	// historic import does not flood the channels. Zero opens cases for all.
	CasesSince time.Time
	DryRun     bool // parse and validate only; write nothing
	BatchSize  int  // rows per Ingest; default DefaultBatchPostgres or DefaultBatchSQLite
	// Workers is how many batches are stored at once. SQLite has one
	// writer; PostgreSQL takes several. Default 1 on SQLite, 4 on PostgreSQL.
	Workers int
	Clock   models.Clock // default the system clock
	// Rejects receives each row that cannot be imported; it may be nil.
	Rejects RejectWriter
	// Progress, when set, is called after each batch with the totals so far.
	Progress func(Stats)
	// Layout, when set, is called once the header is mapped.
	Layout func(*Layout)
}

// RejectWriter records rows that cannot be imported.
type RejectWriter interface {
	WriteReject(header []string, row *Row) error
}

// Stats counts what an import did.
type Stats struct {
	Rows        int64 // data rows read
	Valid       int64 // rows that passed validation (in a dry run: would be imported)
	Created     int64
	Updated     int64
	Unchanged   int64
	Rejected    int64
	CasesOpened int64
	Bytes       int64 // bytes of input read so far
}

// Stored is the number of rows the database holds now: created, updated
// or found unchanged.
func (s Stats) Stored() int64 { return s.Created + s.Updated + s.Unchanged }

// Import reads CSV from r and stores its rows in batches. Rows that cannot be
// imported (unparseable, invalid, a repeat of an earlier row's response, or
// refused by the database) go to opts.Rejects and the rest are imported. A
// row whose (source, external_id) repeats an earlier row of the file is
// rejected: the first one is kept, so that a re-run of the same file changes
// nothing.
//
// Batches are all-or-nothing; when one fails it is split to find the rows
// the database refuses. An error that is not about a row (the database is
// gone) ends the import: batches already stored stay, and a re-run skips
// them.
func Import(ctx context.Context, store *models.Store, policy *models.Policy, r io.Reader, opts Options) (Stats, error) {
	pg := store != nil && store.Postgres()
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSQLite
		if pg {
			opts.BatchSize = DefaultBatchPostgres
		}
	}
	if opts.Workers <= 0 {
		opts.Workers = 1
		if pg {
			opts.Workers = 4
		}
	}
	if opts.Clock == nil {
		opts.Clock = models.SystemClock{}
	}
	counter := &countingReader{r: r}
	p, err := NewParser(counter, ParseOptions{Source: opts.Source, Map: opts.Map, Location: opts.Location, Now: opts.Clock.Now(),
		Encoding: opts.Encoding})
	if err != nil {
		return Stats{}, err
	}
	if opts.Layout != nil {
		opts.Layout(p.Layout())
	}
	im := &importRun{store: store, policy: policy, opts: opts, header: p.Layout().Header, bytes: &counter.n}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []Row, opts.Workers)
	var wg sync.WaitGroup
	for w := 0; w < opts.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				if ctx.Err() != nil {
					continue // drain after a failure
				}
				// A batch once begun is finished even if the import is
				// interrupted: a commit cut short by cancellation may have
				// landed without being counted.
				if err := im.store1(context.WithoutCancel(ctx), b); err != nil {
					im.fail(err)
					cancel()
				}
			}
		}()
	}

	// seen holds a 64-bit hash of each kept row's (source, external_id), to
	// reject repeats within the file: 11 to 21 bytes a row. A hash collision
	// (odds about 1 in 30 million for a million rows) would reject a row as a
	// repeat.
	var seen hashSet
	batch := make([]Row, 0, opts.BatchSize)
	for ctx.Err() == nil {
		var row Row
		err := p.Next(&row)
		if err == io.EOF {
			break
		}
		if err != nil {
			im.fail(fmt.Errorf("read: %w", err))
			break
		}
		im.mu.Lock()
		im.stats.Rows++
		im.mu.Unlock()
		if row.Reason == "" {
			k := keyHash(row.Input.Source, row.Input.ExternalID)
			if seen.add(k) {
				row.Reason = fmt.Sprintf("external_id %q repeats an earlier row of the file, which is imported instead", row.Input.ExternalID)
			}
		}
		if row.Reason != "" {
			if err := im.reject(&row); err != nil {
				im.fail(err)
				break
			}
			continue
		}
		batch = append(batch, row)
		if len(batch) == opts.BatchSize {
			batches <- batch
			batch = make([]Row, 0, opts.BatchSize)
		}
	}
	if len(batch) > 0 && ctx.Err() == nil {
		batches <- batch
	}
	close(batches)
	wg.Wait()
	im.mu.Lock()
	defer im.mu.Unlock()
	im.stats.Bytes = counter.n.Load()
	if im.err == nil && ctx.Err() != nil {
		// Only a failure cancels ctx here, and it sets im.err: the
		// caller's context ended (an interrupt).
		im.err = ctx.Err()
	}
	return im.stats, im.err
}

type importRun struct {
	store  *models.Store
	policy *models.Policy
	opts   Options
	header []string
	bytes  *atomic.Int64

	mu    sync.Mutex // guards what follows, and serialises Rejects and Progress
	stats Stats
	err   error
}

func (im *importRun) fail(err error) {
	im.mu.Lock()
	defer im.mu.Unlock()
	if im.err == nil {
		im.err = err
	}
}

func (im *importRun) reject(row *Row) error {
	im.mu.Lock()
	defer im.mu.Unlock()
	im.stats.Rejected++
	if im.opts.Rejects == nil {
		return nil
	}
	if err := im.opts.Rejects.WriteReject(im.header, row); err != nil {
		return fmt.Errorf("write rejected row: %w", err)
	}
	return nil
}

// store1 stores one batch and reports progress.
func (im *importRun) store1(ctx context.Context, rows []Row) error {
	n := len(rows)
	if !im.opts.DryRun {
		var err error
		if n, err = im.ingest(ctx, rows); err != nil {
			return err
		}
	}
	im.mu.Lock()
	defer im.mu.Unlock()
	im.stats.Valid += int64(n)
	if im.opts.Progress != nil {
		s := im.stats
		s.Bytes = im.bytes.Load()
		im.opts.Progress(s)
	}
	return nil
}

// ingest stores rows in one transaction; if the database refuses the batch,
// it is split in halves down to the rows at fault, which are rejected. It
// returns how many rows were stored.
func (im *importRun) ingest(ctx context.Context, rows []Row) (int, error) {
	ins := make([]models.ResponseInput, len(rows))
	for i := range rows {
		ins[i] = rows[i].Input
	}
	res, err := im.store.Ingest(ctx, im.policy, im.opts.Clock.Now(), ins, models.IngestOptions{CasesSince: im.opts.CasesSince})
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if len(rows) > 1 {
			half := len(rows) / 2
			a, err := im.ingest(ctx, rows[:half])
			if err != nil {
				return a, err
			}
			b, err := im.ingest(ctx, rows[half:])
			return a + b, err
		}
		// One row: is it the row, or the database?
		if rerr := im.store.Ready(ctx); rerr != nil {
			return 0, fmt.Errorf("store line %d: %w", rows[0].Line, err)
		}
		rows[0].Reason = "the database refused it: " + err.Error()
		return 0, im.reject(&rows[0])
	}
	im.mu.Lock()
	defer im.mu.Unlock()
	for _, r := range res {
		switch r.Outcome {
		case models.OutcomeCreated:
			im.stats.Created++
		case models.OutcomeUpdated:
			im.stats.Updated++
		default:
			im.stats.Unchanged++
		}
		if r.CaseOpened {
			im.stats.CasesOpened++
		}
	}
	return len(rows), nil
}

func keyHash(source, externalID string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(source))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(externalID))
	return h.Sum64()
}

// countingReader counts the bytes read, for progress.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
