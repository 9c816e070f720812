// Package importer reads survey responses from CSV files and stores them in
// batches through models.Store.Ingest, with the same idempotency as the
// webhooks: a response is stored once per (source, external_id), a
// re-import changes nothing, a changed row updates its response.
//
// The file is streamed: memory stays bounded by the batches in flight, plus
// 11 to 21 bytes per row for the duplicate check (16 MB for a million rows).
package importer

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/cxloop/cxloop/models"
)

// Fields a column can map to; any other column becomes an attribute.
const (
	FieldExternalID = "external_id"
	FieldSource     = "source"
	FieldScore      = "score"
	FieldMetric     = "metric"
	FieldComment    = "comment"
	FieldSubmitted  = "submitted_at"
	FieldTouchpoint = "touchpoint"
	FieldCustID     = "customer_id"
	FieldCustName   = "customer_name"
	FieldCustEmail  = "customer_email"
	FieldCustPhone  = "customer_phone"
	FieldContactOK  = "customer_contact_ok"
	FieldLanguage   = "language"
)

// Fields lists the fields in documentation order.
var Fields = []string{FieldExternalID, FieldScore, FieldMetric, FieldComment, FieldSubmitted, FieldTouchpoint, FieldSource,
	FieldCustID, FieldCustName, FieldCustEmail, FieldCustPhone, FieldContactOK, FieldLanguage}

// fieldAliases are other header names taken for a field.
// Qualtrics exports name the respondent's language UserLanguage ("EN", "PL").
var fieldAliases = map[string]string{"contact_ok": FieldContactOK, "userlanguage": FieldLanguage}

// RejectColumn is the reason column of a rejects file. A column of that name
// is skipped on import, so a corrected rejects file imports as it is.
const RejectColumn = "cxloop_reject_reason"

// column says what one CSV column becomes.
type column struct {
	field string // a field, or "" when attr or skip
	attr  string // attribute name
	skip  bool
}

// Layout maps a header's columns to response fields.
type Layout struct {
	Header []string
	cols   []column
	// What the parser found: the delimiter, and a Qualtrics export's zone.
	Comma     rune
	Qualtrics bool
	Zone      string
}

// ParseMap reads a --map value: "column=field,column=field". A field is one
// of Fields, "attributes.NAME" (an attribute of that exact name) or "-"
// (leave the column out).
func ParseMap(s string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		col, field, ok := strings.Cut(part, "=")
		col, field = strings.TrimSpace(col), strings.TrimSpace(field)
		if !ok || col == "" || field == "" {
			return nil, fmt.Errorf("--map: %q is not column=field", part)
		}
		if _, dup := out[col]; dup {
			return nil, fmt.Errorf("--map: column %q is mapped twice", col)
		}
		out[col] = field
	}
	return out, nil
}

// NewLayout maps each column of header: by overrides (column → field, as
// ParseMap returns) first, else by its name: "External ID", "external-id"
// and "external_id" all name external_id; "customer.email" customer_email.
// Other columns become attributes named by their normalised header. Every
// file needs an external_id and a score column.
func NewLayout(header []string, overrides map[string]string) (*Layout, error) {
	return newLayout(header, overrides, nil)
}

