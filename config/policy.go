package config

import (
	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// Policy hands the organisation to the domain. Each team's cards go to its
// Slack and Teams channels where those platforms are connected; with no
// platform at all they go to the log transport.
func (c *Config) Policy() *models.Policy {
	o := &c.Org
	p := &models.Policy{
		Location:       o.location,
		DefaultTeam:    o.DefaultTeam,
		SLA:            o.sla,
		Segments:       models.DefaultThresholds(),
		Themes:         o.themes,
		Admins:         o.Admins,
		RootCauses:     o.rootCauseIDs(),
		Labels:         o.labels(),
		Language:       o.Language,
		DigestLanguage: o.Digest.Language,
		Targets:        o.targets,
		Retention:      o.retention,

		EmailEnabled:     c.EmailEnabled(),
		CustomerMessages: o.messages,
	}
	p.ItemTitle = func(rootCause string) string {
		lang := p.TeamLanguage("")
		return l10n.T(lang, "backlog.item_title", "RootCause", p.RootCauseLabel(lang)(rootCause))
	}
	for name, s := range o.Segments {
		th := p.Segments[models.Metric(name)]
		if s.DetractorMax != nil {
			th.DetractorMax = *s.DetractorMax
		}
		if s.PromoterMin != nil {
			th.PromoterMin = *s.PromoterMin
		}
		p.Segments[models.Metric(name)] = th
	}
	slack, teams := c.SlackEnabled(), c.TeamsEnabled()
	for _, t := range o.Teams {
		tp := models.TeamPolicy{
			ID: t.ID, Name: t.Name, Members: t.Members, Managers: t.Managers, Champion: t.Champion,
			Assign: models.AssignStrategy(t.Assign), Hours: o.teamHours[t.ID], Location: o.teamLoc[t.ID], Holidays: t.Holidays,
			Targets:  o.teamTargets[t.ID],
			Language: t.Language,
			Burst:    *t.Burst, QuietHours: *t.QuietHours, Huddle: t.Huddle,
		}
		if slack && t.SlackChannel != "" {
			tp.Destinations = append(tp.Destinations, models.Destination{Transport: models.TransportSlack, Channel: t.SlackChannel})
		}
		if teams && t.TeamsChannel != "" {
			tp.Destinations = append(tp.Destinations, models.Destination{Transport: models.TransportTeams, Channel: t.TeamsChannel})
		}
		if !slack && !teams {
			tp.Destinations = []models.Destination{{Transport: models.TransportLog, Channel: t.ID}}
		}
		p.Teams = append(p.Teams, tp)
	}
	for _, r := range o.Routes {
		when := map[string][]string{}
		for k, v := range r.When {
			when[k] = v
		}
		p.Routes = append(p.Routes, models.Route{When: when, Team: r.Team, Urgent: r.Urgent})
	}
	p.DMTransports = c.Transports()
	p.Away = models.AwayStatus{Emoji: o.Away.StatusEmoji, Words: o.Away.StatusWords}
	switch {
	case slack && o.Kudos.SlackChannel != "":
		p.KudosDestinations = append(p.KudosDestinations, models.Destination{Transport: models.TransportSlack, Channel: o.Kudos.SlackChannel})
	case !slack && !teams && (o.Kudos.SlackChannel != "" || o.Kudos.TeamsChannel != ""):
		p.KudosDestinations = append(p.KudosDestinations, models.Destination{Transport: models.TransportLog, Channel: "kudos"})
	}
	if teams && o.Kudos.TeamsChannel != "" {
		p.KudosDestinations = append(p.KudosDestinations, models.Destination{Transport: models.TransportTeams, Channel: o.Kudos.TeamsChannel})
	}
	return p
}

func (o *Org) rootCauseIDs() []string {
	ids := make([]string, len(o.RootCauses))
	for i, r := range o.RootCauses {
		ids[i] = r.ID
	}
	return ids
}

// labels gathers the per-language labels of root causes and themes.
func (o *Org) labels() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, r := range o.RootCauses {
		if len(r.Labels) > 0 {
			out[r.ID] = r.Labels
		}
	}
	for _, t := range o.themes {
		if len(t.Labels) > 0 {
			out[t.Name] = t.Labels
		}
	}
	return out
}

// Transports lists the connected platforms, or the log transport when none is.
func (c *Config) Transports() []string {
	var out []string
	if c.SlackEnabled() {
		out = append(out, models.TransportSlack)
	}
	if c.TeamsEnabled() {
		out = append(out, models.TransportTeams)
	}
	if len(out) == 0 {
		out = []string{models.TransportLog}
	}
	return out
}
