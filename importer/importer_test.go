package importer_test

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/importer"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

var now = time.Date(2026, 10, 3, 10, 0, 0, 0, time.UTC)

func testPolicy() *models.Policy {
	return &models.Policy{
		Location: time.UTC, DefaultTeam: "cc", Segments: models.DefaultThresholds(),
		Teams: []models.TeamPolicy{{ID: "cc", Name: "Contact Center", Members: []string{"a@example.com", "b@example.com"},
			Assign: models.AssignRoundRobin, Destinations: []models.Destination{{Transport: "log", Channel: "cc"}}}},
		Routes:       []models.Route{{When: map[string][]string{"country": {"LV"}}, Team: "riga"}},
		SLA:          models.SLAPolicy{ThankYou: 24 * time.Hour, Resolution: 72 * time.Hour},
		DMTransports: []string{"log"},
	}
}

// policy has a second team, for the route on the country attribute.
func policy() *models.Policy {
	p := testPolicy()
	p.Teams = append(p.Teams, models.TeamPolicy{ID: "riga", Name: "Riga", Members: []string{"r@example.com"},
		Assign: models.AssignRoundRobin, Destinations: []models.Destination{{Transport: "log", Channel: "riga"}}})
	return p
}

func count(t *testing.T, s *models.Store, table string) int64 {
	t.Helper()
	var n int64
	if err := s.DB().Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func opts(rejects importer.RejectWriter) importer.Options {
	return importer.Options{Clock: models.NewFixedClock(now), CasesSince: now.AddDate(0, 0, -30), Rejects: rejects, Source: "history"}
}

const goodCSV = "\ufeffExternal ID,Score,Metric,Comment,Submitted At,Touchpoint,Customer Email,Customer.Name,Country,Notes\n" +
	"h-1,3,nps,Waited 40 minutes on the phone.,2026-09-30T08:00:00Z,call-center,kadri@example.com,Kadri K.,EE,\n" +
	"h-2,10,,\"Great, thanks\",2026-09-29 12:30,web,,,LV,vip\n" +
	"h-3,2,csat,\"Two lines:\nfirst, then second\",2025-01-15,branch,,,LV,\n" +
	"h-4,5,nps,Ootasin liiga kaua järjekorras,1727950000,app,,,EE,\n" +
	"h-5,3,ces,,2026-10-02 09:00:00,web,,,LT,\n"

func TestImportGoodFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		var layout string
		o := opts(nil)
		o.Layout = func(l *importer.Layout) { layout = l.Describe() }
		st, err := importer.Import(ctx, s, policy(), strings.NewReader(goodCSV), o)
		if err != nil {
			t.Fatal(err)
		}
		want := importer.Stats{Rows: 5, Valid: 5, Created: 5, CasesOpened: 2, Bytes: int64(len(goodCSV))}
		if st != want {
			t.Errorf("stats %+v, want %+v", st, want)
		}
		if !strings.Contains(layout, "External ID→external_id") || !strings.Contains(layout, "attributes: country, notes") {
			t.Errorf("layout %s", layout)
		}
		var r models.Response
		s.DB().Where("source = 'history' AND external_id = 'h-1'").Take(&r)
		if r.Score != 3 || r.CustomerEmail != "kadri@example.com" || r.CustomerName != "Kadri K." || r.Touchpoint != "call-center" ||
			r.Attributes["country"] != "EE" || !r.SubmittedAt.Equal(time.Date(2026, 9, 30, 8, 0, 0, 0, time.UTC)) {
			t.Errorf("h-1 stored as %+v", r)
		}
		var h3 models.Response
		s.DB().Where("external_id = 'h-3'").Take(&h3)
		if h3.Comment != "Two lines:\nfirst, then second" || h3.Metric != models.MetricCSAT || h3.TeamID != "riga" {
			t.Errorf("h-3 stored as %+v", h3)
		}
		// recent detractors get cases; h-3 and h-4 are detractors from before
		// --cases-since, stored without one
		var cased []string
		s.DB().Table("responses").Joins("JOIN cases ON cases.response_id = responses.id").Order("external_id").Pluck("external_id", &cased)
		if strings.Join(cased, ",") != "h-1,h-5" {
			t.Errorf("cases opened for %v, want h-1 and h-5", cased)
		}
	})
}

