// Package jobs runs cxloop's background work: the outbox delivery worker and
// the scheduled jobs.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/email"
	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/jobs/digest"
	"github.com/cxloop/cxloop/metrics"
	"github.com/cxloop/cxloop/models"
)

// Deliverer takes messages from the outbox and hands them to the platforms,
// retrying what fails until it lands or is reported as failed.
type Deliverer struct {
	Store      *models.Store
	Policy     *models.Policy
	Messengers map[string]bot.Messenger
	Clock      models.Clock
	Log        *slog.Logger
	Metrics    *metrics.Set

	WorkerID    string        // names this process in leases
	Workers     int           // concurrent delivery loops (default 4)
	Lease       time.Duration // how long a claim lasts (default 2m)
	CallTimeout time.Duration // per platform call (default 15s)
	Horizon     time.Duration // give up on transient failures after (default 24h)
	Batch       int           // messages claimed at once (default 2: a paced slot is booked at claim, so send soon after)
	Idle        time.Duration // longest wait when nothing is due (default 1s)
	Grace       time.Duration // how long a call in flight may finish after shutdown begins (default 3s)
	// Pace spaces messages to one conversation per transport (default:
	// Slack one per second per channel, Teams seven per second).
	Pace models.Pacing

	// Mailer sends the emails to customers (nil: email is off); MailFrom is
	// their sender and PublicURL the base of their unsubscribe links.
	Mailer    email.Sender
	MailFrom  string
	PublicURL string

	wake chan struct{}
	once sync.Once
}

func (d *Deliverer) init() {
	d.once.Do(func() {
		d.wake = make(chan struct{}, 1)
		if d.WorkerID == "" {
			host, _ := os.Hostname()
			d.WorkerID = fmt.Sprintf("%s-%d-%d", host, os.Getpid(), rand.IntN(1e6))
		}
		if d.Workers <= 0 {
			d.Workers = 4
		}
		if d.Lease <= 0 {
			d.Lease = 2 * time.Minute
		}
		if d.CallTimeout <= 0 {
			d.CallTimeout = 15 * time.Second
		}
		if d.Horizon <= 0 {
			d.Horizon = 24 * time.Hour
		}
		if d.Batch <= 0 {
			d.Batch = 2
		}
		if d.Idle <= 0 {
			d.Idle = time.Second
		}
		if d.Grace <= 0 {
			d.Grace = 3 * time.Second
		}
		if d.Pace == nil {
			d.Pace = DefaultPacing()
		}
		if d.Clock == nil {
			d.Clock = models.SystemClock{}
		}
		if d.Log == nil {
			d.Log = slog.Default()
		}
	})
}

// Notify wakes an idle worker: something was just queued.
func (d *Deliverer) Notify() {
	d.init()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, then lets the message in flight finish and
// hands back what it had claimed but not started.
func (d *Deliverer) Run(ctx context.Context) {
	d.init()
	var wg sync.WaitGroup
	for i := 0; i < d.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.loop(ctx)
		}()
	}
	wg.Wait()
}

func (d *Deliverer) loop(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-d.wake:
		}
		n, err := d.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			d.Log.Error("outbox delivery", "err", err)
		}
		wait := d.Idle
		if n > 0 {
			wait = 0
		} else if next, err := d.Store.NextDue(ctx, d.Clock.Now()); err == nil && !next.IsZero() {
			// Sleep until the next retry or pace slot, not a whole idle period.
			if until := next.Sub(d.Clock.Now()); until < wait {
				wait = max(until, 5*time.Millisecond)
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
	}
}

