package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cxloop/cxloop/handlers/httpio"
	"github.com/cxloop/cxloop/models"
)

// MaxBatch is the most responses one request may carry.
const MaxBatch = 1000

// responseJSON is the generic response object of the contract.
type responseJSON struct {
	ExternalID  *string           `json:"external_id"`
	Source      string            `json:"source"`
	Metric      string            `json:"metric"`
	Score       json.RawMessage   `json:"score"`
	Comment     string            `json:"comment"`
	SubmittedAt string            `json:"submitted_at"`
	Touchpoint  string            `json:"touchpoint"`
	Customer    *models.Customer  `json:"customer"`
	Attributes  map[string]string `json:"attributes"`
	Language    string            `json:"language"`
}

type ingestResult struct {
	ID     int64  `json:"id"`
	CaseID int64  `json:"case_id,omitempty"`
	Status string `json:"status"`
}

func (s *Server) ingest(w http.ResponseWriter, r *http.Request) {
	bearer, hasBearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	signed := r.Header.Get("webhook-signature") != ""
	switch {
	case s.IngestToken == "" && s.IngestSecret == "":
		httpio.WriteError(w, http.StatusUnauthorized, "", "ingestion is disabled: set CXLOOP_INGEST_TOKEN")
		return
	case hasBearer:
		if s.IngestToken == "" || !equalSecret(bearer, s.IngestToken) {
			httpio.WriteError(w, http.StatusUnauthorized, "", "invalid bearer token")
			return
		}
	case signed && s.IngestSecret != "":
		// verified below, once the body is read
	default:
		httpio.WriteError(w, http.StatusUnauthorized, "", "missing credentials: send Authorization: Bearer <token>")
		return
	}
	body, ok := httpio.ReadBody(w, r)
	if !ok {
		return
	}
	if !hasBearer {
		if err := s.verifyStandardWebhook(r.Header, body); err != nil {
			httpio.WriteError(w, http.StatusUnauthorized, "", "invalid webhook signature: "+err.Error())
			return
		}
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		httpio.WriteError(w, http.StatusUnsupportedMediaType, "", "Content-Type must be application/json")
		return
	}
	if !utf8.Valid(body) {
		// encoding/json would silently turn bad bytes into U+FFFD; refuse instead.
		httpio.WriteError(w, http.StatusBadRequest, "", "body must be valid UTF-8")
		return
	}
	now := s.Clock.Now()
	inputs, fe := parseResponses(body, now, s.Policy.Location)
	if fe != nil {
		httpio.WriteError(w, http.StatusBadRequest, fe.Field, fe.Msg)
		return
	}
	done, ok := s.admit(w, r.Context())
	if !ok {
		return
	}
	defer done()
	s.store(w, r.Context(), inputs, now)
}

// store ingests validated inputs and answers with their ids.
func (s *Server) store(w http.ResponseWriter, ctx context.Context, inputs []models.ResponseInput, now time.Time) {
	results, err := s.write(ctx, inputs, now)
	if err != nil {
		s.Log.Error("ingest", "err", err, "count", len(inputs))
		w.Header().Set("Retry-After", strconv.Itoa(retryBusy))
		httpio.WriteError(w, http.StatusServiceUnavailable, "", "could not store the responses; nothing was stored, please retry")
		return
	}
	out := make([]ingestResult, len(results))
	code, queued := http.StatusOK, false
	for i, res := range results {
		out[i] = ingestResult{ID: res.ResponseID, CaseID: res.CaseID, Status: string(res.Outcome)}
		s.Metrics.ResponsesIngested.WithLabelValues(res.Source, string(res.Segment), string(res.Outcome)).Inc()
		if res.Outcome != models.OutcomeUnchanged {
			code, queued = http.StatusCreated, true
		}
		if res.CaseOpened {
			s.Metrics.CasesOpened.WithLabelValues(caseTeam(s.Policy, &inputs[i])).Inc()
		}
	}
	if queued && s.Queued != nil {
		s.Queued()
	}
	ids := make([]int64, len(out))
	for i := range out {
		ids[i] = out[i].ID
	}
	httpio.WriteJSON(w, code, map[string]any{"ids": ids, "results": out})
}

// write stores the inputs: a single response shares a group commit with
// concurrent ones; an array is its own all-or-nothing transaction.
func (s *Server) write(ctx context.Context, inputs []models.ResponseInput, now time.Time) ([]models.IngestResult, error) {
	if len(inputs) != 1 {
		return s.Store.Ingest(ctx, s.Policy, now, inputs, models.IngestOptions{})
	}
	s.groupOnce.Do(func() { s.group = &models.Grouper{Store: s.Store} })
	res, err := s.group.Ingest(ctx, s.Policy, now, inputs[0])
	if err != nil {
		return nil, err
	}
	return []models.IngestResult{res}, nil
}

func caseTeam(p *models.Policy, in *models.ResponseInput) string {
	return p.RouteTeam(in, models.SegmentDetractor)
}

