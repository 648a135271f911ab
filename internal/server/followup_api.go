package server

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/auth"
	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/store"
)

// followupCheckinInput is the body of POST /api/v1/checkins/{token}.
type followupCheckinInput struct {
	NRS          *int   `json:"nrs,omitempty" doc:"anxiety now, 0–10; required when the check-in asks it"`
	OwnWords     string `json:"ownWords,omitempty" doc:"how the patient has been feeling, in their words (up to 2000 characters)"`
	WantCallback *bool  `json:"wantCallback" doc:"would the patient like a counsellor to call? true creates a callback request linked to the patient"`
	GAD7         []int  `json:"gad7,omitempty" doc:"the seven GAD-7 item scores (0–3), when the check-in asks the GAD-7"`
	PHQ9         []int  `json:"phq9,omitempty" doc:"the nine PHQ-9 item scores (0–3), when the check-in asks the PHQ-9"`
}

// followupCheckinResult answers a check-in submission.
type followupCheckinResult struct {
	Status     string `json:"status" doc:"completed"`
	CallbackID int64  `json:"callbackId,omitempty" doc:"the callback request made, when a call was asked for"`
	// Next is "cssrs" when PHQ-9 item 9 was above 0: CSSRSURL opens the
	// C-SSRS screener, and the crisis contacts are listed.
	Next           string                `json:"next,omitempty"`
	CSSRSURL       string                `json:"cssrsUrl,omitempty"`
	CrisisContacts []followupContactJSON `json:"crisisContacts"`
}

// followupEvidenceJSON is a piece of evidence.
type followupEvidenceJSON = clinical.Evidence

// followupClassificationJSON is GET /api/v1/sessions/{id}/classification.
type followupClassificationJSON struct {
	SessionID       int64                  `json:"sessionId"`
	Class           string                 `json:"class" doc:"none, transient or persistent"`
	Evidence        []followupEvidenceJSON `json:"evidence"`
	ProtocolVersion int                    `json:"protocolVersion"`
	UrgentReview    bool                   `json:"urgentReview"`
	UrgentReasons   []string               `json:"urgentReasons"`
	ReviewWithinMin int                    `json:"reviewWithinMinutes" doc:"0 unless persistent"`
	Missing         []string               `json:"missing" doc:"data that was absent, so some rules could not be applied"`
	ComputedAt      time.Time              `json:"computedAt"`
}

func followupClassificationOut(sc store.StoredClassification) followupClassificationJSON {
	return followupClassificationJSON{SessionID: sc.SessionID, Class: string(sc.Class), Evidence: sc.Evidence, ProtocolVersion: sc.ProtocolVersion,
		UrgentReview: sc.UrgentReview, UrgentReasons: sc.UrgentReasons, ReviewWithinMin: int(sc.ReviewWithin / time.Minute), Missing: sc.Missing,
		ComputedAt: sc.ComputedAt}
}

// followupCheckinJSON is a check-in.
type followupCheckinJSON struct {
	ID          int64      `json:"id"`
	SessionID   int64      `json:"sessionId,omitempty"`
	Kind        string     `json:"kind" doc:"session or course"`
	Label       string     `json:"label"`
	OffsetHours int        `json:"offsetHours,omitempty"`
	Asks        []string   `json:"asks" doc:"nrs, gad7, phq9"`
	DueAt       time.Time  `json:"dueAt"`
	ExpiresAt   time.Time  `json:"expiresAt"`
	Status      string     `json:"status" doc:"scheduled, sent, completed or missed"`
	ChasedAt    *time.Time `json:"chasedAt"`
	CompletedAt *time.Time `json:"completedAt"`
	NRS         *int       `json:"nrs"`
	OwnWords    string     `json:"ownWords,omitempty"`
	WantCall    bool       `json:"wantCallback"`
	CallbackID  int64      `json:"callbackId,omitempty"`
	GAD7ID      int64      `json:"gad7AssessmentId,omitempty"`
	PHQ9ID      int64      `json:"phq9AssessmentId,omitempty"`
	CSSRSID     int64      `json:"cssrsAssessmentId,omitempty"`
	Protocol    int        `json:"protocolVersion"`
}

