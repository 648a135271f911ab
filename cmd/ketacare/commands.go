package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/app"
	"github.com/ketacare/ketacare/internal/auth"
	"github.com/ketacare/ketacare/internal/demo"
	"github.com/ketacare/ketacare/internal/store"
)

// command is one subcommand: its name (words separated by spaces), a
// one-line summary, its flags and what it does.
type command struct {
	name    string
	summary string
	flags   func(fs *flag.FlagSet) func(ctx context.Context, env *env) error
}

// env is what a command runs with.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

var commands = []command{
	{"serve", "run ketacare (web UI, API, background work)", serveCmd(false)},
	{"demo", "run ketacare with the demo clinic (same as serve --demo)", serveCmd(true)},
	{"migrate", "apply database migrations and exit", migrateCmd},
	{"user add", "create an account", userAddCmd},
	{"token create", "create an API bearer token acting as a user; prints it once", tokenCreateCmd},
	{"token list", "list API tokens", tokenListCmd},
	{"token revoke", "revoke an API token", tokenRevokeCmd},
	{"backup", "write a consistent copy of the SQLite database", backupCmd},
	{"audit verify", "check the whole audit chain; exit 0 only when intact", auditVerifyCmd},
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	for _, c := range commands {
		words := strings.Fields(c.name)
		if len(args) < len(words) || strings.Join(args[:len(words)], " ") != c.name {
			continue
		}
		fs := flag.NewFlagSet("ketacare "+c.name, flag.ContinueOnError)
		fs.SetOutput(stderr)
		do := c.flags(fs)
		if err := fs.Parse(args[len(words):]); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		if fs.NArg() > 0 {
			fmt.Fprintf(stderr, "ketacare %s: unexpected argument %q\n", c.name, fs.Arg(0))
			return 2
		}
		if err := flagsFromEnv(fs); err != nil {
			fmt.Fprintf(stderr, "ketacare %s: %v\n", c.name, err)
			return 2
		}
		if err := do(ctx, e); err != nil {
			fmt.Fprintf(stderr, "ketacare %s: %v\n", c.name, err)
			return 1
		}
		return 0
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "ketacare: unknown command %q\n\n", strings.Join(args, " "))
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: ketacare COMMAND [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nEvery flag can also be set as an environment variable KETACARE_<FLAG>, e.g. KETACARE_DB.")
	fmt.Fprintln(w, "Run 'ketacare COMMAND -h' for a command's flags.")
}

// flagsFromEnv sets each flag not given on the command line from
// KETACARE_<NAME> (dashes as underscores, upper case).
func flagsFromEnv(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		key := "KETACARE_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(key); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s: %w", key, e)
			}
		}
	})
	return err
}

func dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", store.DefaultDSN, "database: sqlite:PATH or postgres://...")
}

// cliActor is the actor of administration commands in the audit log.
func cliActor() ketacare.Actor {
	name := os.Getenv("USER")
	if name == "" {
		name = "unknown"
	}
	return ketacare.Actor{Email: "cli:" + name, Role: ketacare.RoleAdmin, ClientAddr: "local"}
}

