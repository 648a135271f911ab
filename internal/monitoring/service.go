// Package monitoring watches patients through dosing sessions: it opens
// sessions behind the dosing gate, records observations (typed by a nurse,
// sent through the API or by a bedside monitor over HL7 v2), computes NEWS2,
// raises and clears alerts by the protocol's rules, escalates alerts nobody
// acknowledged, reminds staff of overdue observations, checks the discharge
// gate and signs the discharge. Every change is published on a live.Broker
// for the boards and session pages that show it.
//
// The clinical decisions are those of package clinical; this package
// applies them to stored sessions. Every threshold comes from the protocol
// version current when the decision is made, and that version is stored
// with the decision.
//
// On SQLite (one process) the state each session's rules need is kept in
// memory and rebuilt from the database when missing (after a restart), so
// recording an observation reads almost nothing; on PostgreSQL, where
// several processes may change one session, it is read from the database
// in each transaction, with the session row locked.
package monitoring

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/hl7"
	"github.com/ketacare/ketacare/internal/live"
	"github.com/ketacare/ketacare/internal/store"
)

// Config adjusts a Service.
type Config struct {
	Logger *slog.Logger
	// TickEvery is how often the background job looks for overdue
	// observations and alerts to escalate; 15 s when zero.
	TickEvery time.Duration
	// NoCache reads each session's state from the database every time,
	// even on SQLite.
	NoCache bool
	// BaseURL is the address staff reach ketacare at, for the link in
	// escalation emails (none when empty).
	BaseURL string
}

// Service is the monitoring capability. Its methods are safe for
// concurrent use.
type Service struct {
	db       *store.DB
	broker   *live.Broker
	log      *slog.Logger
	tickD    time.Duration
	useCache bool
	baseURL  string

	protoMu sync.Mutex
	protos  map[int]*store.ProtocolVersion // by version number: a version never changes, nor does what is shared from here
	latest  int                            // the highest version number read

	entriesMu sync.Mutex
	entries   map[int64]*entry

	mllpLn net.Listener
	mllp   *hl7.Server
}

// entry serialises the changes to one session in this process and holds
// its cached state.
type entry struct {
	mu    sync.Mutex
	state atomic.Pointer[sessionState]
}

// New returns the monitoring service over db, publishing on broker.
func New(db *store.DB, broker *live.Broker, cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.TickEvery <= 0 {
		cfg.TickEvery = 15 * time.Second
	}
	return &Service{db: db, broker: broker, log: cfg.Logger, tickD: cfg.TickEvery, baseURL: cfg.BaseURL,
		useCache: db.Dialect == store.SQLite && !cfg.NoCache,
		protos:   map[int]*store.ProtocolVersion{}, entries: map[int64]*entry{}}
}

// Broker is the broker the service publishes on.
func (s *Service) Broker() *live.Broker { return s.broker }

// DB is the service's database.
func (s *Service) DB() *store.DB { return s.db }

// systemActor is who the background job acts as in the audit log.
var systemActor = ketacare.Actor{Email: "system:monitoring", Name: "ketacare monitoring", ClientAddr: "local"}

// protocol returns the current protocol version, decoding each version's
// document once.
func (s *Service) protocol(ctx context.Context, tx *store.Tx) (*store.ProtocolVersion, error) {
	stamp, err := tx.CurrentProtocolNumber(ctx)
	if err != nil {
		return nil, err
	}
	s.protoMu.Lock()
	pv, ok := s.protos[stamp]
	s.latest = max(s.latest, stamp)
	s.protoMu.Unlock()
	if ok {
		return pv, nil
	}
	read, err := tx.ProtocolByVersion(ctx, stamp)
	if err != nil {
		return nil, err
	}
	s.protoMu.Lock()
	s.protos[stamp] = &read
	s.protoMu.Unlock()
	return &read, nil
}

