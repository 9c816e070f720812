package models

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"gorm.io/gorm"
)

// DigestBenchSpec describes synthetic history for measuring DigestStats.
type DigestBenchSpec struct {
	Responses int       // in all
	Months    int       // spread evenly over this many months…
	End       time.Time // …ending here (exclusive)
	Teams     int       // routed to this many teams
	Seed      uint64
	// Progress, when set, is told how many responses are stored so far.
	Progress func(done int)
}

var (
	benchTouchpoints = []string{"call-center", "web", "app", "branch", "email"}
	benchCommon      = strings.Fields("service bank account card app today again time money people staff branch phone online help")
	benchDetractor   = strings.Fields("queue wait waited slow fee fees charge rude hours nobody called broken error commission järjekord ootama kolejka очередь")
	benchPromoter    = strings.Fields("friendly quick helpful fast easy kind thanks great smooth clear professional kiire sõbralik szybko быстро")
)

// GenerateDigestBench fills the store with synthetic responses, their cases
// and follow-ups, inserted in bulk (multi-row INSERTs in large
// transactions): NPS, CSAT and CES answers over the months, detractor cases
// thanked and resolved at realistic delays, comments drawn from word pools
// tagged with the policy's themes.
func (s *Store) GenerateDigestBench(ctx context.Context, p *Policy, spec DigestBenchSpec) error {
	if spec.Months <= 0 {
		spec.Months = 12
	}
	if spec.Teams <= 0 {
		spec.Teams = 20
	}
	rng := rand.New(rand.NewPCG(spec.Seed, spec.Seed^0x9e3779b97f4a7c15))
	start := spec.End.AddDate(0, -spec.Months, 0)
	span := spec.End.Sub(start)
	// Rows per INSERT: the SQLite driver binds parameters in time
	// quadratic in their number, so it gets short statements.
	batch, perTx := 1000, 20
	if !s.postgres {
		batch, perTx = 50, 400
	}
	done := 0
	for done < spec.Responses {
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			for b := 0; b < perTx && done < spec.Responses; b++ {
				n := min(batch, spec.Responses-done)
				if err := s.benchBatch(tx, p, rng, spec, start, span, done, n); err != nil {
					return err
				}
				done += n
			}
			return nil
		})
		if err != nil {
			return err
		}
		if spec.Progress != nil {
			spec.Progress(done)
		}
	}
	return nil
}

func (s *Store) benchBatch(tx *gorm.DB, p *Policy, rng *rand.Rand, spec DigestBenchSpec, start time.Time, span time.Duration, from, n int) error {
	rows := make([][]any, n)
	type det struct {
		at   time.Time
		team string
	}
	dets := map[string]det{}
	for i := 0; i < n; i++ {
		k := from + i
		at := start.Add(time.Duration(float64(span) * (float64(k) + rng.Float64()) / float64(spec.Responses))).UTC().Truncate(time.Microsecond)
		team := fmt.Sprintf("team-%02d", rng.IntN(spec.Teams))
		metric, score := MetricNPS, 0
		switch r := rng.Float64(); {
		case r < 0.85:
			// 45% promoters, 30% passives, 25% detractors, with a drift by team.
			x := rng.Float64() + 0.01*float64(len(team)%5)
			switch {
			case x < 0.25:
				score = rng.IntN(7)
			case x < 0.55:
				score = 7 + rng.IntN(2)
			default:
				score = 9 + rng.IntN(2)
			}
		case r < 0.95:
			metric, score = MetricCSAT, 1+rng.IntN(5)
		default:
			metric, score = MetricCES, 1+rng.IntN(7)
		}
		seg, _ := p.Classify(metric, score)
		comment := ""
		if rng.Float64() < 0.6 {
			comment = benchComment(rng, seg)
		}
		ext := fmt.Sprintf("bench-%d", k)
		rows[i] = []any{"bench", ext, metric, score, seg, comment, at, benchTouchpoints[rng.IntN(len(benchTouchpoints))],
			fmt.Sprintf("c-%d", rng.IntN(200000)), "Customer", "", "", nil, "{}", jsonText(p.MatchThemes(comment)), "", team,
			ext, 1, at, at}
		if seg == SegmentDetractor {
			dets[ext] = det{at: at, team: team}
		}
	}
	sql, args := valuesSQL("responses", responseColumns, rows)
	rs, err := tx.Raw(sql+" RETURNING id, external_id", args...).Rows()
	if err != nil {
		return fmt.Errorf("insert bench responses: %w", err)
	}
	var cases [][]any
	for rs.Next() {
		var id int64
		var ext string
		if err := rs.Scan(&id, &ext); err != nil {
			rs.Close()
			return err
		}
		if d, ok := dets[ext]; ok {
			cases = append(cases, benchCase(rng, id, d.team, d.at, spec.End))
		}
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return err
	}
	if len(cases) == 0 {
		return nil
	}
	sql, args = valuesSQL("cases", benchCaseColumns, cases)
	if err := tx.Exec(sql, args...).Error; err != nil {
		return fmt.Errorf("insert bench cases: %w", err)
	}
	return nil
}

