package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot"
	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/bot/slack/slackfake"
	"github.com/cxloop/cxloop/jobs"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// What is stored of Kadri, and must be gone after the erasure.
var kadriData = []string{"kadri@example.com", "Kadri Kask", "+372 5555 0000", "cust-kadri-77", "Zanzibarlik"}

const privacyYAML = `
timezone: UTC
teams:
  - id: cc
    name: Contact Center
    members: [a@example.com]
    managers: [m@example.com]
default_team: cc
`

func privacyPolicy() *models.Policy {
	return &models.Policy{
		Location: time.UTC, DefaultTeam: "cc", Segments: models.DefaultThresholds(), RootCauses: []string{"process"},
		Themes: []models.Theme{{Name: "waiting", Keywords: []string{"waited", "queue"}}},
		Teams: []models.TeamPolicy{{ID: "cc", Name: "Contact Center", Members: []string{"a@example.com"}, Managers: []string{"m@example.com"},
			Assign: models.AssignRoundRobin, Destinations: []models.Destination{{Transport: "slack", Channel: "C0CONTACT"}}}},
		SLA: models.SLAPolicy{ThankYou: 24 * time.Hour, Resolution: 72 * time.Hour},
	}
}

// occurrences counts how often each string is in the bytes (case folded).
func occurrences(b []byte, needles []string) map[string]int {
	lb := bytes.ToLower(b)
	out := map[string]int{}
	for _, n := range needles {
		out[n] = bytes.Count(lb, bytes.ToLower([]byte(n)))
	}
	return out
}

// sqliteFileBytes reads the database file and its WAL (and shared memory
// index), as they are on disk.
func sqliteFileBytes(t *testing.T, path string) (all []byte, sizes string) {
	t.Helper()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(path + suffix)
		if os.IsNotExist(err) {
			sizes += fmt.Sprintf(" %s: absent;", "db"+suffix)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		sizes += fmt.Sprintf(" %s: %d bytes;", "db"+suffix, len(b))
		all = append(all, b...)
	}
	return all, sizes
}

// postgresHits counts, over every text, character, JSON and bytea column
// of every table of the schema, the rows holding each string.
func postgresHits(t *testing.T, s *models.Store, needles []string) map[string]int {
	t.Helper()
	var cols []struct{ TableName, ColumnName, DataType string }
	err := s.DB().Raw(`SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea')`).
		Scan(&cols).Error
	if err != nil || len(cols) < 10 {
		t.Fatalf("columns %v: %v", cols, err)
	}
	out := map[string]int{}
	for _, c := range cols {
		expr := fmt.Sprintf("%q::text", c.ColumnName)
		if c.DataType == "bytea" {
			expr = fmt.Sprintf("convert_from(%q, 'UTF8')", c.ColumnName)
		}
		// One pass over the column counts every needle.
		sums := make([]string, len(needles))
		args := make([]any, len(needles))
		for i, n := range needles {
			sums[i] = fmt.Sprintf("COALESCE(SUM(CASE WHEN %s ILIKE ? THEN 1 ELSE 0 END), 0)", expr)
			args[i] = "%" + n + "%"
		}
		row := s.DB().Raw(fmt.Sprintf("SELECT %s FROM %q", strings.Join(sums, ", "), c.TableName), args...).Row()
		ks := make([]int, len(needles))
		ptrs := make([]any, len(needles))
		for i := range ks {
			ptrs[i] = &ks[i]
		}
		if err := row.Scan(ptrs...); err != nil {
			t.Fatalf("%s.%s: %v", c.TableName, c.ColumnName, err)
		}
		for i, n := range needles {
			out[n] += ks[i]
		}
	}
	return out
}

// digestNumbers is the month's digest without the parts made of comment
// words (terms, quotes), which an erased comment no longer feeds.
func digestNumbers(t *testing.T, s *models.Store, p *models.Policy, now time.Time) models.DigestStats {
	t.Helper()
	st, err := s.DigestStats(context.Background(), p, "2026-10", now)
	if err != nil {
		t.Fatal(err)
	}
	out := *st
	out.DetractorTerms, out.PromoterTerms, out.Quotes, out.BuiltAt = nil, nil, nil, time.Time{}
	return out
}

