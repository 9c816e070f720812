package main

import "context"

func manifestTeams(ctx context.Context, e *env) error { return errNotYet }
