package main

import (
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ketacare/ketacare/internal/store"
	"github.com/ketacare/ketacare/internal/testutil"
)

// TestRevokedTokenStopsAtOnceInAnotherProcess: a server process that has
// just accepted a token refuses it as soon as another process (here the
// CLI) revokes it, well within the token cache's lifetime, because the
// processes sharing a PostgreSQL database tell each other.
func TestRevokedTokenStopsAtOnceInAnotherProcess(t *testing.T) {
	if os.Getenv(testutil.PostgresEnv) == "" {
		t.Skipf("needs PostgreSQL (%s): several processes share a database only there", testutil.PostgresEnv)
	}
	bin := buildBinary(t)
	db := testutil.PostgresDSN(t)
	addr := freeAddr(t)
	srv := startServer(t, bin, addr, db)
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	run := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("plum violin copper kettle\n", "user", "add", "--db", db, "--email", "nurse@example.org", "--role", "nurse", "--password-stdin")
	token := run("", "token", "create", "--db", db, "--email", "nurse@example.org", "--name", "bridge")
	get := func() int {
		req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/patients", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(); code != http.StatusOK {
		t.Fatalf("the new token: %d", code)
	}
	// The server now remembers the token for store.TokenCacheTTL.
	remembered := time.Now()
	run("", "token", "revoke", "--db", db, "--id", "1")
	deadline := remembered.Add(store.TokenCacheTTL / 2)
	for get() != http.StatusUnauthorized {
		if time.Now().After(deadline) {
			t.Fatalf("the revoked token still worked %v after the server last checked it", time.Since(remembered).Round(time.Millisecond))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
