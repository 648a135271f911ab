package monitoring

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/hl7"
	"github.com/ketacare/ketacare/internal/store"
)

// KetacareAuthority is the assigning authority (PID-3.4) under which a
// monitor gateway sends ketacare's own patient id.
const KetacareAuthority = "KETACARE"

// HL7Handler receives vital signs from bedside monitors (see hl7.Server).
// Each message is matched to the dosing session in progress of the patient
// it names in PID-3, by NHS number (a valid ten-digit number, any
// authority) or by ketacare patient id (authority KETACARE, or identifier
// type PI), and recorded through the same path as a typed observation,
// under an actor naming the sending device. Error texts, sent back to the
// monitor and logged, name no patient and no reading.
func (s *Service) HL7Handler() hl7.Handler { return hl7.HandlerFunc(s.handleVitals) }

func (s *Service) handleVitals(ctx context.Context, v hl7.Vitals) error {
	// Only identifiers that say what they are count: an NHS number (type
	// NH, or the NHS as authority, or a bare number with a valid check
	// digit) and a ketacare id (ketacare as authority, or type PI with no
	// other authority). A hospital's own record number is not ours, even
	// when its digits pass the NHS check.
	var nhs []string
	var ids []int64
	for _, id := range v.PatientIDs {
		n := strings.NewReplacer(" ", "", "-", "").Replace(id.ID)
		bare := id.Type == "" && id.Authority == ""
		if (strings.EqualFold(id.Type, "NH") || strings.EqualFold(id.Authority, "NHS") || bare) && ketacare.ValidNHSNumber(n) {
			nhs = append(nhs, n)
			continue
		}
		ours := strings.EqualFold(id.Authority, KetacareAuthority) || (strings.EqualFold(id.Type, "PI") && id.Authority == "")
		if ours {
			if pid, err := strconv.ParseInt(id.ID, 10, 64); err == nil && pid > 0 {
				ids = append(ids, pid)
			}
		}
	}
	if len(nhs) == 0 && len(ids) == 0 {
		return errors.New("no NHS number or ketacare patient id in PID-3")
	}
	// Every identifier must name the same one patient: readings filed
	// against the wrong patient are worse than readings refused.
	var sessions []int64
	var mismatch bool
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var patient int64
		name := func(ps []int64) bool {
			if len(ps) != 1 || (patient != 0 && ps[0] != patient) {
				return false
			}
			patient = ps[0]
			return true
		}
		for _, n := range nhs {
			ps, err := tx.PatientsByIdentifier(ctx, n, 0)
			if err != nil {
				return err
			}
			if !name(ps) {
				mismatch = true
				return nil
			}
		}
		for _, id := range ids {
			ps, err := tx.PatientsByIdentifier(ctx, "", id)
			if err != nil {
				return err
			}
			if !name(ps) {
				mismatch = true
				return nil
			}
		}
		sess, ok, err := tx.LiveSessionOfPatient(ctx, patient)
		if ok {
			sessions = append(sessions, sess.ID)
		}
		return err
	})
	if err != nil {
		return errors.New("internal error finding the session")
	}
	if mismatch {
		return errors.New("the identifiers in PID-3 do not all name one known patient")
	}
	if len(sessions) == 0 {
		return errors.New("no dosing session in progress for the patient named in PID-3")
	}
	o := clinical.Observation{At: v.At, Systolic: v.Systolic, Diastolic: v.Diastolic, Pulse: v.Pulse, SpO2: v.SpO2,
		RespRate: v.RespRate, TempC: v.TempC}
	if o.Systolic == nil && o.Diastolic == nil && o.Pulse == nil && o.SpO2 == nil && o.RespRate == nil && o.TempC == nil {
		// Say which observations could not be used and why (codes and
		// reasons, never values), so the sender's staff can fix the feed.
		why := "no OBX with a vital sign ketacare reads"
		if len(v.Unmapped) > 0 {
			why = "no usable vital sign: " + strings.Join(v.Unmapped[:min(len(v.Unmapped), 5)], "; ")
		}
		return errors.New(why)
	}
	device := v.SendingApplication
	if v.SendingFacility != "" {
		device += "@" + v.SendingFacility
	}
	if device == "" {
		device = "unnamed device"
	}
	actor := ketacare.Actor{Email: "hl7:" + device, Name: "Monitor " + device, Role: "device", ClientAddr: "mllp", RequestID: v.ControlID}
	_, err = s.RecordDeviceObservation(ctx, actor, sessions[0], ObservationInput{Observation: o, Source: SourceHL7, Device: device, MessageID: v.ControlID})
	if errors.Is(err, ErrDuplicateReading) {
		return nil // acknowledged again, stored once
	}
	if err != nil {
		// Name the fields, never their values.
		if f := ketacare.ErrorFields(err); len(f) > 0 {
			names := make([]string, 0, len(f))
			for k := range f {
				names = append(names, k)
			}
			slices.Sort(names)
			switch ketacare.ErrorCode(err) {
			case ketacare.EUNPROCESSABLE:
				return errors.New("readings outside the plausible range, not recorded: " + strings.Join(names, ", "))
			default:
				return errors.New("observation not valid: " + strings.Join(names, ", "))
			}
		}
		if ketacare.ErrorCode(err) == ketacare.EINTERNAL {
			s.log.Error("monitoring: recording device observation", "err", err)
			return errors.New("internal error recording the observation")
		}
		return errors.New(ketacare.ErrorMessage(err))
	}
	return nil
}

// ListenMLLP opens the HL7 v2 MLLP listener for bedside monitors on addr;
// Run serves it. Call it before Run.
func (s *Service) ListenMLLP(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening for HL7 v2 (MLLP) on %s: %w", addr, err)
	}
	s.mllpLn = ln
	// A monitor that sends its local time without a zone is read in UK
	// time, as the rest of ketacare reads times: during British Summer Time
	// reading it as UTC would put every reading an hour ahead (and refuse
	// it as in the future).
	s.mllp = &hl7.Server{Handler: s.HL7Handler(), Logger: s.log, Location: store.FollowupLondon}
	return nil
}

// MLLPAddr is the address of the MLLP listener, or "" when there is none.
func (s *Service) MLLPAddr() string {
	if s.mllpLn == nil {
		return ""
	}
	return s.mllpLn.Addr().String()
}
