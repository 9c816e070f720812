package handlers

import (
	"net/http"

	"github.com/cxloop/cxloop/handlers/providers"
)

// verifyStandardWebhook checks a Standard Webhooks signature on the generic
// endpoint, keyed with CXLOOP_INGEST_SECRET.
func (s *Server) verifyStandardWebhook(h http.Header, body []byte) error {
	return providers.VerifyStandardWebhook(s.IngestSecret, h, body, s.Clock.Now())
}
