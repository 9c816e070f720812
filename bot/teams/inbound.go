package teams

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/infracloudio/msbotbuilder-go/core"

	"github.com/cxloop/cxloop/models"
)

// NewAdapter returns msbotbuilder-go's adapter with both of its unsafe parts
// replaced: the Validator checks every token (TokenValidator field) and the
// Connector sends with timeouts and classified errors (Client field).
// ParseRequest on it decodes an activity and authenticates it.
func NewAdapter(appID, password string, v *Validator, c *Connector) *core.BotFrameworkAdapter {
	return &core.BotFrameworkAdapter{
		AdapterSetting: core.AdapterSetting{AppID: appID, AppPassword: password,
			CredentialProvider: Credentials{AppID: appID, Password: password}},
		TokenValidator: v,
		Client:         c,
	}
}

// Activity types and names the bot handles.
const (
	TypeMessage            = "message"
	TypeInvoke             = "invoke"
	TypeConversationUpdate = "conversationUpdate"
	InvokeCardAction       = "adaptiveCard/action"
	// ChannelID is the channelId of activities from Teams.
	ChannelID = "msteams"
)

// Inbound is an activity as cxloop reads it. msbotbuilder-go's
// schema.Activity drops what a mention names and fails on non-object values,
// so the fields cxloop needs are decoded here from the same body.
type Inbound struct {
	Type         string          `json:"type"`
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	ServiceURL   string          `json:"serviceUrl"`
	ChannelID    string          `json:"channelId"`
	Text         string          `json:"text"`
	ReplyToID    string          `json:"replyToId"`
	From         Account         `json:"from"`
	Recipient    Account         `json:"recipient"`
	Conversation InConversation  `json:"conversation"`
	MembersAdd   []Account       `json:"membersAdded"`
	MembersRem   []Account       `json:"membersRemoved"`
	Entities     []Entity        `json:"entities"`
	ChannelData  InChannelData   `json:"channelData"`
	Value        json.RawMessage `json:"value"`
	// Locale is the sender's client locale ("pl-PL").
	Locale string `json:"locale"`
}

// InConversation is an activity's conversation.
type InConversation struct {
	ID               string `json:"id"`
	ConversationType string `json:"conversationType"`
	TenantID         string `json:"tenantId"`
	IsGroup          bool   `json:"isGroup"`
}

// Entity is an activity entity; mentions name who is mentioned.
type Entity struct {
	Type      string  `json:"type"`
	Text      string  `json:"text"`
	Mentioned Account `json:"mentioned"`
}

// InChannelData is Teams' channelData.
type InChannelData struct {
	EventType      string `json:"eventType"`
	TeamsTeamID    string `json:"teamsTeamId"`
	TeamsChannelID string `json:"teamsChannelId"`
	Team           *Named `json:"team"`
	Channel        *Named `json:"channel"`
	Tenant         *Named `json:"tenant"`
}

// Named is an id with an optional name.
type Named struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ParseInbound decodes an activity body.
func ParseInbound(body []byte) (*Inbound, error) {
	var in Inbound
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("teams activity: %w", err)
	}
	if in.Type == "" {
		return nil, errors.New("teams activity: no type")
	}
	return &in, nil
}

// TeamID is the team of a channel activity ("" elsewhere).
func (in *Inbound) TeamID() string {
	if in.ChannelData.Team != nil && in.ChannelData.Team.ID != "" {
		return in.ChannelData.Team.ID
	}
	return in.ChannelData.TeamsTeamID
}

// TeamName is the team's name when the activity carries it.
func (in *Inbound) TeamName() string {
	if in.ChannelData.Team != nil {
		return in.ChannelData.Team.Name
	}
	return ""
}

// TenantID is the activity's tenant.
func (in *Inbound) TenantID() string {
	if in.ChannelData.Tenant != nil && in.ChannelData.Tenant.ID != "" {
		return in.ChannelData.Tenant.ID
	}
	return in.Conversation.TenantID
}

// ThreadRoot is the conversation id without a ;messageid= suffix: for a
// channel, the channel's id.
func (in *Inbound) ThreadRoot() string {
	id, _, _ := strings.Cut(in.Conversation.ID, ";messageid=")
	return id
}

// ChannelIDOf is the channel of a channel activity ("" elsewhere).
func (in *Inbound) ChannelIDOf() string {
	if in.Conversation.ConversationType != "channel" {
		return ""
	}
	if in.ChannelData.Channel != nil && in.ChannelData.Channel.ID != "" {
		return in.ChannelData.Channel.ID
	}
	if in.ChannelData.TeamsChannelID != "" {
		return in.ChannelData.TeamsChannelID
	}
	return in.ThreadRoot()
}

// Personal reports whether the activity comes from a 1:1 chat.
func (in *Inbound) Personal() bool { return in.Conversation.ConversationType == "personal" }

// BotAdded reports whether the bot is among the members added.
func (in *Inbound) BotAdded() bool { return containsAccount(in.MembersAdd, in.Recipient.ID) }