func TestImportLanguageColumn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		files := map[string]string{
			"language": "external_id,score,language\nl-1,3,et\nl-2,3,pl-PL\nl-3,3,\n",
			// A Qualtrics export names the respondent's language UserLanguage.
			"qualtrics": "ResponseId,Score,UserLanguage\nq-1,3,RU\nq-2,3,EN-GB\n",
		}
		o := opts(nil)
		o.Map = map[string]string{"ResponseId": "external_id"}
		if _, err := importer.Import(ctx, s, policy(), strings.NewReader(files["qualtrics"]), o); err != nil {
			t.Fatal(err)
		}
		if _, err := importer.Import(ctx, s, policy(), strings.NewReader(files["language"]), opts(nil)); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"l-1": "et", "l-2": "pl", "l-3": "", "q-1": "ru", "q-2": "en"}
		var got []models.Response
		s.DB().Find(&got)
		if len(got) != len(want) {
			t.Fatalf("%d responses stored, want %d", len(got), len(want))
		}
		for _, r := range got {
			if r.Language != want[r.ExternalID] {
				t.Errorf("%s: language %q, want %q", r.ExternalID, r.Language, want[r.ExternalID])
			}
		}
	})
}

func TestImportBadRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		dir := t.TempDir()
		in := "external_id,score,metric,submitted_at,comment\n" + // line 1
			"b-1,3,nps,2026-09-30,fine\n" + // 2
			",3,nps,2026-09-30,no id\n" + // 3
			"b-3,,nps,2026-09-30,no score\n" + // 4
			"b-4,11,nps,2026-09-30,out of range\n" + // 5
			"b-5,x,nps,2026-09-30,not a number\n" + // 6
			"b-6,3,nss,2026-09-30,unknown metric\n" + // 7
			"b-7,3,nps,30/09/2026,bad date\n" + // 8
			"b-8,3,nps,2026-10-09,future\n" + // 9
			"b-9,3,nps\n" + // 10: too few fields
			"b-1,9,nps,2026-09-30,repeat of line 2\n" + // 11
			"b-11,\"3\"x,nps,2026-09-30,bad quote\n" + // 12
			"b-12,7,csat,2026-09-30,csat 7\n" + // 13
			"b-13,0,nps,2026-09-30,\"multi\nline\"\n" + // 14-15
			"b-14,9,nps,2026-09-30,after the multi-line row\n" // 16
		rej := &importer.RejectsFile{Path: filepath.Join(dir, "in.rejects.csv")}
		st, err := importer.Import(context.Background(), s, policy(), strings.NewReader(in), opts(rej))
		if err != nil {
			t.Fatal(err)
		}
		if err := rej.Close(); err != nil {
			t.Fatal(err)
		}
		if st.Rows != 14 || st.Created != 3 || st.Rejected != 11 {
			t.Errorf("stats %+v, want 14 rows, 3 created, 11 rejected", st)
		}
		f, err := os.Open(rej.Path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cr := csv.NewReader(f)
		cr.FieldsPerRecord = -1
		recs, err := cr.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(recs[0], ",") != "external_id,score,metric,submitted_at,comment,"+importer.RejectColumn {
			t.Errorf("rejects header %v", recs[0])
		}
		want := []struct{ id, reason string }{
			{"", "line 3: external_id: required"},
			{"b-3", "line 4: score: required"},
			{"b-4", "line 5: score: nps score must be an integer from 0 to 10"},
			{"b-5", `line 6: score: "x" is not a number`},
			{"b-6", `line 7: metric: must be nps, csat or ces, not "nss"`},
			{"b-7", `line 8: submitted_at: "30/09/2026" is not a time`},
			{"b-8", "line 9: submitted_at: more than a day in the future"},
			{"b-9", "line 10: 3 fields, the header has 5"},
			{"b-1", `line 11: external_id "b-1" repeats an earlier row of the file, which is imported instead`},
			{"b-11", "line 12: malformed CSV"},
			{"b-12", "line 13: score: csat score must be an integer from 1 to 5"},
		}
		if len(recs) != len(want)+1 {
			t.Fatalf("rejects file has %d rows, want %d:\n%v", len(recs)-1, len(want), recs)
		}
		for i, w := range want {
			rec := recs[i+1]
			if rec[0] != w.id || !strings.HasPrefix(rec[len(rec)-1], w.reason) {
				t.Errorf("reject %d: %q … %q, want %q … %q", i, rec[0], rec[len(rec)-1], w.id, w.reason)
			}
			if len(rec) != 6 {
				t.Errorf("reject %d has %d columns, want the 5 of the header and the reason", i, len(rec))
			}
		}
		var ids []string
		s.DB().Table("responses").Order("external_id").Pluck("external_id", &ids)
		if strings.Join(ids, ",") != "b-1,b-13,b-14" {
			t.Errorf("stored %v", ids)
		}
		// The corrected rejects file imports as it is (its reason column is skipped).
		fixed, _ := os.ReadFile(rej.Path)
		fixedCSV := strings.Replace(string(fixed), "b-4,11", "b-4,1", 1)
		st, err = importer.Import(context.Background(), s, policy(), strings.NewReader(fixedCSV), opts(nil))
		if err != nil {
			t.Fatal(err)
		}
		// b-4 is fixed; b-9's missing fields were padded as empty, which makes
		// it complete; b-1's repeat is a later version now: it updates b-1
		if st.Created != 2 || st.Updated != 1 || st.Rejected != 8 {
			t.Errorf("re-import of the rejects: %+v, want 2 created, 1 updated and 8 rejected again", st)
		}
		var r models.Response
		s.DB().Where("external_id = 'b-4'").Take(&r)
		if _, ok := r.Attributes[importer.RejectColumn]; ok || len(r.Attributes) != 0 {
			t.Errorf("b-4 attributes %v", r.Attributes)
		}
	})
}

func TestImportRerunChangesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		data := "external_id,score,submitted_at,comment\n" + genRows(500, now)
		o := opts(nil)
		o.BatchSize = 100
		first, err := importer.Import(ctx, s, policy(), strings.NewReader(data), o)
		if err != nil {
			t.Fatal(err)
		}
		if first.Created != 500 || first.CasesOpened == 0 {
			t.Fatalf("first run %+v", first)
		}
		tables := []string{"responses", "cases", "case_events", "outbox_messages"}
		before := map[string]int64{}
		for _, tb := range tables {
			before[tb] = count(t, s, tb)
		}
		second, err := importer.Import(ctx, s, policy(), strings.NewReader(data), o)
		if err != nil {
			t.Fatal(err)
		}
		if second.Created != 0 || second.Updated != 0 || second.Unchanged != 500 || second.CasesOpened != 0 {
			t.Errorf("second run %+v, want 500 unchanged", second)
		}
		for _, tb := range tables {
			if n := count(t, s, tb); n != before[tb] {
				t.Errorf("%s: %d rows after the re-run, %d before", tb, n, before[tb])
			}
		}
		// a corrected row updates its response, once
		changed := strings.Replace(data, "r-7,7,", "r-7,2,", 1)
		third, err := importer.Import(ctx, s, policy(), strings.NewReader(changed), o)
		if err != nil {
			t.Fatal(err)
		}
		if third.Updated != 1 || third.Unchanged != 499 {
			t.Errorf("third run %+v, want 1 updated", third)
		}
	})
}

func genRows(n int, end time.Time) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		at := end.Add(-time.Duration(i%90) * 24 * time.Hour)
		b.WriteString("r-" + itoa(i) + "," + itoa(i%11) + "," + at.Format(time.RFC3339) + ",comment " + itoa(i) + "\n")
	}
	return b.String()
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestImportDryRunWritesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		o := opts(nil)
		o.DryRun = true
		in := goodCSV + "bad,99,nps,,,,,,,\n"
		st, err := importer.Import(context.Background(), s, policy(), strings.NewReader(in), o)
		if err != nil {
			t.Fatal(err)
		}
		if st.Rows != 6 || st.Valid != 5 || st.Rejected != 1 || st.Stored() != 0 || st.CasesOpened != 0 {
			t.Errorf("dry run %+v", st)
		}
		for _, tb := range []string{"responses", "cases", "case_events", "outbox_messages", "team_states"} {
			if n := count(t, s, tb); n != 0 {
				t.Errorf("dry run wrote %d rows to %s", n, tb)
			}
		}
	})
}