func TestEraseCustomer(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.Open(t, db)
			p := privacyPolicy()
			clock := models.NewFixedClock(time.Date(2026, 10, 20, 10, 0, 0, 0, time.UTC))
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			fake := slackfake.New(t, "xoxb-privacy")
			locator := cxslack.CardLocatorFunc(func(ctx context.Context, caseID int64) (string, string, bool, error) {
				refs, err := s.CardRefsOf(ctx, caseID, "slack")
				if err != nil || len(refs) == 0 {
					return "", "", false, err
				}
				return refs[0].Channel, refs[0].Ref, true, nil
			})
			msgr := cxslack.New("xoxb-privacy", fake.URL(), nil, cxslack.WithCardLocator(locator), cxslack.WithTimeout(5*time.Second))
			deliv := &jobs.Deliverer{Store: s, Policy: p, Clock: clock, Log: log, Messengers: map[string]bot.Messenger{"slack": msgr}}
			deliver := func() {
				t.Helper()
				for i := 0; i < 100; i++ {
					n, err := deliv.RunOnce(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if n == 0 {
						counts, _ := s.OutboxCounts(ctx)
						if counts[models.OutboxPending] == 0 {
							return
						}
						clock.Advance(2 * time.Second)
					}
				}
				var pending []models.OutboxMessage
				s.DB().Where("state <> ?", models.OutboxDelivered).Find(&pending)
				t.Fatalf("the outbox did not drain: %+v", pending)
			}

			ok := true
			var ins []models.ResponseInput
			ins = append(ins, models.ResponseInput{Source: "web", ExternalID: "kadri-1", Score: 2, SubmittedAt: time.Date(2026, 10, 3, 9, 0, 0, 0, time.UTC),
				Comment:  "Waited 40 minutes in the queue at the Zanzibarlik branch, call me on +372 5555 0000",
				Customer: models.Customer{ID: "cust-kadri-77", Name: "Kadri Kask", Email: "Kadri@Example.com", Phone: "+372 5555 0000", ContactOK: &ok}},
				// the same person, recorded by phone alone in another survey
				models.ResponseInput{Source: "app", ExternalID: "kadri-2", Score: 9, SubmittedAt: time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC),
					Comment: "The Zanzibarlik app is better now", Customer: models.Customer{Phone: "5555 0000"}})
			for i := 0; i < 12; i++ {
				ins = append(ins, models.ResponseInput{Source: "web", ExternalID: fmt.Sprintf("other-%d", i), Score: []int{1, 5, 8, 9, 10, 10}[i%6],
					SubmittedAt: time.Date(2026, 10, 2+i, 12, 0, 0, 0, time.UTC), Comment: "Waited in the queue again, as usual",
					Customer: models.Customer{ID: fmt.Sprintf("cust-%d", i), Name: fmt.Sprintf("Mart Other%d", i), Email: fmt.Sprintf("mart%d@example.ee", i)}})
			}
			for i := range ins {
				ins[i].Normalize(clock.Now())
			}
			res, err := s.Ingest(ctx, p, clock.Now(), ins, models.IngestOptions{CasesSince: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
			if err != nil {
				t.Fatal(err)
			}
			kadriCase := res[0].CaseID
			if kadriCase == 0 {
				t.Fatal("no case for Kadri")
			}
			if _, err := s.Act(ctx, p, clock.Now(), kadriCase, "a@example.com", models.Op{Kind: models.OpNote, Note: "Kadri Kask asked for a call back"}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Act(ctx, p, clock.Now(), kadriCase, "a@example.com", models.Op{Kind: models.OpResolve, RootCause: "process",
				Note: "Called Kadri Kask, apologised for the Zanzibarlik queue"}); err != nil {
				t.Fatal(err)
			}
			body := []byte(`{"event_type":"survey_response.created","event_data":{"score":12,"person":{"email":"kadri@example.com","name":"Kadri Kask"}}}`)
			if _, _, err := s.AddDeadLetter(ctx, "delighted", body, "nps score must be an integer from 0 to 10", clock.Now()); err != nil {
				t.Fatal(err)
			}
			deliver()
			posted := ""
			for _, c := range fake.Calls("chat.postMessage") {
				if c.Params.Get("channel") == "C0CONTACT" && c.Params.Get("thread_ts") == "" {
					posted += c.Params.Get("blocks")
				}
			}
			if !strings.Contains(posted, "Kadri Kask") || !strings.Contains(posted, "Zanzibarlik") {
				t.Fatalf("the card as posted lacks the name and comment the erasure must remove: %s", posted)
			}
			before := digestNumbers(t, s, p, clock.Now())
			if before.Responses != 14 {
				t.Fatalf("digest counts %d responses", before.Responses)
			}

			path := strings.TrimPrefix(db.URL, "sqlite://")
			var hitsBefore map[string]int
			if db.Name == "sqlite" {
				b, sizes := sqliteFileBytes(t, path)
				hitsBefore = occurrences(b, kadriData)
				t.Logf("SQLite before erasure:%s occurrences %v", sizes, hitsBefore)
			} else {
				hitsBefore = postgresHits(t, s, kadriData)
				t.Logf("PostgreSQL rows before erasure: %v", hitsBefore)
			}
			for _, n := range kadriData {
				if hitsBefore[n] == 0 {
					t.Fatalf("the check cannot fail: %q is not stored to begin with", n)
				}
			}
			env := map[string]string{"CXLOOP_DATABASE_URL": db.URL, "CXLOOP_CONFIG": testFile(t, t.TempDir(), "cxloop.yaml", privacyYAML),
				"USER": "dpo", "CXLOOP_LOG_LEVEL": "warn"}

			code, out, errOut := runCmd(t, env, "erase", "--customer", "kadri@example.com", "--dry-run")
			if code != 0 || !strings.Contains(out, "would erase customer kadri@example.com: 2 responses, 1 case") || !strings.Contains(out, "nothing changed") {
				t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
			}
			code, out, errOut = runCmd(t, env, "erase", "--customer", "kadri@example.com")
			if code != 0 || !strings.Contains(out, "erased customer kadri@example.com: 2 responses, 1 case,") ||
				!strings.Contains(out, "1 dead letter") {
				t.Fatalf("erase: exit %d\n%s%s", code, out, errOut)
			}
			t.Logf("erase said: %s", strings.TrimSpace(out))

			if db.Name == "sqlite" {
				b, sizes := sqliteFileBytes(t, path)
				after := occurrences(b, kadriData)
				t.Logf("SQLite after erasure:%s occurrences %v", sizes, after)
				for _, n := range kadriData {
					if after[n] != 0 {
						t.Errorf("the database files still hold %q %d times", n, after[n])
					}
				}
			} else {
				after := postgresHits(t, s, kadriData)
				t.Logf("PostgreSQL rows after erasure: %v", after)
				for _, n := range kadriData {
					if after[n] != 0 {
						t.Errorf("%d rows still hold %q", after[n], n)
					}
				}
			}
			if after := digestNumbers(t, s, p, clock.Now()); !reflect.DeepEqual(before, after) {
				t.Errorf("the digest's numbers changed:\nbefore %+v\nafter  %+v", before, after)
			}
			var others int64
			s.DB().Model(&models.Response{}).Where("customer_email LIKE ?", "mart%").Count(&others)
			if others != 12 {
				t.Errorf("%d other customers' emails left, want 12", others)
			}

			// The posted card is refreshed through the outbox, without her.
			n := len(fake.Calls("chat.update"))
			clock.Advance(time.Since(clock.Now()) + time.Minute) // the command ran on the wall clock
			deliver()
			updates := fake.Calls("chat.update")
			if len(updates) != n+1 {
				t.Fatalf("%d card updates after the erasure, want 1", len(updates)-n)
			}
			card := updates[len(updates)-1].Params.Get("blocks") + updates[len(updates)-1].Params.Get("text")
			for _, v := range kadriData {
				if strings.Contains(card, v) {
					t.Errorf("the refreshed card still shows %q", v)
				}
			}
			if !strings.Contains(card, "Resolved") {
				t.Errorf("the refreshed card lost the case: %s", card)
			}

			// Idempotent, and the audit and the export agree.
			code, out, _ = runCmd(t, env, "erase", "--customer", "kadri@example.com")
			if code != 0 || !strings.Contains(out, "nothing to erase") {
				t.Errorf("second erase: exit %d %s", code, out)
			}
			code, out, _ = runCmd(t, env, "export", "--customer", "+372 5555 0000")
			var exp models.CustomerExport
			if code != 0 || json.Unmarshal([]byte(out), &exp) != nil || len(exp.Responses) != 0 {
				t.Errorf("export after erasure: exit %d %s", code, out)
			}
			code, out, _ = runCmd(t, env, "audit", "--case", fmt.Sprint(kadriCase), "--format", "json")
			if code != 0 || !strings.Contains(out, `"kind": "erased"`) || !strings.Contains(out, `"actor": "cli:dpo"`) {
				t.Errorf("audit: exit %d %s", code, out)
			}
			for _, v := range kadriData {
				if strings.Contains(out, v) {
					t.Errorf("the audit shows %q", v)
				}
			}
		})
	}
}

