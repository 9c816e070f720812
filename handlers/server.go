// Package handlers is cxloop's HTTP surface: ingestion, provider webhooks,
// the chat platforms' endpoints, health and metrics. All routes are in
// Handler below.
package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cxloop/cxloop/handlers/providers"
	"github.com/cxloop/cxloop/metrics"
	"github.com/cxloop/cxloop/models"
)

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 1 << 20

// Server holds what the handlers need.
type Server struct {
	Store   *models.Store
	Policy  *models.Policy
	Clock   models.Clock
	Log     *slog.Logger
	Metrics *metrics.Set

	IngestToken  string
	IngestSecret string

	// Provider webhooks (webhooks.go): each endpoint is off while its secret
	// is empty. The mappings name the score and comment questions of each
	// Typeform form and Formbricks survey, by form or survey id.
	DelightedSecret   string
	TypeformSecret    string
	FormbricksSecret  string
	TypeformForms     map[string]models.FormMapping
	FormbricksSurveys map[string]models.FormMapping

	// Queued is called after a commit that queued outbound messages, to wake
	// the delivery worker.
	Queued func()

	// Extra routes registered by platform integrations.
	Extra map[string]http.Handler

	groupOnce sync.Once
	group     *models.Grouper // single responses' group commit

	// IngestRate is the most requests per second each credential (the
	// ingest token, the webhook secret, each survey tool's secret) may
	// send; 0 is no limit. Over it the answer is 429 with Retry-After.
	IngestRate float64
	// IngestConcurrency is how many ingest requests write at once (default
	// twice the database pool); IngestWait how long one waits for its turn
	// (default DefaultIngestWait) before it is answered 503 with Retry-After.
	IngestConcurrency int
	IngestWait        time.Duration

	limitersOnce sync.Once
	limiters     *limiters
	gateOnce     sync.Once
	gate         chan struct{}
}

// Handler returns the routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.route(mux, "POST /api/v1/responses", s.limit("api", http.HandlerFunc(s.ingest)))
	s.route(mux, "POST /webhooks/delighted", s.limit(providers.SourceDelighted, s.webhook(providers.SourceDelighted)))
	s.route(mux, "POST /webhooks/typeform", s.limit(providers.SourceTypeform, s.webhook(providers.SourceTypeform)))
	s.route(mux, "POST /webhooks/formbricks", s.limit(providers.SourceFormbricks, s.webhook(providers.SourceFormbricks)))
	s.route(mux, "GET /unsubscribe", http.HandlerFunc(s.unsubscribe))
	s.route(mux, "POST /unsubscribe", http.HandlerFunc(s.unsubscribe))
	s.route(mux, "GET /digests/{file}", http.HandlerFunc(s.digestReport))
	s.route(mux, "GET /healthz", http.HandlerFunc(s.healthz))
	s.route(mux, "GET /readyz", http.HandlerFunc(s.readyz))
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Metrics.Registry, promhttp.HandlerOpts{}))
	for pattern, h := range s.Extra {
		s.route(mux, pattern, h)
	}
	return mux
}

// route registers h with request timing under its pattern.
func (s *Server) route(mux *http.ServeMux, pattern string, h http.Handler) {
	mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		s.Metrics.HTTPDuration.WithLabelValues(pattern, strconv.Itoa(sw.code)).Observe(time.Since(start).Seconds())
	}))
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// apiError is the JSON error body of the contract.
type apiError struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, field, msg string) {
	writeJSON(w, code, apiError{Error: msg, Field: field})
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := contextWithTimeout(r, 2*time.Second)
	defer cancel()
	if err := s.Store.Ready(ctx); err != nil {
		// The detail names the database's user, host and port: the log
		// gets it, the unauthenticated caller does not.
		s.Log.Warn("not ready", "err", err)
		msg := "database unreachable"
		if errors.Is(err, models.ErrSchemaNotCurrent) {
			msg = "database schema is not current: run cxloop migrate"
		}
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "error": msg})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// readBody reads a request body of at most MaxBodyBytes, answering 413 (or
// 400) itself when it cannot; ok is false then.
func readBody(w http.ResponseWriter, r *http.Request) (body []byte, ok bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "", fmt.Sprintf("body larger than %d bytes", MaxBodyBytes))
			return nil, false
		}
		writeError(w, http.StatusBadRequest, "", "could not read body")
		return nil, false
	}
	return body, true
}
