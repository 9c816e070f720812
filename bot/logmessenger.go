package bot

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cxloop/cxloop/models"
)

// LogMessenger prints every message in readable form instead of posting it:
// the transport when no platform is connected, and the demo's voice.
type LogMessenger struct {
	mu  sync.Mutex
	w   io.Writer
	seq atomic.Int64
}

// NewLogMessenger writes to w.
func NewLogMessenger(w io.Writer) *LogMessenger { return &LogMessenger{w: w} }

func (l *LogMessenger) print(s string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := io.WriteString(l.w, s)
	return err
}

// PostCard prints the card.
func (l *LogMessenger) PostCard(_ context.Context, channel string, card Card) (string, error) {
	ref := fmt.Sprintf("log-%d", l.seq.Add(1))
	return ref, l.print(fmt.Sprintf("── card %s → #%s ──\n%s\n", ref, channel, RenderText(card)))
}

// UpdateCard prints the card again, marked as an update.
func (l *LogMessenger) UpdateCard(_ context.Context, channel, ref string, card Card) error {
	return l.print(fmt.Sprintf("── card %s updated in #%s ──\n%s\n", ref, channel, RenderText(card)))
}

// PostCardInThread prints the card, marked as posted in a thread.
func (l *LogMessenger) PostCardInThread(_ context.Context, channel, thread string, card Card) (string, error) {
	ref := fmt.Sprintf("log-%d", l.seq.Add(1))
	return ref, l.print(fmt.Sprintf("── card %s → #%s, thread %s ──\n%s\n", ref, channel, thread, RenderText(card)))
}

// UpdateText prints a message again, marked as an update.
func (l *LogMessenger) UpdateText(_ context.Context, channel, ref, text string) error {
	return l.print(fmt.Sprintf("── message %s updated in #%s ──\n%s\n\n", ref, channel, text))
}

// Reply prints a thread line.
func (l *LogMessenger) Reply(_ context.Context, channel, ref, text string) error {
	return l.print(fmt.Sprintf("   ↳ #%s thread %s: %s\n", channel, ref, oneLine(text)))
}

// PostText prints a channel message.
func (l *LogMessenger) PostText(_ context.Context, channel, text string) (string, error) {
	ref := fmt.Sprintf("log-%d", l.seq.Add(1))
	return ref, l.print(fmt.Sprintf("── message %s → #%s ──\n%s\n\n", ref, channel, text))
}

// DirectMessage prints a DM.
func (l *LogMessenger) DirectMessage(_ context.Context, email string, text Text, card *Card) error {
	suffix := ""
	if card != nil {
		suffix = fmt.Sprintf(" [case #%d]", card.CaseID)
	}
	return l.print(fmt.Sprintf("── DM → %s ──\n%s%s\n\n", email, text.String(), suffix))
}

// RenderText is the card as plain text. Customer text is shown as it came;
// the log is no chat and mentions mean nothing there.
func RenderText(c Card) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Case #%d  %s\n", c.CaseID, c.Headline())
	fmt.Fprintf(&b, "State:       %s\n", c.StateLabel())
	owner := "(nobody yet)"
	if c.Owner != "" {
		owner = c.PersonName(c.Owner)
	}
	fmt.Fprintf(&b, "Owner:       %s\n", owner)
	if c.Touchpoint != "" {
		fmt.Fprintf(&b, "Touchpoint:  %s\n", c.Touchpoint)
	}
	for _, a := range c.Attributes {
		fmt.Fprintf(&b, "%-12s %s\n", a.Name+":", oneLine(a.Value))
	}
	if c.CustomerName != "" || c.MaskedEmail != "" || c.MaskedPhone != "" {
		fmt.Fprintf(&b, "Customer:    %s\n", strings.Join(nonEmpty(c.CustomerName, c.MaskedEmail, c.MaskedPhone), " · "))
	}
	if c.Comment != "" {
		for _, line := range strings.Split(c.Comment, "\n") {
			fmt.Fprintf(&b, "  > %s\n", line)
		}
	}
	for _, l := range c.Later {
		fmt.Fprintf(&b, "Again:       %s\n", oneLine(l.LaterLine()))
	}
	if len(c.Themes) > 0 {
		fmt.Fprintf(&b, "Themes:      %s\n", strings.Join(c.Themes, ", "))
	}
	if !c.State.Closed() {
		fmt.Fprintf(&b, "Thank by:    %s\n", models.FormatDue(c.ThankYouDue, c.Location))
		fmt.Fprintf(&b, "Resolve by:  %s\n", models.FormatDue(c.ResolutionDue, c.Location))
	}
	if c.RootCause != "" {
		fmt.Fprintf(&b, "Root cause:  %s\n", c.RootCause)
	}
	acts := make([]string, len(c.Actions))
	for i, a := range c.Actions {
		acts[i] = "[" + string(a) + "]"
	}
	fmt.Fprintf(&b, "Actions:     %s\n", strings.Join(acts, " "))
	return b.String()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
