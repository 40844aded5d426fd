package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/logging"
	"github.com/claude-keytray/claude-keytray/packaging"
)

// app is what every command needs: resolved paths, the config and the key store.
type app struct {
	paths    auth.Paths
	cfg      auth.Config
	store    auth.Store
	redactor *logging.Redactor
	// badInterval is a refresh interval setting that could not be used (newTolerantApp only).
	badInterval error
	// unsafeWarned is set once the warning about an unsafe control socket was printed.
	unsafeWarned bool
	// envKey is CLAUDE_API_KEY's value after an engine took it out of its environment.
	envKey string
	// profile is the profile named by --profile or CLAUDE_KEYTRAY_PROFILE; "" when none was.
	profile string
}

func newApp(g *globalFlags) (*app, error) {
	a, err := newTolerantApp(g)
	if err == nil && a.badInterval != nil {
		return nil, a.badInterval
	}
	return a, err
}

// newTolerantApp is newApp for the commands that do not use the refresh interval (`key`,
// `doctor`): a bad one is kept in badInterval instead of failing the command.
func newTolerantApp(g *globalFlags) (*app, error) {
	p, err := auth.DefaultPaths()
	if err != nil {
		return nil, err
	}
	cfg, badInterval, err := auth.LoadConfigTolerant(p.ConfigFile)
	if err != nil {
		return nil, err
	}
	kind := cfg.Store
	if g != nil && g.store != "" {
		kind = g.store
	}
	a := &app{paths: p, cfg: cfg, redactor: &logging.Redactor{}, badInterval: badInterval}
	if g != nil && !g.engine {
		a.profile = g.profile
		if a.profile == "" {
			a.profile = os.Getenv(auth.ProfileEnv)
		}
		if a.profile != "" && !cfg.HasProfile(a.profile) {
			var err error = &auth.UnknownProfileError{Name: a.profile, Known: cfg.ProfileNames()}
			if g.profile == "" {
				err = fmt.Errorf("%s=%s: %w", auth.ProfileEnv, a.profile, err)
			}
			return nil, &exitError{code: exitNoKey, err: err}
		}
	}
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

// exe is this binary's absolute path, for the helper script, the autostart entry and a
// restart: the path the user ran when it names this program (a link on PATH such as Homebrew's
// /opt/homebrew/bin/claude-keytray stays valid across upgrades, where the versioned file it
// points at goes away), else the program file itself.
func exe() string {
	real, err := os.Executable()
	if err != nil {
		return ""
	}
	if r, err := filepath.EvalSymlinks(real); err == nil {
		real = r
	}
	if ran := ranAs(os.Args[0]); ran != "" && sameFile(ran, real) {
		real = ran
	}
	// On Windows the helper must run the console program, even when the tray (the GUI one) asks.
	return packaging.ConsoleExe(real)
}

// ranAs is the absolute path argv0 names: itself with a separator, else found on PATH.
func ranAs(argv0 string) string {
	p := argv0
	if !strings.ContainsRune(argv0, filepath.Separator) && !strings.ContainsRune(argv0, '/') {
		found, err := exec.LookPath(argv0)
		if err != nil {
			return ""
		}
		p = found
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return ""
	}
	return abs
}

func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// transientExe reports whether the binary lives in a build cache (`go run`), which would make a
// helper script that stops working once the cache is cleaned.
func transientExe(path string) bool {
	return strings.Contains(path, string(filepath.Separator)+"go-build")
}

// profileSource is the profile this command acts on and its source command ("" for none).
func (a *app) profileSource() (string, string) {
	name := a.profile
	if name == "" {
		name = a.cfg.CurrentProfile()
	}
	pc, err := a.cfg.LookupProfile(name)
	if err != nil {
		return auth.DefaultProfile, a.cfg.SourceCommand
	}
	return name, pc.SourceCommand
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
	l, c, err := logging.NewLogger(logging.LogOptions{File: a.paths.LogFile}, a.redactor)
	if err != nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil)), io.NopCloser(nil)
	}
	return l, c
}

// engineOptions wire an engine to this app: its paths, config, store, source and redactor.
func (a *app) engineOptions(log *slog.Logger, notifier auth.Notifier) auth.Options {
	return auth.Options{
		Paths:    a.paths,
		Config:   a.cfg,
		Store:    a.store,
		Source:   a.source(),
		Exe:      exe(),
		Logger:   log,
		Notifier: notifier,
		Redactor: a.redactor,
	}
}

// engine makes an in-process engine for commands that work without a daemon: the profile
// named by --profile or CLAUDE_KEYTRAY_PROFILE, else the current profile.
func (a *app) engine(log *slog.Logger) *auth.Engine {
	return a.profileEngine(a.fleet(log, nil))
}

// profileEngine is the engine of the profile this command is about.
func (a *app) profileEngine(f *auth.Fleet) *auth.Engine {
	if a.profile != "" {
		if e, err := f.Engine(a.profile); err == nil {
			return e
		}
	}
	_, e := f.Current()
	return e
}

// fleet makes every profile's engine (no I/O until Load). The default profile's engine is
// exactly the engine of the app without profiles.
func (a *app) fleet(log *slog.Logger, notifier auth.Notifier) *auth.Fleet {
	return auth.NewFleet(a.fleetOptions(a.engineOptions(log, notifier)))
}

func (a *app) fleetOptions(base auth.Options) auth.FleetOptions {
	return auth.FleetOptions{
		Base: base,
		ReloadConfig: func() (auth.Config, error) {
			c, _, err := auth.LoadConfigTolerant(a.paths.ConfigFile)
			return c, err
		},
	}
}
