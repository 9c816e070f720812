package main

import "context"

func jobsCmd(ctx context.Context, e *env) error { return errNotYet }
