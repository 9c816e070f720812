package main

import (
	"container/heap"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/email"
	"github.com/cxloop/cxloop/config"
	"github.com/cxloop/cxloop/jobs"
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
digest:
  email: [cx.lead@example.com, ceo@example.com]
root_causes: [product, price, process, staff, channel, other]
themes:
  waiting: [wait, queue, slow, "järjekord", "ootama", "kolejk", "czeka", "очеред", "ждал"]
  fees: [fee, charge, commission, "tasu", "prowizj", "opłat", "комисси"]
  staff: [rude, unfriendly, helpful, friendly, "ebaviisakas", "abivalmis", "uprzejm", "вежлив", "груб"]
  app: [app, login, crash, "rakendus", "aplikacj", "приложени"]
`

// demoComment is a comment template with its language and theme.
type demoComment struct {
	text, theme, lang string
}

var detractorComments = []demoComment{
	{"Waited 40 minutes on the phone before anyone answered.", "waiting", "en"},
	{"The queue at the branch was far too slow, I lost my lunch break.", "waiting", "en"},
	{"Ootasin telefonis pool tundi, järjekord ei liikunud.", "waiting", "et"},
	{"Czekałem w kolejce ponad godzinę.", "waiting", "pl"},
	{"Ждал в очереди почти час, это неприемлемо.", "waiting", "ru"},
	{"Hidden fee on my card payment that nobody explained.", "fees", "en"},
	{"The monthly charge went up again without notice.", "fees", "en"},
	{"Kaardimakse tasu on liiga kõrge.", "fees", "et"},
	{"Wysoka prowizja za przelew, nikt mnie nie uprzedził.", "fees", "pl"},
	{"Огромная комиссия за перевод, никто не предупредил.", "fees", "ru"},
	{"The clerk was rude and did not listen.", "staff", "en"},
	{"Teenindaja oli ebaviisakas.", "staff", "et"},
	{"The app crashes every time I try to log in.", "app", "en"},
	{"Login to the app fails after the update.", "app", "en"},
	{"Rakendus jookseb kokku makse tegemisel.", "app", "et"},
	{"Aplikacja ciągle się zawiesza przy logowaniu.", "app", "pl"},
}

var promoterComments = []string{
	"Liis was very helpful and solved everything in one call.",
	"Friendly staff and quick service at the branch.",
	"Väga abivalmis teenindaja, aitäh!",
	"Bardzo uprzejma obsługa, dziękuję.",
	"Очень вежливый сотрудник, спасибо!",
	"The new app is fast and easy to use.",
}

// demoAction is something a person does to a case at a moment of the
// simulation: a case operation, or (tell) telling the customer of the fix
// that was due at due.
type demoAction struct {
	at     time.Time
	caseID int64
	actor  string
	op     models.Op
	tell   bool
	due    time.Time
}

// demoOutcome is what the simulation did, for the narration and for tests.
type demoOutcome struct {
	Months []demoMonth
	// FixAt is when the fee fix was marked done; Item is it afterwards.
	FixAt time.Time
	Item  models.ImprovementSummary
	// Items is the whole backlog at the end.
	Items []models.ImprovementSummary
	// Customers told of the fix by their case owners: on time, late, and
	// not yet at the end of the simulation.
	ToldOnTime, ToldLate, NotTold int
	// ToldByEmail counts the customers the fix_done email reached.
	ToldByEmail int
	// Emails are every email the demo's mail server took, in order;
	// DigestEmails the last of them, the digest to digest.email.
	Emails, DigestEmails []demoEmail
	Report               *digest.Report
	// Noise is what reached people over the six months, and what would
	// have without noise control.
	Noise models.NoiseReport
}

// demoEmail is one email the demo sent, with the case it was about.
type demoEmail struct {
	At     time.Time
	CaseID int64
	Msg    email.Message
}

// demoMailer is the demo's mail server: it keeps what it is given, for the
// narration to print.
type demoMailer struct {
	clock models.Clock
	out   *demoOutcome
}

func (m *demoMailer) Send(_ context.Context, msg email.Message) error {
	var caseID, id int64
	fmt.Sscanf(msg.MessageID, "cxloop.%d.%d@", &caseID, &id)
	m.out.Emails = append(m.out.Emails, demoEmail{At: m.clock.Now(), CaseID: caseID, Msg: msg})
	return nil
}

// demoMonth counts one month of the simulation.
type demoMonth struct {
	Month                                         time.Time
	Responses, Cases, Reminders, Escalations, Fee int // Fee: detractors complaining of fees
}

// demoSim is the state of the simulation that the planned actions change.
type demoSim struct {
	store  *models.Store
	policy *models.Policy
	clock  *models.FixedClock
	rng    *rand.Rand
	// deliver sends the outbox's emails to the demo's mail server.
	deliver *jobs.Deliverer
	queue   actionQueue
	item    int64
	// items are the improvement items someone has taken.
	items map[int64]bool
	fixAt time.Time
	fixed bool
	out   *demoOutcome
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
	_, err := simulateDemo(ctx, w, outDir, today)
	return err
}

// simulateDemo runs the demo, narrating to w, and returns its outcome.
func simulateDemo(ctx context.Context, w io.Writer, outDir string, today time.Time) (*demoOutcome, error) {
	org, err := config.ParseOrg([]byte(demoYAML))
	if err != nil {
		return nil, fmt.Errorf("demo configuration: %w", err)
	}
	// Email is on: the demo's mail server keeps the emails for the narration.
	cfg := &config.Config{Org: *org, Source: "demo",
		Env: config.Env{SMTPURL: "smtp://mail.bank.example:587", SMTPFrom: "Demo Bank <cx@bank.example>"}}
	policy := cfg.Policy()
	loc := policy.Location

	tmp, err := os.MkdirTemp("", "cxloop-demo-db-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	store, err := models.Open(ctx, "sqlite://"+filepath.Join(tmp, "demo.db"))
	if err != nil {
		return nil, err
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		return nil, err
	}
	if err := seedDemoDirectory(ctx, store, today); err != nil {
		return nil, err
	}

	thisMonth := time.Date(today.In(loc).Year(), today.In(loc).Month(), 1, 0, 0, 0, 0, loc)
	start := thisMonth.AddDate(0, -6, 0)
	lastMonth := thisMonth.AddDate(0, -1, 0).Format("2006-01")
	fmt.Fprintf(w, "cxloop demo: a bank with three teams, feedback from %s to %s, on a throwaway database.\n\n",
		start.Format("January 2006"), thisMonth.AddDate(0, 0, -1).Format("January 2006"))

	out := &demoOutcome{}
	sim := &demoSim{store: store, policy: policy, clock: models.NewFixedClock(start), rng: rand.New(rand.NewPCG(2026, 11)), out: out,
		// The fee fix is done early in the last month, so that its digest
		// tells how many customers heard back and what the fix changed.
		fixAt: thisMonth.AddDate(0, -1, 2).Add(9 * time.Hour)}
	sim.deliver = &jobs.Deliverer{Store: store, Policy: policy, Clock: sim.clock, Batch: 500,
		Log:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		Messengers: map[string]bot.Messenger{models.TransportLog: bot.NewLogMessenger(io.Discard)},
		Mailer:     &demoMailer{clock: sim.clock, out: out}, MailFrom: cfg.Env.SMTPFrom, PublicURL: "https://cx.bank.example"}
	rng := sim.rng
	var showcase int64
	seq := 0
	var again []models.ResponseInput
	monthOf := map[string]*demoMonth{}

	for day := start; day.Before(thisMonth); day = day.AddDate(0, 0, 1) {
		key := day.Format("2006-01")
		m := monthOf[key]
		if m == nil {
			out.Months = append(out.Months, demoMonth{Month: time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, loc)})
			m = &out.Months[len(out.Months)-1]
			monthOf[key] = m
		}
		// The day's responses arrive in one batch at 10:00.
		at := day.Add(10 * time.Hour)
		if err := sim.drain(ctx, at); err != nil {
			return nil, err
		}
		n := 10 + rng.IntN(8)
		// Customers still waiting write again; a failed app release one
		// morning in August brings a burst of complaints within a minute.
		inputs := again
		again = nil
		for i := range inputs {
			inputs[i].SubmittedAt = at.Add(-time.Duration(rng.IntN(120)) * time.Minute)
		}
		outage := day.Equal(start.AddDate(0, 2, 10))
		if outage {
			n += 30
		}
		for i := 0; i < n; i++ {
			seq++
			in := demoResponse(rng, seq, at, sim.fixed)
			if outage && i >= n-30 {
				in = demoOutageResponse(rng, seq, at)
			}
			if in.Score <= 6 && demoTheme(in.Comment) == "fees" {
				m.Fee++
			}
			if in.Score <= 6 && rng.IntN(8) == 0 {
				again = append(again, demoWritesAgain(in))
			}
			inputs = append(inputs, in)
		}
		sim.clock.Set(at)
		res, err := store.Ingest(ctx, policy, at, inputs, models.IngestOptions{})
		if err != nil {
			return nil, fmt.Errorf("ingest: %w", err)
		}
		m.Responses += len(res)
		for i, r := range res {
			if !r.CaseOpened {
				continue
			}
			m.Cases++
			if showcase == 0 && inputs[i].Customer.Email != "" {
				showcase = r.CaseID
				v, _ := store.CaseView(ctx, r.CaseID)
				fmt.Fprintf(w, "1. A detractor arrives and becomes a case card in its team's channel:\n\n%s\n", indent(bot.RenderText(demoNamed(bot.NewCard(v, policy)))))
			}
			planCase(rng, &sim.queue, r.CaseID, at, inputs[i], r.CaseID == showcase)
		}
		// Sweeps through the day chase what runs late.
		for _, h := range []int{9, 13, 17, 21} {
			t := day.Add(time.Duration(h) * time.Hour)
			if err := sim.drain(ctx, t); err != nil {
				return nil, err
			}
			sr, err := store.SweepSLA(ctx, policy, t)
			if err != nil {
				return nil, err
			}
			m.Reminders += sr.Reminders
			m.Escalations += sr.Escalations
		}
		if showcase != 0 && day.Equal(start.AddDate(0, 0, 5)) {
			v, _ := store.CaseView(ctx, showcase)
			fmt.Fprintf(w, "2. Its owner thanks the customer and resolves it; each step is a line in the card's thread:\n\n")
			for _, ev := range v.Events {
				fmt.Fprintf(w, "   %s  %-26s %s\n", ev.At.In(loc).Format("Mon 02 Jan 15:04"), demoName(ev.Actor), demoNames(ev.Detail))
			}
			fmt.Fprintln(w)
			for _, e := range out.Emails {
				if e.CaseID == showcase {
					fmt.Fprintf(w, "   The thank-you went to the customer by email, in their language, from the card's form:\n\n%s\n", indent(email.Format(e.Msg)))
					break
				}
			}
		}
	}
	if err := sim.drain(ctx, thisMonth); err != nil {
		return nil, err
	}
	// What is still open is due after the last sweep: not yet told.
	for _, owner := range demoOwners(policy) {
		open, err := store.FixFollowUps(ctx, owner)
		if err != nil {
			return nil, err
		}
		out.NotTold += len(open)
	}
	if out.Items, err = store.Improvements(ctx, models.ImprovementFilter{}); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "3. Month by month (reminders go to owners before each due time; escalations to managers when late):\n\n")
	for _, m := range out.Months {
		fmt.Fprintf(w, "   %-15s %4d responses  %3d detractor cases (%2d about fees)  %3d reminders  %3d escalations\n",
			m.Month.Format("January 2006"), m.Responses, m.Cases, m.Fee, m.Reminders, m.Escalations)
	}
	fmt.Fprintln(w)
	noise, err := store.NoiseReport(ctx, policy, start, thisMonth)
	if err != nil {
		return nil, err
	}
	out.Noise = noise
	fmt.Fprintf(w, "   What reached people in these six months, and what would have without noise control:\n\n"+
		"   %5d top-level channel posts (without: %d): %d cards of a burst went in the threads of %d roll-ups,\n"+
		"         and %d customers who wrote again joined their open case instead of opening another\n"+
		"   %5d direct messages (without: %d): %d reminders went out bundled in %d DMs, and no repeat opened a case to assign\n"+
		"   %5d DMs queued after hours or at the weekend waited for the next business morning (%d urgent ones went at once)\n\n",
		noise.ChannelPosts, noise.ChannelPostsWithout(), noise.CardsInRollups, noise.Rollups, noise.Joined,
		noise.DMs, noise.DMsWithout(), noise.ReminderItems, noise.ReminderDMs,
		noise.DMsOutsideHours-noise.DMsDeliveredOutsideHours, noise.DMsDeliveredOutsideHours)
	if sim.item != 0 {
		if out.Item, err = store.Improvement(ctx, sim.item); err == nil {
			fixDone := sim.fixDoneEmails(ctx)
			out.ToldByEmail = len(fixDone)
			fmt.Fprintf(w, "4. The outer loop: fee complaints resolved as systemic joined improvement item #%d %q (%d linked cases).\n"+
				"   Marked done on %s, it emailed \"you said, we did\" to the %d customers who left an address and agreed to be contacted,\n"+
				"   and sent every owner the list of the others to call back: by the end of the month %d of those were told on time,\n"+
				"   %d late, and %d not yet. Fee complaints fell after the fix.\n\n",
				out.Item.ID, out.Item.Title, out.Item.Linked, sim.fixAt.Format("2 January"), out.ToldByEmail, out.ToldOnTime, out.ToldLate, out.NotTold)
			if len(fixDone) > 0 {
				fmt.Fprintf(w, "   One of the %d emails:\n\n%s\n", len(fixDone), indent(email.Format(fixDone[0].Msg)))
			}
		}
	}
	// The digest goes out as the schedule would send it: queued once for the
	// month, then delivered by the outbox to every digest.email address.
	sim.clock.Set(thisMonth.Add(9 * time.Hour))
	poster := &digest.Poster{Store: store, Policy: policy, Emails: org.Digest.Email}
	_, report, err := poster.Post(ctx, lastMonth, sim.clock.Now(), "schedule", "cxloop", false)
	if err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	out.Report = report
	sent := len(out.Emails)
	if err := sim.flush(ctx); err != nil {
		return nil, err
	}
	out.DigestEmails = out.Emails[sent:]
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	files := map[string][]byte{"digest-" + lastMonth + ".md": report.Markdown, "digest-" + lastMonth + ".html": report.HTML, "nps-trend-" + lastMonth + ".png": report.PNG}
	fmt.Fprintf(w, "5. The digest of %s for the CX improvement meeting:\n\n", digest.MonthTitle(models.LangEnglish, lastMonth))
	for _, name := range []string{"digest-" + lastMonth + ".md", "digest-" + lastMonth + ".html", "nps-trend-" + lastMonth + ".png"} {
		path := filepath.Join(outDir, name)
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "   %s (%d bytes)\n", path, len(files[name]))
	}
	fmt.Fprintf(w, "\n%s\n", indent(report.Summary))
	if len(out.DigestEmails) > 0 {
		m := out.DigestEmails[0].Msg
		fmt.Fprintf(w, "   It went by email to the %d addresses of digest.email, as HTML with the chart inline and as plain text:\n\n",
			len(out.DigestEmails))
		fmt.Fprintf(w, "%s\n", indent(email.Outline(m, 6)))
	}
	return out, nil
}

// fixDoneEmails are the emails sent since the fix to customers of the cases
// linked to it: the "you said, we did" messages.
func (sim *demoSim) fixDoneEmails(ctx context.Context) []demoEmail {
	var out []demoEmail
	for _, e := range sim.out.Emails {
		if e.At.Before(sim.fixAt) {
			continue
		}
		if v, err := sim.store.CaseView(ctx, e.CaseID); err == nil && v.Case.ImprovementID != nil && *v.Case.ImprovementID == sim.item {
			out = append(out, e)
		}
	}
	return out
}

// flush delivers the emails the outbox holds by now; the chat messages,
// which the narration prints itself where it matters, are dropped.
func (sim *demoSim) flush(ctx context.Context) error {
	if _, err := sim.store.DiscardPending(ctx, models.TransportLog, sim.clock.Now()); err != nil {
		return err
	}
	for {
		n, err := sim.deliver.RunOnce(ctx)
		if err != nil {
			return fmt.Errorf("demo delivery: %w", err)
		}
		if n == 0 {
			return nil
		}
	}
}

// demoPeople are the demo's staff as a platform directory knows them; the
// digest names people by these names rather than by email.
var demoPeople = map[string]string{
	"cx.lead@example.com": "Kristi Lepp", "mari.manager@example.com": "Mari Maasikas", "jaan@example.com": "Jaan Tamm",
	"liis@example.com": "Liis Kask", "kadri@example.com": "Kadri Saar", "anna.manager@example.com": "Anna Ozola",
	"janis@example.com": "Jānis Bērziņš", "olga@example.com": "Olga Petrova", "piotr.manager@example.com": "Piotr Nowak",
	"marta@example.com": "Marta Kowalska", "tomasz@example.com": "Tomasz Wiśniewski",
}

// demoNamed names the card's people as the demo's directory does, as the
// platforms' messengers name them from theirs.
func demoNamed(c bot.Card) bot.Card {
	c.Names = demoPeople
	return c
}

// demoName is a person of the trail by name; "cxloop" stays itself.
func demoName(email string) string {
	if n := demoPeople[email]; n != "" {
		return n
	}
	return email
}

// demoNames writes the people a trail entry mentions by name.
func demoNames(detail string) string {
	for email, name := range demoPeople {
		detail = strings.ReplaceAll(detail, email, name)
	}
	return detail
}

// seedDemoDirectory fills the directory cache as users.lookupByEmail would.
func seedDemoDirectory(ctx context.Context, store *models.Store, at time.Time) error {
	i := 0
	for email, name := range demoPeople {
		i++
		u := models.PlatformUser{Platform: models.TransportSlack, Email: email, UserID: fmt.Sprintf("U0DEMO%02d", i), Name: name, CheckedAt: at.UTC()}
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

// demoTheme is the theme of a demo comment ("" for none).
func demoTheme(comment string) string {
	for _, c := range detractorComments {
		if c.text == comment {
			return c.theme
		}
	}
	return ""
}

// demoResponse makes one realistic response. Once the fee fix is done
// (feeFixed), most customers who would have complained of fees no longer
// do.
func demoResponse(rng *rand.Rand, seq int, at time.Time, feeFixed bool) models.ResponseInput {
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
	comment, lang := "", ""
	switch {
	case score <= 6:
		c := detractorComments[rng.IntN(len(detractorComments))]
		if tp == "app" && rng.IntN(2) == 0 {
			c = detractorComments[12+rng.IntN(4)]
		}
		comment, lang = c.text, c.lang
		if feeFixed && c.theme == "fees" && rng.IntN(10) > 0 {
			score, comment, lang = 7+rng.IntN(2), "", ""
		}
	case score >= 9 && rng.IntN(2) == 0:
		comment = promoterComments[rng.IntN(len(promoterComments))]
	}
	names := []string{"Kadri K.", "Jānis B.", "Agnieszka W.", "Ivan P.", "Mari T.", "Olga S."}
	name := names[rng.IntN(len(names))]
	// Most customers leave an address and agree to hear back; the others
	// are called.
	email := ""
	if rng.IntN(10) < 6 {
		email = strings.ToLower(strings.Fields(name)[0]) + fmt.Sprintf(".%d@example.org", seq)
	}
	ok := true
	attrs := map[string]string{}
	if tp == "branch" {
		attrs["country"] = "LV"
	}
	return models.ResponseInput{Source: "demo", ExternalID: fmt.Sprintf("demo-%d", seq), Metric: metric, Score: score,
		Comment: comment, Language: lang, SubmittedAt: at.Add(-time.Duration(rng.IntN(120)) * time.Minute), Touchpoint: tp,
		Customer:   models.Customer{ID: fmt.Sprintf("cust-%d", seq), Name: name, Email: email, Phone: fmt.Sprintf("+372 5%03d %04d", rng.IntN(1000), rng.IntN(10000)), ContactOK: &ok},
		Attributes: attrs}
}

// demoWritesAgain is the next day's response of a detractor still waiting
// for an answer, in their language.
func demoWritesAgain(in models.ResponseInput) models.ResponseInput {
	again := map[string]string{
		"en": "I wrote yesterday and still have no answer.",
		"et": "Kirjutasin eile ja vastust ikka ei ole.",
		"pl": "Pisałem wczoraj i nadal nie mam odpowiedzi.",
		"ru": "Писал вчера, ответа до сих пор нет.",
	}
	lang := in.Language
	if again[lang] == "" {
		lang = "en"
	}
	in.ExternalID += "-again"
	in.Score = max(0, in.Score-2)
	in.Comment, in.Language = again[lang], lang
	return in
}

// demoOutageResponse is a complaint of the morning a faulty app release
// kept customers from logging in.
func demoOutageResponse(rng *rand.Rand, seq int, at time.Time) models.ResponseInput {
	in := demoResponse(rng, seq, at, false)
	c := detractorComments[12+rng.IntN(4)]
	in.Touchpoint, in.Score, in.Comment, in.Language = "app", rng.IntN(4), c.text, c.lang
	in.Attributes = map[string]string{}
	return in
}

// planCase decides how a case will be worked: most owners thank within a
// few hours and resolve within days, some run late, a few customers cannot
// be reached; fee complaints are resolved as a systemic price issue.
func planCase(rng *rand.Rand, q *actionQueue, id int64, at time.Time, in models.ResponseInput, showcase bool) {
	r := rng.Float64()
	thankAfter := time.Duration(1+rng.IntN(20)) * time.Hour
	if r > 0.85 {
		thankAfter = time.Duration(30+rng.IntN(40)) * time.Hour // late: reminders, then an escalation
	}
	if r < 0.04 {
		heap.Push(q, demoAction{at: at.Add(thankAfter), caseID: id, op: models.Op{Kind: models.OpNoContact, Reason: "unreachable", Note: "three calls, no answer"}})
		return
	}
	methods := []string{"call", "call", "meeting", "message"}
	method := methods[rng.IntN(len(methods))]
	if in.Customer.Email != "" && (showcase || rng.IntN(2) == 0) {
		method = models.ThankByEmail // the shipped thank-you, in the customer's language
	}
	thank := models.Op{Kind: models.OpThank, Method: method, Note: "apologised and listened"}
	if method == models.ThankByEmail {
		thank.Note = ""
	}
	if showcase {
		thankAfter = 5 * time.Hour // the tour's case is thanked the same afternoon
	}
	heap.Push(q, demoAction{at: at.Add(thankAfter), caseID: id, op: thank})
	resolveAfter := thankAfter + time.Duration(4+rng.IntN(60))*time.Hour
	if showcase {
		resolveAfter = 53 * time.Hour // two days on, in the afternoon
	}
	theme := demoTheme(in.Comment)
	op := models.Op{Kind: models.OpResolve, RootCause: "process", Note: "explained the steps and followed up"}
	switch theme {
	case "fees":
		op = models.Op{Kind: models.OpResolve, RootCause: "price", Note: "refunded the fee", Systemic: true}
	case "staff":
		op.RootCause, op.Note = "staff", "coached the team member"
	case "app":
		op.RootCause, op.Note = "product", "bug reported to the app team"
		// After August's faulty release the app team treats login and
		// crash complaints as one problem to fix, not case by case.
		op.Systemic = at.Month() >= time.October
	case "waiting":
		op.RootCause, op.Note = "channel", "offered a call-back slot"
		op.Systemic = at.Month() >= time.November // queues, seen as one problem at last
	}
	heap.Push(q, demoAction{at: at.Add(resolveAfter), caseID: id, op: op})
}

// drain performs the planned actions due by until, in time order. The fee
// fix is marked done at fixAt; then the owners tell their customers, most
// on time, a few late, and fee cases are no longer systemic: the item that
// fixed them is done.
func (sim *demoSim) drain(ctx context.Context, until time.Time) error {
	s, p := sim.store, sim.policy
	for sim.queue.Len() > 0 && !sim.queue[0].at.After(until) {
		a := heap.Pop(&sim.queue).(demoAction)
		if !sim.fixed && !a.at.Before(sim.fixAt) {
			heap.Push(&sim.queue, a)
			if err := sim.markFixDone(ctx); err != nil {
				return err
			}
			continue
		}
		sim.clock.Set(a.at)
		if a.tell {
			if _, err := s.MarkCustomerTold(ctx, p, a.at, a.caseID, a.actor, "called and explained the new fee schedule"); err != nil {
				if _, refused := models.IsRefusal(err); refused {
					continue
				}
				return fmt.Errorf("demo: tell the customer of case %d: %w", a.caseID, err)
			}
			if a.at.After(a.due) {
				sim.out.ToldLate++
			} else {
				sim.out.ToldOnTime++
			}
			continue
		}
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
		if a.op.Systemic && sim.fixed && a.op.RootCause == "price" {
			a.op.Systemic, a.op.Note = false, "refunded the fee; the new fee schedule explains it up front"
		}
		if _, err := s.Act(ctx, p, a.at, a.caseID, actor, a.op); err != nil {
			if _, refused := models.IsRefusal(err); refused {
				continue
			}
			return fmt.Errorf("demo action on case %d: %w", a.caseID, err)
		}
		if a.op.Systemic {
			if err := sim.itemOpened(ctx, a); err != nil {
				return err
			}
		}
	}
	if !sim.fixed && !until.Before(sim.fixAt) {
		if err := sim.markFixDone(ctx); err != nil {
			return err
		}
	}
	if until.After(sim.clock.Now()) {
		sim.clock.Set(until)
	}
	return sim.flush(ctx)
}

// itemOpened notes the improvement item a systemic case joined; when it is
// new, the person who will see it through takes it, as a manager does from
// the backlog: the CX lead the fee fix and the app team's manager the app's,
// both started at once, and the contact centre's manager the queues, not
// started yet.
func (sim *demoSim) itemOpened(ctx context.Context, a demoAction) error {
	v, err := sim.store.CaseView(ctx, a.caseID)
	if err != nil || v.Case.ImprovementID == nil {
		return err
	}
	id := *v.Case.ImprovementID
	if sim.items[id] {
		return nil
	}
	if sim.items == nil {
		sim.items = map[int64]bool{}
	}
	sim.items[id] = true
	owner, ops := "mari.manager@example.com", []models.ItemOp{{Kind: models.ItemOpTake}}
	switch a.op.RootCause {
	case "price":
		sim.item, owner = id, "cx.lead@example.com"
	case "product":
		owner = "piotr.manager@example.com"
		ops = append(ops, models.ItemOp{Kind: models.ItemOpRename, Title: "Stop the app crashing at login and payment"})
	case "channel":
		ops = append(ops, models.ItemOp{Kind: models.ItemOpRename, Title: "Answer calls within 5 minutes"})
	}
	if owner != "mari.manager@example.com" {
		ops = append(ops, models.ItemOp{Kind: models.ItemOpStatus, Status: models.ImprovementInProgress})
	}
	for _, op := range ops {
		if _, err := sim.store.ActOnImprovement(ctx, sim.policy, a.at, id, owner, op); err != nil {
			return fmt.Errorf("demo: %s on improvement %d: %w", op.Kind, id, err)
		}
	}
	return nil
}

// demoFixDescription is what the fee fix changed, as the CX lead tells
// customers in each language.
var demoFixDescription = map[string]string{
	models.LangEnglish: "We now show every fee before you pay, and the card payment fee is lower.",
	"et":               "Näitame nüüd iga tasu enne makset ja kaardimakse tasu on väiksem.",
	"pl":               "Każdą opłatę pokazujemy teraz przed płatnością, a prowizja za płatność kartą jest niższa.",
	"ru":               "Теперь мы показываем каждую комиссию до оплаты, а комиссия за оплату картой стала ниже.",
}

// markFixDone marks the fee item done and plans when each owner tells
// their customer: nine in ten within the due time, most of the rest a day
// or two late, a few not by the end of the month.
func (sim *demoSim) markFixDone(ctx context.Context) error {
	sim.fixed = true
	sim.out.FixAt = sim.fixAt
	if sim.item == 0 {
		return nil
	}
	sim.clock.Set(sim.fixAt)
	// In the confirmation form the CX lead says what changed in each
	// customer language, in place of the item's working title.
	edits := map[string]string{}
	for lang, change := range demoFixDescription {
		if t, got := sim.policy.CustomerMessages.Template(models.MessageFixDone, lang); t != nil && got == lang {
			edits[lang] = strings.Replace(t.BodySource, "{{.WhatWasDone}}", change, 1)
		}
	}
	if _, err := sim.store.ActOnImprovement(ctx, sim.policy, sim.fixAt, sim.item, "cx.lead@example.com",
		models.ItemOp{Kind: models.ItemOpStatus, Status: models.ImprovementDone, FixDone: edits}); err != nil {
		return fmt.Errorf("mark the fee fix done: %w", err)
	}
	for _, owner := range demoOwners(sim.policy) {
		open, err := sim.store.FixFollowUps(ctx, owner)
		if err != nil {
			return err
		}
		for _, f := range open {
			window := f.DueAt.Sub(f.OpenedAt)
			var at time.Time
			switch r := sim.rng.Float64(); {
			case r < 0.90:
				at = f.OpenedAt.Add(time.Hour + time.Duration(sim.rng.Float64()*0.8*float64(window)))
			case r < 0.97:
				at = f.DueAt.Add(time.Duration(6+sim.rng.IntN(40)) * time.Hour)
			default:
				continue // not yet: reminded and escalated
			}
			heap.Push(&sim.queue, demoAction{at: at, caseID: f.CaseID, actor: f.Owner, tell: true, due: f.DueAt})
		}
	}
	return nil
}

// demoOwners are everyone who can own a case: the teams' members and
// managers.
func demoOwners(p *models.Policy) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range p.Teams {
		for _, e := range append(append([]string{}, t.Members...), t.Managers...) {
			if k := strings.ToLower(e); !seen[k] {
				seen[k] = true
				out = append(out, e)
			}
		}
	}
	return out
}
