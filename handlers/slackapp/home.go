package slackapp

import (
	"context"
	"sort"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/l10n"
	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/handlers/chatops"
	"github.com/cxloop/cxloop/models"
)

// How many cases each Home tab list shows; the rest are counted.
const (
	homeMine = 20
	homeTeam = 10
)

// publishHome publishes the App Home tab of a Slack user: their open cases,
// soonest due first, with their buttons; their teams' overdue cases; and,
// for managers (admins count as managers of every team), the cases nobody
// owns.
func (a *App) publishHome(ctx context.Context, userID string) {
	if !cxslack.IsUserID(userID) {
		return
	}
	view, err := a.homeView(ctx, userID)
	if err != nil {
		a.Log.Error("slack: build the Home tab", "user", userID, "err", err)
		return
	}
	req := slackgo.PublishViewContextRequest{UserID: userID, View: view}
	if _, err := a.Messenger.API().PublishViewContext(ctx, req); err != nil {
		a.Log.Warn("slack: publish the Home tab", "user", userID, "err", err)
	}
}

func (a *App) homeView(ctx context.Context, userID string) (slackgo.HomeTabViewRequest, error) {
	email, err := a.Directory.Email(ctx, userID)
	if err != nil {
		lang := a.Policy.TeamLanguage("")
		return cxslack.HomeView(lang, cxslack.Escape(l10n.T(lang, "slack.who_are_you")), nil, nil), nil
	}
	lang := a.Directory.Lang(ctx, email, a.Policy.PersonLanguage(email))
	var memberOf, manages []string
	admin := a.Policy.IsAdmin(email)
	for _, t := range a.Policy.Teams {
		switch {
		case admin || t.IsManager(email):
			manages = append(manages, t.ID)
			memberOf = append(memberOf, t.ID)
		case t.IsMember(email):
			memberOf = append(memberOf, t.ID)
		}
	}
	mine, err := a.Store.Cases(ctx, models.CaseFilter{Owner: email, States: models.OpenStates, Limit: 200})
	if err != nil {
		return slackgo.HomeTabViewRequest{}, err
	}
	sortByNextDue(mine)
	sections := []cxslack.HomeSection{a.homeSection(ctx, lang, "mine", l10n.T(lang, "home.mine.title"), l10n.T(lang, "home.mine.empty"), mine, homeMine)}
	if len(memberOf) > 0 {
		yes := true
		overdue, err := a.Store.Cases(ctx, models.CaseFilter{TeamIDs: memberOf, States: models.OpenStates, Overdue: &yes, Limit: 200})
		if err != nil {
			return slackgo.HomeTabViewRequest{}, err
		}
		sortByNextDue(overdue)
		sections = append(sections, a.homeSection(ctx, lang, "overdue", l10n.T(lang, "home.overdue.title"), l10n.T(lang, "home.overdue.empty"), overdue, homeTeam))
	}
	if len(manages) > 0 {
		unowned, err := a.Store.Cases(ctx, models.CaseFilter{TeamIDs: manages, States: []models.CaseState{models.StateOpen}, Limit: 200})
		if err != nil {
			return slackgo.HomeTabViewRequest{}, err
		}
		sortByNextDue(unowned)
		sections = append(sections, a.homeSection(ctx, lang, "unowned", l10n.T(lang, "home.unowned.title"), l10n.T(lang, "home.unowned.empty"), unowned, homeTeam))
	}
	owners := map[string]string{}
	for _, s := range sections {
		for _, c := range s.Cards {
			key := strings.ToLower(c.Owner)
			if _, done := owners[key]; done || key == "" {
				continue
			}
			owners[key] = ""
			if id, err := a.Directory.UserID(ctx, key); err == nil {
				owners[key] = id
			}
		}
	}
	intro := cxslack.Escape(chatops.AwayLine(ctx, a.Store, a.Policy.Location, a.Clock.Now(), email, lang)) + l10n.T(lang, "home.intro") + "\n_" + l10n.T(lang, "home.updated", "Date", cxslack.DateText(lang, a.Clock.Now())) + "_"
	return cxslack.HomeView(lang, intro, sections, owners), nil
}

func (a *App) homeSection(ctx context.Context, lang, key, title, empty string, cases []models.Case, limit int) cxslack.HomeSection {
	s := cxslack.HomeSection{Key: key, Title: title, Empty: empty}
	for i, c := range cases {
		if i == limit {
			s.More = len(cases) - limit
			break
		}
		v, err := a.Store.CaseView(ctx, c.ID)
		if err != nil {
			continue
		}
		card := bot.NewCardAt(v, a.Policy, a.Clock.Now())
		card.Lang = lang
		s.Cards = append(s.Cards, card)
	}
	return s
}

// sortByNextDue orders cases by the follow-up due next: the thank-you until
// it is logged, then the resolution.
func sortByNextDue(cases []models.Case) {
	next := func(c models.Case) time.Time {
		if c.ThankedAt == nil && c.State != models.StateThanked {
			return c.ThankYouDueAt
		}
		return c.ResolutionDueAt
	}
	sort.SliceStable(cases, func(i, j int) bool {
		ni, nj := next(cases[i]), next(cases[j])
		if !ni.Equal(nj) {
			return ni.Before(nj)
		}
		return cases[i].ID < cases[j].ID
	})
}
