package monitoring_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/app"
	"github.com/ketacare/ketacare/internal/apptest"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/hl7"
	"github.com/ketacare/ketacare/internal/store"
	"github.com/ketacare/ketacare/internal/testutil"
)

// TestHL7VitalsOverMLLP sends a monitor's ORU^R01 over MLLP to a server
// listening on 127.0.0.1:0: the readings are recorded on the patient's
// session in progress, matched by NHS number, and raise alerts.
func TestHL7VitalsOverMLLP(t *testing.T) {
	env := apptest.Start(t, apptest.Options{Config: func(c *app.Config) { c.MLLPAddr = "127.0.0.1:0" }})
	const nhs = "9434765919"
	p := readyPatient(t, env, "Monitor", nhs, clinical.RouteIV, "ketamine", 35)
	s := openDosed(t, env, p, nil)
	clinic := env.Users[ketacare.RoleNurse].ClinicIDs[0]
	board := openStream(t, env.URL, fmt.Sprintf("/api/v1/clinics/%d/events", clinic), env.Tokens[ketacare.RoleNurse])

	conn, err := net.Dial("tcp", env.App.Monitoring.MLLPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sendAt := func(control, pid string, sys int, at string) string {
		msg := strings.Join([]string{
			`MSH|^~\&|BEDSIDE^0001^EUI-64|BAY2|KETACARE|CLINIC|` + at + `||ORU^R01^ORU_R01|` + control + `|P|2.6`,
			`PID|||` + pid + `||Doe^Jane`,
			`OBR|1|||182777000^monitoring of patient^SCT|||` + at,
			`OBX|1|NM|8480-6^Systolic blood pressure^LN||` + fmt.Sprint(sys) + `|mm[Hg]^mmHg^UCUM|||||F|||` + at,
			`OBX|2|NM|8462-4^Diastolic blood pressure^LN||95|mm[Hg]^mmHg^UCUM|||||F|||` + at,
			`OBX|3|NM|8867-4^Heart rate^LN||88|/min^per minute^UCUM|||||F|||` + at,
		}, "\r") + "\r"
		if err := hl7.WriteFrame(conn, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		ack, err := hl7.NewReader(conn, 0).ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		return string(ack)
	}
	send := func(control, pid string, sys int) string {
		return sendAt(control, pid, sys, time.Now().UTC().Format("20060102150405")+"+0000")
	}
	if ack := send("C1", nhs+"^^^NHS^NH", 185); !strings.Contains(ack, "MSA|AA|C1") {
		t.Fatalf("ack: %q", ack)
	}
	if data := board.next(t, "alert.raised", 5*time.Second); !strings.Contains(data, "bp-critical") {
		t.Errorf("board event: %s", data)
	}
	var obs []map[string]any
	env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/sessions/%d/observations", s), nil).JSON(t, &obs)
	if len(obs) != 1 || obs[0]["source"] != "hl7" || obs[0]["systolic"] != 185.0 || obs[0]["pulse"] != 88.0 || !strings.Contains(fmt.Sprint(obs[0]["device"]), "BEDSIDE") {
		t.Fatalf("observations: %v", obs)
	}
	// The device's access is audited under its own name.
	entries, err := env.DB.ListAudit(context.Background(), testAuditFilter(p))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		if e.Action == "observation.create" && strings.HasPrefix(e.Email, "hl7:BEDSIDE") {
			found = true
		}
	}
	if !found {
		t.Errorf("no audit entry by the device")
	}
	// A ketacare patient id works too; an unknown patient is refused with AE.
	if ack := send("C2", fmt.Sprintf("%d^^^KETACARE^PI", p), 150); !strings.Contains(ack, "MSA|AA|C2") {
		t.Errorf("ketacare id: %q", ack)
	}
	if ack := send("C3", "9990000018^^^NHS^NH", 150); !strings.Contains(ack, "MSA|AE|C3") || strings.Contains(ack, "9990000018") {
		t.Errorf("unknown patient: %q", ack)
	}
	// Identifiers that name different patients, or a number of another
	// hospital whose digits pass the NHS check, are refused: readings are
	// never filed against the wrong patient.
	other := readyPatient(t, env, "Neighbour", "", clinical.RouteIV, "ketamine", 35)
	openDosed(t, env, other, nil)
	for control, pid := range map[string]string{
		"M1": fmt.Sprintf("%d^^^KETACARE^PI~%s^^^NHS^NH", other, nhs),
		"M2": fmt.Sprintf("%d^^^KETACARE^PI~%s^^^RJ1^MR", other, nhs),
		"M3": fmt.Sprintf("%s^^^RJ1^MR", nhs),
		"M4": fmt.Sprintf("%d^^^STGEORGES^PI", p),
	} {
		ack := send(control, pid, 141)
		if control == "M2" {
			// The hospital's record number is not ours: the ketacare id alone names the patient.
			if !strings.Contains(ack, "MSA|AA|M2") {
				t.Errorf("%s: %q", pid, ack)
			}
			continue
		}
		if !strings.Contains(ack, "MSA|AE|"+control) {
			t.Errorf("%s: %q", pid, ack)
		}
	}
	var theirs []map[string]any
	env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/sessions/%d/observations", s), nil).JSON(t, &theirs)
	for _, o := range theirs {
		if o["systolic"] == 141.0 {
			t.Errorf("a reading for another patient was filed in this session: %v", o)
		}
	}
	// The refusal names the reading but does not echo its value (the MSH
	// segment's timestamp may hold the same digits, so only what follows it
	// is searched).
	if ack := send("C4", nhs+"^^^NHS^NH", 400); !strings.Contains(ack, "MSA|AE|C4") || !strings.Contains(ack, "systolic") ||
		strings.Contains(ack[strings.Index(ack, "\rMSA|"):], "400") {
		t.Errorf("implausible reading: %q", ack)
	}
	// A monitor that missed the acknowledgement sends the same message
	// again: both are acknowledged, the reading is stored once.
	count := func() int {
		var list []any
		env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/sessions/%d/observations", s), nil).JSON(t, &list)
		return len(list)
	}
	before := count()
	at := time.Now().UTC().Add(-time.Minute).Format("20060102150405") + "+0000"
	for i := 0; i < 2; i++ {
		if ack := sendAt("C5", nhs+"^^^NHS^NH", 130, at); !strings.Contains(ack, "MSA|AA|C5") {
			t.Fatalf("resent message %d: %q", i+1, ack)
		}
	}
	if got := count() - before; got != 1 {
		t.Errorf("a resent reading was stored %d times, want once", got)
	}
}

// TestAlertsFanOutBetweenProcesses runs two servers on one PostgreSQL
// database: an alert raised through A reaches a board subscribed on B.
func TestAlertsFanOutBetweenProcesses(t *testing.T) {
	dsn := testutil.PostgresDSN(t)
	a := apptest.Start(t, apptest.Options{DSN: dsn})
	ctx, cancel := context.WithCancel(context.Background())
	b, err := app.Open(ctx, app.Config{Addr: "127.0.0.1:0", DB: dsn, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		b.Close()
	})
	p := readyPatient(t, a, "Fanout", "", clinical.RouteIV, "ketamine", 35)
	s := openDosed(t, a, p, map[string]any{"anxiety": 2})
	clinic := a.Users[ketacare.RoleNurse].ClinicIDs[0]
	board := openStream(t, b.URL(), fmt.Sprintf("/api/v1/clinics/%d/events", clinic), a.Tokens[ketacare.RolePrescriber])
	// B must be listening before A publishes: wait for its LISTEN.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if n := pgListeners(t, dsn); n >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	postObs(t, a, s, map[string]any{"anxiety": 9})
	if data := board.next(t, "alert.raised", 5*time.Second); !strings.Contains(data, "anxiety-critical") {
		t.Errorf("event on B: %s", data)
	}
	if r := a.Do("GET", fmt.Sprintf("/api/v1/clinics/%d/board", clinic), a.Tokens[ketacare.RoleNurse], nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "anxiety-critical") {
		t.Errorf("board on A: %d %s", r.Status, r.Body)
	}
}

func testAuditFilter(patientID int64) store.AuditFilter {
	return store.AuditFilter{PatientID: patientID, Limit: 500}
}

// pgListeners counts the server connections listening for live events of
// the test's schema.
func pgListeners(t *testing.T, dsn string) int {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tr, err := db.LiveTransport(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int
	if err := conn.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE query = $1`, `LISTEN "`+tr.Channel()+`"`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A monitor that sends its local time without a zone is read in UK time:
// in British Summer Time its reading is an hour behind UTC, not an hour in
// the future.
func TestHL7LocalTimeInSummer(t *testing.T) {
	env, clock := startMonitoring(t, apptest.Options{Config: func(c *app.Config) { c.MLLPAddr = "127.0.0.1:0" }})
	clock.mu.Lock()
	clock.t = time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC) // 10:00 in London
	clock.mu.Unlock()
	const nhs = "9434765919"
	p := readyPatient(t, env, "Summer", nhs, clinical.RouteIV, "ketamine", 35)
	s := openDosed(t, env, p, nil)
	conn, err := net.Dial("tcp", env.App.Monitoring.MLLPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local := "20260715100000" // the monitor's clock, London time, no zone
	msg := strings.Join([]string{
		`MSH|^~\&|BEDSIDE|BAY1|KETACARE|CLINIC|` + local + `||ORU^R01^ORU_R01|S1|P|2.6`,
		`PID|||` + nhs + `^^^NHS^NH||Doe^Jane`,
		`OBX|1|NM|8867-4^Heart rate^LN||88|/min^per minute^UCUM|||||F|||` + local,
	}, "\r") + "\r"
	if err := hl7.WriteFrame(conn, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	ack, err := hl7.NewReader(conn, 0).ReadMessage()
	if err != nil || !strings.Contains(string(ack), "MSA|AA|S1") {
		t.Fatalf("ack: %q %v", ack, err)
	}
	var obs []struct {
		At    time.Time
		Pulse *int
	}
	env.As(ketacare.RoleNurse, "GET", fmt.Sprintf("/api/v1/sessions/%d/observations", s), nil).JSON(t, &obs)
	if len(obs) != 1 || !obs[0].At.Equal(time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("stored: %+v", obs)
	}
	// A message with nothing usable says what could not be used.
	msg = strings.Join([]string{
		`MSH|^~\&|BEDSIDE|BAY1|KETACARE|CLINIC|` + local + `||ORU^R01^ORU_R01|S2|P|2.6`,
		`PID|||` + nhs + `^^^NHS^NH||Doe^Jane`,
		`OBX|1|NM|1234-5^Something else^LN||42|mg|||||F|||` + local,
	}, "\r") + "\r"
	if err := hl7.WriteFrame(conn, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	ack, err = hl7.NewReader(conn, 0).ReadMessage()
	if err != nil || !strings.Contains(string(ack), "MSA|AE|S2|no usable vital sign: 1234-5") {
		t.Errorf("ack of a message with nothing usable: %q %v", ack, err)
	}
}
