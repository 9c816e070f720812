// Package httpio is the request and response plumbing every cxloop endpoint
// shares: a bounded body read and the contract's JSON error body.
package httpio

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 1 << 20

// Error is the JSON error body of the contract.
type Error struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// WriteJSON answers code with v as JSON.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError answers code with the contract's error body; field names the
// input at fault, when one is.
func WriteError(w http.ResponseWriter, code int, field, msg string) {
	WriteJSON(w, code, Error{Error: msg, Field: field})
}

// ReadBody reads a request body of at most MaxBodyBytes, answering 413 (or
// 400) itself when it cannot; ok is false then.
func ReadBody(w http.ResponseWriter, r *http.Request) (body []byte, ok bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			WriteError(w, http.StatusRequestEntityTooLarge, "", fmt.Sprintf("body larger than %d bytes", MaxBodyBytes))
			return nil, false
		}
		WriteError(w, http.StatusBadRequest, "", "could not read body")
		return nil, false
	}
	return body, true
}
