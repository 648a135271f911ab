package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildBinary compiles ketacare once for the fault tests.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("fault tests build and run the binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "ketacare")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServer runs `ketacare serve` and waits until it is ready.
func startServer(t *testing.T, bin, addr, db string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", addr, "--db", db, "--log-level", "warn")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	t.Fatalf("server did not become ready: %s", stderr.String())
	return nil
}

// TestKillNineDuringWrites kills the server with SIGKILL while clients
// register patients: after a restart every acknowledged registration is
// there and the audit chain is intact.
func TestKillNineDuringWrites(t *testing.T) {
	bin := buildBinary(t)
	db := "sqlite:" + filepath.Join(t.TempDir(), "k.db")
	if code, _, errOut := cli(t, "plum violin copper kettle\n", "user", "add", "--db", db, "--email", "n@example.org", "--role", "nurse", "--password-stdin"); code != 0 {
		t.Fatal(errOut)
	}
	_, out, _ := cli(t, "", "token", "create", "--db", db, "--email", "n@example.org")
	token := strings.TrimSpace(out)
	addr := freeAddr(t)
	srv := startServer(t, bin, addr, db)

	var mu sync.Mutex
	acked := map[float64]bool{}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				body := fmt.Sprintf(`{"givenName":"W%d","familyName":"N%d","birthDate":"1980-01-01","sex":"male"}`, w, i)
				req, _ := http.NewRequestWithContext(context.Background(), "POST", "http://"+addr+"/api/v1/patients", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return // the server is gone
				}
				var p map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&p)
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					mu.Lock()
					acked[p["id"].(float64)] = true
					mu.Unlock()
				}
			}
		}(w)
	}
	<-ctx.Done()
	if err := srv.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = srv.Wait()
	wg.Wait()
	if len(acked) < 10 {
		t.Fatalf("only %d writes acknowledged before the kill", len(acked))
	}

	srv = startServer(t, bin, addr, db)
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	found := map[float64]bool{}
	for offset := 0; ; offset += 200 {
		req, _ := http.NewRequest("GET", fmt.Sprintf("http://%s/api/v1/patients?limit=200&offset=%d", addr, offset), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Items []map[string]any
			Total int
		}
		_ = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		for _, p := range page.Items {
			found[p["id"].(float64)] = true
		}
		if offset+200 >= page.Total {
			break
		}
	}
	for id := range acked {
		if !found[id] {
			t.Errorf("acknowledged patient %v lost after kill -9", id)
		}
	}
	if code, out, errOut := cli(t, "", "audit", "verify", "--db", db); code != 0 {
		t.Fatalf("audit chain after kill -9: %s %s", out, errOut)
	}
	t.Logf("%d acknowledged writes survived kill -9", len(acked))
}

// TestGracefulShutdown sends SIGTERM: the server drains and exits 0.
func TestGracefulShutdown(t *testing.T) {
	bin := buildBinary(t)
	db := "sqlite:" + filepath.Join(t.TempDir(), "g.db")
	addr := freeAddr(t)
	srv := startServer(t, bin, addr, db)
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		_ = srv.Process.Kill()
		t.Fatal("no exit within 20 s of SIGTERM")
	}
	if _, err := os.Stat(strings.TrimPrefix(db, "sqlite:")); err != nil {
		t.Fatal(err)
	}
}
