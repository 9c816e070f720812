package importer_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/cxloop/cxloop/importer"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// rowsOf parses a whole file and returns its responses and rejects.
func rowsOf(t *testing.T, data []byte, o importer.ParseOptions) (*importer.Parser, []importer.Row) {
	t.Helper()
	p, err := importer.NewParser(bytes.NewReader(data), o)
	if err != nil {
		t.Fatal(err)
	}
	var rows []importer.Row
	for {
		var r importer.Row
		if err := p.Next(&r); err != nil {
			break
		}
		rows = append(rows, r)
	}
	return p, rows
}

func win(t *testing.T, cm *charmap.Charmap, s string) []byte {
	t.Helper()
	b, err := cm.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The CSV files Excel writes in Estonia, Poland and Russia: semicolons,
// a byte-order mark, legacy code pages, UTF-16 "Unicode text".
func TestParseExcelFiles(t *testing.T) {
	ru := "id;score;comment\nr-1;3;Ждал в очереди, почти час\n"
	pl := "id;score;comment\np-1;2;\"Wysoka prowizja; nikt nie uprzedził\"\n"
	utf16 := []byte{0xFF, 0xFE} // UTF-16LE with its mark, tab-separated
	for _, r := range "id\tscore\tcomment\nu-1\t4\tÕnneks\n" {
		utf16 = append(utf16, byte(r), byte(r>>8))
	}
	tests := []struct {
		name     string
		data     []byte
		encoding string
		comment  string
	}{
		{"comma", []byte("id,score,comment\nc-1,3,\"slow; very\"\n"), "", "slow; very"},
		{"semicolon with BOM", []byte("\ufeff\"id\";\"score\";\"comment\"\ns-1;3;\"Ootasin, kaua\"\n"), "", "Ootasin, kaua"},
		{"tab", []byte("id\tscore\tcomment\nt-1\t3\tqueue, again\n"), "", "queue, again"},
		{"windows-1251", win(t, charmap.Windows1251, ru), "windows-1251", "Ждал в очереди, почти час"},
		{"windows-1250", win(t, charmap.Windows1250, pl), "windows-1250", "Wysoka prowizja; nikt nie uprzedził"},
		{"cp1251 alias", win(t, charmap.Windows1251, ru), "cp1251", "Ждал в очереди, почти час"},
		{"utf-16 with BOM", utf16, "", "Õnneks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rows := rowsOf(t, tt.data, importer.ParseOptions{Now: now, Encoding: tt.encoding,
				Map: map[string]string{"id": "external_id"}})
			if len(rows) != 1 {
				t.Fatalf("%d rows, want 1", len(rows))
			}
			if rows[0].Reason != "" {
				t.Fatalf("rejected: %s", rows[0].Reason)
			}
			if got := rows[0].Input.Comment; got != tt.comment {
				t.Errorf("comment %q, want %q", got, tt.comment)
			}
		})
	}
}

func TestParseRefusesLegacyBytesWithoutEncoding(t *testing.T) {
	data := win(t, charmap.Windows1251, "id;score;comment\nr-1;3;Ждал\n")
	_, err := importer.NewParser(bytes.NewReader(data), importer.ParseOptions{Now: now})
	if err == nil || !strings.Contains(err.Error(), "--encoding windows-1251") {
		t.Errorf("err %v, want advice to name the code page", err)
	}
	if _, err := importer.NewParser(bytes.NewReader(data), importer.ParseOptions{Now: now, Encoding: "klingon"}); err == nil ||
		!strings.Contains(err.Error(), "not an encoding") {
		t.Errorf("unknown encoding: %v", err)
	}
}

// A Qualtrics export: its second and third header rows are skipped, and
// its times are in the zone its ImportId row names.
const qualtricsCSV = `StartDate,EndDate,RecordedDate,ResponseId,RecipientEmail,UserLanguage,Q1,Q2
Start Date,End Date,Recorded Date,Response ID,Recipient Email,User Language,"How likely are you to recommend us to a friend?
0 = not at all",What is the main reason for your score?
"{""ImportId"":""startDate"",""timeZone"":""Europe/Warsaw""}","{""ImportId"":""endDate"",""timeZone"":""Europe/Warsaw""}","{""ImportId"":""recordedDate"",""timeZone"":""Europe/Warsaw""}","{""ImportId"":""_recordId""}","{""ImportId"":""recipientEmail""}","{""ImportId"":""userLanguage""}","{""ImportId"":""QID1""}","{""ImportId"":""QID2_TEXT""}"
2026-09-30 08:00:00,2026-09-30 08:03:00,2026-09-30 08:03:10,R_1abcDEF,anna@example.com,PL,2,Wysoka prowizja
2026-09-30 09:00:00,2026-09-30 09:01:00,2026-09-30 09:01:05,R_2ghiJKL,,EN,9,
`

