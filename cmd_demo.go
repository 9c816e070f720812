package main

import "context"

func demoCmd(ctx context.Context, e *env) error { return errNotYet }