func serveCmd(demoDefault bool) func(fs *flag.FlagSet) func(ctx context.Context, e *env) error {
	return func(fs *flag.FlagSet) func(ctx context.Context, e *env) error {
		var cfg app.Config
		fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "address to listen on")
		db := dbFlag(fs)
		fs.StringVar(&cfg.MLLPAddr, "mllp-addr", "", "address of the HL7 v2 MLLP listener for bedside monitors (off when empty)")
		fs.DurationVar(&cfg.SessionIdle, "session-idle", 30*time.Minute, "sign out after this long without activity")
		fs.DurationVar(&cfg.SessionMax, "session-max", 12*time.Hour, "sign out this long after signing in, whatever the activity")
		fs.BoolVar(&cfg.SecureCookies, "secure-cookies", false, "mark cookies Secure (set when a TLS proxy is in front)")
		fs.IntVar(&cfg.PublicRateLimit, "public-rate-limit", 10, "public callback requests per minute per address (0 turns the public limits off)")
		fs.StringVar(&cfg.SMTPURL, "smtp-url", "", "mail server for follow-up emails: smtp://user:pass@host:port (STARTTLS when offered) or smtps://...; emails wait in the outbox when empty")
		fs.StringVar(&cfg.MailFrom, "mail-from", "ketacare@localhost", "sender address of follow-up emails")
		fs.StringVar(&cfg.SMSURL, "sms-url", "", "HTTP gateway for text messages (https://..., or http:// on this host): each message is POSTed as JSON {to, body, reference}; text messages wait in the outbox when empty")
		fs.StringVar(&cfg.SMSToken, "sms-token", "", "bearer token for the text message gateway (better given as KETACARE_SMS_TOKEN)")
		fs.StringVar(&cfg.BaseURL, "base-url", "", "address patients reach ketacare at, for links in emails (http://ADDR when empty)")
		withDemo := fs.Bool("demo", demoDefault, "load the demo clinic (synthetic staff and patients)")
		logLevel := fs.String("log-level", "info", "debug, info, warn or error")
		cpuProfile := fs.String("cpu-profile", "", "write a CPU profile of the whole run to this file (for performance work)")
		gcPercent := fs.Int("gc-percent", defaultGCPercent, "collect garbage when the heap has grown by this percentage of the live data, as GOGC (which, when set, is used instead of this default)")
		memoryLimit := fs.String("memory-limit", defaultMemoryLimit, "soft limit of the Go runtime's memory, as GOMEMLIMIT (which, when set, is used instead of this default): the collector runs more often near it; off to have none")
		return func(ctx context.Context, e *env) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			if p, ok := gcSetting(fs, "gc-percent", *gcPercent, os.Getenv("GOGC")); ok {
				debug.SetGCPercent(p)
			}
			if l, ok := gcSetting(fs, "memory-limit", *memoryLimit, os.Getenv("GOMEMLIMIT")); ok {
				n, err := parseMemoryLimit(l)
				if err != nil {
					return fmt.Errorf("--memory-limit: %w", err)
				}
				debug.SetMemoryLimit(n)
			}
			if *cpuProfile != "" {
				stop, err := startCPUProfile(*cpuProfile)
				if err != nil {
					return fmt.Errorf("--cpu-profile: %w", err)
				}
				defer stop()
			}
			cfg.DB = *db
			cfg.Logger = slog.New(slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: level}))
			a, err := app.Open(ctx, cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			if *withDemo {
				accounts, err := demo.Load(ctx, a.DB)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "\nketacare demo clinic is running at %s\n\nSign in with any of these accounts (password %q):\n", a.URL(), demo.Password)
				for _, acc := range accounts {
					fmt.Fprintf(e.stdout, "  %-12s %s\n", acc.Role, acc.Email)
				}
				fmt.Fprintf(e.stdout, "  %-12s %s (reads their own timeline)\n", "patient", demo.PatientAccountEmail)
				fmt.Fprintln(e.stdout, "\nAll patients are synthetic. Press Ctrl-C to stop.")
				go demo.Simulate(ctx, a.Monitoring, cfg.Logger) // a dosing session in progress, observed every 20 s
			}
			return a.Run(ctx)
		}
	}
}

// The collector's defaults. The heap may grow by twice its live data
// between collections instead of Go's once: at 1,000 live sessions the live
// heap is about 25 MB, and the server's CPU per observation fell by about a
// tenth (docs/performance.md). The soft limit keeps the Go runtime's memory
// (heap, stacks, metadata) from taking the resident memory past the 200 MB
// a clinic's server is sized for; SQLite's caches, the program's code and
// the memory the runtime has not yet returned add 40 to 50 MB to it. With
// 150 MiB a minute at saturation peaked at 200,368 kB resident; with
// 120 MiB at 170,280 kB, for no clear cost in CPU (docs/performance.md).
const (
	defaultGCPercent   = 200
	defaultMemoryLimit = "120MiB"
)

