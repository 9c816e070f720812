package importer

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// sniffSize is how much of a file is read ahead to find its delimiter and
// check its encoding.
const sniffSize = 64 << 10

// decode turns the file into UTF-8 text: a byte-order mark (UTF-8, or
// UTF-16 as Excel's "Unicode text" writes) is honoured and dropped;
// otherwise the text is UTF-8 unless encoding names another, such as
// windows-1251 or windows-1250. Text that is not UTF-8 and names no
// encoding is refused with the encodings to try, instead of being stored
// as mojibake.
func decode(r io.Reader, name string) (*bufio.Reader, error) {
	var enc encoding.Encoding // nil: UTF-8, passed through as it is and checked
	if name = strings.TrimSpace(name); name != "" && !strings.EqualFold(name, "utf-8") && !strings.EqualFold(name, "utf8") {
		e, err := htmlindex.Get(name)
		if err != nil {
			return nil, fmt.Errorf("--encoding %q is not an encoding: try windows-1251 (Cyrillic), windows-1250 (Polish, Central European), windows-1257 (Baltic) or utf-8", name)
		}
		enc = e
	}
	var fallback transform.Transformer = transform.Nop
	if enc != nil {
		fallback = enc.NewDecoder()
	}
	br := bufio.NewReaderSize(transform.NewReader(r, unicode.BOMOverride(fallback)), sniffSize)
	if enc == nil {
		head, _ := br.Peek(sniffSize)
		if i := invalidUTF8(head, len(head) < sniffSize); i >= 0 {
			return nil, fmt.Errorf("the file is not UTF-8 text (byte %d): if Excel saved it, name its code page with --encoding windows-1251 (Cyrillic), windows-1250 (Polish, Central European) or windows-1257 (Baltic), or save it as \"CSV UTF-8\"", i+1)
		}
	}
	return br, nil
}

// invalidUTF8 is the offset of the first byte that is not UTF-8, or -1. A
// rune cut off at the end of an incomplete read ahead does not count.
func invalidUTF8(b []byte, complete bool) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			if !complete && len(b)-i < utf8.UTFMax && !utf8.FullRune(b[i:]) {
				return -1
			}
			return i
		}
		i += n
	}
	return -1
}

// sniffComma picks the delimiter of a CSV file from its header line: the
// most frequent of comma, semicolon (Excel where the decimal separator is
// a comma: Estonia, Poland, Russia) and tab, counted outside quotes. A
// tie, or none, is a comma.
func sniffComma(head []byte) rune {
	counts := map[byte]int{}
	quoted := false
	for _, c := range head {
		if c == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if c == '\n' || c == '\r' {
			break
		}
		if c == ',' || c == ';' || c == '\t' {
			counts[c]++
		}
	}
	best, n := byte(','), counts[',']
	for _, c := range []byte{';', '\t'} {
		if counts[c] > n {
			best, n = c, counts[c]
		}
	}
	return rune(best)
}

// qualtricsImport is the third header row of a Qualtrics export: one
// {"ImportId":…} object a column, the date columns with their timeZone.
type qualtricsImport struct {
	ImportID string `json:"ImportId"`
	TimeZone string `json:"timeZone"`
}

// qualtricsRow reports whether rec is a Qualtrics ImportId row, and the
// zone its dates are written in when it names one.
func qualtricsRow(rec []string) (bool, *time.Location, error) {
	seen := false
	var loc *time.Location
	for _, cell := range rec {
		cell = strings.TrimSpace(cell)
		if cell == "" {
			continue
		}
		if !strings.HasPrefix(cell, "{") || !strings.Contains(cell, `"ImportId"`) {
			return false, nil, nil
		}
		var qi qualtricsImport
		if err := json.Unmarshal([]byte(cell), &qi); err != nil {
			return false, nil, nil
		}
		seen = true
		if qi.TimeZone != "" && loc == nil {
			l, err := time.LoadLocation(qi.TimeZone)
			if err != nil {
				return true, nil, fmt.Errorf("the Qualtrics export's time zone %q is unknown: %w", qi.TimeZone, err)
			}
			loc = l
		}
	}
	return seen, loc, nil
}

// qualtricsAliases are the Qualtrics export's names of fields, taken when
// the file is recognised as one.
var qualtricsAliases = map[string]string{"responseid": FieldExternalID, "recordeddate": FieldSubmitted, "recipientemail": FieldCustEmail}

// formulaStart reports whether a spreadsheet would run a cell as a formula.
func formulaStart(s string) bool {
	return s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0]))
}

// Neutralize keeps a cell a spreadsheet would run as a formula inert: a
// leading apostrophe, which the import takes off again.
func Neutralize(s string) string {
	if formulaStart(s) {
		return "'" + s
	}
	return s
}

// unneutralize undoes Neutralize, so a corrected rejects file imports as it is.
func unneutralize(s string) string {
	if len(s) > 1 && s[0] == '\'' && formulaStart(s[1:]) {
		return s[1:]
	}
	return s
}