func TestExportCustomer(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.Open(t, db)
			p := privacyPolicy()
			now := time.Date(2026, 10, 20, 10, 0, 0, 0, time.UTC)
			ins := []models.ResponseInput{
				{Source: "web", ExternalID: "k1", Score: 3, Comment: "slow", Customer: models.Customer{ID: "c-77", Email: "kadri@example.com"}},
				{Source: "csv", ExternalID: "k2", Score: 10, Comment: "better", Customer: models.Customer{ID: "c-77"}},
				{Source: "web", ExternalID: "o1", Score: 2, Comment: "other", Customer: models.Customer{ID: "c-78", Email: "mart@example.ee"}},
			}
			for i := range ins {
				ins[i].Normalize(now)
			}
			if _, err := s.Ingest(ctx, p, now, ins, models.IngestOptions{}); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{"CXLOOP_DATABASE_URL": db.URL, "CXLOOP_CONFIG": testFile(t, t.TempDir(), "cxloop.yaml", privacyYAML),
				"CXLOOP_LOG_LEVEL": "warn"}
			code, out, errOut := runCmd(t, env, "export", "--customer", "KADRI@example.com")
			var exp models.CustomerExport
			if code != 0 || json.Unmarshal([]byte(out), &exp) != nil {
				t.Fatalf("export: exit %d\n%s%s", code, out, errOut)
			}
			if len(exp.Responses) != 2 || exp.Responses[0].ExternalID != "k1" || exp.Responses[1].ExternalID != "k2" ||
				len(exp.Cases) != 1 || len(exp.Events) == 0 || len(exp.Messages) == 0 {
				t.Errorf("export %+v", exp)
			}
			if strings.Contains(out, "mart@example.ee") || strings.Contains(out, "c-78") || strings.Contains(out, `"other"`) {
				t.Errorf("the export holds another customer's data:\n%s", out)
			}
			if code, _, errOut := runCmd(t, env, "export"); code != 2 || !strings.Contains(errOut, exportUsage) {
				t.Errorf("export without --customer: exit %d %s", code, errOut)
			}
		})
	}
}

