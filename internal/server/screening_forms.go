package server

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ketacare/ketacare/internal/clinical"
	"github.com/ketacare/ketacare/internal/store"
	"github.com/ketacare/ketacare/internal/web"
)

// patientSections are the questionnaires of a screening sitting, in order.
// The C-SSRS follows in the same sitting when PHQ-9 item 9 is above 0.
var patientSections = []string{"gad7", "phq9", "auditc", "history"}

// knownSection reports whether a form section name is one of ours.
func knownSection(name string) bool {
	return slices.Contains(patientSections, name) || name == "cssrs"
}

// instrumentTitles are the short names shown on forms and summaries.
var instrumentTitles = map[string]string{
	"gad7": "GAD-7: anxiety", "phq9": "PHQ-9: mood", "auditc": "AUDIT-C: alcohol", "cssrs": "C-SSRS: thoughts of suicide",
	"history": "Your health history",
}

// sectionIntro says what period a questionnaire's answers cover.
func sectionIntro(def clinical.Instrument) string {
	switch def.ID {
	case clinical.InstrumentGAD7, clinical.InstrumentPHQ9:
		return "Over " + def.Recall + ", how often have you been bothered by the following problems?"
	case clinical.InstrumentCSSRS:
		return "Please answer honestly: these questions help us keep you safe. Answer questions 3 to 5 only if you answered yes to question 2."
	}
	if def.Recall != "" {
		return "These questions are about " + def.Recall + "."
	}
	return ""
}

// buildSection builds one form section from the instrument's definition,
// with the values and errors of a previous attempt.
func buildSection(name string, vals url.Values, errs map[string]string) web.FormSection {
	sec := web.FormSection{ID: name, Title: instrumentTitles[name]}
	if name == "history" {
		sec.Intro = "Answer every question. If you are not sure, answer yes and the clinic will ask you about it."
		for i, q := range store.HistoryQuestions {
			field := "history-" + q.Name
			sec.Questions = append(sec.Questions, radioQuestion(field, strconv.Itoa(i+1)+".", q.Text, "", vals, errs,
				[]clinical.AnswerOption{{Label: "Yes", Score: 1}, {Label: "No", Score: 0}}))
		}
		hint := "If you know it. The clinic measures it before your first dose."
		sec.Numbers = []web.NumberField{
			{Name: "history-systolic", Label: "Blood pressure: upper number (systolic), optional", Hint: hint, Suffix: "mmHg",
				Value: vals.Get("history-systolic"), Error: errs["history-systolic"]},
			{Name: "history-diastolic", Label: "Blood pressure: lower number (diastolic), optional", Suffix: "mmHg",
				Value: vals.Get("history-diastolic"), Error: errs["history-diastolic"]},
		}
		return sec
	}
	id, _ := store.InstrumentID(name)
	def, _ := clinical.Lookup(id)
	sec.Intro = sectionIntro(def)
	for i, item := range def.Items {
		hint := ""
		if id == clinical.InstrumentCSSRS && i >= 2 && i <= 4 {
			hint = "Only if you answered yes to question 2."
		}
		sec.Questions = append(sec.Questions, radioQuestion(name+"-"+item.LinkID, item.LinkID+".", item.Text, hint, vals, errs, item.Options))
	}
	return sec
}

func radioQuestion(field, number, text, hint string, vals url.Values, errs map[string]string, opts []clinical.AnswerOption) web.FormQuestion {
	q := web.FormQuestion{Name: field, Number: number, Text: text, Hint: hint, Error: errs[field]}
	for i, o := range opts {
		v := strconv.Itoa(o.Score)
		label := o.Label
		if label == "" {
			label = v
		}
		id := field
		if i > 0 {
			id = fmt.Sprintf("%s-%d", field, i)
		}
		q.Options = append(q.Options, web.FormOption{ID: id, Value: v, Label: label, Checked: vals.Get(field) == v})
	}
	return q
}

