package chatops

import (
	"strings"
)

// Command is one text command of /cx (Slack) and @cxloop (Teams).
type Command struct {
	Name string
	Args string // as the usage writes them: "CASE @person"
	Help string // what it does, lower case, no full stop
}

// Commands is every text command in help order. The help text, the Slack
// manifest's usage hint, the Teams manifest's command list and the README
// are written from it: a new command is a row here and a case in Run.
var Commands = []Command{
	{"help", "", "this help"},
	{"mine", "", "your open cases, soonest due first"},
	{"team", "[TEAM]", "a team's open and overdue cases and its set-up"},
	{"show", "CASE", "one case"},
	{"assign", "CASE @person", "give a case to someone (managers)"},
	{"note", "CASE TEXT", "add a note to a case's history"},
	{"told", "CASE [TEXT]", `the customer heard of the fix ("you said, we did")`},
	{"backlog", "", "the improvement backlog"},
	{"digest", "[YYYY-MM]", "a private preview of the monthly digest"},
	{"away", "until YYYY-MM-DD", "you are away through that day: new cases skip you"},
	{"back", "", "you are back"},
}

// Synopsis is the command with its arguments: "assign CASE @person".
func (c Command) Synopsis() string { return strings.TrimSpace(c.Name + " " + c.Args) }
