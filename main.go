// Command cxloop closes the customer-feedback loop in Slack and Microsoft
// Teams. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/email"
	"github.com/cxloop/cxloop/config"
	"github.com/cxloop/cxloop/handlers"
	"github.com/cxloop/cxloop/handlers/chatops"
	"github.com/cxloop/cxloop/jobs"
	"github.com/cxloop/cxloop/metrics"
	"github.com/cxloop/cxloop/models"
)

// cliCommands is every sub-command: its arguments, what it does, and how it
// runs. The usage text and each command's --help come from here.
func cliCommands() []cliCommand {
	return []cliCommand{
		{"serve", "", "run the service", serve},
		{"migrate", "", "apply the database schema", func(ctx context.Context, e *env) error {
			if err := e.parseNoArgs(flag.NewFlagSet("migrate", flag.ContinueOnError), e.args); err != nil {
				return err
			}
			return migrate(ctx, e)
		}},
		{"demo", "[--out DIR]", "an offline tour of the whole loop", demoCmd},
		{"import", "FILE.csv [--source NAME] [--map column=field,...] [--dry-run] [--cases-since DATE|all] [--encoding NAME]", "bulk import responses", importCmd},
		{"replay", "[--id N] [--dry-run]", "store dead-lettered webhook payloads after a configuration fix", replayCmd},
		{"digest", "[--month YYYY-MM] [--format md|html|png] [--out PATH] [--post [--force]]", "build (or post) the monthly digest", digestCmd},
		{"jobs", "sla [--now TIME]", "one pass of reminders and escalations", jobsCmd},
		{"manifest", "slack|teams [OPTIONS]", "print the Slack manifest / write the Teams package", manifestCmd},
		{"suppress", "EMAIL", "never email this address again", suppressCmd},
		{"erase", "--customer ID|EMAIL|PHONE [--dry-run] [--by NAME]", "remove a customer's personal data (GDPR Art. 17)", eraseCmd},
		{"export", "--customer ID|EMAIL|PHONE", "print everything stored about a customer as JSON (Art. 15)", exportCmd},
		{"audit", "[--case N] [--since YYYY-MM-DD] [--format csv|json]", "case events, contact views and erasures, for the DPO", auditCmd},
		{"version", "", "print the version this binary was built from", versionCmd},
	}
}

// cliCommand is one sub-command.
type cliCommand struct {
	name, args, summary string
	run                 command
}

// synopsis is the command's usage line.
func (c *cliCommand) synopsis() string {
	return strings.TrimSpace("cxloop " + c.name + " " + c.args)
}

// usage is the text of `cxloop help`.
func usage() string {
	var b strings.Builder
	b.WriteString("cxloop closes the customer-feedback loop in Slack and Microsoft Teams.\n\nUsage:\n")
	for _, c := range cliCommands() {
		line := "  " + c.synopsis()
		if len(line) > 34 { // at least two spaces before the summary
			fmt.Fprintf(&b, "%s\n  %-34s%s\n", line, "", c.summary)
			continue
		}
		fmt.Fprintf(&b, "%-36s%s\n", line, c.summary)
	}
	b.WriteString("\nRun 'cxloop COMMAND --help' for a command's options.\n\nEnvironment:\n")
	return b.String()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the command line, with its world passed in so tests can drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || isHelpFlag(args[0]) {
		fmt.Fprint(stdout, usage()+config.EnvHelp())
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var cmd *cliCommand
	for _, c := range cliCommands() {
		if c.name == args[0] {
			cmd = &c
			break
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "cxloop: unknown command %q\n\n%s", args[0], usage())
		return 2
	}
	log, err := newLogger(cmd.name, getenv, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "cxloop %s: %v\n", args[0], err)
		return 2
	}
	err = cmd.run(ctx, &env{args: args[1:], getenv: getenv, stdout: stdout, stderr: stderr, cmd: cmd, log: log})
	if errors.Is(err, errHelp) {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "cxloop %s: %v\nusage: %s\nRun 'cxloop %s --help' for its options.\n", args[0], err, cmd.synopsis(), cmd.name)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "cxloop %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// newLogger is the log of a command: JSON at info for the service, for
// collectors; text at warn for the other commands, whose answer is what a
// person reads. CXLOOP_LOG_LEVEL overrides the level. Personal data is
// masked in both.
func newLogger(cmd string, getenv func(string) string, w io.Writer) (*slog.Logger, error) {
	def := slog.LevelWarn
	if cmd == "serve" {
		def = slog.LevelInfo
	}
	level, err := config.LogLevel(getenv, def)
	if err != nil {
		return nil, err
	}
	if cmd == "serve" {
		return slog.New(models.MaskingLogHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))), nil
	}
	return slog.New(models.MaskingLogHandler(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))), nil
}

// env is what a command is given.
type env struct {
	args   []string
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
	cmd    *cliCommand
}

// command runs one sub-command.
type command func(ctx context.Context, e *env) error

// errHelp: the command printed its usage because it was asked to (exit
// status 0, nothing done).
var errHelp = errors.New("help shown")

// usageError is a wrong invocation (exit status 2, with the usage).
type usageError string