// gcSetting returns the collector setting to apply: the flag's value when
// it was given (or set through its environment variable), else its default
// unless the runtime's own variable (GOGC, GOMEMLIMIT) is set, which the
// runtime already follows.
func gcSetting[T any](fs *flag.FlagSet, name string, flagValue T, runtimeEnv string) (T, bool) {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	if !given && runtimeEnv != "" {
		var zero T
		return zero, false
	}
	return flagValue, true
}

// parseMemoryLimit reads a size as GOMEMLIMIT does (a number of bytes,
// optionally with a B, KiB, MiB, GiB or TiB suffix), or "off".
func parseMemoryLimit(s string) (int64, error) {
	if s == "off" {
		return math.MaxInt64, nil
	}
	num, unit := s, int64(1)
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"B", 1}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, unit = n, u.size
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/unit {
		return 0, fmt.Errorf("%q is not a size such as 150MiB, or off", s)
	}
	return n * unit, nil
}

// startCPUProfile profiles the process's CPU into path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func migrateCmd(fs *flag.FlagSet) func(ctx context.Context, e *env) error {
	db := dbFlag(fs)
	return func(ctx context.Context, e *env) error {
		d, err := store.Open(ctx, *db)
		if err != nil {
			return err
		}
		defer d.Close()
		applied, err := d.Migrate(ctx)
		for _, m := range applied {
			fmt.Fprintf(e.stdout, "applied %s\n", m)
		}
		if err != nil {
			return err
		}
		if _, err := d.EnsureDefaultClinic(ctx); err != nil {
			return err
		}
		if err := d.EnsureProtocol(ctx); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "schema is current")
		return nil
	}
}

func userAddCmd(fs *flag.FlagSet) func(ctx context.Context, e *env) error {
	db := dbFlag(fs)
	email := fs.String("email", "", "the account's email address (required)")
	role := fs.String("role", "", "admin, prescriber, nurse, counsellor or patient (required)")
	name := fs.String("name", "", "full name (the email when empty)")
	mobile := fs.String("mobile", "", "mobile number for escalated alerts by text message (optional)")
	clinic := fs.String("clinic", "", "clinic name or id (the default clinic when empty)")
	stdinPw := fs.Bool("password-stdin", false, "read the password from the first line of standard input (required)")
	return func(ctx context.Context, e *env) error {
		if *email == "" || *role == "" || !*stdinPw {
			return errors.New("--email, --role and --password-stdin are required")
		}
		if !ketacare.Role(*role).Valid() {
			return fmt.Errorf("--role %q: choose admin, prescriber, nurse, counsellor or patient", *role)
		}
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading the password: %w", err)
		}
		password := strings.TrimRight(line, "\r\n")
		if err := auth.CheckPassword(password, *email); err != nil {
			return errors.New(ketacare.ErrorMessage(err))
		}
		hash, err := auth.HashPassword(password)
		if err != nil {
			return err
		}
		d, err := app.Prepare(ctx, *db)
		if err != nil {
			return err
		}
		defer d.Close()
		var clinics []int64
		if *clinic != "" {
			c, err := d.ClinicByName(ctx, *clinic)
			if err != nil {
				return errors.New(ketacare.ErrorMessage(err))
			}
			clinics = []int64{c.ID}
		}
		u, err := d.CreateUser(ctx, cliActor(), store.NewUser{Email: *email, Name: *name, Role: ketacare.Role(*role), ClinicIDs: clinics, PasswordHash: hash, Mobile: *mobile})
		if err != nil {
			return errors.New(ketacare.ErrorMessage(err) + fieldList(err))
		}
		fmt.Fprintf(e.stdout, "created %s account %s (id %d)\n", u.Role, u.Email, u.ID)
		return nil
	}
}

