//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/claude"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// copyProgram copies the test binary to path, executable.
func copyProgram(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(testenv.Binary(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// A package manager's layout: a versioned file behind a link on PATH (Homebrew's Cellar). The
// helper points at the link, so an upgrade that removes the old version keeps Claude Code
// working; the running daemon notices the new program and restarts into it (same pid); and an
// old engine never undoes an install that points the helper at another copy.
func TestUpgradeKeepsHelperWorking(t *testing.T) {
	w := newDaemonWorld(t)
	k := w.newKey()
	w.api.SetAccepted(k)
	w.env.SecretToolStore(t, k)

	root := t.TempDir()
	v1 := filepath.Join(root, "Cellar", "1.0", "bin", "claude-keytray")
	v2 := filepath.Join(root, "Cellar", "2.0", "bin", "claude-keytray")
	bin := filepath.Join(root, "bin")
	link := filepath.Join(bin, "claude-keytray")
	copyProgram(t, v1)
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(v1, link); err != nil {
		t.Fatal(err)
	}
	w.env.Set("PATH", bin+":"+w.env.Get("PATH"))

	// Installed by the name on PATH, as a user types it.
	r := w.env.Exec(t, "", "/bin/sh", "-c", "claude-keytray install --no-autostart")
	if r.ExitCode != 0 {
		t.Fatalf("install: exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	helper := filepath.Join(w.env.Home(), ".claude", claude.HelperFileName)
	if runs, _ := claude.HelperRuns(helper); runs != link {
		t.Fatalf("the helper runs %q, want the stable link %s", runs, link)
	}

	d := w.env.Start(t, link, "daemon")
	w.procs = append(w.procs, d)
	w.waitDaemon(d, "the daemon to start", 20*time.Second, func(st auth.Status) bool {
		return st.Daemon.Running && st.Daemon.PID == d.Pid() && st.Refresh.Count >= 1
	})

	// The upgrade: 2.0 arrives, the link moves to it, 1.0 is removed.
	copyProgram(t, v2)
	tmp := link + ".new"
	if err := os.Symlink(v2, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, link); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(root, "Cellar", "1.0")); err != nil {
		t.Fatal(err)
	}

	// Claude Code's way of running the helper still gets the key.
	out := w.env.Exec(t, "", "/bin/sh", "-c", claude.HelperSettingValue(helper))
	if out.ExitCode != 0 || out.Stdout != k+"\n" {
		t.Fatalf("the helper after the upgrade: exit %d, %s\n%s", out.ExitCode, auth.Fingerprint(strings.TrimSpace(out.Stdout)), out.Stderr)
	}

	// The daemon restarts into 2.0 in place, and says so in the log.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(w.readLog(), "restarting into the new one") || strings.Count(w.readLog(), "daemon started") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not restart into the new program:\n%s", w.readLog())
		}
		if d.Exited() {
			t.Fatalf("the daemon exited instead of restarting:\n%s", d)
		}
		time.Sleep(100 * time.Millisecond)
	}
	st := w.waitDaemon(d, "the restarted daemon", 20*time.Second, func(st auth.Status) bool {
		return st.Daemon.Running && st.Refresh.Count >= 1
	})
	if st.Daemon.PID != d.Pid() {
		t.Errorf("the restarted engine has pid %d, want the same process %d", st.Daemon.PID, d.Pid())
	}
	exe, _ := os.Readlink("/proc/" + strconv.Itoa(d.Pid()) + "/exe")
	if exe != v2 {
		t.Errorf("the daemon now runs %s, want %s", exe, v2)
	}

	// An install elsewhere (another copy of the program) is not undone by this engine.
	other := filepath.Join(root, "opt", "claude-keytray")
	copyProgram(t, other)
	if err := claude.WriteHelper(helper, other); err != nil {
		t.Fatal(err)
	}
	w.refresh()
	if runs, _ := claude.HelperRuns(helper); runs != other {
		t.Errorf("the running engine rewrote the helper to %q over a newer install of %s", runs, other)
	}
}
