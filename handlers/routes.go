package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cxloop/cxloop/handlers/providers"
)

// An App is a chat platform's endpoints (slackapp.App, teamsapp.Bot): the
// patterns it serves, mounted beside the server's own.
type App interface {
	Routes() map[string]http.Handler
}

// Handler returns every route: the server's own, then each connected
// platform's app.
func (s *Server) Handler(apps ...App) http.Handler {
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
	for _, app := range apps {
		for pattern, h := range app.Routes() {
			s.route(mux, pattern, h)
		}
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