// latestProtocol returns the newest protocol version this service has read,
// without reading the database: a guess that a transaction confirms.
func (s *Service) latestProtocol() (*store.ProtocolVersion, bool) {
	s.protoMu.Lock()
	defer s.protoMu.Unlock()
	pv, ok := s.protos[s.latest]
	return pv, ok
}

func (s *Service) entry(id int64) *entry {
	s.entriesMu.Lock()
	defer s.entriesMu.Unlock()
	e := s.entries[id]
	if e == nil {
		e = &entry{}
		s.entries[id] = e
	}
	return e
}

func (s *Service) forget(id int64) {
	s.entriesMu.Lock()
	defer s.entriesMu.Unlock()
	delete(s.entries, id)
}

// access says how a session is reached: by a signed-in user (authorised
// against the clinic) or by a bedside device (matched by identifier).
type access struct {
	actor  ketacare.Actor
	device bool
	system bool // the background job: no authorisation, audited where it changes something
}

// state returns the session's state for a change, inside tx: authorised
// and audited under action, with the session row locked on PostgreSQL.
// The cached state is used when there is one; otherwise it is read from
// the database.
func (s *Service) state(ctx context.Context, tx *store.Tx, e *entry, acc access, id int64, action string) (*sessionState, error) {
	if st := e.state.Load(); st != nil && s.useCache {
		if acc.system {
			return st, nil
		}
		if acc.device {
			if _, _, err := tx.DosingSessionForDevice(ctx, acc.actor, id, action); err != nil {
				return nil, err
			}
			return st, nil
		}
		// The patient was read with the state and does not change.
		if err := tx.PatientAccess(ctx, acc.actor, st.patient, action); err != nil {
			return nil, store.NotFoundAs(err, "Session")
		}
		return st, nil
	}
	if err := tx.LockSession(ctx, id); err != nil {
		if ketacare.ErrorCode(err) == ketacare.ENOTFOUND {
			_, _, err = tx.DosingSessionFor(ctx, acc.actor, id, action) // audits the refusal
		}
		return nil, err
	}
	var sess store.DosingSession
	var p ketacare.Patient
	var err error
	switch {
	case acc.system:
		sess, p, err = tx.SessionForSystem(ctx, id)
	case acc.device:
		sess, p, err = tx.DosingSessionForDevice(ctx, acc.actor, id, action)
	default:
		sess, p, err = tx.DosingSessionFor(ctx, acc.actor, id, action)
	}
	if err != nil {
		return nil, err
	}
	return s.loadState(ctx, tx, sess, p)
}

// loadState builds a session's state from the database.
func (s *Service) loadState(ctx context.Context, tx *store.Tx, sess store.DosingSession, p ketacare.Patient) (*sessionState, error) {
	st := newState(sess, p)
	obs, err := tx.SessionObservations(ctx, sess.ID)
	if err != nil {
		return nil, err
	}
	for _, o := range obs {
		st.add(o.Observation)
		if o.NEWS2 != nil {
			st.news2 = o.NEWS2
		}
	}
	alerts, err := tx.OutstandingAlerts(ctx, sess.ID)
	if err != nil {
		return nil, err
	}
	for _, a := range alerts {
		st.alerts[a.ID] = a
	}
	return st, nil
}

// keep stores the state after a committed change.
func (s *Service) keep(e *entry, st *sessionState) {
	if s.useCache && st.session.Live() {
		e.state.Store(st)
	} else {
		e.state.Store(nil)
	}
}

// publish sends events, logging any that cannot be encoded.
func (s *Service) publish(events []live.Event) {
	for _, ev := range events {
		s.broker.Publish(ev)
	}
}

func (s *Service) event(typ string, clinicID, sessionID int64, data any) live.Event {
	ev, err := live.NewEvent(typ, clinicID, sessionID, data)
	if err != nil {
		s.log.Error("monitoring: encoding event", "type", typ, "err", err)
	}
	return ev
}
