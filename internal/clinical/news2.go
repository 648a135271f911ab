package clinical

import "time"

// The NEWS2 parameters, as named in NEWS2Result.Subscores and Missing.
const (
	NEWS2RespRate      = "respRate"
	NEWS2SpO2          = "spo2"
	NEWS2AirOrOxygen   = "airOrOxygen"
	NEWS2Systolic      = "systolic"
	NEWS2Pulse         = "pulse"
	NEWS2Consciousness = "consciousness"
	NEWS2TempC         = "tempC"
)

// NEWS2Parameters lists the seven NEWS2 parameters in chart order.
var NEWS2Parameters = []string{
	NEWS2RespRate, NEWS2SpO2, NEWS2AirOrOxygen, NEWS2Systolic, NEWS2Pulse, NEWS2Consciousness, NEWS2TempC,
}

// NEWS2ParameterNames names the parameters as the RCP chart does.
var NEWS2ParameterNames = map[string]string{
	NEWS2RespRate: "Respiration rate", NEWS2SpO2: "SpO2", NEWS2AirOrOxygen: "Air or oxygen", NEWS2Systolic: "Systolic blood pressure",
	NEWS2Pulse: "Pulse", NEWS2Consciousness: "Consciousness", NEWS2TempC: "Temperature",
}

// The NEWS2 clinical responses.
const (
	NEWS2Low       = "low"
	NEWS2Urgent    = "urgent"
	NEWS2Emergency = "emergency"
)

// NEWS2Inputs holds one value for each NEWS2 parameter; nil (or empty for
// Consciousness) when the parameter is missing.
type NEWS2Inputs struct {
	RespRate      *int     `json:"respRate,omitempty"`
	SpO2          *int     `json:"spo2,omitempty"`
	OnOxygen      *bool    `json:"onOxygen,omitempty"`
	Systolic      *int     `json:"systolic,omitempty"`
	Pulse         *int     `json:"pulse,omitempty"`
	Consciousness string   `json:"consciousness,omitempty"`
	TempC         *float64 `json:"tempC,omitempty"`
}

// NEWS2Result is a NEWS2 score. Subscores holds the score of each parameter
// that was present. Total and Response are set only when Complete, that is
// when all seven parameters were present; otherwise Missing names the
// parameters that were not.
type NEWS2Result struct {
	Total     int            `json:"total"`
	Subscores map[string]int `json:"subscores"`
	Response  string         `json:"response,omitempty"` // NEWS2Low, NEWS2Urgent or NEWS2Emergency
	Scale2    bool           `json:"scale2"`             // scored with SpO2 scale 2
	Complete  bool           `json:"complete"`
	Missing   []string       `json:"missing,omitempty"`
}

// LatestNEWS2Inputs picks, for each NEWS2 parameter, its latest value
// recorded in obs within the protocol's window: at or after now minus
// NEWS2.WindowMinutes and not after now. Each parameter is picked on its
// own, so the values may come from different observations.
func LatestNEWS2Inputs(p MonitoringProtocol, obs []Observation, now time.Time) NEWS2Inputs {
	from := now.Add(-monitorMinutes(p.NEWS2.WindowMinutes))
	latest := func(has func(Observation) bool) (Observation, bool) {
		return latestObservation(obs, from, now, has)
	}
	var in NEWS2Inputs
	if o, ok := latest(func(o Observation) bool { return o.RespRate != nil }); ok {
		in.RespRate = o.RespRate
	}
	if o, ok := latest(func(o Observation) bool { return o.SpO2 != nil }); ok {
		in.SpO2 = o.SpO2
	}
	if o, ok := latest(func(o Observation) bool { return o.OnOxygen != nil }); ok {
		in.OnOxygen = o.OnOxygen
	}
	if o, ok := latest(func(o Observation) bool { return o.Systolic != nil }); ok {
		in.Systolic = o.Systolic
	}
	if o, ok := latest(func(o Observation) bool { return o.Pulse != nil }); ok {
		in.Pulse = o.Pulse
	}
	if o, ok := latest(func(o Observation) bool { return o.Consciousness != "" }); ok {
		in.Consciousness = o.Consciousness
	}
	if o, ok := latest(func(o Observation) bool { return o.TempC != nil }); ok {
		in.TempC = o.TempC
	}
	return in
}

