package main

import (
	"context"
)

// manifestCmd prints the Slack app manifest or writes the Teams app package.
func manifestCmd(ctx context.Context, e *env) error {
	if len(e.args) > 0 {
		switch e.args[0] {
		case "slack":
			return manifestSlack(ctx, e)
		case "teams":
			return manifestTeams(ctx, e)
		}
	}
	if wantsHelp(e.args) {
		return e.help(nil)
	}
	return usageError("want slack or teams")
}
