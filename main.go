// Command cxloop closes the customer-feedback loop in Slack and Microsoft
// Teams. See README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/email"
	"github.com/cxloop/cxloop/config"
	"github.com/cxloop/cxloop/handlers"
	"github.com/cxloop/cxloop/jobs"
	"github.com/cxloop/cxloop/metrics"
	"github.com/cxloop/cxloop/models"
)

const usage = `cxloop closes the customer-feedback loop in Slack and Microsoft Teams.

Usage:
  cxloop serve                      run the service
  cxloop migrate                    apply the database schema
  cxloop demo [--out DIR]           an offline tour of the whole loop
  cxloop import FILE.csv [--source NAME] [--map column=field,...] [--dry-run] [--cases-since YYYY-MM-DD|all]
                                    bulk import responses
  cxloop replay [--id N] [--dry-run]
                                    store dead-lettered webhook payloads after a configuration fix
  cxloop digest --month YYYY-MM [--format md|html|png] [--out PATH] [--post] [--force]
                                    build (or post) the monthly digest
  cxloop jobs sla [--now RFC3339]   one pass of reminders and escalations
  cxloop manifest slack|teams       print the Slack manifest / write the Teams package
  cxloop suppress EMAIL             never email this address again
  cxloop erase --customer ID|EMAIL|PHONE [--dry-run] [--by NAME]
                                    remove a customer's personal data (GDPR Art. 17)
  cxloop export --customer ID|EMAIL|PHONE
                                    print everything stored about a customer as JSON (Art. 15)
  cxloop audit [--case N] [--since YYYY-MM-DD] [--format csv|json]
                                    case events, contact views and erasures, for the DPO
  cxloop bench ingest               measure ingestion against PostgreSQL

Environment:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the command line, with its world passed in so tests can drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage+config.EnvHelp())
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	log := slog.New(models.MaskingLogHandler(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: logLevel(getenv("CXLOOP_LOG_LEVEL"))})))
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "cxloop: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	err := cmd(ctx, &env{args: args[1:], getenv: getenv, stdout: stdout, stderr: stderr, log: log})
	if errors.Is(err, errNotYet) {
		fmt.Fprintf(stderr, "cxloop %s: not yet available in this version\n", args[0])
		return 2
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "cxloop %s: %v\n", args[0], err)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "cxloop %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// env is what a command is given.
type env struct {
	args   []string
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

// command runs one sub-command.
type command func(ctx context.Context, e *env) error

// errNotYet answers commands this version does not have (exit status 2).
var errNotYet = errors.New("not yet available")

// usageError is a wrong invocation (exit status 2).
type usageError string

func (u usageError) Error() string { return string(u) }

func commands() map[string]command {
	return map[string]command{
		"serve":    serve,
		"migrate":  func(ctx context.Context, e *env) error { return migrate(ctx, e.getenv, e.log) },
		"bench":    func(ctx context.Context, e *env) error { return bench(ctx, e.args, e.getenv, e.stdout, e.log) },
		"demo":     demoCmd,
		"import":   importCmd,
		"replay":   replayCmd,
		"digest":   digestCmd,
		"jobs":     jobsCmd,
		"manifest": manifestCmd,
		"suppress": suppressCmd,
		"erase":    eraseCmd,
		"export":   exportCmd,
		"audit":    auditCmd,
	}
}

func logLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}

// open loads the configuration and opens and migrates the database.
func open(ctx context.Context, getenv func(string) string, log *slog.Logger) (*config.Config, *models.Store, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, nil, fmt.Errorf("configuration: %w", err)
	}
	store, err := models.Open(ctx, cfg.Env.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	if err := store.Migrate(ctx); err != nil {
		_ = store.Close()
		return nil, nil, err
	}
	log.Info("database ready", "postgres", store.Postgres(), "organisation", cfg.Source, "teams", len(cfg.Org.Teams))
	return cfg, store, nil
}

func migrate(ctx context.Context, getenv func(string) string, log *slog.Logger) error {
	_, store, err := open(ctx, getenv, log)
	if err != nil {
		return err
	}
	log.Info("schema is current", "version", models.CurrentSchema)
	return store.Close()
}

func serve(ctx context.Context, e *env) error {
	log := e.log
	cfg, store, err := open(ctx, e.getenv, log)
	if err != nil {
		return err
	}
	defer store.Close()
	policy := cfg.Policy()
	clock := models.SystemClock{}
	m := metrics.New(store)
	messengers := map[string]bot.Messenger{config.TransportLog: bot.NewLogMessenger(e.stdout)}
	deliverer := &jobs.Deliverer{Store: store, Policy: policy, Messengers: messengers, Clock: clock, Log: log, Metrics: m,
		Horizon: cfg.Env.DeliveryHorizon, CallTimeout: cfg.Env.DeliveryTimeout,
		// A lease outlives the call and its grace, so only a dead worker's claim expires.
		Lease:    2*cfg.Env.DeliveryTimeout + 5*time.Second,
		MailFrom: cfg.Env.SMTPFrom, PublicURL: cfg.Env.PublicURL}
	if cfg.EmailEnabled() {
		mailer, err := email.NewSMTP(cfg.Env.SMTPURL, email.Options{Timeout: cfg.Env.DeliveryTimeout})
		if err != nil {
			return fmt.Errorf("CXLOOP_SMTP_URL: %w", err)
		}
		deliverer.Mailer = mailer
	}
	srv := &handlers.Server{
		Store: store, Policy: policy, Clock: clock, Log: log, Metrics: m,
		IngestToken: cfg.Env.IngestToken, IngestSecret: cfg.Env.IngestSecret, Queued: deliverer.Notify,
		Extra: map[string]http.Handler{},

		DelightedSecret: cfg.Env.DelightedSecret, TypeformSecret: cfg.Env.TypeformSecret, FormbricksSecret: cfg.Env.FormbricksSecret,
		TypeformForms:     formMappings(cfg.Org.Sources.Typeform.Forms),
		FormbricksSurveys: formMappings(cfg.Org.Sources.Formbricks.Surveys),
	}
	ops := &handlers.ChatOps{Store: store, Policy: policy, Clock: clock}
	deps := platformDeps{cfg: cfg, store: store, policy: policy, clock: clock, ops: ops, env: e, queued: deliverer.Notify}
	var background []func(context.Context) error
	poster := newDigestPoster(cfg, store, log)
	poster.Notify = deliverer.Notify
	// The digest job runs every minute and at start: RunDue posts the
	// previous month once when the schedule has fired, catching up after an outage.
	extraJobs := []jobs.Job{{Name: "digest", Spec: "* * * * *", AtStart: true, Run: poster.RunDue}}
	ops.Digest = func(ctx context.Context, actor, month string) (string, error) {
		return digestPreview(ctx, poster, clock, month)
	}
	ops.Backlog = func(ctx context.Context, actor string) (string, error) { return backlogText(ctx, store) }
	for name, connect := range map[string]func(context.Context, platformDeps) (*platform, error){
		config.TransportSlack: slackPlatform, config.TransportTeams: teamsPlatform,
	} {
		pl, err := connect(ctx, deps)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if pl == nil {
			continue
		}
		messengers[name] = pl.messenger
		for pattern, h := range pl.routes {
			srv.Extra[pattern] = h
		}
		if pl.run != nil {
			background = append(background, pl.run)
		}
	}
	if cfg.Env.IngestToken == "" && cfg.Env.IngestSecret == "" {
		log.Warn("CXLOOP_INGEST_TOKEN is not set: /api/v1/responses refuses every request")
	}
	httpSrv := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	ln, err := net.Listen("tcp", cfg.Env.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Env.HTTPAddr, err)
	}
	log.Info("cxloop serving", "addr", ln.Addr().String(), "public_url", cfg.Env.PublicURL, "transports", cfg.Transports())

	scheduler := &jobs.Scheduler{Store: store, Location: policy.Location, Clock: clock, Log: log, Metrics: m,
		Jobs: append(append([]jobs.Job{jobs.SLAJob(store, policy, log, m, deliverer.Notify), jobs.PruneJob(store),
			jobs.RetentionJob(store, policy, log, deliverer.Notify)}, jobs.UpkeepJobs(store)...), extraJobs...)}
	workCtx, stopWork := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		deliverer.Run(workCtx)
	}()
	go func() {
		defer wg.Done()
		if err := scheduler.Run(workCtx); err != nil {
			log.Error("scheduler stopped", "err", err)
		}
	}()
	for _, run := range background {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(workCtx); err != nil && workCtx.Err() == nil {
				log.Error("background worker stopped", "err", err)
			}
		}()
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()

	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-serveErr:
		stopWork()
		wg.Wait()
		return fmt.Errorf("http server: %w", err)
	}
	// Stop claiming and scheduling at once while in-flight requests finish;
	// a delivery in flight gets a short grace. All of it ends within 10 s.
	stopWork()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 7*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("http shutdown", "err", err)
	}
	wg.Wait()
	log.Info("stopped")
	return nil
}