// RunOnce claims one batch of due messages and delivers them; it returns how
// many it claimed.
func (d *Deliverer) RunOnce(ctx context.Context) (int, error) {
	d.init()
	msgs, err := d.Store.ClaimOutbox(ctx, d.WorkerID, d.Clock.Now(), d.Lease, d.Batch, d.Pace)
	if err != nil {
		return 0, err
	}
	for i := range msgs {
		if ctx.Err() != nil {
			// Shutting down: hand back the rest for another worker or the next start.
			release, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			for _, m := range msgs[i:] {
				if err := d.Store.ReleaseLease(release, m.ID); err != nil {
					d.Log.Warn("release outbox lease", "id", m.ID, "err", err)
				}
				if d.Pace.Paces(m.Transport) {
					if err := d.Store.SetPace(release, m.Transport, m.PaceKey, d.Clock.Now()); err != nil {
						d.Log.Warn("release conversation", "err", err)
					}
				}
			}
			cancel()
			break
		}
		// The message in flight may finish for a short grace when shutdown
		// begins, so a post that reached the platform is also recorded as
		// delivered; past the grace it is released for a retry.
		callCtx, cancel := withGrace(ctx, d.Grace)
		d.deliver(callCtx, &msgs[i])
		cancel()
	}
	return len(msgs), nil
}

// withGrace is a context that outlives ctx by grace.
func withGrace(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(grace, cancel)
		context.AfterFunc(c, func() { t.Stop() })
	})
	return c, func() { stop(); cancel() }
}

// DefaultPacing keeps under the platforms' per-conversation limits: Slack
// about one message per second per channel, Teams about seven per second.
func DefaultPacing() models.Pacing {
	return models.Pacing{models.TransportSlack: time.Second, models.TransportTeams: 150 * time.Millisecond}
}

func (d *Deliverer) deliver(ctx context.Context, m *models.OutboxMessage) {
	callCtx, cancel := context.WithTimeout(ctx, d.CallTimeout)
	started := d.Clock.Now()
	ref, err := d.send(callCtx, m)
	cancel()
	// The conversation was held while this message was in flight; the next
	// may follow a gap after this one was sent, so two messages reach the
	// platform a gap apart.
	if next, ok := d.Pace.NextSlot(m.Transport, started, d.Clock.Now()); ok {
		m.PaceNext = &next
	}
	// The outcome is recorded even when the call was cut short by shutdown.
	ctx, cancelRecord := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancelRecord()
	now := d.Clock.Now()
	log := d.Log.With("message", m.ID, "kind", m.Kind, "transport", m.Transport, "case", m.CaseID, "attempt", m.Attempts)
	if err == nil {
		// The message has gone out: an unrecorded delivery is sent again
		// when its lease ends, so a passing database error (a deadlock, a
		// dropped connection) is worth a second and third try.
		var err error
		for try := 0; try < 3; try++ {
			if err = d.Store.MarkDelivered(ctx, m, ref, now); err == nil || ctx.Err() != nil {
				break
			}
			log.Warn("record delivery, trying again", "err", err)
		}
		if err != nil {
			log.Error("record delivery", "err", err)
			return
		}
		d.count(m, "delivered")
		log.Debug("delivered", "ref", ref)
		return
	}
	if m.PaceNext != nil {
		// Free the conversation for the next message, a gap after this answer.
		if err := d.Store.SetPace(ctx, m.Transport, m.PaceKey, *m.PaceNext); err != nil {
			log.Error("pace conversation", "err", err)
		}
	}
	class, retryAfter := bot.ClassOf(err)
	var next time.Time
	switch class {
	case bot.Permanent:
		d.fail(ctx, log, m, err)
		return
	case bot.RateLimited:
		// The platform asked for a pause, nothing failed: wait what it asked
		// and leave the exponent of the backoff where it was.
		if retryAfter < time.Second {
			retryAfter = time.Second
		}
		next = now.Add(retryAfter)
	default:
		next = now.Add(Backoff(m.Attempts))
	}
	if next.Sub(m.CreatedAt) > d.Horizon {
		d.fail(ctx, log, m, fmt.Errorf("still failing after %s: %w", d.Horizon, err))
		return
	}
	if err := d.Store.MarkRetry(ctx, m.ID, next, err.Error(), class != bot.RateLimited); err != nil {
		log.Error("reschedule delivery", "err", err)
		return
	}
	d.count(m, "retry")
	if d.Metrics != nil {
		d.Metrics.DeliveryRetries.WithLabelValues(m.Transport, class.String()).Inc()
	}
	log.Warn("delivery failed, will retry", "class", class.String(), "next", next, "err", err)
}

