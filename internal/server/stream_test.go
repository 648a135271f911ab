package server_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/app"
	"github.com/ketacare/ketacare/internal/apptest"
)

// TestDisablingAnAccountEndsItsLiveBoard: an open event stream ends soon
// after its account is disabled.
func TestDisablingAnAccountEndsItsLiveBoard(t *testing.T) {
	env := apptest.Start(t, apptest.Options{Config: func(c *app.Config) { c.StreamRecheck = 100 * time.Millisecond }})
	nurse := env.Users[ketacare.RoleNurse]
	req, _ := http.NewRequest("GET", env.URL+"/api/v1/clinics/"+itoa(nurse.ClinicIDs[0])+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+env.Tokens[ketacare.RoleNurse])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	ended := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
		}
		close(ended)
	}()
	select {
	case <-ended:
		t.Fatal("the stream ended while the account was enabled")
	case <-time.After(500 * time.Millisecond):
	}
	if err := env.DB.SetUserDisabled(context.Background(), env.Actor(ketacare.RoleAdmin), nurse.ID, true); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream of a disabled account is still open")
	}
}
