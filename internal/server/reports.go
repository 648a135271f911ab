package server

import (
	"net/http"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/auth"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/web"
)

// reportRoutes are the routes of the clinic's reports: what the clinic
// learns from its own sessions.
func (s *Server) reportRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/reports/anxiety", Policy: auth.Clinical, Surface: Web, Handle: s.webAnxietyIncidence},
		{Method: "GET", Path: "/api/v1/reports/anxiety-incidence", Policy: auth.Clinical, Surface: API, Handle: s.apiAnxietyIncidence,
			Doc: &OpDoc{Summary: "How often anxiety followed dosing in your clinics: sessions dosed from `from` to `to` (dates, Europe/London, both included; " +
				"the last 12 months when absent), counted by anxiety class (none, transient, persistent, or not yet classified) overall and by drug and route, " +
				"dose band (widths from the protocol record's reports section), screened susceptibility before the session and protocol version, with 95 % Wilson intervals of the rates among classified sessions",
				Response: incidenceJSON{}}},
	}
}

// incidenceJSON is the anxiety incidence report as the API returns it.
type incidenceJSON struct {
	From string `json:"from"`
	To   string `json:"to"`
	// DoseBands are the band widths of the current protocol version.
	DoseBands clinical.ReportsProtocol `json:"doseBands"`
	clinical.IncidenceReport
}

// reportPeriod reads the from and to dates (both included) of a report,
// the 12 months up to today when absent, as the instants they span.
func reportPeriod(r *http.Request, now time.Time) (from, to time.Time, err error) {
	today := now.In(web.London)
	day := func(name string, def time.Time) (time.Time, error) {
		v := r.URL.Query().Get(name)
		if v == "" {
			return time.Date(def.Year(), def.Month(), def.Day(), 0, 0, 0, 0, web.London), nil
		}
		d, err := time.ParseInLocation(time.DateOnly, v, web.London)
		if err != nil {
			return d, &ketacare.Error{Code: ketacare.EINVALID, Message: "Dates are written YYYY-MM-DD.", Fields: map[string]string{name: "Give a date as YYYY-MM-DD."}}
		}
		return d, nil
	}
	if from, err = day("from", today.AddDate(-1, 0, 1)); err != nil {
		return from, to, err
	}
	if to, err = day("to", today); err != nil {
		return from, to, err
	}
	return from, to.AddDate(0, 0, 1), nil
}

// anxietyIncidence builds the report of the actor's clinics for the
// request's period.
func (s *Server) anxietyIncidence(r *http.Request) (incidenceJSON, error) {
	from, to, err := reportPeriod(r, s.db.Now())
	if err != nil {
		return incidenceJSON{}, err
	}
	outcomes, err := s.db.IncidenceOutcomes(r.Context(), mustActor(r), from, to)
	if err != nil {
		return incidenceJSON{}, err
	}
	pv, err := s.db.CurrentProtocol(r.Context())
	if err != nil {
		return incidenceJSON{}, err
	}
	return incidenceJSON{From: from.Format(time.DateOnly), To: to.AddDate(0, 0, -1).Format(time.DateOnly), DoseBands: pv.Protocol.Reports,
		IncidenceReport: clinical.Incidence(outcomes, pv.Protocol.Reports)}, nil
}

func (s *Server) apiAnxietyIncidence(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.anxietyIncidence(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep, "")
	return nil
}

func (s *Server) webAnxietyIncidence(w http.ResponseWriter, r *http.Request) error {
	p := web.IncidencePage{Base: s.base(r, "Anxiety after dosing")}
	p.Nav = "reports"
	rep, err := s.anxietyIncidence(r)
	if err != nil {
		if ketacare.ErrorCode(err) != ketacare.EINVALID {
			return err
		}
		p.Errors = web.ErrorSummary{Message: ketacare.ErrorMessage(err), Fields: ketacare.ErrorFields(err)}
		p.From, p.To = r.URL.Query().Get("from"), r.URL.Query().Get("to")
		return s.render(w, http.StatusBadRequest, "report_anxiety", p)
	}
	p.From, p.To = rep.From, rep.To
	p.Overall = rep.Overall
	p.Tables = []web.IncidenceTable{
		{Caption: "By drug and route", Rows: rep.ByDrugRoute},
		{Caption: "By dose (per kilogram when the plan gave a weight)", Rows: rep.ByDose},
		{Caption: "By susceptibility screened before the session", Rows: rep.BySusceptibility},
		{Caption: "By protocol version the session was opened under", Rows: rep.ByProtocol},
	}
	return s.render(w, http.StatusOK, "report_anxiety", p)
}
