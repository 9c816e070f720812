package handlers

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/cxloop/cxloop/handlers/httpio"
)

// Defaults of the ingestion gate.
const (
	// DefaultIngestWait is how long a request waits for the database to
	// take it before it is answered 503.
	DefaultIngestWait = 2 * time.Second
	// retryBusy is the Retry-After of a 503: the database was full.
	retryBusy = 2
)

// limiters holds one token bucket per credential: the ingest token, the
// Standard Webhooks secret, each survey tool's secret. Only credentials the
// server has are keys, so the map stays as small as the configuration.
type limiters struct {
	perSecond float64
	mu        sync.Mutex
	byKey     map[string]*rate.Limiter
}

// allow takes one request for key at now, or says how long to wait.
func (l *limiters) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	lim, ok := l.byKey[key]
	if !ok {
		if l.byKey == nil {
			l.byKey = map[string]*rate.Limiter{}
		}
		lim = rate.NewLimiter(rate.Limit(l.perSecond), max(1, int(math.Ceil(l.perSecond))))
		l.byKey[key] = lim
	}
	l.mu.Unlock()
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// retryAfter is a Retry-After value in whole seconds, at least 1.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}

// limit answers 429 with Retry-After when the credential of a request is
// over CXLOOP_INGEST_RATE. A request whose credential is wrong is not
// counted: it is refused by the handler, and cannot spend a real sender's
// budget.
func (s *Server) limit(name string, h http.Handler) http.Handler {
	if s.IngestRate <= 0 {
		return h
	}
	s.limitersOnce.Do(func() { s.limiters = &limiters{perSecond: s.IngestRate} })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := name
		if name == "api" {
			bearer, hasBearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			switch {
			case hasBearer && s.IngestToken != "" && equalSecret(bearer, s.IngestToken):
				key = "api:token"
			case !hasBearer && r.Header.Get("webhook-signature") != "" && s.IngestSecret != "":
				key = "api:secret"
			default:
				h.ServeHTTP(w, r)
				return
			}
		}
		if ok, wait := s.limiters.allow(key, s.Clock.Now()); !ok {
			w.Header().Set("Retry-After", retryAfter(wait))
			httpio.WriteError(w, http.StatusTooManyRequests, "", "over the rate limit of "+strconv.FormatFloat(s.IngestRate, 'f', -1, 64)+
				" requests per second: nothing was stored, retry after "+retryAfter(wait)+" s")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// admit waits up to IngestWait for room to write, so that a database whose
// connections are all taken answers 503 with Retry-After at once rather
// than holding every request until its sender gives up. done releases the
// room; ok false means the answer was sent.
func (s *Server) admit(w http.ResponseWriter, ctx context.Context) (done func(), ok bool) {
	s.gateOnce.Do(func() {
		n := s.IngestConcurrency
		if n <= 0 && s.Store != nil {
			if open := s.Store.MaxOpenConns(); open > 0 {
				n = max(2*open, 8)
			}
		}
		if n > 0 {
			s.gate = make(chan struct{}, n)
		}
	})
	if s.gate == nil {
		return func() {}, true
	}
	wait := s.IngestWait
	if wait <= 0 {
		wait = DefaultIngestWait
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case s.gate <- struct{}{}:
		return func() { <-s.gate }, true
	case <-t.C:
	case <-ctx.Done():
	}
	s.Log.Warn("ingest: the database is taking no more writes", "waited", wait, "in_flight", cap(s.gate))
	busy(w)
	return nil, false
}

// busy answers 503: nothing was stored, try again shortly.
func busy(w http.ResponseWriter) {
	w.Header().Set("Retry-After", strconv.Itoa(retryBusy))
	httpio.WriteError(w, http.StatusServiceUnavailable, "", "the database is busy: nothing was stored, retry after "+strconv.Itoa(retryBusy)+" s")
}
