package main

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/ketacare/ketacare/internal/app"
	"github.com/ketacare/ketacare/internal/auth"
	"github.com/ketacare/ketacare/internal/testutil"
)

func cli(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUserAddAndToken(t *testing.T) {
	for _, target := range testutil.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			db := target.DSN
			if code, out, errOut := cli(t, "", "migrate", "--db", db); code != 0 || !strings.Contains(out, "schema is current") {
				t.Fatalf("migrate: %d %s %s", code, out, errOut)
			}
			code, out, errOut := cli(t, "plum violin copper kettle\n", "user", "add", "--db", db, "--email", "Nurse@Example.org", "--role", "nurse", "--password-stdin")
			if code != 0 || !strings.Contains(out, "created nurse account nurse@example.org") {
				t.Fatalf("user add: %d %q %q", code, out, errOut)
			}
			if code, _, errOut := cli(t, "plum violin copper kettle\n", "user", "add", "--db", db, "--email", "nurse@example.org", "--role", "nurse", "--password-stdin"); code != 1 || !strings.Contains(errOut, "exists") {
				t.Fatalf("duplicate: %d %q", code, errOut)
			}
			if code, _, errOut := cli(t, "password1234\n", "user", "add", "--db", db, "--email", "x@example.org", "--role", "nurse", "--password-stdin"); code != 1 || !strings.Contains(errOut, "too common") {
				t.Fatalf("common password: %d %q", code, errOut)
			}
			if code, _, errOut := cli(t, "plum violin copper kettle\n", "user", "add", "--db", db, "--email", "y@example.org", "--role", "nurse", "--clinic", "Nowhere", "--password-stdin"); code != 1 || !strings.Contains(errOut, "not found") {
				t.Fatalf("unknown clinic: %d %q", code, errOut)
			}
			if code, _, errOut := cli(t, "", "user", "add", "--db", db, "--email", "z@example.org", "--role", "wizard", "--password-stdin"); code != 1 || !strings.Contains(errOut, "role") {
				t.Fatalf("bad role: %d %q", code, errOut)
			}
			code, out, errOut = cli(t, "plum violin copper kettle\n", "user", "add", "--db", db, "--email", "rx@example.org", "--role", "prescriber", "--mobile", "07911 123456", "--password-stdin")
			if code != 0 {
				t.Fatalf("user add with a mobile: %d %q %q", code, out, errOut)
			}
			if code, _, errOut := cli(t, "plum violin copper kettle\n", "user", "add", "--db", db, "--email", "rx2@example.org", "--role", "prescriber", "--mobile", "020 7946 0123", "--password-stdin"); code != 1 || !strings.Contains(errOut, "not a mobile") {
				t.Fatalf("landline as mobile: %d %q", code, errOut)
			}
			code, out, errOut = cli(t, "", "token", "create", "--db", db, "--email", "nurse@example.org", "--name", "monitor bridge")
			token := strings.TrimSpace(out)
			if code != 0 || !strings.HasPrefix(token, auth.APITokenPrefix) {
				t.Fatalf("token create: %d %q %q", code, out, errOut)
			}
			d, err := app.Prepare(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			u, err := d.TokenUser(context.Background(), auth.HashToken(token))
			if err != nil || u.Email != "nurse@example.org" || len(u.ClinicIDs) != 1 {
				t.Fatalf("token acts as %+v, %v", u, err)
			}
			if code, out, _ := cli(t, "", "token", "list", "--db", db); code != 0 || !strings.Contains(out, "monitor bridge") {
				t.Fatalf("token list: %d %q", code, out)
			}
			if code, out, _ := cli(t, "", "token", "revoke", "--db", db, "--id", "1"); code != 0 || !strings.Contains(out, "revoked") {
				t.Fatalf("revoke: %d %q", code, out)
			}
			if _, err := d.TokenUser(context.Background(), auth.HashToken(token)); err == nil {
				t.Fatal("revoked token still works")
			}
		})
	}
}

// A mistyped message channel stops the server from starting.
func TestServeRefusesBadChannelAddresses(t *testing.T) {
	db := "sqlite:" + t.TempDir() + "/k.db"
	for _, args := range [][]string{
		{"--sms-url", "http://sms.example/send"}, // the token would travel in clear
		{"--sms-url", "ftp://sms.example/"},
		{"--smtp-url", "imap://mail.example"},
	} {
		code, _, errOut := cli(t, "", append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, args...)...)
		if code == 0 || !strings.Contains(errOut, args[0]) {
			t.Errorf("serve %v: exit %d, %q", args, code, errOut)
		}
	}
}

