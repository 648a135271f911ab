package server

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/web"
)

const patientsPerPage = 25

func (s *Server) webPatients(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query().Get("q")
	offset, err := queryInt(r, "offset", 0)
	if err != nil {
		return err
	}
	page, err := s.db.ListPatients(r.Context(), mustActor(r), q, patientsPerPage, offset)
	if err != nil {
		return err
	}
	p := web.PatientsPage{Base: s.base(r, "Patients"), Query: q, Patients: page.Patients, Total: page.Total,
		From: offset + 1, To: offset + len(page.Patients)}
	p.Nav = "patients"
	link := func(off int) string { return fmt.Sprintf("/patients?q=%s&offset=%d", url.QueryEscape(q), off) }
	if offset > 0 {
		p.PrevURL = link(max(0, offset-patientsPerPage))
	}
	if offset+len(page.Patients) < page.Total {
		p.NextURL = link(offset + patientsPerPage)
	}
	return s.render(w, http.StatusOK, "patients", p)
}

func (s *Server) webPatientForm(w http.ResponseWriter, r *http.Request) error {
	p := web.PatientFormPage{Base: s.base(r, "Register a patient"), Sexes: ketacare.Sexes}
	p.Nav = "patients"
	return s.render(w, http.StatusOK, "patient_new", p)
}

func (s *Server) webPatientCreate(w http.ResponseWriter, r *http.Request) error {
	in := ketacare.Patient{GivenName: r.PostFormValue("givenName"), FamilyName: r.PostFormValue("familyName"),
		BirthDate: r.PostFormValue("birthDate"), Sex: r.PostFormValue("sex"), NHSNumber: r.PostFormValue("nhsNumber"),
		Phone: r.PostFormValue("phone"), Email: r.PostFormValue("email")}
	p, err := s.db.CreatePatient(r.Context(), mustActor(r), in)
	if code := ketacare.ErrorCode(err); code == ketacare.EINVALID || code == ketacare.ECONFLICT {
		page := web.PatientFormPage{Base: s.base(r, "Register a patient"), Patient: in, Sexes: ketacare.Sexes,
			Errors: web.ErrorSummary{Fields: ketacare.ErrorFields(err)}}
		if len(page.Errors.Fields) == 0 {
			page.Errors.Message = ketacare.ErrorMessage(err)
		}
		return s.render(w, statusByCode[code], "patient_new", page)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/patients/%d", p.ID), http.StatusSeeOther)
	return nil
}

func (s *Server) webPatient(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.db.Patient(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	page := web.PatientPage{Base: s.base(r, p.GivenName+" "+p.FamilyName), Patient: p, Age: p.Age(time.Now())}
	page.Nav = "patients"
	return s.render(w, http.StatusOK, "patient", page)
}
