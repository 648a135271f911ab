package clinical

import (
	"errors"
	"fmt"
)

// ScreeningProtocol holds every number used to screen a patient before the
// first dose: susceptibility points and levels, contraindications that block
// dosing, and the findings that need a prescriber's review.
type ScreeningProtocol struct {
	// Susceptibility points. A GAD-7 total at or above GAD7HighMin scores
	// GAD7HighPoints; otherwise a total at or above GAD7RaisedMin scores
	// GAD7RaisedPoints.
	GAD7HighMin      int `json:"gad7HighMin"`
	GAD7HighPoints   int `json:"gad7HighPoints"`
	GAD7RaisedMin    int `json:"gad7RaisedMin"`
	GAD7RaisedPoints int `json:"gad7RaisedPoints"`
	// PHQ9HighPoints are scored for a PHQ-9 total at or above PHQ9HighMin.
	PHQ9HighMin    int `json:"phq9HighMin"`
	PHQ9HighPoints int `json:"phq9HighPoints"`
	// AnxietyDisorderPoints are scored once for a history of anxiety
	// disorder, panic disorder or both.
	AnxietyDisorderPoints int `json:"anxietyDisorderPoints"`
	// KetamineReactionPoints: prior adverse reaction to ketamine or another
	// dissociative.
	KetamineReactionPoints int `json:"ketamineReactionPoints"`
	SubstanceUsePoints     int `json:"substanceUsePoints"`
	PsychostimulantPoints  int `json:"psychostimulantPoints"`

	// Susceptibility levels: points below ModerateMin are low, below
	// HighMin moderate, and from HighMin high.
	ModerateMin int `json:"moderateMin"`
	HighMin     int `json:"highMin"`

	// Contraindication: a baseline systolic at or above BlockSystolicMin, or
	// a diastolic at or above BlockDiastolicMin, blocks dosing.
	BlockSystolicMin  int `json:"blockSystolicMin"`
	BlockDiastolicMin int `json:"blockDiastolicMin"`

	// Prescriber review: a baseline systolic above ReviewSystolicAbove or a
	// diastolic above ReviewDiastolicAbove; age at or above ReviewAgeMin;
	// fewer than ReviewFirstSessions dosing sessions completed.
	ReviewSystolicAbove  int `json:"reviewSystolicAbove"`
	ReviewDiastolicAbove int `json:"reviewDiastolicAbove"`
	ReviewAgeMin         int `json:"reviewAgeMin"`
	ReviewFirstSessions  int `json:"reviewFirstSessions"`
	// ReviewMedicines lists the current medicines (Medicine codes) that ask
	// for a prescriber's look before dosing.
	ReviewMedicines []Medicine `json:"reviewMedicines"`
}

func defaultScreening() ScreeningProtocol {
	return ScreeningProtocol{
		GAD7HighMin:            10,
		GAD7HighPoints:         2,
		GAD7RaisedMin:          5,
		GAD7RaisedPoints:       1,
		PHQ9HighMin:            20,
		PHQ9HighPoints:         1,
		AnxietyDisorderPoints:  2,
		KetamineReactionPoints: 3,
		SubstanceUsePoints:     1,
		PsychostimulantPoints:  1,

		ModerateMin: 2,
		HighMin:     4,

		BlockSystolicMin:  180,
		BlockDiastolicMin: 110,

		ReviewSystolicAbove:  140,
		ReviewDiastolicAbove: 90,
		ReviewAgeMin:         65,
		ReviewFirstSessions:  3,
		// MAOIs and psychostimulants can add to ketamine's rise in blood
		// pressure; benzodiazepines, other sedatives and opioids add sedation.
		ReviewMedicines: []Medicine{MedicineMAOI, MedicinePsychostimulant, MedicineBenzodiazepine, MedicineSedative, MedicineOpioid},
	}
}

func (p ScreeningProtocol) validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf("screening: "+format, args...))
		}
	}
	points := []struct {
		name string
		v    int
	}{
		{"gad7HighPoints", p.GAD7HighPoints}, {"gad7RaisedPoints", p.GAD7RaisedPoints},
		{"phq9HighPoints", p.PHQ9HighPoints}, {"anxietyDisorderPoints", p.AnxietyDisorderPoints},
		{"ketamineReactionPoints", p.KetamineReactionPoints}, {"substanceUsePoints", p.SubstanceUsePoints},
		{"psychostimulantPoints", p.PsychostimulantPoints},
	}
	for _, pt := range points {
		check(pt.v >= 0, "%s must not be negative (got %d)", pt.name, pt.v)
	}
	check(p.GAD7RaisedMin >= 1 && p.GAD7RaisedMin < p.GAD7HighMin && p.GAD7HighMin <= 21,
		"GAD-7 thresholds must satisfy 1 ≤ gad7RaisedMin < gad7HighMin ≤ 21 (got %d, %d)", p.GAD7RaisedMin, p.GAD7HighMin)
	check(p.PHQ9HighMin >= 1 && p.PHQ9HighMin <= 27, "phq9HighMin must be 1–27 (got %d)", p.PHQ9HighMin)
	check(p.ModerateMin >= 1 && p.ModerateMin < p.HighMin,
		"levels must satisfy 1 ≤ moderateMin < highMin (got %d, %d)", p.ModerateMin, p.HighMin)
	check(p.ReviewSystolicAbove > p.ReviewDiastolicAbove && p.ReviewDiastolicAbove > 0,
		"review blood pressure %d/%d is not a plausible systolic/diastolic pair", p.ReviewSystolicAbove, p.ReviewDiastolicAbove)
	check(p.BlockSystolicMin > p.ReviewSystolicAbove,
		"blockSystolicMin (%d) must be above reviewSystolicAbove (%d)", p.BlockSystolicMin, p.ReviewSystolicAbove)
	check(p.BlockDiastolicMin > p.ReviewDiastolicAbove,
		"blockDiastolicMin (%d) must be above reviewDiastolicAbove (%d)", p.BlockDiastolicMin, p.ReviewDiastolicAbove)
	check(p.ReviewAgeMin > 0 && p.ReviewAgeMin < 130, "reviewAgeMin must be 1–129 (got %d)", p.ReviewAgeMin)
	check(p.ReviewFirstSessions >= 0, "reviewFirstSessions must not be negative (got %d)", p.ReviewFirstSessions)
	seen := map[Medicine]bool{}
	for _, m := range p.ReviewMedicines {
		check(m.known(), "reviewMedicines: unknown medicine %q", m)
		check(!seen[m], "reviewMedicines: %q listed twice", m)
		seen[m] = true
	}
	return errors.Join(errs...)
}