func TestImportColumnMap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		in := "Response,NPS,Region,Internal notes,When\nm-1,6,LV,do not import,2026-10-01\n"
		o := opts(nil)
		m, err := importer.ParseMap("Response=external_id, NPS=score, Region=attributes.country, Internal notes=-, When=submitted_at")
		if err != nil {
			t.Fatal(err)
		}
		o.Map = m
		st, err := importer.Import(context.Background(), s, policy(), strings.NewReader(in), o)
		if err != nil || st.Created != 1 || st.CasesOpened != 1 {
			t.Fatalf("%+v %v", st, err)
		}
		var r models.Response
		s.DB().Where("external_id = 'm-1'").Take(&r)
		if r.Score != 6 || len(r.Attributes) != 1 || r.Attributes["country"] != "LV" || r.TeamID != "riga" {
			t.Errorf("stored %+v", r)
		}
	})
}

// TestImportRejectsTooWideRow: a value wider than its column is rejected
// with its line, on every database, and the rest of the batch is stored.
func TestImportRejectsTooWideRow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		var b strings.Builder
		b.WriteString("external_id,score,touchpoint\n")
		for i := 0; i < 40; i++ {
			tp := "web"
			if i == 17 {
				// wider than the column (200): refused by validation, so
				// SQLite (which would store it) and PostgreSQL agree
				tp = strings.Repeat("t", 250)
			}
			b.WriteString("d-" + itoa(i) + ",9," + tp + "\n")
		}
		rej := &recordRejects{}
		o := opts(rej)
		o.BatchSize = 16
		st, err := importer.Import(context.Background(), s, policy(), strings.NewReader(b.String()), o)
		if err != nil {
			t.Fatal(err)
		}
		wantRejected := int64(1)
		if st.Rejected != wantRejected || st.Created != 40-wantRejected || count(t, s, "responses") != 40-wantRejected {
			t.Errorf("%+v, want %d rejected", st, wantRejected)
		}
		if wantRejected == 1 && (len(rej.rows) != 1 || rej.rows[0].Line != 19 || !strings.Contains(rej.rows[0].Reason, "touchpoint: at most 200 characters")) {
			t.Errorf("rejects %+v", rej.rows)
		}
	})
}

type recordRejects struct{ rows []importer.Row }

func (r *recordRejects) WriteReject(_ []string, row *importer.Row) error {
	r.rows = append(r.rows, *row)
	return nil
}

// TestImportLargeFileBoundedMemory imports 200,000 generated rows and
// measures the heap as it goes. The 200,000 go to PostgreSQL when it is
// available (SQLite then takes 20,000: it is several times slower, and its
// single writer holds less in memory), else to SQLite. BenchmarkImport
// measures a million.
func TestImportLargeFileBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		n := 200_000
		if !s.Postgres() && os.Getenv(storetest.EnvPostgres) != "" {
			n = 20_000
		}
		if raceEnabled {
			n /= 4 // the race detector slows this tenfold
		}
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		var peak uint64
		o := opts(nil)
		o.Progress = func(importer.Stats) {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
		}
		start := time.Now()
		st, err := importer.Import(context.Background(), s, policy(), newGenCSV(n, now), o)
		if err != nil {
			t.Fatal(err)
		}
		elapsed := time.Since(start)
		if st.Created != int64(n) || st.Rejected != 0 {
			t.Fatalf("%+v", st)
		}
		t.Logf("%d rows in %s (%.0f rows/s), %d cases opened; heap in use: %.1f MB at start, peak %.1f MB",
			n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), st.CasesOpened,
			float64(base.HeapInuse)/1e6, float64(peak)/1e6)
		if peak > 100e6 {
			t.Errorf("peak heap %.1f MB, want under 100 MB", float64(peak)/1e6)
		}
		if got := count(t, s, "responses"); got != int64(n) {
			t.Errorf("%d responses stored", got)
		}
	})
}

// TestImportInterrupted: an import whose context ends says so, and what it
// stored stays.
func TestImportInterrupted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		o := opts(nil)
		o.BatchSize = 50
		o.Progress = func(st importer.Stats) {
			if st.Stored() >= 100 {
				cancel()
			}
		}
		st, err := importer.Import(ctx, s, policy(), newGenCSV(10_000, now), o)
		if err != context.Canceled {
			t.Fatalf("err %v, want context.Canceled", err)
		}
		if st.Stored() < 100 || st.Stored() >= 10_000 || count(t, s, "responses") != st.Stored() {
			t.Errorf("%+v, %d responses stored", st, count(t, s, "responses"))
		}
	})
}
