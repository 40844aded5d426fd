//go:build linux

package securitytest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth/control"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// The other-user test runs this test binary again as uid 65534 with these variables: it then
// plays an intruder against the socket instead of running tests (see TestMain).
const (
	intruderEnv    = "SECURITYTEST_INTRUDER_SOCKET"
	intruderKeyEnv = "SECURITYTEST_INTRUDER_KEY"
)

// intruder tries every endpoint of the control API and prints one line per try: "dial: <error>"
// when it cannot even connect, else "<METHOD> <path> <status> <body>".
func intruder(sock string) int {
	fmt.Printf("uid %d\n", os.Getuid())
	c, err := net.Dial("unix", sock)
	if err != nil {
		fmt.Printf("dial: %v\n", err)
		return 0
	}
	c.Close()
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
	tries := []struct{ method, path, body string }{
		{http.MethodGet, control.PathKey, ""},
		{http.MethodGet, control.PathStatus, ""},
		{http.MethodPost, control.PathRefresh, ""},
		{http.MethodPost, control.PathUpdateKey, `{"key":"` + os.Getenv(intruderKeyEnv) + `","verify":false}`},
		{http.MethodPost, control.PathAuthFailure, `{"origin":"intruder"}`},
	}
	for _, tr := range tries {
		req, _ := http.NewRequest(tr.method, "http://claude-keytray"+tr.path, strings.NewReader(tr.body))
		resp, err := hc.Do(req)
		if err != nil {
			fmt.Printf("%s %s error %v\n", tr.method, tr.path, err)
			continue
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		fmt.Printf("%s %s %d %s\n", tr.method, tr.path, resp.StatusCode, strings.ReplaceAll(string(b), "\n", " "))
	}
	return 0
}

// publicCopy copies a file into a folder every user may enter, so another uid can run it.
func publicCopy(t testing.TB, src string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "securitytest-public")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, filepath.Base(src))
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return dst
}

// asNobody runs a program as uid/gid 65534 with no supplementary groups.
func asNobody(t testing.TB, env []string, name string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := execCommand(ctx, "setpriv", append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", "--", name}, args...)...)
	cmd.Env = env
	cmd.Dir = "/"
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		code = -1
		if ee, ok := err.(interface{ ExitCode() int }); ok {
			code = ee.ExitCode()
		}
	}
	return string(out), code
}

// TestOtherUserOnSocket has another user (uid 65534, through setpriv) try the control socket.
// First as installed: the socket's folder is private, so connecting fails. Then with the folder
// and socket opened up to everyone, as a careless chmod would leave them: the daemon checks the
// caller's uid with SO_PEERCRED and answers 403 to every endpoint, never with the key, and the
// intruder's update-key does not reach the keychain.
func TestOtherUserOnSocket(t *testing.T) {
	t.Parallel()
	testenv.Require(t, "setpriv")
	if os.Getuid() != 0 {
		if testenv.InCI() {
			t.Fatal("this test switches to uid 65534 with setpriv and must run as root")
		}
		t.Skip("this test switches to uid 65534 with setpriv and must run as root")
	}
	k, attacker := newKey(t), newKey(t)
	env, _ := keychainWorld(t, k, attacker)
	env.SecretToolStore(t, k)
	d := startDaemon(t, env)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	intruderBin := publicCopy(t, self)
	sock := socketPath(env)
	ienv := []string{"PATH=/usr/bin:/bin", intruderEnv + "=" + sock, intruderKeyEnv + "=" + attacker, "HOME=/nonexistent"}

	out, code := asNobody(t, ienv, intruderBin)
	if code != 0 || !strings.Contains(out, "uid 65534") || !strings.Contains(out, "dial:") || !strings.Contains(out, "permission denied") {
		t.Fatalf("another user connecting to the private socket: exit %d, want a refused connection:\n%s", code, out)
	}
	if strings.Contains(out, k) {
		t.Fatal("the other user got the key")
	}

	// Opened up: every folder on the way may be traversed and the socket written by anyone.
	for _, p := range []string{env.RuntimeDir, filepath.Dir(sock)} {
		if err := os.Chmod(p, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(sock, 0o666); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.Chmod(filepath.Dir(sock), 0o700)
		os.Chmod(env.RuntimeDir, 0o700)
	})
	out, code = asNobody(t, ienv, intruderBin)
	if code != 0 || strings.Contains(out, "dial:") {
		t.Fatalf("the intruder could not connect to the opened socket (exit %d):\n%s", code, out)
	}
	lines := 0
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "GET ") && !strings.HasPrefix(l, "POST ") {
			continue
		}
		lines++
		if f := strings.Fields(l); len(f) < 3 || f[2] != "403" || !strings.Contains(l, `"forbidden"`) {
			t.Errorf("another user got an answer other than 403 forbidden: %s", l)
		}
	}
	if lines != 5 {
		t.Fatalf("the intruder tried %d endpoints, want 5:\n%s", lines, out)
	}
	if strings.Contains(out, k) || strings.Contains(out, "sk-ant-api03-…") {
		t.Fatalf("the answers to another user hold the key or its fingerprint:\n%s", out)
	}
	if got := stored(t, env); got != k {
		t.Fatalf("after the intruder the keychain holds %s, want %s", fp(got), fp(k))
	}
	// The owner's own client does not talk through a folder others can reach either.
	if _, err := daemonStatus(t, env); err == nil || !strings.Contains(err.Error(), "chmod 700") {
		t.Fatalf("the owner's client used the opened socket: %v", err)
	}
	os.Chmod(filepath.Dir(sock), 0o700)
	if st, err := daemonStatus(t, env); err != nil || st.AuthFailures.Count != 0 || st.Key.Fingerprint != fp(k) {
		t.Fatalf("the intruder changed the daemon's state: %v, %+v", err, st)
	}
	waitFor(t, 5*time.Second, "the refusal in the daemon's log", func() bool {
		return strings.Contains(d.Stderr(), "another user connected")
	})

	// The real CLI run by the other user, pointed at this user's socket, gets nothing either.
	cliBin := publicCopy(t, testenv.Binary(t))
	home := t.TempDir()
	os.Chmod(filepath.Dir(home), 0o755)
	os.Chown(home, 65534, 65534)
	cenv := []string{"PATH=/usr/bin:/bin", "HOME=" + home, "XDG_RUNTIME_DIR=" + env.RuntimeDir,
		"DBUS_SESSION_BUS_ADDRESS=" + env.Get("DBUS_SESSION_BUS_ADDRESS")}
	out, code = asNobody(t, cenv, cliBin, "key")
	if code == 0 || strings.Contains(out, k) {
		t.Fatalf("`claude-keytray key` as another user: exit %d, want a failure without the key:\n%s", code, out)
	}
	t.Logf("as uid 65534: private socket → %q; opened socket → 403 on all 5 endpoints; CLI key → exit %d", "permission denied", code)
}