func TestAuditVerifyAndBackup(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k.db")
	db := "sqlite:" + path
	cli(t, "plum violin copper kettle\n", "user", "add", "--db", db, "--email", "a@example.org", "--role", "admin", "--password-stdin")
	cli(t, "", "token", "create", "--db", db, "--email", "a@example.org")
	if code, out, errOut := cli(t, "", "audit", "verify", "--db", db); code != 0 || !strings.Contains(out, "audit chain intact: 3 entries") {
		t.Fatalf("verify: %d %q %q", code, out, errOut)
	}
	copyPath := filepath.Join(dir, "copy.db")
	if code, out, errOut := cli(t, "", "backup", "--db", db, "--to", copyPath); code != 0 || !strings.Contains(out, "wrote") {
		t.Fatalf("backup: %d %q %q", code, out, errOut)
	}
	if code, _, _ := cli(t, "", "audit", "verify", "--db", "sqlite:"+copyPath); code != 0 {
		t.Fatal("the backup's chain is broken")
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DROP TRIGGER audit_log_no_update", "UPDATE audit_log SET detail = 'forged' WHERE seq = 2"} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	code, _, errOut := cli(t, "", "audit", "verify", "--db", db)
	if code != 1 || !strings.Contains(errOut, "entry 2:") {
		t.Fatalf("tampered chain: %d %q", code, errOut)
	}
	if code, _, errOut := cli(t, "", "backup", "--db", "postgres://nobody@127.0.0.1:1/none", "--to", "x"); code != 1 || errOut == "" {
		t.Fatalf("backup of an unreachable postgres: %d %q", code, errOut)
	}
}

func TestFlagsFromEnvironmentAndUsage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "env.db")
	t.Setenv("KETACARE_DB", "sqlite:"+path)
	if code, out, _ := cli(t, "", "migrate"); code != 0 || !strings.Contains(out, "applied 0001") {
		t.Fatalf("migrate from KETACARE_DB: %d %q", code, out)
	}
	if code, out, _ := cli(t, "", "help"); code != 0 || !strings.Contains(out, "audit verify") {
		t.Fatalf("help: %d", code)
	}
	if code, _, errOut := cli(t, "", "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Fatalf("unknown command: %d %q", code, errOut)
	}
	if code, _, _ := cli(t, "", "serve", "--addr"); code != 2 {
		t.Fatalf("bad flags: %d", code)
	}
}

// The collector's setting: the flag when given (on the command line or as
// KETACARE_GC_PERCENT), else GOGC when set, else the default.
func TestGCSetting(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  string // KETACARE_GC_PERCENT
		gogc string
		want int
		set  bool
	}{
		{nil, "", "", defaultGCPercent, true},
		{nil, "", "50", 0, false},
		{[]string{"--gc-percent", "150"}, "", "50", 150, true},
		{nil, "300", "50", 300, true},
	} {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		p := fs.Int("gc-percent", defaultGCPercent, "")
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		t.Setenv("KETACARE_GC_PERCENT", tc.env)
		if tc.env == "" {
			os.Unsetenv("KETACARE_GC_PERCENT")
		}
		if err := flagsFromEnv(fs); err != nil {
			t.Fatal(err)
		}
		if got, set := gcSetting(fs, "gc-percent", *p, tc.gogc); got != tc.want || set != tc.set {
			t.Errorf("%v, KETACARE_GC_PERCENT=%q, GOGC=%q: got %d, %v; want %d, %v", tc.args, tc.env, tc.gogc, got, set, tc.want, tc.set)
		}
	}
}

func TestParseMemoryLimit(t *testing.T) {
	for in, want := range map[string]int64{"150MiB": 150 << 20, "1GiB": 1 << 30, "4096": 4096, "512KiB": 512 << 10, "100B": 100, "off": math.MaxInt64} {
		if got, err := parseMemoryLimit(in); err != nil || got != want {
			t.Errorf("parseMemoryLimit(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1MiB", "0", "1.5GiB", "150MB", "99999999999TiB"} {
		if _, err := parseMemoryLimit(in); err == nil {
			t.Errorf("parseMemoryLimit(%q) accepted", in)
		}
	}
}
