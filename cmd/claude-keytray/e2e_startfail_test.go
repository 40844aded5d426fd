//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
)

// A tray or daemon started at login has no terminal: why it did not start must be in the log,
// and install must not claim it started.

// longRuntimeDir is an XDG_RUNTIME_DIR whose socket path is longer than unix sockets allow, so
// the engine's start-up fails after the command line was read.
func longRuntimeDir(t *testing.T) string {
	d := filepath.Join(t.TempDir(), strings.Repeat("r", 110))
	if err := os.MkdirAll(d, 0o700); err != nil {
		t.Fatal(err)
	}
	return d
}

func readLogOf(t *testing.T, stateHome string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(stateHome, "claude-keytray", "claude-keytray.log"))
	if err != nil {
		t.Fatalf("the log: %v", err)
	}
	return string(b)
}

func TestStartFailuresAreLogged(t *testing.T) {
	env, _ := keychainEnv(t)
	env.Set("XDG_RUNTIME_DIR", longRuntimeDir(t))
	r := env.Run(t, "daemon")
	wantExit(t, r, 1, "daemon with a socket path that is too long")
	log := readLogOf(t, env.Get("XDG_STATE_HOME"))
	if !strings.Contains(log, "daemon did not start") || !strings.Contains(log, "unix sockets allow at most") {
		t.Fatalf("the log does not say why the daemon did not start:\n%s\nstderr: %s", log, r.Stderr)
	}

	// A config that cannot be read fails before the app's paths are set up: still logged.
	env2, _ := keychainEnv(t)
	cfg := filepath.Join(env2.Get("XDG_CONFIG_HOME"), "claude-keytray", "config.json")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = env2.Run(t, "tray")
	wantExit(t, r, 1, "tray with a broken config")
	log = readLogOf(t, env2.Get("XDG_STATE_HOME"))
	if !strings.Contains(log, "tray did not start") || !strings.Contains(log, "config.json") {
		t.Fatalf("the log does not say why the tray did not start:\n%s\nstderr: %s", log, r.Stderr)
	}

	// A second engine is refused, and the log says so too.
	w := newDaemonWorld(t)
	d := w.env.StartBinary(t, "daemon")
	w.procs = append(w.procs, d)
	w.waitDaemon(d, "the first daemon to answer", 20*time.Second, func(st auth.Status) bool { return st.Daemon.PID == d.Pid() })
	r = w.env.Run(t, "daemon")
	wantExit(t, r, 1, "second daemon")
	if log := w.readLog(); !strings.Contains(log, "daemon did not start") || !strings.Contains(log, "already running (pid ") {
		t.Fatalf("the log does not record the refused second daemon:\n%s", log)
	}
}

func TestInstallDoesNotClaimAFailedStart(t *testing.T) {
	env, _ := keychainEnv(t)
	env.Set("XDG_RUNTIME_DIR", longRuntimeDir(t))
	r := env.Run(t, "install")
	if r.ExitCode == 0 {
		t.Fatalf("install succeeded although the app cannot start:\n%s", r.Stdout)
	}
	if strings.Contains(r.Stdout, "started claude-keytray") || strings.Contains(r.Stdout, "pid 0") {
		t.Fatalf("install says it started the app, then fails:\nstdout: %s\nstderr: %s", r.Stdout, r.Stderr)
	}
	if !strings.Contains(r.Stderr, "read the log") {
		t.Fatalf("install's error does not point at the log: %s", r.Stderr)
	}
	if log := readLogOf(t, env.Get("XDG_STATE_HOME")); !strings.Contains(log, "did not start") || !strings.Contains(log, "unix sockets allow at most") {
		t.Fatalf("the log does not say why the started app stopped:\n%s", log)
	}
}
