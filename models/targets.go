package models

import "math"

// Targets are the goals the digest holds the month against. A nil field has
// no target. Shares are 0..1; NPS is in points.
type Targets struct {
	NPS           *float64
	ThankedInSLA  *float64
	ResolvedInSLA *float64
}

// Empty reports whether no target is set.
func (t Targets) Empty() bool { return t.NPS == nil && t.ThankedInSLA == nil && t.ResolvedInSLA == nil }

// Or fills the targets t leaves unset from def: a team inherits the
// organisation's targets it does not set itself.
func (t Targets) Or(def Targets) Targets {
	if t.NPS == nil {
		t.NPS = def.NPS
	}
	if t.ThankedInSLA == nil {
		t.ThankedInSLA = def.ThankedInSLA
	}
	if t.ResolvedInSLA == nil {
		t.ResolvedInSLA = def.ResolvedInSLA
	}
	return t
}

// TeamTargets are a team's targets, the organisation's where the team sets none.
func (p *Policy) TeamTargets(id string) Targets {
	if t, ok := p.Team(id); ok {
		return t.Targets.Or(p.Targets)
	}
	return p.Targets
}

// Verdict says how an actual compares with its target.
type Verdict int

const (
	NoTarget           Verdict = iota // no target, or nothing measured
	Met                               // actual ≥ target
	Missed                            // below target, but within the margin of error
	MissedBeyondMargin                // below target by more than the margin of error
)

// TargetCheck is one actual beside its target, in the target's unit
// (points for NPS, 0..1 for shares).
type TargetCheck struct {
	Target, Actual float64
	// Margin is the 95% margin of error of the actual.
	Margin  float64
	Verdict Verdict
}

// Gap is how far the actual is below the target (negative when above).
func (c TargetCheck) Gap() float64 { return c.Target - c.Actual }

// CheckNPS compares an NPS with its target; a sample under MinResponses
// is not judged.
func CheckNPS(target *float64, n NPS) TargetCheck {
	if target == nil || n.TooFew() {
		return TargetCheck{}
	}
	return judge(*target, n.Score(), n.Margin())
}

// CheckShare compares in/of with a target share; fewer than MinResponses
// cases due are not judged. The margin is the normal approximation of a
// proportion's 95% interval, 1.96·sqrt(p(1−p)/n).
func CheckShare(target *float64, in, of int64) TargetCheck {
	if target == nil || of < MinResponses {
		return TargetCheck{}
	}
	p := float64(in) / float64(of)
	return judge(*target, p, z95*math.Sqrt(p*(1-p)/float64(of)))
}

func judge(target, actual, margin float64) TargetCheck {
	c := TargetCheck{Target: target, Actual: actual, Margin: margin, Verdict: Met}
	switch {
	case actual >= target:
	case target-actual > margin:
		c.Verdict = MissedBeyondMargin
	default:
		c.Verdict = Missed
	}
	return c
}
