package main

import (
	"container/heap"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/config"
	"github.com/cxloop/cxloop/jobs/digest"
	"github.com/cxloop/cxloop/models"
)

// demoYAML is the demo company: a bank with a contact centre, a branch in
// Riga and a mobile app team.
const demoYAML = `
timezone: Europe/Tallinn
admins: [cx.lead@example.com]
teams:
  - id: contact-center
    name: Contact Center
    managers: [mari.manager@example.com]
    members: [jaan@example.com, liis@example.com, kadri@example.com]
    assign: round_robin
    business_hours: {days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00"}
  - id: riga-branch
    name: Riga Branch
    managers: [anna.manager@example.com]
    members: [janis@example.com, olga@example.com]
    assign: least_loaded
    timezone: Europe/Riga
  - id: mobile-app
    name: Mobile App
    managers: [piotr.manager@example.com]
    members: [marta@example.com, tomasz@example.com]
    champion: marta@example.com
    assign: champion
routes:
  - when: {touchpoint: branch}
    team: riga-branch
  - when: {touchpoint: app}
    team: mobile-app
default_team: contact-center
sla:
  thank_you: 24h
  resolution: 72h
  remind_before: 4h
targets: {nps: 30, thanked_in_sla: "90%", resolved_in_sla: "80%"}
root_causes: [product, price, process, staff, channel, other]
themes:
  waiting: [wait, queue, slow, "järjekord", "ootama", "kolejk", "czeka", "очеред", "ждал"]
  fees: [fee, charge, commission, "tasu", "prowizj", "opłat", "комисси"]
  staff: [rude, unfriendly, helpful, friendly, "ebaviisakas", "abivalmis", "uprzejm", "вежлив", "груб"]
  app: [app, login, crash, "rakendus", "aplikacj", "приложени"]
`

// demoComment is a comment template with its language and theme.
type demoComment struct {
	text, theme string
}

var detractorComments = []demoComment{
	{"Waited 40 minutes on the phone before anyone answered.", "waiting"},
	{"The queue at the branch was far too slow, I lost my lunch break.", "waiting"},
	{"Ootasin telefonis pool tundi, järjekord ei liikunud.", "waiting"},
	{"Czekałem w kolejce ponad godzinę.", "waiting"},
	{"Ждал в очереди почти час, это неприемлемо.", "waiting"},
	{"Hidden fee on my card payment that nobody explained.", "fees"},
	{"The monthly charge went up again without notice.", "fees"},
	{"Kaardimakse tasu on liiga kõrge.", "fees"},
	{"Wysoka prowizja za przelew, nikt mnie nie uprzedził.", "fees"},
	{"Огромная комиссия за перевод, никто не предупредил.", "fees"},
	{"The clerk was rude and did not listen.", "staff"},
	{"Teenindaja oli ebaviisakas.", "staff"},
	{"The app crashes every time I try to log in.", "app"},
	{"Login to the app fails after the update.", "app"},
	{"Rakendus jookseb kokku makse tegemisel.", "app"},
	{"Aplikacja ciągle się zawiesza przy logowaniu.", "app"},
}

var promoterComments = []string{
	"Liis was very helpful and solved everything in one call.",
	"Friendly staff and quick service at the branch.",
	"Väga abivalmis teenindaja, aitäh!",
	"Bardzo uprzejma obsługa, dziękuję.",
	"Очень вежливый сотрудник, спасибо!",
	"The new app is fast and easy to use.",
}

// demoAction is something a person does to a case at a moment of the simulation.
type demoAction struct {
	at     time.Time
	caseID int64
	actor  string
	op     models.Op
}

type actionQueue []demoAction

func (q actionQueue) Len() int           { return len(q) }
func (q actionQueue) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q actionQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *actionQueue) Push(x any)        { *q = append(*q, x.(demoAction)) }
func (q *actionQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// demoCmd runs the whole loop offline on a throwaway database: six months
// of feedback for three teams, cases worked through their follow-ups under
// a simulated clock, a systemic issue fixed, and last month's digest written.
func demoCmd(ctx context.Context, e *env) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	out := fs.String("out", "cxloop-demo", "folder for the digest files")
	if err := e.parseNoArgs(fs, e.args); err != nil {
		return err
	}
	return runDemo(ctx, e.stdout, *out, time.Now())
}