// NEWS2 scores in against the protocol's chart, with SpO2 scale 2 when
// scale2 is set (only for patients a clinician has marked as having a target
// SpO2 of 88–92 %). NEWS2 is computed only from a complete set: ok is false
// when any of the seven parameters is missing, and the result then lists
// what is missing (the subscores of the parameters present are still given).
// On scale 2 the SpO2 score depends on air or oxygen, so it is left out when
// that is unknown.
func NEWS2(p MonitoringProtocol, in NEWS2Inputs, scale2 bool) (NEWS2Result, bool) {
	c := p.NEWS2
	r := NEWS2Result{Subscores: map[string]int{}, Scale2: scale2}
	score := func(name string, present bool, s func() int) {
		if present {
			r.Subscores[name] = s()
		} else {
			r.Missing = append(r.Missing, name)
		}
	}
	score(NEWS2RespRate, in.RespRate != nil, func() int { return news2BandScore(c.RespRate, in.RespRate) })
	score(NEWS2SpO2, in.SpO2 != nil && (!scale2 || in.OnOxygen != nil), func() int {
		switch {
		case !scale2:
			return news2BandScore(c.SpO2Scale1, in.SpO2)
		case *in.OnOxygen:
			return news2BandScore(c.SpO2Scale2Oxygen, in.SpO2)
		default:
			return news2BandScore(c.SpO2Scale2Air, in.SpO2)
		}
	})
	score(NEWS2AirOrOxygen, in.OnOxygen != nil, func() int {
		if *in.OnOxygen {
			return c.OxygenScore
		}
		return 0
	})
	score(NEWS2Systolic, in.Systolic != nil, func() int { return news2BandScore(c.Systolic, in.Systolic) })
	score(NEWS2Pulse, in.Pulse != nil, func() int { return news2BandScore(c.Pulse, in.Pulse) })
	_, knownLevel := c.Consciousness[in.Consciousness]
	score(NEWS2Consciousness, knownLevel, func() int { return c.Consciousness[in.Consciousness] })
	score(NEWS2TempC, in.TempC != nil, func() int { return news2BandScoreFloat(c.TempC, *in.TempC) })

	if len(r.Missing) > 0 {
		return r, false
	}
	r.Complete = true
	single := 0
	for _, s := range r.Subscores {
		r.Total += s
		single = max(single, s)
	}
	switch {
	case r.Total >= c.EmergencyTotal:
		r.Response = NEWS2Emergency
	case r.Total >= c.UrgentTotal || single >= c.UrgentSingle:
		r.Response = NEWS2Urgent
	default:
		r.Response = NEWS2Low
	}
	return r, true
}

// SessionNEWS2 scores the latest values recorded in obs within the window
// ending at now: NEWS2(p, LatestNEWS2Inputs(p, obs, now), scale2).
func SessionNEWS2(p MonitoringProtocol, obs []Observation, now time.Time, scale2 bool) (NEWS2Result, bool) {
	return NEWS2(p, LatestNEWS2Inputs(p, obs, now), scale2)
}

func news2BandScore(bands []NEWS2Band, v *int) int {
	return news2BandScoreFloat(bands, float64(*v))
}

// news2BandScoreFloat returns the score of the first band whose upper bound
// is at or above v (the last band is open).
func news2BandScoreFloat(bands []NEWS2Band, v float64) int {
	for _, b := range bands {
		if b.UpTo == nil || v <= *b.UpTo {
			return b.Score
		}
	}
	// Only reached with an invalid chart (no open last band).
	return 0
}

func monitorMinutes(n int) time.Duration { return time.Duration(n) * time.Minute }