// TestTwoDaemons starts a second daemon next to a running one: it exits 1 saying one runs (the
// log names the first's pid) and the first keeps serving.
func TestTwoDaemons(t *testing.T) {
	t.Parallel()
	k := newKey(t)
	env, _ := keychainWorld(t, k)
	env.SecretToolStore(t, k)
	first := startDaemon(t, env)
	second := env.StartBinary(t, "daemon")
	code, err := second.Wait(15 * time.Second)
	if err != nil || code != 1 || !strings.Contains(second.Stderr(), "already runs for this user") {
		t.Fatalf("a second daemon: exit %d (%v), want 1 saying one already runs:\n%s", code, err, second)
	}
	// The pid is for the log, not for the line a person reads.
	logText, _ := os.ReadFile(filepath.Join(env.Get("XDG_STATE_HOME"), "claude-keytray", "claude-keytray.log"))
	if !strings.Contains(string(logText), fmt.Sprintf("already running (pid %d)", first.Pid())) {
		t.Fatalf("the log does not name the first daemon's pid %d:\n%s", first.Pid(), logText)
	}
	st, err := daemonStatus(t, env)
	if err != nil || st.Daemon.PID != first.Pid() || first.Exited() {
		t.Fatalf("after a second daemon tried to start, the first one does not serve: %v %+v", err, st.Daemon)
	}
	r := quick(t, env, 2*time.Second, "", "key")
	if r.ExitCode != 0 || r.Stdout != k+"\n" {
		t.Fatalf("key: exit %d, %s", r.ExitCode, fp(strings.TrimSpace(r.Stdout)))
	}
}

// TestStaleSocket: after a daemon is SIGKILLed its socket file stays. The helper must not hang
// on it (it falls back to the keychain at once), and the next daemon replaces it. A path that is
// not a socket is never deleted.
func TestStaleSocket(t *testing.T) {
	t.Parallel()
	k := newKey(t)
	env, _ := keychainWorld(t, k)
	env.SecretToolStore(t, k)
	p := startDaemon(t, env)
	_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
	_, _ = p.Wait(10 * time.Second)
	if fi, err := os.Lstat(socketPath(env)); err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("the killed daemon left no socket behind (%v): nothing to test", err)
	}
	r := quick(t, env, 2*time.Second, "", "key")
	if r.ExitCode != 0 || r.Stdout != k+"\n" {
		t.Fatalf("key with a stale socket: exit %d, %s\nstderr: %s", r.ExitCode, fp(strings.TrimSpace(r.Stdout)), r.Stderr)
	}
	if st := statusOf(t, env); st.Daemon.Running {
		t.Fatalf("status says a daemon runs: %+v", st.Daemon)
	}
	p2 := startDaemon(t, env)
	if st, err := daemonStatus(t, env); err != nil || st.Daemon.PID != p2.Pid() {
		t.Fatalf("the new daemon did not take over the stale socket: %v %+v", err, st.Daemon)
	}
	p2.Stop(5 * time.Second)

	// Something else at the socket's path is left alone and named in the error.
	if err := os.WriteFile(socketPath(env), []byte("not a socket"), 0o600); err != nil {
		t.Fatal(err)
	}
	p3 := env.StartBinary(t, "daemon")
	code, err := p3.Wait(15 * time.Second)
	if err != nil || code == 0 || !strings.Contains(p3.Stderr(), "not a socket") {
		t.Fatalf("a daemon over a regular file at the socket path: exit %d (%v):\n%s", code, err, p3)
	}
	if b, _ := os.ReadFile(socketPath(env)); string(b) != "not a socket" {
		t.Fatal("the daemon replaced a file that was not a socket")
	}
}

// TestFrozenDaemon: a daemon that stops answering (SIGSTOP) must not hang the helper: `key`
// gives up on it after the client's timeout and answers from the keychain.
func TestFrozenDaemon(t *testing.T) {
	t.Parallel()
	k := newKey(t)
	env, _ := keychainWorld(t, k)
	env.SecretToolStore(t, k)
	p := startDaemon(t, env)
	if err := syscall.Kill(p.Pid(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(p.Pid(), syscall.SIGCONT) })
	r := quick(t, env, control.KeyTimeout+2*time.Second, "", "key")
	if r.ExitCode != 0 || r.Stdout != k+"\n" {
		t.Fatalf("key with a frozen daemon: exit %d, %s\nstderr: %s", r.ExitCode, fp(strings.TrimSpace(r.Stdout)), r.Stderr)
	}
	t.Logf("key with a frozen daemon answered from the keychain in %v", r.Duration.Round(time.Millisecond))
}
