package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// runTray runs the engine; the tray UI attaches to it (headless until then).
func runTray(cmd *cobra.Command, g *globalFlags) error {
	a, err := newApp(g)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, err := startDaemon(ctx, a, os.Stderr)
	if err != nil {
		return err
	}
	err = d.engine.Run(ctx)
	d.stop()
	return err
}