func (d *Deliverer) fail(ctx context.Context, log *slog.Logger, m *models.OutboxMessage, err error) {
	if e := d.Store.MarkFailed(ctx, m.ID, err.Error()); e != nil {
		log.Error("record failed delivery", "err", e)
		return
	}
	d.count(m, "failed")
	log.Error("delivery failed for good", "err", err)
	if m.Kind == models.KindRollupPost {
		// Its cards waited for it: they go to the channel on their own.
		if e := d.Store.ReleaseRollup(ctx, m, d.Clock.Now()); e != nil {
			log.Error("release the roll-up's cards", "err", e)
		}
	}
	if m.Kind == models.KindCustomerEmail {
		// The case and its owner hear of it; the follow-up stays open.
		if e := d.Store.EmailFailed(ctx, d.Policy, d.Clock.Now(), m, err.Error()); e != nil {
			log.Error("record the failed email on its case", "err", e)
		}
		return
	}
	if m.Kind == models.KindAlertDM {
		return // an alert that cannot be delivered must not raise another
	}
	text := fmt.Sprintf("cxloop could not deliver a message (%s", m.Kind)
	if m.CaseID != 0 {
		text += fmt.Sprintf(" for case #%d", m.CaseID)
	}
	if m.Channel != "" {
		text += fmt.Sprintf(" to %s channel %s", m.Transport, m.Channel)
	} else if m.Recipient != "" {
		text += fmt.Sprintf(" to %s on %s", m.Recipient, m.Transport)
	}
	text += "): " + err.Error() + ". Check the channel ids in the configuration and that the bot is in the channel."
	if e := d.Store.Alert(ctx, d.Policy, d.Clock.Now(), text); e != nil {
		log.Error("alert the admins", "err", e)
	}
}

func (d *Deliverer) count(m *models.OutboxMessage, outcome string) {
	if d.Metrics != nil {
		d.Metrics.Deliveries.WithLabelValues(m.Transport, string(m.Kind), outcome).Inc()
	}
}

// Backoff is the wait before retry attempt n+1 after a transient failure
// (attempts counts the failed ones; a 429 is not one):
// exponential from 2 s, capped at 10 min, with ±20% jitter so that replicas
// do not retry in lockstep.
func Backoff(attempts int) time.Duration {
	if attempts < 1 {
		attempts = 1
	}
	d := 2 * time.Second
	for i := 1; i < attempts && d < 10*time.Minute; i++ {
		d *= 2
	}
	if d > 10*time.Minute {
		d = 10 * time.Minute
	}
	jitter := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(d) * jitter)
}

var errNoCard = errors.New("the card was never posted")

// kudosPoster is a Messenger that posts praise with a live mention.
type kudosPoster interface {
	PostKudos(ctx context.Context, channel, lang string, r models.Response) (string, error)
}