// newLayout is NewLayout with more aliases: header names taken for fields.
func newLayout(header []string, overrides, aliases map[string]string) (*Layout, error) {
	l := &Layout{Header: append([]string(nil), header...), cols: make([]column, len(header))}
	used := map[string]bool{}
	for col := range overrides {
		found := false
		for _, h := range header {
			if h == col || normName(h) == normName(col) {
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("--map: no column %q in the header (columns: %s)", col, strings.Join(header, ", "))
		}
	}
	byField := map[string]int{}
	for i, h := range header {
		var c column
		if target, ok := override(overrides, h); ok {
			switch n := normName(target); {
			case target == "-" || n == "skip" || n == "ignore":
				c.skip = true
			case strings.HasPrefix(target, "attributes.") || strings.HasPrefix(target, "attribute."):
				_, c.attr, _ = strings.Cut(target, ".")
				if c.attr == "" {
					return nil, fmt.Errorf("--map %s=%s: name the attribute", h, target)
				}
			case isField(n):
				c.field = n
			default:
				return nil, fmt.Errorf("--map %s=%s: %q is not a field (%s, attributes.NAME or -)", h, target, target, strings.Join(Fields, ", "))
			}
		} else {
			n := normName(h)
			switch {
			case n == RejectColumn:
				c.skip = true
			case isField(n):
				c.field = n
			case fieldAliases[n] != "":
				c.field = fieldAliases[n]
			case aliases[n] != "":
				c.field = aliases[n]
			case n == "":
				c.skip = true // an unnamed column: nothing to call the attribute
			default:
				c.attr = n
			}
		}
		if c.field != "" {
			if j, dup := byField[c.field]; dup {
				return nil, fmt.Errorf("columns %q and %q both map to %s: use --map to choose", header[j], h, c.field)
			}
			byField[c.field] = i
		}
		if c.attr != "" {
			if used["attr:"+c.attr] {
				return nil, fmt.Errorf("two columns make attribute %q: use --map to rename one", c.attr)
			}
			used["attr:"+c.attr] = true
		}
		l.cols[i] = c
	}
	for _, f := range []string{FieldExternalID, FieldScore} {
		if _, ok := byField[f]; !ok {
			return nil, fmt.Errorf("no %s column (columns: %s): name one %s or use --map COLUMN=%s", f, strings.Join(header, ", "), f, f)
		}
	}
	return l, nil
}

// Describe tells how the columns map, for the import's report.
func (l *Layout) Describe() string {
	var fields, attrs, skipped []string
	for i, c := range l.cols {
		switch {
		case c.skip:
			skipped = append(skipped, l.Header[i])
		case c.field != "":
			fields = append(fields, fmt.Sprintf("%s→%s", l.Header[i], c.field))
		default:
			attrs = append(attrs, c.attr)
		}
	}
	sort.Strings(attrs)
	s := ""
	if l.Qualtrics {
		s = "a Qualtrics export (its question and ImportId rows skipped, times in " + l.Zone + "); "
	}
	switch l.Comma {
	case ';':
		s += "separated by semicolons; "
	case '\t':
		s += "separated by tabs; "
	}
	s += "columns: " + strings.Join(fields, ", ")
	if len(attrs) > 0 {
		s += "; attributes: " + strings.Join(attrs, ", ")
	}
	if len(skipped) > 0 {
		s += "; skipped: " + strings.Join(skipped, ", ")
	}
	return s
}

func override(m map[string]string, h string) (string, bool) {
	if v, ok := m[h]; ok {
		return v, true
	}
	for k, v := range m {
		if normName(k) == normName(h) {
			return v, true
		}
	}
	return "", false
}

func isField(n string) bool {
	for _, f := range Fields {
		if f == n {
			return true
		}
	}
	return false
}

// normName lower-cases a header and turns spaces, dashes and dots into
// single underscores; a byte-order mark (Excel's UTF-8 CSV) goes.
func normName(s string) string {
	s = strings.TrimPrefix(s, "\ufeff")
	s = strings.ToLower(strings.TrimSpace(s))
	var b strings.Builder
	under := false
	for _, r := range s {
		if r == ' ' || r == '-' || r == '.' || r == '_' || unicode.IsSpace(r) {
			if !under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = true
			continue
		}
		under = false
		b.WriteRune(r)
	}
	return strings.TrimSuffix(b.String(), "_")
}

// Row is one data row as read: its line, its fields, and either the
// response it makes or why it cannot be imported.
type Row struct {
	Line   int
	Record []string
	Input  models.ResponseInput
	Reason string // set when rejected
}

// ParseOptions tune a Parser.
type ParseOptions struct {
	Source   string            // when a row has no source column value; default "csv"
	Map      map[string]string // column → field overrides
	Location *time.Location    // zone of times written without one; default UTC
	Now      time.Time         // bound for submitted_at, and its default
	Encoding string            // the file's code page (windows-1251…); default UTF-8
}

// Parser reads a CSV file's rows as responses.
type Parser struct {
	r      *csv.Reader
	layout *Layout
	opts   ParseOptions
	// Comma is the delimiter found in the header; Qualtrics tells whether
	// the file is a Qualtrics export, whose two extra header rows are skipped.
	Comma     rune
	Qualtrics bool
	ahead     []readAhead // rows read while recognising the file
}

// readAhead is a row read before its turn.
type readAhead struct {
	rec  []string
	line int
	err  error
}

// NewParser reads the header and maps it.
func NewParser(r io.Reader, opts ParseOptions) (*Parser, error) {
	if opts.Source == "" {
		opts.Source = "csv"
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	br, err := decode(r, opts.Encoding)
	if err != nil {
		return nil, err
	}
	head, _ := br.Peek(sniffSize)
	p := &Parser{opts: opts, Comma: sniffComma(head)}
	cr := csv.NewReader(br)
	cr.Comma = p.Comma
	cr.ReuseRecord = true
	p.r = cr
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("the file is empty: want a header row, then one response per row")
	}
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	header = append([]string(nil), header...)
	for i := range header {
		header[i] = unneutralize(header[i])
	}
	// A Qualtrics export has two more header rows: the question texts,
	// then {"ImportId":…} objects that name the zone of its dates.
	for len(p.ahead) < 2 {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			line = pe.StartLine
		} else if err != nil {
			return nil, err
		}
		p.ahead = append(p.ahead, readAhead{append([]string(nil), rec...), line, err})
	}
	var aliases map[string]string
	if len(p.ahead) == 2 && p.ahead[0].err == nil && p.ahead[1].err == nil {
		isQ, loc, err := qualtricsRow(p.ahead[1].rec)
		if err != nil {
			return nil, err
		}
		if isQ {
			p.Qualtrics, p.ahead, aliases = true, nil, qualtricsAliases
			if loc != nil {
				p.opts.Location = loc
			}
		}
	}
	if p.layout, err = newLayout(header, opts.Map, aliases); err != nil {
		return nil, err
	}
	p.layout.Comma, p.layout.Qualtrics, p.layout.Zone = p.Comma, p.Qualtrics, p.opts.Location.String()
	return p, nil
}