func followupCheckinOut(c store.Checkin) followupCheckinJSON {
	out := followupCheckinJSON{ID: c.ID, SessionID: c.SessionID, Kind: c.Kind, Label: c.Label(), OffsetHours: c.OffsetHours, Asks: []string{},
		DueAt: c.DueAt, ExpiresAt: c.ExpiresAt, Status: c.Status, ChasedAt: c.ChasedAt, CompletedAt: c.CompletedAt, NRS: c.NRS, OwnWords: c.OwnWords,
		WantCall: c.CallbackWanted, CallbackID: c.CallbackID, GAD7ID: c.GAD7ID, PHQ9ID: c.PHQ9ID, CSSRSID: c.CSSRSID, Protocol: c.ProtocolVersion}
	if c.AsksNRS {
		out.Asks = append(out.Asks, "nrs")
	}
	if c.AsksGAD7 {
		out.Asks = append(out.Asks, "gad7")
	}
	if c.AsksPHQ9 {
		out.Asks = append(out.Asks, "phq9")
	}
	return out
}

// followupReviewJSON is a review.
type followupReviewJSON struct {
	ID              int64                  `json:"id"`
	PatientID       int64                  `json:"patientId"`
	SessionID       int64                  `json:"sessionId"`
	Status          string                 `json:"status" doc:"open or decided"`
	Urgent          bool                   `json:"urgent"`
	UrgentReasons   []string               `json:"urgentReasons"`
	DueAt           time.Time              `json:"dueAt"`
	CreatedAt       time.Time              `json:"createdAt"`
	Evidence        []followupEvidenceJSON `json:"evidence"`
	ProtocolVersion int                    `json:"protocolVersion"`
	DecidedAt       *time.Time             `json:"decidedAt"`
	DecidedBy       string                 `json:"decidedBy,omitempty"`
	Options         []string               `json:"options"`
	Reason          string                 `json:"reason,omitempty"`
	PlanRevision    int                    `json:"planRevision,omitempty"`
}

func followupReviewOut(r store.Review) followupReviewJSON {
	out := followupReviewJSON{ID: r.ID, PatientID: r.PatientID, SessionID: r.SessionID, Status: r.Status, Urgent: r.Urgent, UrgentReasons: r.UrgentReasons,
		DueAt: r.DueAt, CreatedAt: r.CreatedAt, Evidence: r.Classification.Evidence, ProtocolVersion: r.ProtocolVersion, DecidedAt: r.DecidedAt,
		DecidedBy: r.DecidedName, Options: r.Options, Reason: r.Reason, PlanRevision: r.PlanRevision}
	if out.UrgentReasons == nil {
		out.UrgentReasons = []string{}
	}
	if out.Options == nil {
		out.Options = []string{}
	}
	if out.Evidence == nil {
		out.Evidence = []followupEvidenceJSON{}
	}
	return out
}

// followupDecisionInput is the body of POST /api/v1/reviews/{id}/decision.
type followupDecisionInput struct {
	Options         []string `json:"options" doc:"review option codes, at least one"`
	Reason          string   `json:"reason"`
	NewDoseMg       *float64 `json:"newDoseMg,omitempty" doc:"with lower-dose: the new dose, below the current one"`
	NewIntervalDays *int     `json:"newIntervalDays,omitempty" doc:"with lengthen-interval: the new interval, longer than the current one"`
}

type followupOptionJSON = clinical.ReviewOption

type followupTaskJSON struct {
	ID        int64     `json:"id"`
	PatientID int64     `json:"patientId"`
	Kind      string    `json:"kind" doc:"checkin-missed, cssrs-risk, cssrs-low, phq9-item9 or callback-unrequested"`
	Urgent    bool      `json:"urgent"`
	Detail    string    `json:"detail"`
	CreatedAt time.Time `json:"createdAt"`
}

