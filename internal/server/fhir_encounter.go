package server

import (
	"fmt"
	"net/http"

	"github.com/ketacare/ketacare/internal/store"
)

// fhirEncounter is a dosing session as a FHIR R4 Encounter.
type fhirEncounter struct {
	ResourceType string                `json:"resourceType"`
	ID           string                `json:"id"`
	Status       string                `json:"status"`
	Class        fhirCoding            `json:"class"`
	Type         []fhirCodeableConcept `json:"type"`
	Subject      fhirReference         `json:"subject"`
	Period       fhirPeriod            `json:"period"`
}

func (e fhirEncounter) fhirPath() string { return "Encounter/" + e.ID }

func toFHIREncounter(s store.DosingSession) fhirEncounter {
	e := fhirEncounter{ResourceType: "Encounter", ID: itoa(s.ID), Status: "in-progress",
		Class: fhirCoding{System: fhirActCode, Code: "AMB", Display: "ambulatory"},
		Type: []fhirCodeableConcept{concept(fmt.Sprintf("Dosing session: %s %s %g mg", s.Drug, s.Route, s.DoseMg),
			kc("dosing-session", "Dosing session"))},
		Subject: fhirReference{Reference: "Patient/" + itoa(s.PatientID)},
		Period:  fhirPeriod{Start: fhirInstant(s.OpenedAt)}}
	if s.DischargedAt != nil {
		e.Status, e.Period.End = "finished", fhirInstant(*s.DischargedAt)
	}
	if s.Status == store.SessionClosed { // closed before any dose
		e.Status = "cancelled"
	}
	return e
}

func (s *Server) fhirEncounterRead(w http.ResponseWriter, r *http.Request) error {
	id, err := fhirID(r, "Encounter")
	if err != nil {
		return err
	}
	sess, _, err := s.mon.Session(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	writeFHIR(w, http.StatusOK, toFHIREncounter(sess))
	return nil
}

func (s *Server) fhirEncounterSearch(w http.ResponseWriter, r *http.Request) error {
	p, err := parseFHIRParams(r, "patient", "subject")
	if err != nil {
		return err
	}
	patient, err := p.patient("Encounter")
	if err != nil {
		return err
	}
	_, sessions, err := s.mon.SessionsOfPatient(r.Context(), mustActor(r), patient)
	if err != nil {
		return err
	}
	all := make([]fhirEncounter, len(sessions))
	for i, x := range sessions {
		all[i] = toFHIREncounter(x)
	}
	writeFHIR(w, http.StatusOK, s.bundle(r, p, "Encounter", len(all), pageOf(p, all)))
	return nil
}