// parseResponses decodes one object or an array of up to MaxBatch, naming
// the index and field of the first bad element.
func parseResponses(body []byte, now time.Time, loc *time.Location) ([]models.ResponseInput, *models.FieldError) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, &models.FieldError{Field: "", Msg: "empty body: send a response object or an array of them"}
	}
	if trimmed[0] != '[' {
		in, fe := parseOne(trimmed, now, loc)
		if fe != nil {
			return nil, fe
		}
		return []models.ResponseInput{in}, nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		return nil, &models.FieldError{Msg: "invalid JSON: " + err.Error()}
	}
	if len(raw) == 0 {
		return nil, &models.FieldError{Msg: "empty array"}
	}
	if len(raw) > MaxBatch {
		return nil, &models.FieldError{Msg: fmt.Sprintf("at most %d responses per request, got %d", MaxBatch, len(raw))}
	}
	out := make([]models.ResponseInput, len(raw))
	seen := make(map[[2]string]int, len(raw))
	for i, el := range raw {
		in, fe := parseOne(el, now, loc)
		if fe != nil {
			fe.Field = fmt.Sprintf("[%d].%s", i, fe.Field)
			fe.Field = strings.TrimSuffix(fe.Field, ".")
			return nil, fe
		}
		key := [2]string{in.Source, in.ExternalID}
		if j, dup := seen[key]; dup {
			return nil, &models.FieldError{Field: fmt.Sprintf("[%d].external_id", i), Msg: fmt.Sprintf("repeats element %d of this batch", j)}
		}
		seen[key] = i
		out[i] = in
	}
	return out, nil
}

// parseOne decodes one response; a submitted_at without an offset is in loc.
func parseOne(data []byte, now time.Time, loc *time.Location) (models.ResponseInput, *models.FieldError) {
	var in models.ResponseInput
	if !json.Valid(data) {
		return in, &models.FieldError{Msg: "invalid JSON"}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var rj responseJSON
	if err := dec.Decode(&rj); err != nil {
		return in, jsonFieldError(err)
	}
	if rj.ExternalID == nil {
		return in, &models.FieldError{Field: "external_id", Msg: "required"}
	}
	if rj.Score == nil || string(bytes.TrimSpace(rj.Score)) == "null" {
		return in, &models.FieldError{Field: "score", Msg: "required"}
	}
	// A number in quotes ("3") is a sender's bug that would hide others
	// (a label "3 – likely" next time): only a JSON number is a score.
	raw := bytes.TrimSpace(rj.Score)
	if len(raw) > 0 && raw[0] == '"' {
		return in, &models.FieldError{Field: "score", Msg: fmt.Sprintf("must be a number, not the string %s", shortValue(raw))}
	}
	var num json.Number
	if err := json.Unmarshal(raw, &num); err != nil || string(raw) == "null" {
		return in, &models.FieldError{Field: "score", Msg: fmt.Sprintf("must be an integer, got %s", shortValue(raw))}
	}
	score, err := num.Int64()
	if err != nil || score < -1000 || score > 1000 {
		return in, &models.FieldError{Field: "score", Msg: fmt.Sprintf("must be an integer, got %s", num.String())}
	}
	in = models.ResponseInput{
		Source: rj.Source, ExternalID: *rj.ExternalID, Metric: models.Metric(rj.Metric), Score: int(score),
		Comment: rj.Comment, Touchpoint: rj.Touchpoint, Attributes: rj.Attributes, Language: rj.Language,
	}
	if rj.Customer != nil {
		in.Customer = *rj.Customer
	}
	if rj.SubmittedAt != "" {
		t, err := models.ParseTime(rj.SubmittedAt, loc)
		if err != nil {
			return in, &models.FieldError{Field: "submitted_at", Msg: err.Error()}
		}
		if fe := models.CheckSubmittedAt(t, now); fe != nil {
			return in, fe // before Normalize, which reads a zero time as omitted
		}
		in.SubmittedAt = t
	}
	in.Normalize(now)
	if fe := in.Validate(now); fe != nil {
		return in, fe
	}
	return in, nil
}

func jsonFieldError(err error) *models.FieldError {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &models.FieldError{Field: te.Field, Msg: fmt.Sprintf("must be %s, got %s", jsonKind(te.Type.Kind().String()), te.Value)}
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return &models.FieldError{Field: f, Msg: "unknown field"}
	}
	return &models.FieldError{Msg: "invalid JSON: " + msg}
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "map", "struct", "ptr":
		return "an object"
	case "bool":
		return "true or false"
	}
	return "a number"
}

// equalSecret compares in constant time; hashing first hides the length.
func equalSecret(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// shortValue is a JSON value as an error message quotes it: at most 40 bytes.
func shortValue(raw []byte) string {
	if len(raw) > 40 {
		return string(raw[:40]) + "…"
	}
	return string(raw)
}