func TestParseQualtricsExport(t *testing.T) {
	p, rows := rowsOf(t, []byte(qualtricsCSV), importer.ParseOptions{Now: now, Location: time.UTC,
		Map: map[string]string{"Q1": "score", "Q2": "comment"}})
	if !p.Qualtrics {
		t.Fatal("not recognised as a Qualtrics export")
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want the 2 responses", len(rows))
	}
	for _, r := range rows {
		if r.Reason != "" {
			t.Fatalf("line %d rejected: %s", r.Line, r.Reason)
		}
	}
	r := rows[0]
	if r.Line != 5 {
		t.Errorf("first response on line %d, want 5 (the question text spans two lines)", r.Line)
	}
	if r.Input.ExternalID != "R_1abcDEF" || r.Input.Score != 2 || r.Input.Comment != "Wysoka prowizja" || r.Input.Customer.Email != "anna@example.com" {
		t.Errorf("response %+v", r.Input)
	}
	// 08:03:10 in Warsaw (CEST, +02:00).
	if want := time.Date(2026, 9, 30, 6, 3, 10, 0, time.UTC); !r.Input.SubmittedAt.Equal(want) {
		t.Errorf("submitted_at %s, want %s", r.Input.SubmittedAt.UTC(), want)
	}
	if d := p.Layout().Describe(); !strings.Contains(d, "Qualtrics") || !strings.Contains(d, "Europe/Warsaw") {
		t.Errorf("layout %q does not say it is a Qualtrics export", d)
	}
	// An ordinary file whose third row is data is not mistaken for one.
	p, rows = rowsOf(t, []byte("id,score\na,1\nb,2\nc,3\n"), importer.ParseOptions{Now: now, Map: map[string]string{"id": "external_id"}})
	if p.Qualtrics || len(rows) != 3 {
		t.Errorf("plain file: qualtrics=%v rows=%d", p.Qualtrics, len(rows))
	}
}

// The rejects file opens in a spreadsheet: no cell of it runs as a
// formula, and only its owner can read it (it holds customers' emails).
// Corrected, it imports as it is.
func TestRejectsFileIsInertAndPrivate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		dir := t.TempDir()
		path := filepath.Join(dir, "in.rejects.csv")
		rf := &importer.RejectsFile{Path: path}
		in := "external_id,score,comment,customer_email\n" +
			"x-1,99,\"=HYPERLINK(\"\"http://evil.example\"\")\",+1@example.com\n" +
			"x-2,-5,@SUM(A1),a@example.com\n" +
			"x-3,11,\tcmd,b@example.com\n"
		o := opts(rf)
		if _, err := importer.Import(context.Background(), s, policy(), strings.NewReader(in), o); err != nil {
			t.Fatal(err)
		}
		if err := rf.Close(); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("rejects file mode %o, want 600", perm)
		}
		f, _ := os.Open(path)
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 4 {
			t.Fatalf("%d records, want the header and 3 rows", len(recs))
		}
		for _, rec := range recs[1:] {
			for _, cell := range rec {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("cell %q would run as a formula", cell)
				}
			}
		}
		if recs[1][2] != `'=HYPERLINK("http://evil.example")` {
			t.Errorf("comment cell %q", recs[1][2])
		}
		// Fix the scores and import the file as it is: the values come back whole.
		fixed := strings.NewReplacer(",99,", ",1,", ",'-5,", ",2,", ",11,", ",3,").Replace(readFile(t, path))
		if _, err := importer.Import(context.Background(), s, policy(), strings.NewReader(fixed), opts(nil)); err != nil {
			t.Fatal(err)
		}
		var r models.Response
		if err := s.DB().Where("external_id = ?", "x-1").Take(&r).Error; err != nil {
			t.Fatal(err)
		}
		if r.Comment != `=HYPERLINK("http://evil.example")` || r.CustomerEmail != "+1@example.com" {
			t.Errorf("re-imported %q %q", r.Comment, r.CustomerEmail)
		}
	})
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