// Location is the zone of times written without one: the Qualtrics
// export's own, else the configured one.
func (p *Parser) Location() *time.Location { return p.opts.Location }

// Layout returns how the columns map.
func (p *Parser) Layout() *Layout { return p.layout }

// Next reads the next row into row: a response, or a reject with its reason.
// It returns io.EOF at the end, and other errors only when reading fails.
func (p *Parser) Next(row *Row) error {
	var rec []string
	var err error
	line := 0
	if len(p.ahead) > 0 {
		rec, line, err = p.ahead[0].rec, p.ahead[0].line, p.ahead[0].err
		p.ahead = p.ahead[1:]
	} else {
		rec, err = p.r.Read()
		line, _ = p.r.FieldPos(0)
	}
	*row = Row{}
	if err != nil {
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return err // io.EOF, or the reader failed
		}
		row.Line = pe.StartLine
		row.Record = append([]string(nil), rec...)
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			row.Reason = fmt.Sprintf("%d fields, the header has %d", len(rec), len(p.layout.Header))
		} else {
			row.Reason = "malformed CSV: " + pe.Err.Error()
		}
		return nil
	}
	row.Line = line
	row.Record = append([]string(nil), rec...)
	row.Input, row.Reason = p.response(row.Record)
	return nil
}

// response makes a validated response of a record, or says why not.
func (p *Parser) response(rec []string) (models.ResponseInput, string) {
	in := models.ResponseInput{Source: p.opts.Source}
	scoreSeen := false
	for i, raw := range rec {
		c := p.layout.cols[i]
		v := unneutralize(strings.TrimSpace(raw))
		if c.skip || v == "" {
			continue
		}
		if c.attr != "" {
			if in.Attributes == nil {
				in.Attributes = make(map[string]string, 4)
			}
			in.Attributes[c.attr] = v
			continue
		}
		switch c.field {
		case FieldExternalID:
			in.ExternalID = v
		case FieldSource:
			in.Source = v
		case FieldScore:
			n, err := parseScore(v)
			if err != nil {
				return in, "score: " + err.Error()
			}
			in.Score, scoreSeen = n, true
		case FieldMetric:
			in.Metric = models.Metric(v)
		case FieldComment:
			in.Comment = v
		case FieldSubmitted:
			t, err := models.ParseTime(v, p.opts.Location)
			if err != nil {
				return in, "submitted_at: " + err.Error()
			}
			if fe := models.CheckSubmittedAt(t, p.opts.Now); fe != nil {
				return in, fe.Error()
			}
			in.SubmittedAt = t
		case FieldTouchpoint:
			in.Touchpoint = v
		case FieldCustID:
			in.Customer.ID = v
		case FieldCustName:
			in.Customer.Name = v
		case FieldCustEmail:
			in.Customer.Email = v
		case FieldCustPhone:
			in.Customer.Phone = v
		case FieldContactOK:
			b, err := parseBool(v)
			if err != nil {
				return in, "customer_contact_ok: " + err.Error()
			}
			in.Customer.ContactOK = &b
		case FieldLanguage:
			in.Language = v
		}
	}
	if !scoreSeen {
		return in, "score: required"
	}
	in.Normalize(p.opts.Now)
	if fe := in.Validate(p.opts.Now); fe != nil {
		return in, fe.Error()
	}
	return in, ""
}

func parseScore(v string) (int, error) {
	if n, err := strconv.Atoi(v); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(strings.Replace(v, ",", ".", 1), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a number", v)
	}
	if f != math.Trunc(f) || math.Abs(f) > 1000 {
		return 0, fmt.Errorf("%q is not a whole number", v)
	}
	return int(f), nil
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "yes", "y", "1", "t":
		return true, nil
	case "false", "no", "n", "0", "f":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", v)
}
