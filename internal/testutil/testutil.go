// Package testutil opens fresh databases for tests: a SQLite file in a
// temporary folder always, and a PostgreSQL schema of its own when
// KETACARE_TEST_POSTGRES names a server, so the same tests run on both.
package testutil

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ketacare/ketacare/internal/auth"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// PostgresEnv names the variable holding the test server's DSN.
const PostgresEnv = "KETACARE_TEST_POSTGRES"

// Target is one database to run a test against.
type Target struct {
	Name string // "sqlite" or "postgres"
	DSN  string
}

// Targets returns a fresh SQLite database and, when PostgreSQL is
// configured, a fresh PostgreSQL schema. The PostgreSQL schema is dropped
// when the test ends.
func Targets(t testing.TB) []Target {
	t.Helper()
	ts := []Target{{Name: "sqlite", DSN: SQLiteDSN(t)}}
	if os.Getenv(PostgresEnv) == "" {
		t.Logf("PostgreSQL tests skipped: set %s to a server DSN to run them", PostgresEnv)
		return ts
	}
	return append(ts, Target{Name: "postgres", DSN: PostgresDSN(t)})
}

// SQLiteDSN is a new SQLite database file in the test's temporary folder.
func SQLiteDSN(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "ketacare.db")
}

// PostgresDSN creates a schema of the test's own on the configured server
// and returns a DSN that uses it; it skips the test when none is configured.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("set %s to a PostgreSQL DSN to run this test", PostgresEnv)
	}
	schema := "t_" + strings.ToLower(strings.NewReplacer("-", "_", "_", "").Replace(auth.RandomToken(9)))
	schema = strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			return r
		}
		return 'x'
	}, schema)
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		t.Fatalf("creating test schema on %s: %v", base, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Logf("dropping test schema: %v", err)
		}
		db.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return fmt.Sprint(u)
}
