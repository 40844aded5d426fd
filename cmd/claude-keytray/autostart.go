package main

import (
	"context"
	"fmt"
	"io"
)

func installAutostart(ctx context.Context, w io.Writer, a *app, dryRun bool) error {
	fmt.Fprintln(w, "Login autostart: not set up (run `claude-keytray daemon` yourself).")
	return nil
}

func uninstallAutostart(ctx context.Context, w io.Writer, a *app, dryRun bool) error {
	return nil
}
