package handlers

import (
	"errors"
	"net/http"
)

// verifyStandardWebhook checks a Standard Webhooks signature on the generic
// endpoint.
func (s *Server) verifyStandardWebhook(h http.Header, body []byte) error {
	return errors.New("standard webhooks signatures are not accepted yet")
}
