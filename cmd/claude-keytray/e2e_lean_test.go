//go:build linux

package main

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/claude"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// The helper has three ways to the key: the script runs claude-keytray-key (the fast path),
// or, when that is missing, `claude-keytray key` (the fallback), which is also what the key
// command gives when run directly. These tests run all three in the same world and want the
// same output, stderr and exit code from each.

type helperWay struct {
	name string
	argv []string
}

// helperWays writes a helper script for the real binary (claude-keytray-key next to it) and one
// for a link to it in a folder without claude-keytray-key, as Claude Code runs them.
func helperWays(t *testing.T, env *testenv.Env) []helperWay {
	t.Helper()
	bin := testenv.Binary(t)
	testenv.LeanBinary(t)
	lean := filepath.Join(env.Dir, "helper-lean", claude.HelperFileName)
	if err := claude.WriteHelper(lean, bin); err != nil {
		t.Fatal(err)
	}
	alone := filepath.Join(env.Dir, "bin-alone", "claude-keytray")
	if err := os.MkdirAll(filepath.Dir(alone), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(bin, alone); err != nil {
		t.Fatal(err)
	}
	fallback := filepath.Join(env.Dir, "helper-fallback", claude.HelperFileName)
	if err := claude.WriteHelper(fallback, alone); err != nil {
		t.Fatal(err)
	}
	return []helperWay{
		{"fast path (claude-keytray-key)", []string{"/bin/sh", "-c", claude.HelperSettingValue(lean)}},
		{"fallback script (claude-keytray key)", []string{"/bin/sh", "-c", claude.HelperSettingValue(fallback)}},
		{"claude-keytray key", []string{bin, "key"}},
	}
}

// sameFromEach runs every way (before runs ahead of each) and wants stdout, stderr and the
// exit code to be the same as the last way's, today's `claude-keytray key`, and as given.
func sameFromEach(t *testing.T, env *testenv.Env, ways []helperWay, wantOut string, wantCode int, before func(helperWay)) {
	t.Helper()
	var ref testenv.Result
	rs := make([]testenv.Result, len(ways))
	for i, w := range ways {
		if before != nil {
			before(w)
		}
		rs[i] = env.Exec(t, "", w.argv[0], w.argv[1:]...)
		if rs[i].Stdout != wantOut || rs[i].ExitCode != wantCode {
			t.Fatalf("%s: exit %d, stdout %q (stderr %q); want exit %d and %s", w.name, rs[i].ExitCode,
				auth.Fingerprint(strings.TrimSpace(rs[i].Stdout)), rs[i].Stderr, wantCode, auth.Fingerprint(strings.TrimSpace(wantOut)))
		}
	}
	ref = rs[len(rs)-1]
	if wantCode != 0 && (strings.Count(strings.TrimSuffix(ref.Stderr, "\n"), "\n") != 0 || ref.Stderr == "") {
		t.Fatalf("claude-keytray key exited %d with stderr %q; want one line", wantCode, ref.Stderr)
	}
	if wantCode == 0 && ref.Stderr != "" {
		t.Fatalf("claude-keytray key printed the key and %q on stderr", ref.Stderr)
	}
	for i, r := range rs[:len(rs)-1] {
		if r.Stderr != ref.Stderr {
			t.Errorf("%s: stderr %q, want %q as from claude-keytray key", ways[i].name, r.Stderr, ref.Stderr)
		}
	}
}

// leanAlone copies claude-keytray-key into a folder without claude-keytray: whatever it prints
// can only come from its own request to the daemon.
func leanAlone(t *testing.T, env *testenv.Env) string {
	t.Helper()
	alone := filepath.Join(env.Dir, "lean-alone", "claude-keytray-key")
	b, err := os.ReadFile(testenv.LeanBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	env.WriteFile(t, alone, string(b), 0o700)
	return alone
}

// keyRequests counts the key requests in the daemon's log.
func (w *daemonWorld) keyRequests() int {
	return strings.Count(w.readLog(), "path=/api/auth/key ")
}

// waitKeyRequests waits until the log shows at least want key requests (the line is written
// just after the answer), then a little longer for any extra one, and returns the count.
func (w *daemonWorld) waitKeyRequests(want int) int {
	deadline := time.Now().Add(5 * time.Second)
	for w.keyRequests() < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	return w.keyRequests()
}

func TestLeanHelperWithDaemon(t *testing.T) {
	t.Parallel()
	w := newDaemonWorld(t)
	ways := helperWays(t, w.env)
	w.startDaemon()
	t.Run("no key stored", func(t *testing.T) {
		// Each way asks the daemon once: the fast path hands its 404 to `key`, which must not ask
		// again (a second call from the same process would look like a 401 retry).
		n := w.keyRequests()
		one := func(after string) {
			if got := w.waitKeyRequests(n + 1); got != n+1 {
				t.Fatalf("%s: %d key requests, want 1", after, got-n)
			}
			n++
		}
		sameFromEach(t, w.env, ways, "", 2, func(way helperWay) {
			if way.name != ways[0].name {
				one("the way before " + way.name)
			}
		})
		one(ways[len(ways)-1].name)
	})
	k := w.newKey()
	w.api.SetAccepted(k)
	w.env.SecretToolStore(t, k)
	w.refresh()
	t.Run("key from the daemon", func(t *testing.T) {
		before := w.keyRequests()
		sameFromEach(t, w.env, ways, k+"\n", 0, nil)
		if got := w.waitKeyRequests(before+len(ways)) - before; got != len(ways) {
			t.Fatalf("the daemon served %d key requests for %d helper calls, want one each", got, len(ways))
		}
	})
	t.Run("the fast path answers alone", func(t *testing.T) {
		// A copy of claude-keytray-key without claude-keytray next to it: the key can only come
		// from its own request, and without a daemon it says what is missing.
		alone := leanAlone(t, w.env)
		if r := w.env.Exec(t, "", alone); r.ExitCode != 0 || r.Stdout != k+"\n" || r.Stderr != "" {
			t.Fatalf("claude-keytray-key alone: exit %d, stdout %s, stderr %q; want the key", r.ExitCode, auth.Fingerprint(strings.TrimSpace(r.Stdout)), r.Stderr)
		}
		w.env.Set("CLAUDE_KEYTRAY_PROFILE", "work")
		defer w.env.Set("CLAUDE_KEYTRAY_PROFILE", "")
		r := w.env.Exec(t, "", alone)
		if r.ExitCode != 1 || r.Stdout != "" || !strings.Contains(r.Stderr, filepath.Join(filepath.Dir(alone), "claude-keytray")) {
			t.Fatalf("claude-keytray-key alone with a profile: exit %d, stdout %q, stderr %q; want exit 1 naming the missing claude-keytray", r.ExitCode, r.Stdout, r.Stderr)
		}
	})
	t.Run("a bad CLAUDE_AUTH_REFRESH_INTERVAL is not the helper's business", func(t *testing.T) {
		w.env.Set("CLAUDE_AUTH_REFRESH_INTERVAL", "abc")
		defer w.env.Set("CLAUDE_AUTH_REFRESH_INTERVAL", "")
		sameFromEach(t, w.env, ways, k+"\n", 0, nil)
	})
	t.Run("the keychain goes away: the daemon's key still comes through", func(t *testing.T) {
		w.env.StopKeyring(t)
		defer w.env.StartKeyring(t)
		sameFromEach(t, w.env, ways, k+"\n", 0, nil)
	})
}

// TestLeanHelperRecordedSocket: without XDG_RUNTIME_DIR (macOS, su, ssh without logind) the
// daemon listens in a private folder it records in the state folder. The fast path reads that
// record and gets the key from the daemon by itself, as it does from the usual socket.
func TestLeanHelperRecordedSocket(t *testing.T) {
	t.Parallel()
	w := newDaemonWorld(t)
	w.env.Set("XDG_RUNTIME_DIR", "")
	ways := helperWays(t, w.env)
	k := w.newKey()
	w.api.SetAccepted(k)
	w.env.SecretToolStore(t, k)
	p := w.startDaemon()
	sock := w.socket()
	if st := w.status(); st.Daemon.Socket != sock || strings.HasPrefix(sock, w.env.RuntimeDir) {
		t.Fatalf("the daemon listens on %q, status says %q; want a recorded private folder outside %s", sock, st.Daemon.Socket, w.env.RuntimeDir)
	}
	before := w.keyRequests()
	sameFromEach(t, w.env, ways, k+"\n", 0, nil)
	if got := w.waitKeyRequests(before+len(ways)) - before; got != len(ways) {
		t.Fatalf("the daemon served %d key requests for %d helper calls, want one each", got, len(ways))
	}
	// claude-keytray-key with no claude-keytray next to it can only answer from its own request.
	alone := leanAlone(t, w.env)
	if r := w.env.Exec(t, "", alone); r.ExitCode != 0 || r.Stdout != k+"\n" || r.Stderr != "" {
		t.Fatalf("claude-keytray-key alone, socket recorded in the state folder: exit %d, stdout %s, stderr %q; want the key",
			r.ExitCode, auth.Fingerprint(strings.TrimSpace(r.Stdout)), r.Stderr)
	}
	// The daemon gone, its record stays: every way falls back to the keychain.
	if !p.Stop(10 * time.Second) {
		t.Fatalf("the daemon did not stop on SIGTERM:\n%s", p)
	}
	sameFromEach(t, w.env, ways, k+"\n", 0, nil)
}

func TestLeanHelperWithoutDaemon(t *testing.T) {
	t.Parallel()
	t.Run("no key stored", func(t *testing.T) {
		t.Parallel()
		env, _ := keychainEnv(t)
		sameFromEach(t, env, helperWays(t, env), "", 2, nil)
	})
	t.Run("no keychain", func(t *testing.T) {
		t.Parallel()
		testenv.Require(t, "dbus-daemon")
		env := testenv.New(t)
		env.StartBus(t)
		sameFromEach(t, env, helperWays(t, env), "", 3, nil)
	})
	t.Run("key from the keychain, with a bad CLAUDE_AUTH_REFRESH_INTERVAL", func(t *testing.T) {
		t.Parallel()
		k := newKey(t)
		env, _ := keychainEnv(t, k)
		env.SecretToolStore(t, k)
		env.Set("CLAUDE_AUTH_REFRESH_INTERVAL", "abc")
		sameFromEach(t, env, helperWays(t, env), k+"\n", 0, nil)
	})
	t.Run("stale socket file", func(t *testing.T) {
		t.Parallel()
		k := newKey(t)
		env, _ := keychainEnv(t, k)
		env.SecretToolStore(t, k)
		sock := socketIn(t, env)
		l, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		// Closed without removing the file, as a killed daemon leaves it: connect is refused.
		l.(*net.UnixListener).SetUnlinkOnClose(false)
		l.Close()
		sameFromEach(t, env, helperWays(t, env), k+"\n", 0, nil)
	})
}

// TestLeanHelperDaemonDiesMidRequest: something listens on the socket, reads the request and
// goes away without an answer, leaving its socket file behind. Each way falls back to the
// keychain, and none asks twice.
func TestLeanHelperDaemonDiesMidRequest(t *testing.T) {
	t.Parallel()
	for _, stored := range []bool{true, false} {
		name := map[bool]string{true: "key stored", false: "no key stored"}[stored]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			k := newKey(t)
			env, _ := keychainEnv(t, k)
			want, code := "", 2
			if stored {
				env.SecretToolStore(t, k)
				want, code = k+"\n", 0
			}
			sock := socketIn(t, env)
			ways := helperWays(t, env)
			var conns atomic.Int32
			sameFromEach(t, env, ways, want, code, func(helperWay) {
				if n := conns.Swap(0); n > 1 {
					t.Fatalf("the dying daemon got %d connections from one helper call, want 1", n)
				}
				dyingDaemon(t, sock, &conns)
			})
			if n := conns.Load(); n != 1 {
				t.Fatalf("the dying daemon got %d connections from the last call, want 1", n)
			}
		})
	}
}