// send performs one platform call for a message.
func (d *Deliverer) send(ctx context.Context, m *models.OutboxMessage) (string, error) {
	if m.Kind == models.KindCustomerEmail {
		return "", d.sendEmail(ctx, m)
	}
	if m.Kind == models.KindDigestEmail {
		return "", d.sendDigestEmail(ctx, m)
	}
	msgr, ok := d.Messengers[m.Transport]
	if !ok {
		return "", bot.PermanentError(fmt.Errorf("transport %q is not connected", m.Transport))
	}
	switch m.Kind {
	case models.KindCardPost:
		card, err := d.card(ctx, m.CaseID)
		if err != nil {
			return "", err
		}
		// A card of a burst goes in its roll-up's thread.
		if th, ok := msgr.(bot.Threader); ok {
			thread, in, err := d.Store.CardThread(ctx, m.CaseID, m.Transport, m.Channel)
			if err != nil {
				return "", err
			}
			if in {
				return th.PostCardInThread(ctx, m.Channel, thread, card)
			}
		}
		return msgr.PostCard(ctx, m.Channel, card)
	case models.KindRollupPost, models.KindRollupUpdate:
		return d.sendRollup(ctx, msgr, m)
	case models.KindCardUpdate, models.KindThreadReply:
		ref, err := d.Store.CardRef(ctx, m.CaseID, m.Transport, m.Channel)
		if errors.Is(err, models.ErrNotFound) {
			return "", bot.PermanentError(errNoCard)
		}
		if err != nil {
			return "", err
		}
		if m.Kind == models.KindThreadReply {
			parent := ref.Ref
			// A card in a roll-up's thread has its history in that thread:
			// a thread has one level.
			if thread, in, err := d.Store.CardThread(ctx, m.CaseID, m.Transport, m.Channel); err != nil {
				return "", err
			} else if in {
				parent = thread
			}
			return "", msgr.Reply(ctx, m.Channel, parent, d.text(ctx, m).In(d.caseLang(ctx, m.CaseID)))
		}
		card, err := d.card(ctx, m.CaseID)
		if err != nil {
			return "", err
		}
		return "", msgr.UpdateCard(ctx, m.Channel, ref.Ref, card)
	case models.KindCaseDM, models.KindUnownedDM:
		card, err := d.card(ctx, m.CaseID)
		if err != nil {
			return "", err
		}
		if cd, ok := msgr.(bot.CardDMer); ok {
			// Kept, so that the copy follows the case.
			return cd.DirectMessageCard(ctx, m.Recipient, d.dmText(m, card), card)
		}
		return "", msgr.DirectMessage(ctx, m.Recipient, d.dmText(m, card), &card)
	case models.KindReminderDM:
		return "", d.sendReminders(ctx, msgr, m)
	case models.KindBackDM:
		return "", d.sendBack(ctx, msgr, m)
	case models.KindDigest:
		return digest.Deliver(ctx, d.Store, msgr, m, d.PublicURL)
	case models.KindHuddle:
		return d.sendHuddle(ctx, msgr, m)
	case models.KindKudos:
		r, err := d.Store.Response(ctx, m.ResponseID)
		if err != nil {
			return "", permanentIfMissing(err)
		}
		// A platform that can mention the praised employee does so itself,
		// keeping the customer's words escaped.
		if kp, ok := msgr.(kudosPoster); ok {
			return kp.PostKudos(ctx, m.Channel, d.channelLang(m.Transport, m.Channel), r)
		}
		return msgr.PostText(ctx, m.Channel, kudosText(d.channelLang(m.Transport, m.Channel), r))
	default:
		if (m.Text != "" || m.Message != nil) && m.Channel != "" {
			return msgr.PostText(ctx, m.Channel, d.text(ctx, m).In(d.channelLang(m.Transport, m.Channel)))
		}
		if (m.Text != "" || m.Message != nil) && m.Recipient != "" {
			var card *bot.Card
			if m.CaseID != 0 {
				c, err := d.card(ctx, m.CaseID)
				if err != nil {
					return "", err
				}
				card = &c
			}
			return "", msgr.DirectMessage(ctx, m.Recipient, d.text(ctx, m), card)
		}
		return "", bot.PermanentError(fmt.Errorf("unknown message kind %q", m.Kind))
	}
}

