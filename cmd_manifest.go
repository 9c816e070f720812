package main

import (
	"context"
)

// manifestCmd prints the Slack app manifest or writes the Teams app package.
func manifestCmd(ctx context.Context, e *env) error {
	if len(e.args) == 0 {
		return usageError("usage: cxloop manifest slack|teams [--out FILE]")
	}
	switch e.args[0] {
	case "slack":
		return manifestSlack(ctx, e)
	case "teams":
		return manifestTeams(ctx, e)
	}
	return usageError("usage: cxloop manifest slack|teams [--out FILE]")
}
