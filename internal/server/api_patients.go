package server

import (
	"net/http"
	"time"

	"github.com/ketacare/ketacare"
)

// patientInput is the body of POST /api/v1/patients.
type patientInput struct {
	GivenName  string `json:"givenName"`
	FamilyName string `json:"familyName"`
	BirthDate  string `json:"birthDate" doc:"YYYY-MM-DD"`
	Sex        string `json:"sex" doc:"female, male, other or unknown"`
	NHSNumber  string `json:"nhsNumber,omitempty" doc:"10 digits with a valid modulus-11 check digit"`
	Phone      string `json:"phone,omitempty"`
	Email      string `json:"email,omitempty"`
}

// patientJSON is a patient as the API shows it.
type patientJSON struct {
	ID         int64     `json:"id"`
	ClinicID   int64     `json:"clinicId"`
	GivenName  string    `json:"givenName"`
	FamilyName string    `json:"familyName"`
	BirthDate  string    `json:"birthDate"`
	Sex        string    `json:"sex"`
	NHSNumber  string    `json:"nhsNumber,omitempty"`
	Phone      string    `json:"phone,omitempty"`
	Email      string    `json:"email,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
}

func toPatientJSON(p ketacare.Patient) patientJSON {
	return patientJSON{ID: p.ID, ClinicID: p.ClinicID, GivenName: p.GivenName, FamilyName: p.FamilyName, BirthDate: p.BirthDate,
		Sex: p.Sex, NHSNumber: p.NHSNumber, Phone: p.Phone, Email: p.Email, CreatedAt: p.CreatedAt}
}

type patientList struct {
	Items  []patientJSON `json:"items"`
	Total  int           `json:"total"`
	Limit  int           `json:"limit"`
	Offset int           `json:"offset"`
}

func (s *Server) apiPatientList(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 50)
	if err != nil {
		return err
	}
	offset, err := queryInt(r, "offset", 0)
	if err != nil {
		return err
	}
	if limit < 1 || limit > 200 {
		return ketacare.Errorf(ketacare.EINVALID, "Query parameter limit must be between 1 and 200.")
	}
	page, err := s.db.ListPatients(r.Context(), mustActor(r), r.URL.Query().Get("q"), limit, offset)
	if err != nil {
		return err
	}
	out := patientList{Items: []patientJSON{}, Total: page.Total, Limit: limit, Offset: offset}
	for _, p := range page.Patients {
		out.Items = append(out.Items, toPatientJSON(p))
	}
	writeJSON(w, http.StatusOK, out, "")
	return nil
}

func (s *Server) apiPatientCreate(w http.ResponseWriter, r *http.Request) error {
	var in patientInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p, err := s.db.CreatePatient(r.Context(), mustActor(r), ketacare.Patient{GivenName: in.GivenName, FamilyName: in.FamilyName,
		BirthDate: in.BirthDate, Sex: in.Sex, NHSNumber: in.NHSNumber, Phone: in.Phone, Email: in.Email})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/patients/"+itoa(p.ID))
	writeJSON(w, http.StatusCreated, toPatientJSON(p), "")
	return nil
}

func (s *Server) apiPatientGet(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.db.Patient(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toPatientJSON(p), "")
	return nil
}
