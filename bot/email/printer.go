package email

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Printer writes each email in readable form instead of sending it, as the
// log transport prints cards: the demo's mail server.
type Printer struct {
	mu sync.Mutex
	W  io.Writer
}

// Send prints the message's envelope and its plain-text part.
func (p *Printer) Send(_ context.Context, m Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := io.WriteString(p.W, Format(m))
	return err
}

// Format is an email as the Printer shows it: the headers a reader looks
// at, then the text.
func Format(m Message) string {
	var b strings.Builder
	fmt.Fprintf(&b, "── email → %s ──\n", address(m.ToName, m.To))
	fmt.Fprintf(&b, "From:     %s\n", m.From)
	if m.ReplyTo != "" {
		fmt.Fprintf(&b, "Reply-To: %s\n", address(m.ReplyToName, m.ReplyTo))
	}
	fmt.Fprintf(&b, "Subject:  %s\n", m.Subject)
	if m.Unsubscribe != "" {
		fmt.Fprintf(&b, "List-Unsubscribe: <%s>\n", m.Unsubscribe)
	}
	b.WriteString("\n")
	for _, line := range strings.Split(strings.TrimRight(m.Text, "\n"), "\n") {
		b.WriteString("  " + line + "\n")
	}
	return b.String()
}

func address(name, addr string) string {
	if name == "" {
		return addr
	}
	return name + " <" + addr + ">"
}

// Outline is Format for a long email: the headers, the parts it carries,
// and only the first lines of its text.
func Outline(m Message, lines int) string {
	head, body, _ := strings.Cut(Format(m), "\n\n")
	parts := []string{"plain text"}
	if m.HTML != "" {
		parts = append(parts, fmt.Sprintf("HTML (%d KB)", kb(len(m.HTML))))
	}
	for _, in := range m.Inline {
		parts = append(parts, fmt.Sprintf("inline %s %s as cid:%s (%d KB)", in.ContentType, in.Name, in.CID, kb(len(in.Data))))
	}
	text := strings.Split(strings.TrimRight(body, "\n"), "\n")
	if len(text) > lines {
		text = append(text[:lines], "  …")
	}
	return head + "\nParts:    " + strings.Join(parts, ", ") + "\n\n" + strings.Join(text, "\n") + "\n"
}

func kb(n int) int { return (n + 1023) / 1024 }