type followupLinkJSON struct {
	CheckinID int64     `json:"checkinId"`
	URL       string    `json:"url" doc:"path of the patient's page, to be prefixed with the clinic's address"`
	DueAt     time.Time `json:"dueAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

type followupScoreJSON struct {
	ID         int64     `json:"id"`
	Instrument string    `json:"instrument"`
	Total      *float64  `json:"total"`
	Band       string    `json:"band"`
	Flags      []string  `json:"flags"`
	At         time.Time `json:"at"`
}

type followupSessionJSON struct {
	ID             int64                       `json:"id"`
	Status         string                      `json:"status"`
	DosedAt        *time.Time                  `json:"dosedAt"`
	DischargedAt   *time.Time                  `json:"dischargedAt"`
	BaselineNRS    *int                        `json:"baselineNrs"`
	PeakNRS        *int                        `json:"peakNrs"`
	DischargeNRS   *int                        `json:"dischargeNrs"`
	Classification *followupClassificationJSON `json:"classification"`
}

// followupTimelineJSON is a patient's timeline.
type followupTimelineJSON struct {
	PatientID int64                 `json:"patientId"`
	Sessions  []followupSessionJSON `json:"sessions"`
	Checkins  []followupCheckinJSON `json:"checkins"`
	Scores    []followupScoreJSON   `json:"scores" doc:"GAD-7 and PHQ-9, oldest first"`
	Reviews   []followupReviewJSON  `json:"reviews"`
}

func followupTimelineOut(t store.Timeline) followupTimelineJSON {
	out := followupTimelineJSON{PatientID: t.Patient.ID, Sessions: []followupSessionJSON{}, Checkins: []followupCheckinJSON{},
		Scores: []followupScoreJSON{}, Reviews: []followupReviewJSON{}}
	for _, s := range t.Sessions {
		js := followupSessionJSON{ID: s.Session.ID, Status: s.Session.Status, DosedAt: s.Session.DoseAt, DischargedAt: s.Session.DischargedAt,
			BaselineNRS: s.BaselineNRS, PeakNRS: s.PeakNRS, DischargeNRS: s.DischargeNRS}
		if s.Classification != nil {
			c := followupClassificationOut(*s.Classification)
			js.Classification = &c
		}
		out.Sessions = append(out.Sessions, js)
	}
	for _, c := range t.Checkins {
		out.Checkins = append(out.Checkins, followupCheckinOut(c))
	}
	for _, list := range [][]store.Assessment{t.GAD7, t.PHQ9} {
		for _, a := range list {
			out.Scores = append(out.Scores, followupScoreJSON{ID: a.ID, Instrument: a.Name(), Total: a.Total, Band: a.Band, Flags: a.Flags, At: a.CreatedAt})
		}
	}
	for _, r := range t.Reviews {
		out.Reviews = append(out.Reviews, followupReviewOut(r))
	}
	return out
}

// followupContactJSON is a crisis line.
type followupContactJSON struct {
	Name   string `json:"name"`
	Number string `json:"number"`
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

type followupAccountInput struct {
	Email    string `json:"email"`
	Password string `json:"password,omitempty" doc:"at least 12 characters, not a common password; leave it out to give the patient a link with which they choose their own"`
}

type followupAccountJSON struct {
	UserID    int64  `json:"userId"`
	Email     string `json:"email"`
	PatientID int64  `json:"patientId"`
	// PasswordLink is the link for the patient to choose their password,
	// when none was given (shown only now).
	PasswordLink *linkJSON `json:"passwordLink,omitempty"`
}

func followupContacts(cs []clinical.CrisisContact) []followupContactJSON {
	out := []followupContactJSON{}
	for _, c := range cs {
		out = append(out, followupContactJSON{Name: c.Name, Number: c.Number, Kind: c.Kind, Detail: c.Detail})
	}
	return out
}

// followupLinkError turns a used or expired link into 410 Gone.
func (s *Server) followupLinkError(w http.ResponseWriter, r *http.Request, surface Surface, err error) error {
	var gone *store.LinkGoneError
	if !errors.As(err, &gone) {
		// A mistyped or cut-off link: the person may be in distress, so
		// the page says what to do and shows the crisis lines, not the
		// generic "page not found" that leads to the staff sign-in.
		if surface == Web && ketacare.ErrorCode(err) == ketacare.ENOTFOUND {
			return s.followupMessage(w, r, http.StatusNotFound, "This link does not work",
				[]string{"Check that the whole link was copied from the message.", "If you want to tell us how you are, call your clinic."}, false)
		}
		return err
	}
	if surface == API {
		writeJSON(w, http.StatusGone, problem{Type: "about:blank", Title: "Gone", Status: http.StatusGone, Detail: gone.Error(), Code: "gone",
			RequestID: requestID(r)}, "application/problem+json")
		return nil
	}
	return s.followupMessage(w, r, http.StatusGone, gone.Error(), []string{"If you still want to tell us how you are, call your clinic."}, false)
}

func (s *Server) apiCheckinSubmit(w http.ResponseWriter, r *http.Request) error {
	var in followupCheckinInput
	err := decodeJSON(r, &in)
	var res store.CheckinResult
	if err == nil {
		res, err = s.db.SubmitCheckin(r.Context(), r.PathValue("token"), clientAddr(r), requestID(r),
			store.CheckinAnswers{NRS: in.NRS, OwnWords: in.OwnWords, WantCallback: in.WantCallback, GAD7: in.GAD7, PHQ9: in.PHQ9})
	}
	if err != nil {
		if err = s.followupLinkError(w, r, API, err); err != nil {
			s.renderError(w, r, API, err)
		}
		return nil
	}
	out := followupCheckinResult{Status: res.Checkin.Status, CallbackID: res.Checkin.CallbackID, CrisisContacts: followupContacts(res.Contacts)}
	if res.CSSRSToken != "" {
		out.Next, out.CSSRSURL = "cssrs", "/checkin/cssrs/"+res.CSSRSToken
	}
	writeJSON(w, http.StatusOK, out, "")
	return nil
}

func (s *Server) apiClassification(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	sc, err := s.db.Classification(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, followupClassificationOut(sc), "")
	return nil
}

func (s *Server) apiSessionCheckins(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	_, list, err := s.db.SessionFollowup(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	out := []followupCheckinJSON{}
	for _, c := range list {
		out = append(out, followupCheckinOut(c))
	}
	writeJSON(w, http.StatusOK, out, "")
	return nil
}

func (s *Server) apiCheckinLinkCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	token, c, err := s.db.StaffCheckinLink(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, followupLinkJSON{CheckinID: c.ID, URL: store.CheckinPath(token), DueAt: c.DueAt, ExpiresAt: c.ExpiresAt}, "")
	return nil
}

func (s *Server) apiReviews(w http.ResponseWriter, r *http.Request) error {
	list, err := s.db.ListReviews(r.Context(), mustActor(r), r.URL.Query().Get("status"))
	if err != nil {
		return err
	}
	out := []followupReviewJSON{}
	for _, rv := range list {
		out = append(out, followupReviewOut(rv))
	}
	writeJSON(w, http.StatusOK, out, "")
	return nil
}

func (s *Server) apiReview(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := s.db.ReviewDetail(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, followupReviewOut(d.Review), "")
	return nil
}

func (s *Server) apiReviewDecide(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in followupDecisionInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	rv, err := s.db.DecideReview(r.Context(), mustActor(r), id, store.ReviewDecision{Options: in.Options, Reason: in.Reason,
		NewDoseMg: in.NewDoseMg, NewIntervalDays: in.NewIntervalDays})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, followupReviewOut(rv), "")
	return nil
}

func (s *Server) apiReviewOptions(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, clinical.ReviewOptions(), "")
	return nil
}

func (s *Server) apiFollowupTasks(w http.ResponseWriter, r *http.Request) error {
	list, err := s.db.FollowupTasks(r.Context(), mustActor(r))
	if err != nil {
		return err
	}
	out := []followupTaskJSON{}
	for _, t := range list {
		out = append(out, followupTaskJSON{ID: t.ID, PatientID: t.PatientID, Kind: t.Kind, Urgent: t.Urgent, Detail: t.Detail, CreatedAt: t.CreatedAt})
	}
	writeJSON(w, http.StatusOK, out, "")
	return nil
}

func (s *Server) apiTimeline(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	t, err := s.db.Timeline(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, followupTimelineOut(t), "")
	return nil
}

func (s *Server) apiMyTimeline(w http.ResponseWriter, r *http.Request) error {
	a := mustActor(r)
	t, err := s.db.Timeline(r.Context(), a, a.PatientID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, followupTimelineOut(t), "")
	return nil
}

// followupCreateAccount checks the password against the policy and creates
// the account.
// followupCreateAccount gives a patient an account. Without a password the
// account cannot sign in until the patient chooses one through the account
// link returned (then staff never know it).
func (s *Server) followupCreateAccount(r *http.Request, patientID int64, email, password string) (ketacare.User, *accountLink, error) {
	hash := ""
	if password != "" {
		if err := auth.CheckPassword(password, email); err != nil {
			return ketacare.User{}, nil, &ketacare.Error{Code: ketacare.EINVALID, Message: "Some fields need correcting.",
				Fields: map[string]string{"password": ketacare.ErrorMessage(err)}}
		}
		var err error
		if hash, err = auth.HashPassword(password); err != nil {
			return ketacare.User{}, nil, err
		}
	}
	u, err := s.db.CreatePatientAccount(r.Context(), mustActor(r), patientID, email, hash)
	if err != nil || password != "" {
		return u, nil, err
	}
	link, err := s.inviteAccount(r, patientID)
	return u, link, err
}

func (s *Server) apiPatientAccountCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in followupAccountInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	u, link, err := s.followupCreateAccount(r, id, in.Email, in.Password)
	if err != nil {
		return err
	}
	out := followupAccountJSON{UserID: u.ID, Email: u.Email, PatientID: u.PatientID}
	if link != nil {
		out.PasswordLink = &linkJSON{ID: link.ID, Purpose: link.Purpose, URL: link.URL, ExpiresAt: link.ExpiresAt}
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/patients/%d/timeline", id))
	writeJSON(w, http.StatusCreated, out, "")
	return nil
}