func runDemo(ctx context.Context, w io.Writer, outDir string, today time.Time) error {
	org, err := config.ParseOrg([]byte(demoYAML))
	if err != nil {
		return fmt.Errorf("demo configuration: %w", err)
	}
	cfg := &config.Config{Org: *org, Source: "demo"}
	policy := cfg.Policy()
	loc := policy.Location

	tmp, err := os.MkdirTemp("", "cxloop-demo-db-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	store, err := models.Open(ctx, "sqlite://"+filepath.Join(tmp, "demo.db"))
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		return err
	}
	if err := seedDemoDirectory(ctx, store, today); err != nil {
		return err
	}

	thisMonth := time.Date(today.In(loc).Year(), today.In(loc).Month(), 1, 0, 0, 0, 0, loc)
	start := thisMonth.AddDate(0, -6, 0)
	lastMonth := thisMonth.AddDate(0, -1, 0).Format("2006-01")
	fmt.Fprintf(w, "cxloop demo: a bank with three teams, feedback from %s to %s, on a throwaway database.\n\n",
		start.Format("January 2006"), thisMonth.AddDate(0, 0, -1).Format("January 2006"))

	rng := rand.New(rand.NewPCG(2026, 11))
	clock := models.NewFixedClock(start)
	var queue actionQueue
	var showcase int64
	var item int64
	seq := 0
	stats := map[string]*[4]int{} // month → responses, cases, reminders, escalations

	for day := start; day.Before(thisMonth); day = day.AddDate(0, 0, 1) {
		month := day.Format("2006-01")
		if stats[month] == nil {
			stats[month] = &[4]int{}
		}
		// The day's responses arrive in one batch at 10:00.
		n := 10 + rng.IntN(8)
		var inputs []models.ResponseInput
		for i := 0; i < n; i++ {
			seq++
			inputs = append(inputs, demoResponse(rng, seq, day.Add(10*time.Hour)))
		}
		at := day.Add(10 * time.Hour)
		if err := drainActions(ctx, store, policy, clock, &queue, at, stats, &item); err != nil {
			return err
		}
		clock.Set(at)
		res, err := store.Ingest(ctx, policy, at, inputs, models.IngestOptions{})
		if err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		stats[month][0] += len(res)
		for i, r := range res {
			if !r.CaseOpened {
				continue
			}
			stats[month][1]++
			if showcase == 0 {
				showcase = r.CaseID
				v, _ := store.CaseView(ctx, r.CaseID)
				fmt.Fprintf(w, "1. A detractor arrives and becomes a case card in its team's channel:\n\n%s\n", indent(bot.RenderText(bot.NewCard(v, policy))))
			}
			planCase(rng, &queue, r.CaseID, at, inputs[i])
		}
		// Sweeps through the day chase what runs late.
		for _, h := range []int{9, 13, 17, 21} {
			t := day.Add(time.Duration(h) * time.Hour)
			if err := drainActions(ctx, store, policy, clock, &queue, t, stats, &item); err != nil {
				return err
			}
			sr, err := store.SweepSLA(ctx, policy, t)
			if err != nil {
				return err
			}
			stats[month][2] += sr.Reminders
			stats[month][3] += sr.Escalations
		}
		if showcase != 0 && day.Equal(start.AddDate(0, 0, 5)) {
			v, _ := store.CaseView(ctx, showcase)
			fmt.Fprintf(w, "2. Its owner thanks the customer and resolves it; each step is a line in the card's thread:\n\n")
			for _, ev := range v.Events {
				fmt.Fprintf(w, "   %s  %-26s %s\n", ev.At.In(loc).Format("Mon 02 Jan 15:04"), ev.Actor, ev.Detail)
			}
			fmt.Fprintln(w)
		}
	}
	if err := drainActions(ctx, store, policy, clock, &queue, thisMonth, stats, &item); err != nil {
		return err
	}
	fmt.Fprintf(w, "3. Month by month (reminders go to owners before each due time; escalations to managers when late):\n\n")
	for m := start; m.Before(thisMonth); m = m.AddDate(0, 1, 0) {
		s := stats[m.Format("2006-01")]
		fmt.Fprintf(w, "   %-15s %4d responses  %3d detractor cases  %3d reminders  %3d escalations\n",
			m.Format("January 2006"), s[0], s[1], s[2], s[3])
	}
	fmt.Fprintln(w)
	if item != 0 {
		it, err := store.Improvement(ctx, item)
		if err == nil {
			fmt.Fprintf(w, "4. The outer loop: fee complaints resolved as systemic joined improvement item #%d %q (%d linked cases).\n"+
				"   Marked done, it sent every owner a \"you said, we did\" list of customers to call back.\n\n", it.ID, it.Title, it.Linked)
		}
	}
	poster := &digest.Poster{Store: store, Policy: policy}
	report, err := poster.Build(ctx, lastMonth, thisMonth.Add(9*time.Hour))
	if err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	files := map[string][]byte{"digest-" + lastMonth + ".md": report.Markdown, "digest-" + lastMonth + ".html": report.HTML, "nps-trend-" + lastMonth + ".png": report.PNG}
	fmt.Fprintf(w, "5. The digest of %s for the CX improvement meeting:\n\n", digest.MonthTitle(lastMonth))
	for _, name := range []string{"digest-" + lastMonth + ".md", "digest-" + lastMonth + ".html", "nps-trend-" + lastMonth + ".png"} {
		path := filepath.Join(outDir, name)
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return err
		}
		fmt.Fprintf(w, "   %s (%d bytes)\n", path, len(files[name]))
	}
	fmt.Fprintf(w, "\n%s\n", indent(report.Summary))
	return nil
}

