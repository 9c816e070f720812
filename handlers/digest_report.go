package handlers

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/cxloop/cxloop/models"
)

// digestReport serves GET /digests/YYYY-MM.html?token=…: the month's full
// HTML report as it was posted, to whoever holds a link from a digest post.
// A token that is wrong, tampered with, expired or for another month
// answers 403 with a body that says nothing more.
func (s *Server) digestReport(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	forbidden := func() {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("Forbidden\n"))
	}
	month, ok := strings.CutSuffix(r.PathValue("file"), ".html")
	if !ok {
		forbidden()
		return
	}
	if _, _, err := models.ParseMonth(month); err != nil || len(month) != 7 {
		forbidden()
		return
	}
	key, err := s.Store.Key(ctx, models.DigestLinkKeyName)
	if err != nil {
		s.Log.Error("digest report: read the key", "err", err)
		http.Error(w, "Service unavailable", http.StatusServiceUnavailable)
		return
	}
	if err := models.CheckDigestLinkToken(key, month, r.URL.Query().Get("token"), s.Clock.Now()); err != nil {
		forbidden()
		return
	}
	run, err := s.Store.DigestRunFor(ctx, month)
	if errors.Is(err, models.ErrNotFound) {
		forbidden()
		return
	}
	if err != nil {
		s.Log.Error("digest report", "month", month, "err", err)
		http.Error(w, "Service unavailable", http.StatusServiceUnavailable)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// The report is for the people in the leadership channel: no caches,
	// no referrer carrying the token, nothing loaded from elsewhere.
	h.Set("Cache-Control", "private, no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'")
	_, _ = w.Write([]byte(run.HTML))
}
