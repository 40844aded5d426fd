package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/claude-keytray/claude-keytray/auth/claude"
)

// programCheckEvery is how often a running engine looks at its own program file.
const programCheckEvery = 5 * time.Second

// watchProgram ends ctx when the program file at path is replaced by another runnable one (a
// package upgrade, a new build copied over it, a link moved to a new version), so that the
// engine stops cleanly and restartInto runs the new program in its place. A program that is
// only removed is logged once and the engine keeps running: there is nothing to restart into.
func watchProgram(ctx context.Context, path string, log *slog.Logger) (context.Context, func() bool) {
	ctx, cancel := context.WithCancel(ctx)
	first, err := os.Stat(path)
	if path == "" || err != nil {
		return ctx, func() bool { cancel(); return false }
	}
	replaced := make(chan struct{})
	go func() {
		t := time.NewTicker(programCheckEvery)
		defer t.Stop()
		warned := false
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			now, err := os.Stat(path)
			switch {
			case err != nil || !claude.Runnable(path):
				if !warned {
					log.Warn("this program's file is gone; the engine keeps running from memory until a new one is installed", "exe", path)
					warned = true
				}
			case !os.SameFile(first, now) || !now.ModTime().Equal(first.ModTime()) || now.Size() != first.Size():
				log.Info("this program was replaced; restarting into the new one", "exe", path)
				close(replaced)
				cancel()
				return
			}
		}
	}()
	return ctx, func() bool {
		select {
		case <-replaced:
			return true
		default:
			cancel()
			return false
		}
	}
}