// demoPeople are the demo's staff as a platform directory knows them; the
// digest names people by these names rather than by email.
var demoPeople = map[string]string{
	"cx.lead@example.com": "Kristi Lepp", "mari.manager@example.com": "Mari Maasikas", "jaan@example.com": "Jaan Tamm",
	"liis@example.com": "Liis Kask", "kadri@example.com": "Kadri Saar", "anna.manager@example.com": "Anna Ozola",
	"janis@example.com": "Jānis Bērziņš", "olga@example.com": "Olga Petrova", "piotr.manager@example.com": "Piotr Nowak",
	"marta@example.com": "Marta Kowalska", "tomasz@example.com": "Tomasz Wiśniewski",
}

// seedDemoDirectory fills the directory cache as users.lookupByEmail would.
func seedDemoDirectory(ctx context.Context, store *models.Store, at time.Time) error {
	i := 0
	for email, name := range demoPeople {
		i++
		u := models.PlatformUser{Platform: "slack", Email: email, UserID: fmt.Sprintf("U0DEMO%02d", i), Name: name, CheckedAt: at.UTC()}
		if err := store.SavePlatformUser(ctx, u); err != nil {
			return err
		}
	}
	return nil
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = "   " + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}

// demoResponse makes one realistic response.
func demoResponse(rng *rand.Rand, seq int, at time.Time) models.ResponseInput {
	touchpoints := []string{"call-center", "call-center", "branch", "app"}
	tp := touchpoints[rng.IntN(len(touchpoints))]
	metric, score := models.MetricNPS, 0
	r := rng.Float64()
	switch {
	case r < 0.42:
		score = 9 + rng.IntN(2)
	case r < 0.70:
		score = 7 + rng.IntN(2)
	default:
		score = rng.IntN(7)
	}
	comment := ""
	switch {
	case score <= 6:
		c := detractorComments[rng.IntN(len(detractorComments))]
		if tp == "app" && rng.IntN(2) == 0 {
			c = detractorComments[12+rng.IntN(4)]
		}
		comment = c.text
	case score >= 9 && rng.IntN(2) == 0:
		comment = promoterComments[rng.IntN(len(promoterComments))]
	}
	names := []string{"Kadri K.", "Jānis B.", "Agnieszka W.", "Ivan P.", "Mari T.", "Olga S."}
	name := names[rng.IntN(len(names))]
	email := strings.ToLower(strings.Fields(name)[0]) + fmt.Sprintf(".%d@example.org", seq)
	ok := true
	attrs := map[string]string{}
	if tp == "branch" {
		attrs["country"] = "LV"
	}
	return models.ResponseInput{Source: "demo", ExternalID: fmt.Sprintf("demo-%d", seq), Metric: metric, Score: score,
		Comment: comment, SubmittedAt: at.Add(-time.Duration(rng.IntN(120)) * time.Minute), Touchpoint: tp,
		Customer:   models.Customer{Name: name, Email: email, Phone: fmt.Sprintf("+372 5%03d %04d", rng.IntN(1000), rng.IntN(10000)), ContactOK: &ok},
		Attributes: attrs}
}