var benchCaseColumns = []string{"response_id", "team_id", "state", "owner", "opened_at", "thank_you_due_at", "resolution_due_at",
	"thanked_at", "thank_method", "resolved_at", "closed_at", "root_cause", "resolution", "systemic", "no_contact_reason", "overdue", "updated_at"}

func benchCase(rng *rand.Rand, respID int64, team string, at, end time.Time) []any {
	opened := at.Add(time.Duration(1+rng.IntN(10)) * time.Minute)
	thankDue, resolveDue := opened.Add(24*time.Hour), opened.Add(72*time.Hour)
	owner := fmt.Sprintf("agent%d.%s@example.com", rng.IntN(6), team)
	var thanked, resolved, closed *time.Time
	state, method, cause, resolution, reason := StateAssigned, "", "", "", ""
	// Thanked after 1–41 h (most within the day), resolved after the thanks
	// 4–124 h later; a few never reached. Cases of the last fortnight may
	// still be open; older ones are closed, as in a team that works its cases.
	old := end.Sub(opened) > 14*24*time.Hour
	if t := opened.Add(time.Duration(rng.Float64()*40*float64(time.Hour)) + time.Hour); rng.Float64() < 0.9 && t.Before(end) {
		thanked, state, method = &t, StateThanked, "call"
	}
	from := opened
	if thanked != nil {
		from = *thanked
	}
	if t := from.Add(time.Duration(rng.Float64()*120*float64(time.Hour)) + 4*time.Hour); (old || rng.Float64() < 0.6) && t.Before(end) && (thanked != nil || rng.Float64() < 0.5) {
		resolved, closed, state = &t, &t, StateResolved
		cause, resolution = []string{"process", "product", "price", "staff"}[rng.IntN(4)], "explained and fixed"
	} else if old {
		t := opened.Add(48 * time.Hour)
		closed, state, reason = &t, StateNoContact, "unreachable"
	}
	return []any{respID, team, state, owner, opened, thankDue, resolveDue, thanked, method, resolved, closed, cause, resolution,
		false, reason, false, opened}
}

func benchComment(rng *rand.Rand, seg Segment) string {
	n := 6 + rng.IntN(14)
	words := make([]string, n)
	for i := range words {
		pool := benchCommon
		switch r := rng.Float64(); {
		case r < 0.3 && seg == SegmentDetractor:
			pool = benchDetractor
		case r < 0.3 && seg == SegmentPromoter:
			pool = benchPromoter
		case r < 0.05:
			pool = benchDetractor
		case r < 0.1:
			pool = benchPromoter
		case r < 0.45:
			pool = StopWords["en"]
		}
		words[i] = pool[rng.IntN(len(pool))]
	}
	return strings.Join(words, " ") + "."
}