func (u usageError) Error() string { return string(u) }

func isHelpFlag(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

// parse reads a command's flags, before, between and after its positional
// arguments, and returns the positional ones. Asked for help, it prints the
// usage and options to stdout and returns errHelp; a bad flag is a
// usageError. Every command parses before it does anything.
func (e *env) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil, e.help(fs)
	}
	if err != nil {
		return nil, usageError(err.Error())
	}
	return pos, nil
}

// parseNoArgs is parse for a command that takes no positional arguments.
func (e *env) parseNoArgs(fs *flag.FlagSet, args []string) error {
	pos, err := e.parse(fs, args)
	if err == nil && len(pos) > 0 {
		err = usageError("unexpected " + strings.Join(pos, " "))
	}
	return err
}

// help prints the command's usage, and fs's options when there are any.
func (e *env) help(fs *flag.FlagSet) error {
	fmt.Fprintf(e.stdout, "usage: %s\n\n%s.\n", e.cmd.synopsis(), upperFirst(e.cmd.summary))
	hasFlags := false
	if fs != nil {
		fs.VisitAll(func(f *flag.Flag) {
			if f.Usage != "" {
				hasFlags = true
			}
		})
	}
	if hasFlags {
		fmt.Fprintln(e.stdout, "\nOptions:")
		fs.VisitAll(func(f *flag.Flag) {
			if f.Usage == "" {
				return // hidden
			}
			name, use := flag.UnquoteUsage(f)
			line := "  --" + f.Name
			if name != "" {
				line += " " + name
			}
			fmt.Fprintf(e.stdout, "%s\n    \t%s", line, strings.ReplaceAll(use, "\n", "\n    \t"))
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				fmt.Fprintf(e.stdout, " (default %s)", f.DefValue)
			}
			fmt.Fprintln(e.stdout)
		})
	}
	return errHelp
}

// wantsHelp reports whether args ask for help before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if isHelpFlag(a) {
			return true
		}
	}
	return false
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
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

func migrate(ctx context.Context, e *env) error {
	_, store, err := open(ctx, e.getenv, e.log)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "schema is current (version %d)\n", models.CurrentSchema)
	return store.Close()
}

func serve(ctx context.Context, e *env) error {
	if err := e.parseNoArgs(flag.NewFlagSet("serve", flag.ContinueOnError), e.args); err != nil {
		return err
	}
	log := e.log
	cfg, store, err := open(ctx, e.getenv, log)
	if err != nil {
		return err
	}
	defer store.Close()
	policy := cfg.Policy()
	clock := models.SystemClock{}
	m := metrics.New(store)
	messengers := map[string]bot.Messenger{models.TransportLog: bot.NewLogMessenger(e.stdout)}
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
		IngestRate: cfg.Env.IngestRate,

		DelightedSecret: cfg.Env.DelightedSecret, TypeformSecret: cfg.Env.TypeformSecret, FormbricksSecret: cfg.Env.FormbricksSecret,
		TypeformForms:     cfg.Org.Sources.Typeform.Forms,
		FormbricksSurveys: cfg.Org.Sources.Formbricks.Surveys,
	}
	ops := &chatops.ChatOps{Store: store, Policy: policy, Clock: clock}
	deps := platformDeps{cfg: cfg, store: store, policy: policy, clock: clock, ops: ops, env: e, queued: deliverer.Notify}
	var background []func(context.Context) error
	var apps []handlers.App
	poster := newDigestPoster(cfg, store, log)
	poster.Notify = deliverer.Notify
	// The digest job runs every minute and at start: RunDue posts the
	// previous month once when the schedule has fired, catching up after an outage.
	extraJobs := []jobs.Job{{Name: "digest", Spec: "* * * * *", AtStart: true, Run: poster.RunDue}}
	extraJobs = append(extraJobs, jobs.HuddleJobs(store, policy, log, deliverer.Notify)...)
	ops.Digest = func(ctx context.Context, lang, month string) (string, error) {
		return poster.Preview(ctx, lang, month, clock.Now())
	}
	for name, connect := range map[string]func(context.Context, platformDeps) (*platform, error){
		models.TransportSlack: slackPlatform, models.TransportTeams: teamsPlatform,
	} {
		pl, err := connect(ctx, deps)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if pl == nil {
			continue
		}
		messengers[name] = pl.messenger
		apps = append(apps, pl.app)
		if pl.run != nil {
			background = append(background, pl.run)
		}
		extraJobs = append(extraJobs, pl.jobs...)
	}
	// A platform that shows people's statuses marks them away from it.
	if r, ok := messengers[models.TransportSlack].(jobs.StatusReader); ok {
		extraJobs = append(extraJobs, jobs.AwayStatusJob(store, policy, r, log, deliverer.Notify))
	}
	ops.Queued = deliverer.Notify
	if cfg.Env.IngestToken == "" && cfg.Env.IngestSecret == "" {
		log.Warn("CXLOOP_INGEST_TOKEN is not set: /api/v1/responses refuses every request")
	}
	httpSrv := &http.Server{
		Handler:           srv.Handler(apps...),
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