// planCase decides how a case will be worked: most owners thank within a
// few hours and resolve within days, some run late, a few customers cannot
// be reached; fee complaints are resolved as a systemic price issue.
func planCase(rng *rand.Rand, q *actionQueue, id int64, at time.Time, in models.ResponseInput) {
	r := rng.Float64()
	thankAfter := time.Duration(1+rng.IntN(20)) * time.Hour
	if r > 0.85 {
		thankAfter = time.Duration(30+rng.IntN(40)) * time.Hour // late: reminders, then an escalation
	}
	if r < 0.04 {
		heap.Push(q, demoAction{at: at.Add(thankAfter), caseID: id, op: models.Op{Kind: models.OpNoContact, Reason: "unreachable", Note: "three calls, no answer"}})
		return
	}
	methods := []string{"call", "call", "email", "message"}
	heap.Push(q, demoAction{at: at.Add(thankAfter), caseID: id, op: models.Op{Kind: models.OpThank, Method: methods[rng.IntN(len(methods))], Note: "apologised and listened"}})
	resolveAfter := thankAfter + time.Duration(4+rng.IntN(60))*time.Hour
	theme := ""
	for _, c := range detractorComments {
		if c.text == in.Comment {
			theme = c.theme
		}
	}
	op := models.Op{Kind: models.OpResolve, RootCause: "process", Note: "explained the steps and followed up"}
	switch theme {
	case "fees":
		op = models.Op{Kind: models.OpResolve, RootCause: "price", Note: "refunded the fee", Systemic: true}
	case "staff":
		op.RootCause, op.Note = "staff", "coached the team member"
	case "app":
		op.RootCause, op.Note = "product", "bug reported to the app team"
	case "waiting":
		op.RootCause, op.Note = "channel", "offered a call-back slot"
	}
	heap.Push(q, demoAction{at: at.Add(resolveAfter), caseID: id, op: op})
}

// drainActions performs the planned actions due by until, in time order;
// the fee improvement item is marked done in the fifth month.
func drainActions(ctx context.Context, s *models.Store, p *models.Policy, clock *models.FixedClock, q *actionQueue, until time.Time, stats map[string]*[4]int, item *int64) error {
	for q.Len() > 0 && !(*q)[0].at.After(until) {
		a := heap.Pop(q).(demoAction)
		clock.Set(a.at)
		v, err := s.CaseView(ctx, a.caseID)
		if err != nil {
			return err
		}
		actor := v.Case.Owner
		if actor == "" {
			if t, ok := p.Team(v.Case.TeamID); ok && len(t.Managers) > 0 {
				actor = t.Managers[0]
			}
		}
		if _, err := s.Act(ctx, p, a.at, a.caseID, actor, a.op); err != nil {
			if _, refused := models.IsRefusal(err); refused {
				continue
			}
			return fmt.Errorf("demo action on case %d: %w", a.caseID, err)
		}
		if a.op.Systemic && *item == 0 {
			v, _ = s.CaseView(ctx, a.caseID)
			if v.Case.ImprovementID != nil {
				*item = *v.Case.ImprovementID
			}
		}
	}
	if *item != 0 && len(stats) == 5 {
		it, err := s.Improvement(ctx, *item)
		if err == nil && it.Status != models.ImprovementDone {
			if _, err := s.ActOnImprovement(ctx, p, until, *item, "cx.lead@example.com", models.ItemOp{Kind: models.ItemOpStatus, Status: models.ImprovementDone}); err != nil {
				return fmt.Errorf("mark the fee fix done: %w", err)
			}
		}
	}
	return nil
}