func TestAuditCommand(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.Open(t, db)
			p := privacyPolicy()
			now := time.Now().UTC().Truncate(time.Second)
			in := models.ResponseInput{ExternalID: "r1", Score: 2, Customer: models.Customer{Email: "kadri@example.com"}}
			in.Normalize(now)
			res, err := s.Ingest(ctx, p, now, []models.ResponseInput{in}, models.IngestOptions{})
			if err != nil {
				t.Fatal(err)
			}
			id := res[0].CaseID
			if _, err := s.Act(ctx, p, now, id, "m@example.com", models.Op{Kind: models.OpContact}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Act(ctx, p, now, id, "a@example.com", models.Op{Kind: models.OpNote, Note: "mail kadri@example.com"}); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{"CXLOOP_DATABASE_URL": db.URL, "CXLOOP_CONFIG": testFile(t, t.TempDir(), "cxloop.yaml", privacyYAML),
				"CXLOOP_LOG_LEVEL": "warn"}
			code, out, errOut := runCmd(t, env, "audit", "--case", fmt.Sprint(id), "--format", "csv")
			if code != 0 {
				t.Fatalf("audit: exit %d\n%s", code, errOut)
			}
			recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			var views [][]string
			for _, r := range recs[1:] {
				if r[3] == models.EventContactViewed {
					views = append(views, r)
				}
			}
			if len(views) != 1 || views[0][1] != fmt.Sprint(id) || views[0][2] != "m@example.com" || views[0][0] != now.Format(time.RFC3339) {
				t.Errorf("contact views in the audit %v\n%s", views, out)
			}
			if strings.Contains(out, "kadri@example.com") || !strings.Contains(out, "k***@example.com") {
				t.Errorf("the audit shows a note unmasked:\n%s", out)
			}
			code, out, _ = runCmd(t, env, "audit", "--since", now.Add(24*time.Hour).Format("2006-01-02"))
			if code != 0 || strings.Count(out, "\n") != 1 {
				t.Errorf("audit --since tomorrow: exit %d\n%s", code, out)
			}
			if code, _, errOut := runCmd(t, env, "audit", "--format", "xml"); code != 2 || !strings.Contains(errOut, "csv or json") {
				t.Errorf("audit --format xml: exit %d %s", code, errOut)
			}
		})
	}
}
