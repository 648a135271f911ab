package server

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ketacare/ketacare/internal/clinical"
)

// fhirQuestionnaire is a built-in instrument as a FHIR R4 Questionnaire.
type fhirQuestionnaire struct {
	ResourceType string          `json:"resourceType"`
	ID           string          `json:"id"`
	URL          string          `json:"url"`
	Name         string          `json:"name"`
	Title        string          `json:"title"`
	Status       string          `json:"status"`
	SubjectType  []string        `json:"subjectType"`
	Description  string          `json:"description,omitempty"`
	Copyright    string          `json:"copyright,omitempty"`
	Code         []fhirCoding    `json:"code,omitempty"`
	Item         []fhirQuestItem `json:"item"`
}

func (q fhirQuestionnaire) fhirPath() string { return "Questionnaire/" + q.ID }

type fhirQuestItem struct {
	LinkID       string             `json:"linkId"`
	Code         []fhirCoding       `json:"code,omitempty"`
	Text         string             `json:"text,omitempty"`
	Type         string             `json:"type"`
	Required     bool               `json:"required"`
	EnableWhen   []fhirEnableWhen   `json:"enableWhen,omitempty"`
	EnableBehav  string             `json:"enableBehavior,omitempty"`
	AnswerOption []fhirAnswerOption `json:"answerOption,omitempty"`
}

type fhirEnableWhen struct {
	Question     string      `json:"question"`
	Operator     string      `json:"operator"`
	AnswerCoding *fhirCoding `json:"answerCoding,omitempty"`
	AnswerInt    *int        `json:"answerInteger,omitempty"`
}

type fhirAnswerOption struct {
	ValueCoding  *fhirCoding `json:"valueCoding,omitempty"`
	ValueInteger *int        `json:"valueInteger,omitempty"`
}

// answerValue is an answer option as a Questionnaire states it: a coding
// (LOINC answer code where there is one, else the score as code) carrying
// its score as ordinalValue, or the bare score when the option has no
// label.
// answerValue is an answer option with the score it adds to the total
// (score: the option's own, or its reverse on a reverse-scored item).
func answerValue(o clinical.AnswerOption, score float64) fhirAnswerOption {
	if o.Label == "" {
		return fhirAnswerOption{ValueInteger: intPtr(o.Score)}
	}
	c := fhirCoding{Extension: []fhirExtension{{URL: fhirOrdinalValue, ValueDecimal: &score}}, Code: strconv.Itoa(o.Score), Display: o.Label}
	if o.LOINC != "" {
		c.System, c.Code = fhirLOINC, o.LOINC
	}
	return fhirAnswerOption{ValueCoding: &c}
}

func toFHIRQuestionnaire(def clinical.Instrument) fhirQuestionnaire {
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, strings.ToUpper(def.ID))
	q := fhirQuestionnaire{ResourceType: "Questionnaire", ID: def.ID, URL: fhirQuestionnaireURL + def.ID, Name: name, Title: def.Name,
		Status: "active", SubjectType: []string{"Patient"}, Copyright: def.Licence}
	if def.Recall != "" {
		q.Description = "Answers cover " + def.Recall + "."
	}
	if def.LOINC != "" {
		q.Code = []fhirCoding{loinc(def.LOINC, def.Name)}
	}
	for _, it := range def.Items {
		item := fhirQuestItem{LinkID: it.LinkID, Text: it.Text, Type: "choice", Required: true}
		if it.LOINC != "" {
			item.Code = []fhirCoding{loinc(it.LOINC, it.Text)}
		}
		lo, hi := it.Options[0].Score, it.Options[0].Score
		for _, o := range it.Options {
			lo, hi = min(lo, o.Score), max(hi, o.Score)
		}
		reversed := slices.Contains(def.Scoring.Reverse, it.LinkID)
		for _, o := range it.Options {
			score := o.Score
			if reversed {
				score = lo + hi - o.Score
			}
			item.AnswerOption = append(item.AnswerOption, answerValue(o, float64(score)))
		}
		// A skip rule leaves the item unasked after one answer of another.
		for _, sk := range def.Scoring.Skip {
			for _, id := range sk.Skip {
				if id != it.LinkID {
					continue
				}
				for _, other := range def.Items {
					for _, o := range other.Options {
						if other.LinkID != sk.When || o.Score != sk.Equals {
							continue
						}
						ew := fhirEnableWhen{Question: sk.When, Operator: "!="}
						if v := answerValue(o, float64(o.Score)); v.ValueCoding != nil {
							c := *v.ValueCoding
							c.Extension = nil
							ew.AnswerCoding = &c
						} else {
							ew.AnswerInt = v.ValueInteger
						}
						item.EnableWhen = append(item.EnableWhen, ew)
						item.Required = false
					}
				}
			}
		}
		if len(item.EnableWhen) > 1 {
			item.EnableBehav = "all"
		}
		q.Item = append(q.Item, item)
	}
	return q
}

func (s *Server) fhirQuestionnaireRead(w http.ResponseWriter, r *http.Request) error {
	def, ok := clinical.Lookup(r.PathValue("id"))
	if !ok {
		return notFoundError("Questionnaire")
	}
	writeFHIR(w, http.StatusOK, toFHIRQuestionnaire(def))
	return nil
}

func (s *Server) fhirQuestionnaireSearch(w http.ResponseWriter, r *http.Request) error {
	p, err := parseFHIRParams(r, "_id", "url")
	if err != nil {
		return err
	}
	ids, urls := p.list("_id"), p.list("url")
	var all []fhirQuestionnaire
	for _, def := range clinical.Builtins() {
		q := toFHIRQuestionnaire(def)
		if (len(ids) == 0 || slices.Contains(ids, q.ID)) && (len(urls) == 0 || slices.Contains(urls, q.URL)) {
			all = append(all, q)
		}
	}
	writeFHIR(w, http.StatusOK, s.bundle(r, p, "Questionnaire", len(all), pageOf(p, all)))
	return nil
}
