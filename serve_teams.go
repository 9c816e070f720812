package main

import "context"

// teamsPlatform connects Microsoft Teams when MICROSOFT_APP_ID is set.
func teamsPlatform(ctx context.Context, d platformDeps) (*platform, error) { return nil, nil }
