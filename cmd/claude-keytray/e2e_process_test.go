//go:build linux

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// The processes that hold a key leave no core file when they crash. The proof is a real core
// dump attempt: with core_pattern a plain file name, `ulimit -c unlimited` and
// GOTRACEBACK=crash, a SIGABRT makes the Go runtime abort and the kernel write a core into the
// working folder unless the process made itself undumpable. A shell aborting itself in the same
// folder first shows that cores are written there at all.

// requireCores checks that a crashing process writes a core file into dir on this machine.
func requireCores(t *testing.T, env *testenv.Env) {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/kernel/core_pattern")
	pattern := strings.TrimSpace(string(b))
	if err != nil || pattern == "" || strings.HasPrefix(pattern, "|") || strings.Contains(pattern, "/") {
		msg := "core_pattern is " + strconv.Quote(pattern) + ": cores do not land in the working folder, so a dump attempt proves nothing here"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	r := env.Exec(t, "", "sh", "-c", `ulimit -c unlimited && kill -ABRT $$`)
	if r.ExitCode == 0 || len(cores(t, env.Home())) == 0 {
		t.Fatalf("a shell aborting itself with ulimit -c unlimited left no core in %s (exit %d): the test could not see a key process's core either", env.Home(), r.ExitCode)
	}
	for _, c := range cores(t, env.Home()) {
		os.Remove(c)
	}
}

func cores(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "core*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// abortAndCheck sends SIGABRT to p, waits for it to die of it, and expects no core in dir.
func abortAndCheck(t *testing.T, p *testenv.Proc, dir, what string) {
	t.Helper()
	if err := p.Signal(syscall.SIGABRT); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(30 * time.Second); err != nil {
		t.Fatalf("%s after SIGABRT: %v", what, err)
	}
	ws, ok := p.Cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGABRT {
		t.Fatalf("%s did not die of SIGABRT: %v\n%s", what, p.Cmd.ProcessState, p)
	}
	if !strings.Contains(p.Stderr(), "SIGABRT: abort") {
		t.Fatalf("%s did not abort through the Go runtime (GOTRACEBACK=crash):\n%s", what, p)
	}
	if c := cores(t, dir); len(c) != 0 {
		t.Fatalf("%s left a core file: %v", what, c)
	}
}

func TestE2EDaemonLeavesNoCore(t *testing.T) {
	t.Parallel()
	w := newDaemonWorld(t)
	requireCores(t, w.env)
	k := w.newKey()
	w.api.SetAccepted(k)
	w.env.SecretToolStore(t, k)
	w.env.Set("GOTRACEBACK", "crash")
	p := w.env.Start(t, "sh", "-c", `ulimit -c unlimited && exec "$0" daemon`, testenv.Binary(t))
	w.waitDaemon(p, "the daemon to hold the key", 20*time.Second, func(st auth.Status) bool {
		return st.Daemon.PID == p.Pid() && st.Key.Fingerprint == auth.Fingerprint(k)
	})
	abortAndCheck(t, p, w.env.Home(), "the daemon")
}

// `key` without a daemon, caught while it waits for a slow source, holds the stored key's
// neighbour in memory: it too leaves no core.
func TestE2EKeyLeavesNoCore(t *testing.T) {
	t.Parallel()
	w := newDaemonWorld(t)
	requireCores(t, w.env)
	k := w.newKey()
	w.api.SetAccepted(k)
	w.env.WriteFile(t, "k", k+"\n", 0o600)
	// The source says which process ran it (key, through sh -c) and then waits.
	w.env.Set("CLAUDE_KEYTRAY_SOURCE", `echo $PPID > "$HOME/key.pid"; echo $$ > "$HOME/source.pid"; sleep 60; cat "$HOME/k"`)
	w.env.Set("GOTRACEBACK", "crash")
	p := w.env.Start(t, "sh", "-c", `ulimit -c unlimited && exec "$0" key`, testenv.Binary(t))
	pidFile := filepath.Join(w.env.Home(), "key.pid")
	deadline := time.Now().Add(20 * time.Second)
	for {
		if b, err := os.ReadFile(pidFile); err == nil && bytes.HasSuffix(b, []byte("\n")) {
			if got := strings.TrimSpace(string(b)); got != strconv.Itoa(p.Pid()) {
				t.Fatalf("the source was run by pid %s, not by key (%d)", got, p.Pid())
			}
			break
		}
		if p.Exited() || time.Now().After(deadline) {
			t.Fatalf("key never ran its source:\n%s", p)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() {
		if b, err := os.ReadFile(filepath.Join(w.env.Home(), "source.pid")); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				syscall.Kill(-pid, syscall.SIGKILL)
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	abortAndCheck(t, p, w.env.Home(), "key")
}

// readEnviron returns the environment block the kernel keeps for pid.
func readEnviron(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("HOME=")) {
		t.Fatalf("/proc/%d/environ does not look like an environment: %q", pid, b)
	}
	return string(b)
}

// A daemon started with CLAUDE_API_KEY imports it and then holds it nowhere a same-user process
// can read: not in /proc/PID/environ, and not in the environment of its source commands.
func TestE2EDaemonDropsClaudeAPIKey(t *testing.T) {
	t.Parallel()
	w := newDaemonWorld(t)
	k := w.newKey()
	w.api.SetAccepted(k)
	w.env.Set("CLAUDE_API_KEY", k)
	d := w.startDaemon()
	w.waitDaemon(d, "the import of CLAUDE_API_KEY", 20*time.Second, func(st auth.Status) bool {
		return st.Key.Fingerprint == auth.Fingerprint(k)
	})
	w.wantStored(k, "after the daemon imported CLAUDE_API_KEY")
	if env := readEnviron(t, d.Pid()); strings.Contains(env, "CLAUDE_API_KEY") || strings.Contains(env, k) {
		t.Fatalf("/proc/%d/environ still holds CLAUDE_API_KEY", d.Pid())
	}
	if strings.Contains(d.Stderr(), "could not drop") {
		t.Fatalf("the daemon says: %s", d.Stderr())
	}
	w.stopDaemon(d, syscall.SIGTERM)

	// With a source: the command's environment has no CLAUDE_API_KEY either.
	w.env.WriteFile(t, "k", k+"\n", 0o600)
	w.env.Set("CLAUDE_KEYTRAY_SOURCE", `env > "$HOME/source-env"; cat "$HOME/k"`)
	d = w.startDaemon()
	w.refresh()
	b, err := os.ReadFile(filepath.Join(w.env.Home(), "source-env"))
	if err != nil || !bytes.Contains(b, []byte("HOME=")) {
		t.Fatalf("the source wrote no environment: %v", err)
	}
	if bytes.Contains(b, []byte("CLAUDE_API_KEY")) || bytes.Contains(b, []byte(k)) {
		t.Fatal("the source command inherited CLAUDE_API_KEY")
	}
	if env := readEnviron(t, d.Pid()); strings.Contains(env, "CLAUDE_API_KEY") || strings.Contains(env, k) {
		t.Fatalf("/proc/%d/environ still holds CLAUDE_API_KEY", d.Pid())
	}
}

// A key typed as an argument by mistake is never echoed: errors show only its fingerprint,
// gateway tokens included once key_pattern describes them.
func TestE2EErrorsMaskKeyArguments(t *testing.T) {
	t.Parallel()
	env := testenv.New(t)
	k := testenv.NewKey(t)
	gw := "gw-0123456789abcdef0123"
	env.WriteFile(t, filepath.Join(env.Get("XDG_CONFIG_HOME"), "claude-keytray", "config.json"), `{"key_pattern": "gw-[0-9a-f]{20}"}`, 0o600)
	for _, args := range [][]string{{k}, {"key", k}, {"status", k}, {"--store", k, "status"}, {gw}, {"refresh", "--json", gw}} {
		r := env.Run(t, args...)
		secret := args[len(args)-1]
		if args[0] == "--store" {
			secret = k
		}
		if r.ExitCode == 0 || strings.Contains(r.Stderr+r.Stdout, secret) || !strings.Contains(r.Stderr, auth.Fingerprint(secret)) {
			t.Fatalf("claude-keytray %s: exit %d, stderr %q", strings.Join(args, " ")[:12], r.ExitCode, auth.MaskKeys(strings.ReplaceAll(r.Stderr, gw, "GW")))
		}
	}
}