// BotRemoved reports whether the bot is among the members removed.
func (in *Inbound) BotRemoved() bool { return containsAccount(in.MembersRem, in.Recipient.ID) }

func containsAccount(l []Account, id string) bool {
	for _, a := range l {
		if id != "" && a.ID == id {
			return true
		}
	}
	return false
}

// Reference is the conversation reference the activity gives: the channel
// (for channel activities) or the chat it came from.
func (in *Inbound) Reference() (Conversation, bool) {
	c := Conversation{TenantID: in.TenantID(), ServiceURL: in.ServiceURL, BotID: in.Recipient.ID,
		BotName: in.Recipient.Name, Installed: true}
	switch in.Conversation.ConversationType {
	case "channel":
		c.ID, c.Kind, c.TeamID, c.TeamName = in.ChannelIDOf(), models.ConversationChannel, in.TeamID(), in.TeamName()
		if in.ChannelData.Channel != nil {
			c.ChannelName = in.ChannelData.Channel.Name
		}
		if c.TeamID == "" {
			return c, false
		}
	case "personal":
		c.ID, c.Kind, c.UserID, c.AADObjectID = in.Conversation.ID, models.ConversationPersonal, in.From.ID, in.From.AADObjectID
	case "groupChat":
		c.ID, c.Kind = in.Conversation.ID, models.ConversationGroup
	default:
		return c, false
	}
	return c, c.ID != "" && c.ServiceURL != "" && c.BotID != ""
}

// Command is the text of a command addressed to the bot: the bot's mention
// removed, and every other mention replaced by a one-word placeholder
// ("@mention1") that People maps to the mentioned user's id.
type Command struct {
	Line   string
	People map[string]string // placeholder → 29:… user id
}

// CommandText extracts the command from a message.
func (in *Inbound) CommandText() Command {
	text := in.Text
	cmd := Command{People: map[string]string{}}
	n := 0
	for _, e := range in.Entities {
		if e.Type != "mention" || e.Text == "" {
			continue
		}
		if e.Mentioned.ID == in.Recipient.ID {
			text = strings.Replace(text, e.Text, " ", 1)
			continue
		}
		n++
		ph := fmt.Sprintf("@mention%d", n)
		cmd.People[ph] = e.Mentioned.ID
		text = strings.Replace(text, e.Text, " "+ph+" ", 1)
	}
	text = strings.ReplaceAll(text, "&nbsp;", " ")
	cmd.Line = strings.Join(strings.Fields(text), " ")
	return cmd
}

// ActionRequest is a card button pressed: Action.Execute or its
// Action.Submit fallback.
type ActionRequest struct {
	Verb   string
	CaseID int64
	// ItemID is the improvement item of a backlog card's action (CaseID
	// is then zero).
	ItemID int64
	Data   map[string]any
	// Execute is true for Action.Execute (an invoke answered in the HTTP
	// response), false for Action.Submit (a message).
	Execute bool
}

// Input returns an input's value as a trimmed string.
func (a ActionRequest) Input(id string) string {
	switch v := a.Data[id].(type) {
	case string:
		return strings.TrimSpace(v)
	case bool:
		if v {
			return "true"
		}
		return "false"
	case nil:
		return ""
	default:
		return strings.TrimSpace(fmt.Sprint(v))
	}
}

// Action reads the card action of an adaptiveCard/action invoke or of a
// message carrying an Action.Submit value; ok is false when there is none.
func (in *Inbound) Action() (ActionRequest, bool, error) {
	v := bytes.TrimSpace(in.Value)
	if len(v) == 0 || string(v) == "null" {
		return ActionRequest{}, false, nil
	}
	var req ActionRequest
	var data map[string]any
	if in.Type == TypeInvoke {
		var inv struct {
			Action struct {
				Type string         `json:"type"`
				Verb string         `json:"verb"`
				Data map[string]any `json:"data"`
			} `json:"action"`
		}
		if err := json.Unmarshal(v, &inv); err != nil {
			return req, true, fmt.Errorf("teams card action: %w", err)
		}
		req.Verb, data, req.Execute = inv.Action.Verb, inv.Action.Data, true
	} else {
		if err := json.Unmarshal(v, &data); err != nil {
			return req, false, nil // not a card submit
		}
		req.Verb, _ = data[DataVerb].(string)
		if req.Verb == "" {
			req.Verb, _ = data["action"].(string)
		}
		if req.Verb == "" {
			return req, false, nil
		}
	}
	if data == nil {
		data = map[string]any{}
	}
	req.Data = data
	if strings.HasPrefix(req.Verb, "item.") {
		id, ok := CaseIDOf(data[DataItemID])
		if !ok {
			return req, true, errors.New("teams card action: no item id")
		}
		req.ItemID = id
		return req, true, nil
	}
	id, ok := CaseIDOf(data[DataCaseID])
	if !ok {
		return req, true, errors.New("teams card action: no case id")
	}
	req.CaseID = id
	return req, true, nil
}