func fieldList(err error) string {
	var parts []string
	for _, m := range ketacare.ErrorFields(err) {
		parts = append(parts, m)
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, " ")
}

func tokenCreateCmd(fs *flag.FlagSet) func(ctx context.Context, e *env) error {
	db := dbFlag(fs)
	email := fs.String("email", "", "the account the token acts as (required)")
	name := fs.String("name", "", "what the token is for")
	return func(ctx context.Context, e *env) error {
		if *email == "" {
			return errors.New("--email is required")
		}
		d, err := app.Prepare(ctx, *db)
		if err != nil {
			return err
		}
		defer d.Close()
		u, _, err := d.UserByEmail(ctx, *email)
		if err != nil {
			return fmt.Errorf("no account %s", *email)
		}
		if u.Disabled {
			return fmt.Errorf("account %s is disabled", *email)
		}
		if *name == "" {
			*name = "created " + time.Now().UTC().Format("2006-01-02")
		}
		token := auth.NewAPIToken()
		if _, err := d.CreateToken(ctx, cliActor(), u.ID, *name, auth.HashToken(token)); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, token)
		return nil
	}
}

func tokenListCmd(fs *flag.FlagSet) func(ctx context.Context, e *env) error {
	db := dbFlag(fs)
	return func(ctx context.Context, e *env) error {
		d, err := app.Prepare(ctx, *db)
		if err != nil {
			return err
		}
		defer d.Close()
		ts, err := d.Tokens(ctx, 0)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%-5s %-32s %-24s %-20s %s\n", "ID", "ACCOUNT", "NAME", "CREATED", "STATUS")
		for _, t := range ts {
			status := "live"
			if t.RevokedAt != nil {
				status = "revoked " + t.RevokedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(e.stdout, "%-5d %-32s %-24s %-20s %s\n", t.ID, t.Email, t.Name, t.CreatedAt.UTC().Format(time.RFC3339), status)
		}
		return nil
	}
}

func tokenRevokeCmd(fs *flag.FlagSet) func(ctx context.Context, e *env) error {
	db := dbFlag(fs)
	id := fs.Int64("id", 0, "the token's id, from token list (required)")
	return func(ctx context.Context, e *env) error {
		if *id <= 0 {
			return errors.New("--id is required")
		}
		d, err := app.Prepare(ctx, *db)
		if err != nil {
			return err
		}
		defer d.Close()
		if err := d.RevokeToken(ctx, cliActor(), *id); err != nil {
			return errors.New(ketacare.ErrorMessage(err))
		}
		fmt.Fprintf(e.stdout, "revoked token %d\n", *id)
		return nil
	}
}

func backupCmd(fs *flag.FlagSet) func(ctx context.Context, e *env) error {
	db := dbFlag(fs)
	to := fs.String("to", "", "file to write the copy to; must not exist (required)")
	return func(ctx context.Context, e *env) error {
		if *to == "" {
			return errors.New("--to is required")
		}
		d, err := store.Open(ctx, *db)
		if err != nil {
			return err
		}
		defer d.Close()
		if err := d.Backup(ctx, *to); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "wrote %s\n", *to)
		return nil
	}
}

func auditVerifyCmd(fs *flag.FlagSet) func(ctx context.Context, e *env) error {
	db := dbFlag(fs)
	return func(ctx context.Context, e *env) error {
		d, err := store.Open(ctx, *db)
		if err != nil {
			return err
		}
		defer d.Close()
		if err := d.CheckSchema(ctx); err != nil {
			return err
		}
		n, err := d.VerifyAudit(ctx)
		if err != nil {
			return fmt.Errorf("audit chain BROKEN after %d intact entries: %w", n, err)
		}
		fmt.Fprintf(e.stdout, "audit chain intact: %d entries\n", n)
		return nil
	}
}
