// Package handlers is cxloop's HTTP surface: ingestion, provider webhooks,
// unsubscribe links, digest reports, health and metrics, with the chat
// platforms' apps (handlers/slackapp, handlers/teamsapp) mounted beside
// them. Every route is in routes.go.
package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/cxloop/cxloop/handlers/httpio"
	"github.com/cxloop/cxloop/metrics"
	"github.com/cxloop/cxloop/models"
)

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

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	httpio.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ready(ctx); err != nil {
		// The detail names the database's user, host and port: the log
		// gets it, the unauthenticated caller does not.
		s.Log.Warn("not ready", "err", err)
		msg := "database unreachable"
		if errors.Is(err, models.ErrSchemaNotCurrent) {
			msg = "database schema is not current: run cxloop migrate"
		}
		httpio.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "error": msg})
		return
	}
	httpio.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
