package models

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Group commit defaults: a single response waits at most GroupWait for
// others to share its transaction, and a group holds at most GroupMax.
const (
	GroupWait = time.Millisecond
	GroupMax  = 100
)

// Grouper gathers concurrent single-response ingests into one transaction
// of the batch path, so a burst of single requests pays one commit per
// group instead of one each. Every caller gets its own result, only after
// the group's commit. A response whose (source, external_id) is already in
// a group that has not committed waits for that commit and goes into a
// later group, so repeats and updates behave exactly as sequential requests.
// When a group fails, its members are stored one by one, so a bad element
// fails only its own request.
type Grouper struct {
	Store *Store
	Wait  time.Duration // default GroupWait
	Max   int           // default GroupMax

	groups atomic.Int64 // groups written, for tests and diagnostics

	mu       sync.Mutex
	open     *group
	inflight map[responseKey]*group // keys of groups not yet committed
}

type group struct {
	reqs []*groupReq
	full chan struct{} // closed when the group reaches Max
	done chan struct{} // closed when every member has its answer
}

type groupReq struct {
	in  ResponseInput
	now time.Time
	res IngestResult
	err error
}

// Ingest stores one response, sharing a transaction with concurrent calls.
func (g *Grouper) Ingest(ctx context.Context, p *Policy, now time.Time, in ResponseInput) (IngestResult, error) {
	req := &groupReq{in: in, now: now}
	key := responseKey{in.Source, in.ExternalID}
	for {
		g.mu.Lock()
		if prev := g.inflight[key]; prev != nil {
			g.mu.Unlock()
			<-prev.done // the earlier request for this response commits first
			continue
		}
		leader := g.open == nil
		if leader {
			g.open = &group{full: make(chan struct{}), done: make(chan struct{})}
		}
		grp := g.open
		grp.reqs = append(grp.reqs, req)
		if g.inflight == nil {
			g.inflight = map[responseKey]*group{}
		}
		g.inflight[key] = grp
		if len(grp.reqs) >= g.max() {
			close(grp.full)
			g.open = nil
		}
		g.mu.Unlock()
		if leader {
			g.lead(ctx, p, grp)
		}
		<-grp.done
		return req.res, req.err
	}
}

// Groups is how many groups have been written.
func (g *Grouper) Groups() int64 { return g.groups.Load() }

func (g *Grouper) max() int {
	if g.Max > 0 {
		return g.Max
	}
	return GroupMax
}

// lead waits for the group to fill or for the wait to pass, closes it and
// writes it.
func (g *Grouper) lead(ctx context.Context, p *Policy, grp *group) {
	wait := g.Wait
	if wait <= 0 {
		wait = GroupWait
	}
	t := time.NewTimer(wait)
	select {
	case <-grp.full:
	case <-t.C:
	}
	t.Stop()
	g.mu.Lock()
	if g.open == grp {
		g.open = nil
	}
	g.mu.Unlock()
	// The members' requests outlive the leader's: its client going away
	// must not cancel the others' writes.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	g.write(ctx, p, grp.reqs)
	g.mu.Lock()
	for _, r := range grp.reqs {
		if k := (responseKey{r.in.Source, r.in.ExternalID}); g.inflight[k] == grp {
			delete(g.inflight, k)
		}
	}
	g.mu.Unlock()
	close(grp.done)
}

func (g *Grouper) write(ctx context.Context, p *Policy, reqs []*groupReq) {
	inputs := make([]ResponseInput, len(reqs))
	now := reqs[0].now
	for i, r := range reqs {
		inputs[i] = r.in
		if r.now.After(now) {
			now = r.now
		}
	}
	g.groups.Add(1)
	results, err := g.Store.Ingest(ctx, p, now, inputs, IngestOptions{})
	if err == nil {
		for i, r := range reqs {
			r.res = results[i]
		}
		return
	}
	if len(reqs) == 1 {
		reqs[0].err = err
		return
	}
	// Something in the group failed and nothing of it was stored: each
	// member on its own, in the order they came.
	for _, r := range reqs {
		res, err := g.Store.Ingest(ctx, p, r.now, []ResponseInput{r.in}, IngestOptions{})
		if err == nil {
			r.res = res[0]
		}
		r.err = err
	}
}
