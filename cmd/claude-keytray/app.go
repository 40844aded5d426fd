package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/packaging"
)

// app is what every command needs: resolved paths, the config and the key store.
type app struct {
	paths    auth.Paths
	cfg      auth.Config
	store    auth.Store
	redactor *auth.Redactor
}

func newApp(g *globalFlags) (*app, error) {
	p, err := auth.DefaultPaths()
	if err != nil {
		return nil, err
	}
	cfg, err := auth.LoadConfig(p.ConfigFile)
	if err != nil {
		return nil, err
	}
	kind := cfg.Store
	if g != nil && g.store != "" {
		kind = g.store
	}
	a := &app{paths: p, cfg: cfg, redactor: &auth.Redactor{}}
	switch kind {
	case "", "keychain":
		a.store = auth.NewKeyringStore(cfg.KeychainTimeout())
	case "file":
		a.store = &auth.FileStore{Path: p.PlainKeyFile}
	default:
		return nil, fmt.Errorf("--store %q: want \"keychain\" or \"file\"", kind)
	}
	return a, nil
}

// exe is this binary's absolute path, for the helper script.
func exe() string {
	p, err := os.Executable()
	if err != nil {
		return ""
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	// On Windows the helper must run the console program, even when the tray (the GUI one) asks.
	return packaging.ConsoleExe(p)
}

// transientExe reports whether the binary lives in a build cache (`go run`), which would make a
// helper script that stops working once the cache is cleaned.
func transientExe(path string) bool {
	return strings.Contains(path, string(filepath.Separator)+"go-build")
}

// source is the configured source command, if any.
func (a *app) source() auth.Source {
	if a.cfg.SourceCommand == "" {
		return nil
	}
	return &auth.CommandSource{Command: a.cfg.SourceCommand, Timeout: a.cfg.SourceTimeout()}
}

// fileLogger logs to the log file only: CLI commands keep stderr for their own messages.
func (a *app) fileLogger() (*slog.Logger, io.Closer) {
	l, c, err := auth.NewLogger(auth.LogOptions{File: a.paths.LogFile}, a.redactor)
	if err != nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil)), io.NopCloser(nil)
	}
	return l, c
}

// engine makes an in-process engine for commands that work without a daemon.
func (a *app) engine(log *slog.Logger) *auth.Engine {
	return auth.New(auth.Options{
		Paths:    a.paths,
		Config:   a.cfg,
		Store:    a.store,
		Source:   a.source(),
		Exe:      exe(),
		Logger:   log,
		Redactor: a.redactor,
	})
}