// parseSections reads the answers of the named sections from a posted
// form. Every question must be answered (except those the C-SSRS skips);
// the problems are returned by field.
func parseSections(names []string, vals url.Values) ([]store.AssessmentInput, map[string]string) {
	errs := map[string]string{}
	var out []store.AssessmentInput
	for _, name := range names {
		title := instrumentTitles[name]
		switch name {
		case "history":
			h := store.HistoryAnswers{}
			for i, q := range store.HistoryQuestions {
				switch vals.Get("history-" + q.Name) {
				case "1":
					h.Set(q.Name, answerPtr(true))
				case "0":
					h.Set(q.Name, answerPtr(false))
				default:
					errs["history-"+q.Name] = fmt.Sprintf("Answer question %d of your health history: yes or no.", i+1)
				}
			}
			sys, sysErr := optionalInt(vals.Get("history-systolic"))
			dia, diaErr := optionalInt(vals.Get("history-diastolic"))
			switch {
			case sysErr:
				errs["history-systolic"] = "Enter the upper blood pressure number as a whole number, like 120."
			case diaErr:
				errs["history-diastolic"] = "Enter the lower blood pressure number as a whole number, like 80."
			case (sys == nil) != (dia == nil):
				errs["history-systolic"] = "Enter both blood pressure numbers, or neither."
			}
			h.Systolic, h.Diastolic = sys, dia
			out = append(out, store.AssessmentInput{Instrument: name, History: &h})
		case "cssrs":
			var qs []*bool
			q2 := vals.Get("cssrs-2")
			for i := 1; i <= 6; i++ {
				field := "cssrs-" + strconv.Itoa(i)
				switch vals.Get(field) {
				case "1":
					if i >= 3 && i <= 5 && q2 == "0" {
						errs[field] = fmt.Sprintf("You answered no to question 2, so leave question %d unanswered.", i)
					}
					qs = append(qs, answerPtr(true))
				case "0":
					qs = append(qs, answerPtr(false))
				default:
					// Questions 3 to 5 are asked only after a yes to question 2:
					// while question 2 is unanswered, only it is missing.
					if !(i >= 3 && i <= 5 && q2 != "1") {
						errs[field] = fmt.Sprintf("Answer question %d: yes or no.", i)
					}
					qs = append(qs, nil)
				}
			}
			scores, err := cssrsScores(qs)
			if err == nil {
				out = append(out, store.AssessmentInput{Instrument: name, Answers: scores})
			}
		default:
			id, _ := store.InstrumentID(name)
			def, _ := clinical.Lookup(id)
			var scores []int
			for _, item := range def.Items {
				field := name + "-" + item.LinkID
				v, err := strconv.Atoi(vals.Get(field))
				if err != nil {
					errs[field] = fmt.Sprintf("Answer question %s of %s.", item.LinkID, strings.SplitN(title, ":", 2)[0])
					continue
				}
				scores = append(scores, v)
			}
			out = append(out, store.AssessmentInput{Instrument: name, Answers: scores})
		}
	}
	return out, errs
}

func answerPtr[T any](v T) *T { return &v }

// optionalInt reads an optional whole number; bad is true when something
// that is not a whole number was typed.
func optionalInt(s string) (v *int, bad bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, false
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil, true
	}
	return &n, false
}

// item9Flagged reports whether a recorded PHQ-9 asks for the C-SSRS.
func item9Flagged(list []store.Assessment) bool {
	for _, as := range list {
		if slices.Contains(as.Flags, clinical.FlagPHQ9Item9) {
			return true
		}
	}
	return false
}

func crisisLines(cs []clinical.CrisisContact) []web.CrisisLine {
	var out []web.CrisisLine
	for _, c := range cs {
		out = append(out, web.CrisisLine{Name: c.Name, Number: c.Number, Kind: c.Kind, Detail: c.Detail})
	}
	return out
}
