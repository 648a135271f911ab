// Package clinical holds ketacare's clinical core: the versioned protocol
// (every threshold the product uses), instrument scoring, screening, NEWS2,
// in-session alert rules, the discharge gate, anxiety classification and
// callback triage. It is plain Go with no I/O: pure functions over plain
// types, so the clinical rules are easy to read, test and change.
package clinical

import "errors"

// Protocol is one version of the clinic's protocol: every clinical number
// the product uses. It is stored as a JSON document per version; later
// capabilities read every threshold from here, never from code constants.
type Protocol struct {
	Screening  ScreeningProtocol  `json:"screening"`
	Monitoring MonitoringProtocol `json:"monitoring"`
	Discharge  DischargeProtocol  `json:"discharge"`
	Followup   FollowupProtocol   `json:"followup"`
	Callback   CallbackProtocol   `json:"callback"`
	Reports    ReportsProtocol    `json:"reports"`
}

// Default returns the shipped protocol: the defaults of the clinical
// protocol reference.
func Default() Protocol {
	return Protocol{
		Screening:  defaultScreening(),
		Monitoring: defaultMonitoring(),
		Discharge:  defaultDischarge(),
		Followup:   defaultFollowup(),
		Callback:   defaultCallback(),
		Reports:    DefaultReports(),
	}
}

// Validate reports every inconsistency in the protocol (negative intervals,
// bands out of order, ...), so a bad version is never stored.
func (p Protocol) Validate() error {
	return errors.Join(
		p.Screening.validate(),
		p.Monitoring.validate(),
		p.Discharge.validate(),
		p.Followup.validate(),
		p.Callback.validate(),
		p.Reports.validate(),
	)
}