// sendEmail writes one email to a customer, checking at the last moment
// that the address has not unsubscribed since it was queued.
func (d *Deliverer) sendEmail(ctx context.Context, m *models.OutboxMessage) error {
	if d.Mailer == nil {
		return bot.PermanentError(errors.New("email is not configured (CXLOOP_SMTP_URL)"))
	}
	e, err := models.ParseCustomerEmail(m)
	if err != nil {
		return bot.PermanentError(err)
	}
	sup, err := d.Store.Suppressed(ctx, e.To)
	if err != nil {
		return err
	}
	if sup {
		return bot.PermanentError(errors.New("the customer unsubscribed before it was sent"))
	}
	key, err := d.Store.Key(ctx, models.UnsubscribeKeyName)
	if err != nil {
		return err
	}
	domain := "cxloop.invalid"
	if at := strings.LastIndexByte(d.MailFrom, '@'); at >= 0 {
		domain = strings.TrimRight(d.MailFrom[at+1:], "> ")
	}
	return d.Mailer.Send(ctx, email.Message{
		From: d.MailFrom, To: e.To, ToName: e.ToName, ReplyTo: e.ReplyTo, ReplyToName: models.PersonName(e.ReplyTo),
		Subject: e.Subject, Text: e.Body,
		MessageID:   fmt.Sprintf("cxloop.%d.%d@%s", m.CaseID, m.ID, domain),
		Unsubscribe: strings.TrimRight(d.PublicURL, "/") + "/unsubscribe?token=" + models.UnsubscribeToken(key, e.To),
	})
}

// sendDigestEmail writes the monthly digest to one digest.email address:
// the report as the HTML part with the trend chart inline (cid:), the
// Markdown as the plain-text part.
func (d *Deliverer) sendDigestEmail(ctx context.Context, m *models.OutboxMessage) error {
	if d.Mailer == nil {
		return bot.PermanentError(errors.New("email is not configured (CXLOOP_SMTP_URL)"))
	}
	e, err := models.ParseDigestEmail(m)
	if err != nil {
		return bot.PermanentError(err)
	}
	month, _ := models.DigestMonthOf(m)
	run, err := d.Store.DigestRunFor(ctx, month)
	if err != nil {
		return permanentIfMissing(err)
	}
	domain := "cxloop.invalid"
	if at := strings.LastIndexByte(d.MailFrom, '@'); at >= 0 {
		domain = strings.TrimRight(d.MailFrom[at+1:], "> ")
	}
	msg := email.Message{From: d.MailFrom, To: e.To, ToName: d.directoryName(ctx, e.To, models.TransportSlack, models.TransportTeams), Subject: e.Subject, Text: e.Text, HTML: e.HTML,
		MessageID: fmt.Sprintf("cxloop.digest.%s.%d@%s", month, m.ID, domain)}
	if len(run.ChartPNG) > 0 && e.ChartCID != "" {
		msg.Inline = []email.Inline{{CID: e.ChartCID, Name: "nps-trend.png", ContentType: "image/png", Data: run.ChartPNG}}
	}
	return d.Mailer.Send(ctx, msg)
}

func (d *Deliverer) card(ctx context.Context, caseID int64) (bot.Card, error) {
	v, err := d.Store.CaseView(ctx, caseID)
	if err != nil {
		return bot.Card{}, permanentIfMissing(err)
	}
	return bot.NewCardAt(v, d.Policy, d.Clock.Now()), nil
}

func permanentIfMissing(err error) error {
	if errors.Is(err, models.ErrNotFound) {
		return bot.PermanentError(err)
	}
	return err
}

// text is a message's words: its catalog message, written for the reader,
// or the text it was queued with. A DM's fallback language is its case's
// team's, else the recipient's team's.
func (d *Deliverer) text(ctx context.Context, m *models.OutboxMessage) bot.Text {
	if m.Message == nil {
		return bot.Plain(m.Text)
	}
	lang := d.Policy.PersonLanguage(m.Recipient)
	if m.CaseID != 0 {
		if v, err := d.Store.CaseView(ctx, m.CaseID); err == nil {
			lang = d.Policy.TeamLanguage(v.Case.TeamID)
		}
	}
	return bot.Message(lang, d.named(ctx, m.Transport, *m.Message))
}

// personArgs are the message arguments that hold people's emails; To holds
// a list.
var personArgs = []string{"Actor", "Owner", "To"}