// socketIn makes the Env's socket folder as the daemon would (0700) and returns the socket path.
func socketIn(t *testing.T, env *testenv.Env) string {
	t.Helper()
	dir := filepath.Join(env.RuntimeDir, "claude-keytray")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "control.sock")
}

// dyingDaemon listens on sock (0600, like the daemon), takes connections until the first full
// request has come in, then drops it and stops listening, leaving the socket file.
func dyingDaemon(t *testing.T, sock string, conns *atomic.Int32) {
	t.Helper()
	os.Remove(sock)
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	if err := os.Chmod(sock, 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer l.Close()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.SetDeadline(time.Now().Add(5 * time.Second))
			r := bufio.NewReader(c)
			got := ""
			for !strings.HasSuffix(got, "\r\n\r\n") {
				line, err := r.ReadString('\n')
				got += line
				if err != nil {
					break
				}
			}
			c.Close()
			if strings.HasPrefix(got, "GET /api/auth/key ") {
				return
			}
		}
	}()
}

func TestDoctorReportsBadRefreshInterval(t *testing.T) {
	t.Parallel()
	k := newKey(t)
	env, _ := keychainEnv(t, k)
	env.SecretToolStore(t, k)
	env.Set("CLAUDE_AUTH_REFRESH_INTERVAL", "abc")
	r := env.Run(t, "doctor", "--no-verify")
	wantExit(t, r, 1, "doctor with CLAUDE_AUTH_REFRESH_INTERVAL=abc")
	if !strings.Contains(r.Stdout, `[FAIL] refresh interval`) || !strings.Contains(r.Stdout, `CLAUDE_AUTH_REFRESH_INTERVAL="abc"`) || !strings.Contains(r.Stdout, "[ok  ] key present") {
		t.Fatalf("doctor should run every check and fail the refresh interval, naming the value:\n%s\nstderr: %s", r.Stdout, r.Stderr)
	}
	// The engine itself still refuses the value, naming it.
	r = env.Run(t, "daemon")
	wantExit(t, r, 1, "daemon with CLAUDE_AUTH_REFRESH_INTERVAL=abc")
	if !strings.Contains(r.Stderr, "CLAUDE_AUTH_REFRESH_INTERVAL") {
		t.Fatalf("daemon's error does not name the variable: %q", r.Stderr)
	}
	env.Set("CLAUDE_AUTH_REFRESH_INTERVAL", "")
	if r := env.Run(t, "doctor", "--no-verify"); !strings.Contains(r.Stdout, "[ok  ] refresh interval") {
		t.Fatalf("doctor without the variable:\n%s", r.Stdout)
	}
}