// named is msg with the people it names written as the platform's
// directory knows them, else as their email reads ("kadri.kask@…" is
// Kadri Kask): a person reads names, not addresses.
func (d *Deliverer) named(ctx context.Context, transport string, msg models.Message) models.Message {
	args := make(map[string]string, len(msg.Args))
	for k, v := range msg.Args {
		args[k] = v
	}
	for _, k := range personArgs {
		v, ok := args[k]
		if !ok || !strings.Contains(v, "@") {
			continue
		}
		people := strings.Split(v, ", ")
		for i, email := range people {
			people[i] = d.personName(ctx, transport, email)
		}
		args[k] = strings.Join(people, ", ")
	}
	msg.Args = args
	return msg
}

// directoryName is the name the first of the platforms' directories knows
// email by; "" when none does.
func (d *Deliverer) directoryName(ctx context.Context, email string, platforms ...string) string {
	for _, t := range platforms {
		if u, err := d.Store.PlatformUser(ctx, t, email); err == nil && strings.TrimSpace(u.Name) != "" {
			return strings.TrimSpace(u.Name)
		}
	}
	return ""
}

func (d *Deliverer) personName(ctx context.Context, transport, email string) string {
	if !strings.Contains(email, "@") {
		return email
	}
	if n := d.directoryName(ctx, email, transport); n != "" {
		return n
	}
	if n := models.PersonName(email); n != "" {
		return n
	}
	return email
}

// caseLang is the language of the case's team, which its channel reads.
func (d *Deliverer) caseLang(ctx context.Context, caseID int64) string {
	v, err := d.Store.CaseView(ctx, caseID)
	if err != nil {
		return d.Policy.TeamLanguage("")
	}
	return d.Policy.TeamLanguage(v.Case.TeamID)
}

// channelLang is the language of the team whose channel this is, else the
// organisation's.
func (d *Deliverer) channelLang(transport, channel string) string {
	for _, t := range d.Policy.Teams {
		for _, dst := range t.Destinations {
			if dst.Transport == transport && dst.Channel == channel {
				return d.Policy.TeamLanguage(t.ID)
			}
		}
	}
	return d.Policy.TeamLanguage("")
}

// dmText tells a person of a case given to them, or a manager of a case
// nobody could be given, in the reader's language; times in the team's zone.
func (d *Deliverer) dmText(m *models.OutboxMessage, card bot.Card) bot.Text {
	loc := time.UTC
	if t, ok := d.Policy.Team(card.TeamID); ok {
		loc = d.Policy.TeamLocation(t)
	}
	return bot.Written(card.Lang, func(lang string) string {
		c := card
		c.Lang = lang
		if m.Kind == models.KindUnownedDM {
			return c.T("dm.case_unowned", "CaseID", c.CaseID, "Headline", c.Headline(), "ThankBy", l10n.DateTime(lang, c.ThankYouDue.In(loc)))
		}
		return c.T("dm.case_yours", "CaseID", c.CaseID, "Headline", c.Headline(),
			"ThankBy", l10n.DateTime(lang, c.ThankYouDue.In(loc)), "ResolveBy", l10n.DateTime(lang, c.ResolutionDue.In(loc)))
	})
}

// kudosText is the kudos post of a platform without its own: the score,
// the customer's words quoted line by line, and who is thanked, by name.
func kudosText(lang string, r models.Response) string {
	var b strings.Builder
	metric := strings.ToUpper(string(r.Metric))
	if r.Touchpoint != "" {
		b.WriteString(l10n.T(lang, "kudos.said_at", "Metric", metric, "Score", r.Score, "Touchpoint", r.Touchpoint))
	} else {
		b.WriteString(l10n.T(lang, "kudos.said", "Metric", metric, "Score", r.Score))
	}
	b.WriteString("\n")
	for _, line := range strings.Split(models.MaskPersonalData(r.Comment), "\n") {
		b.WriteString("> " + line + "\n")
	}
	if n := bot.EmployeeName(r.Attributes["employee_email"]); n != "" {
		b.WriteString(l10n.T(lang, "kudos.thanks", "Name", n))
	}
	return b.String()
}
