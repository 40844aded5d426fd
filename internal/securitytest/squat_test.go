//go:build linux

package securitytest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// The squatter is this test binary run as the second user: it takes a socket path before the
// first user's daemon and serves a fake control API there, printing what reaches it.
const (
	squatterEnv     = "SECURITYTEST_SQUAT_DIR"
	squatterModeEnv = "SECURITYTEST_SQUAT_MODE"
	squatterKeyEnv  = "SECURITYTEST_SQUAT_KEY"
)

// The two real local users of these tests, created on first use.
const (
	userAlice = "ckt-alice"
	userBob   = "ckt-bob"
)

// squatter makes dir (mode from squatterModeEnv), listens on dir/control.sock open to all,
// prints "ready", then one line per connection: "conn" and "read N bytes: FIRST-LINE". It
// answers every request as a healthy daemon would, with its own key.
func squatter(dir string) int {
	mode, _ := strconv.ParseUint(os.Getenv(squatterModeEnv), 8, 32)
	syscall.Umask(0)
	if err := os.Mkdir(dir, os.FileMode(mode)); err != nil && !os.IsExist(err) {
		fmt.Println("mkdir:", err)
		return 1
	}
	sock := filepath.Join(dir, "control.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		fmt.Println("listen:", err)
		return 1
	}
	os.Chmod(sock, 0o777)
	fmt.Println("ready")
	key := os.Getenv(squatterKeyEnv)
	for {
		c, err := l.Accept()
		if err != nil {
			return 0
		}
		go func(c net.Conn) {
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			br := bufio.NewReader(c)
			line, _ := br.ReadString('\n')
			first, n := line, len(line)
			// Read the rest of the headers so the count is what the client sent.
			for line != "" && line != "\r\n" {
				line, _ = br.ReadString('\n')
				n += len(line)
			}
			fmt.Printf("conn read %d bytes\n", n)
			if n == 0 {
				return
			}
			body := `{"state":"ok","key":{"present":true,"fingerprint":"` + auth.Fingerprint(key) + `"},"daemon":{"running":true,"pid":1}}`
			if strings.Contains(first, "/api/auth/key") {
				body = key
			}
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
		}(c)
	}
}

// world is a user's HOME and XDG folders, owned by that user, under a folder others may enter.
type world struct {
	acct testenv.Account
	dir  string
	vars map[string]string
	bin  string
}

// newWorld makes a world for acct with the file store (no keychain needed: these tests are
// about the socket) and the loopback API, and with TMPDIR set to tmp.
func newWorld(t *testing.T, acct testenv.Account, api *testenv.FakeAPI, tmp string) *world {
	t.Helper()
	base := publicDir(t, 0o755)
	w := &world{acct: acct, dir: base, vars: map[string]string{
		"PATH":                os.Getenv("PATH"),
		"LANG":                "C.UTF-8",
		"GORACE":              "atexit_sleep_ms=50",
		"TMPDIR":              tmp,
		"ANTHROPIC_BASE_URL":  api.URL(),
		"NO_AT_BRIDGE":        "1",
		"CLAUDE_KEYTRAY_TEST": "1",
	}}
	for k, sub := range map[string]string{"HOME": "home", "XDG_CONFIG_HOME": "config", "XDG_STATE_HOME": "state", "XDG_CACHE_HOME": "cache", "XDG_DATA_HOME": "data"} {
		p := filepath.Join(base, sub)
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, acct.UID, acct.GID); err != nil {
			t.Fatal(err)
		}
		w.vars[k] = p
	}
	w.writeOwned(t, filepath.Join(w.vars["XDG_CONFIG_HOME"], auth.AppName, "config.json"), `{"store":"file","notifications":false}`)
	w.bin = publicCopy(t, testenv.Binary(t))
	return w
}

// writeOwned writes a file (and its folders) owned by the world's user, mode 0600.
func (w *world) writeOwned(t *testing.T, path, data string) {
	t.Helper()
	rel, _ := filepath.Rel(w.dir, path)
	d := w.dir
	for _, part := range strings.Split(filepath.Dir(rel), string(filepath.Separator)) {
		d = filepath.Join(d, part)
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		os.Chown(d, w.acct.UID, w.acct.GID)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, w.acct.UID, w.acct.GID); err != nil {
		t.Fatal(err)
	}
}

func (w *world) environ() []string {
	var env []string
	for k, v := range w.vars {
		env = append(env, k+"="+v)
	}
	return env
}

func (w *world) cmd(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, w.bin, args...)
	cmd.Env = w.environ()
	cmd.Dir = w.vars["HOME"]
	cmd.WaitDelay = 5 * time.Second
	return w.acct.As(cmd)
}

// run runs the binary as the world's user.
func (w *world) run(t *testing.T, stdin string, args ...string) testenv.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := w.cmd(ctx, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := testenv.Result{Stdout: out.String(), Stderr: errb.String(), Duration: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.ExitCode = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %s as %s: %v", strings.Join(args, " "), w.acct.Name, err)
	}
	return r
}

func (w *world) keyFile() string { return filepath.Join(w.vars["HOME"], ".claude", "api_key") }

func (w *world) storedKey(t *testing.T) string {
	b, err := os.ReadFile(w.keyFile())
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// startDaemon starts the world's daemon and waits until `status --json` (run as the user)
// reports it: that is the user's CLI finding it.
func (w *world) startDaemon(t *testing.T) *testenv.Proc {
	t.Helper()
	p := testenv.StartCmd(t, w.cmd(context.Background(), "daemon"))
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := w.run(t, "", "status", "--json")
		var st auth.Status
		if json.Unmarshal([]byte(r.Stdout), &st) == nil && st.Daemon.Running && st.Daemon.PID == p.Pid() {
			return p
		}
		if p.Exited() {
			t.Fatalf("%s's daemon exited:\n%s", w.acct.Name, p)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's CLI does not find its daemon within 30s; last status: %s %s\ndaemon:\n%s", w.acct.Name, r.Stdout, r.Stderr, p)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// publicDir is a fresh folder with the given mode (0755, or 01777 for a shared temp folder).
func publicDir(t *testing.T, mode os.FileMode) string {
	t.Helper()
	d, err := os.MkdirTemp("", "ckt-shared")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	if err := os.Chmod(d, mode); err != nil {
		t.Fatal(err)
	}
	return d
}

// squat has bob take dir with a fake server; the returned func gives what it printed.
func squat(t *testing.T, bob testenv.Account, dir string, mode os.FileMode, key string) func() string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(publicCopy(t, self))
	cmd.Env = []string{"PATH=/usr/bin:/bin", squatterEnv + "=" + dir, squatterModeEnv + "=" + strconv.FormatUint(uint64(mode), 8), squatterKeyEnv + "=" + key}
	cmd.Dir = "/"
	p := testenv.StartCmd(t, bob.As(cmd))
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(p.Stdout(), "ready") {
		if p.Exited() || time.Now().After(deadline) {
			t.Fatalf("the squatter did not start:\n%s", p)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return p.Stdout
}

// wantRefused checks that a command ran without the squatter's socket and said what to do.
func wantRefused(t *testing.T, r testenv.Result, what, path string) {
	t.Helper()
	if !strings.Contains(r.Stderr, "not using the control socket") || !strings.Contains(r.Stderr, path) {
		t.Fatalf("%s: stderr does not report the squatted socket %s:\n%s", what, path, r.Stderr)
	}
	if !strings.Contains(r.Stderr, "remove it") && !strings.Contains(r.Stderr, "stop it") {
		t.Fatalf("%s: stderr does not say what to do:\n%s", what, r.Stderr)
	}
}

// TestSquattedRuntimeFolder: alice's XDG_RUNTIME_DIR is a folder every user may write (as
// XDG_RUNTIME_DIR=/tmp leaves it); bob creates claude-keytray in it first and serves a fake
// daemon. Alice's key, update-key and status never send it a byte and say what to do; her
// daemon starts anyway in a private folder and her CLI finds it there.
func TestSquattedRuntimeFolder(t *testing.T) {
	requireRoot(t, "runs programs as two other local users")
	alice, bob := testenv.User(t, userAlice), testenv.User(t, userBob)
	k, k2, bobKey := newKey(t), newKey(t), newKey(t)
	api := testenv.NewFakeAPI(t, k, k2)
	shared := publicDir(t, 0o1777)
	w := newWorld(t, alice, api, publicDir(t, 0o1777))
	w.vars["XDG_RUNTIME_DIR"] = shared
	w.writeOwned(t, w.keyFile(), k+"\n")

	taken := filepath.Join(shared, auth.AppName)
	seen := squat(t, bob, taken, 0o755, bobKey)

	r := w.run(t, "", "key")
	if r.ExitCode != 0 || r.Stdout != k+"\n" {
		t.Fatalf("key with a squatted socket: exit %d, got %s, want alice's %s\n%s", r.ExitCode, fp(strings.TrimSpace(r.Stdout)), fp(k), r.Stderr)
	}
	wantRefused(t, r, "key", taken)
	if !strings.Contains(r.Stderr, "uid "+strconv.Itoa(bob.UID)) {
		t.Fatalf("key: the warning does not name the owner uid %d:\n%s", bob.UID, r.Stderr)
	}
	r = w.run(t, k2+"\n", "update-key")
	if r.ExitCode != 0 || w.storedKey(t) != k2 {
		t.Fatalf("update-key with a squatted socket: exit %d, stored %s\n%s%s", r.ExitCode, fp(w.storedKey(t)), r.Stdout, r.Stderr)
	}
	wantRefused(t, r, "update-key", taken)
	r = w.run(t, "", "status", "--json")
	st := parseStatus(t, r, "status --json")
	if st.Daemon.Running || st.Key.Fingerprint != fp(k2) {
		t.Fatalf("status with a squatted socket believes the fake daemon: %+v %+v", st.Daemon, st.Key)
	}
	wantRefused(t, r, "status", taken)
	if out := seen(); strings.Contains(out, "conn") {
		t.Fatalf("alice's commands connected to bob's server:\n%s", out)
	}

	d := w.startDaemon(t)
	st = parseStatus(t, w.run(t, "", "status", "--json"), "status --json")
	sock := st.Daemon.Socket
	if strings.HasPrefix(sock, taken) || !strings.HasPrefix(sock, w.vars["TMPDIR"]) {
		t.Fatalf("alice's daemon listens on %s, want a private folder under her TMPDIR %s", sock, w.vars["TMPDIR"])
	}
	wantPrivate(t, filepath.Dir(sock), alice)
	if !strings.Contains(d.Stderr(), "not safe to use") || !strings.Contains(d.Stderr(), taken) {
		t.Fatalf("the daemon did not log why it moved:\n%s", d.Stderr())
	}
	r = w.run(t, "", "key")
	if r.ExitCode != 0 || r.Stdout != k2+"\n" {
		t.Fatalf("key with alice's daemon running: exit %d, %s\n%s", r.ExitCode, fp(strings.TrimSpace(r.Stdout)), r.Stderr)
	}
	waitFor(t, 5*time.Second, "the key request in alice's daemon log", func() bool {
		return strings.Contains(d.Stderr(), "/api/auth/key")
	})
	if out := seen(); strings.Contains(out, "conn") {
		t.Fatalf("alice's commands connected to bob's server:\n%s", out)
	}
	t.Logf("bob's fake daemon got no connection; alice's daemon listens on %s", sock)
}

// TestSquatWithoutRuntimeDir: with no XDG_RUNTIME_DIR, bob creates an empty 0700 folder at the
// old predictable path (claude-keytray-<alice's uid> in the shared temp folder). Alice's daemon
// starts all the same, in a folder of a random name that is hers alone, and her CLI finds it.
func TestSquatWithoutRuntimeDir(t *testing.T) {
	requireRoot(t, "runs programs as two other local users")
	alice, bob := testenv.User(t, userAlice), testenv.User(t, userBob)
	k := newKey(t)
	api := testenv.NewFakeAPI(t, k)
	tmp := publicDir(t, 0o1777)
	w := newWorld(t, alice, api, tmp)
	w.writeOwned(t, w.keyFile(), k+"\n")
	old := filepath.Join(tmp, auth.AppName+"-"+strconv.Itoa(alice.UID))
	if err := os.Mkdir(old, 0o700); err != nil {
		t.Fatal(err)
	}
	os.Chown(old, bob.UID, bob.GID)

	w.startDaemon(t)
	st := parseStatus(t, w.run(t, "", "status", "--json"), "status --json")
	sock := st.Daemon.Socket
	if filepath.Dir(sock) == old || filepath.Dir(filepath.Dir(sock)) != tmp {
		t.Fatalf("alice's daemon listens on %s, want a new folder in %s", sock, tmp)
	}
	wantPrivate(t, filepath.Dir(sock), alice)
	rec, err := os.ReadFile(filepath.Join(w.vars["XDG_STATE_HOME"], auth.AppName, "socket-dir"))
	if err != nil || strings.TrimSpace(string(rec)) != filepath.Dir(sock) {
		t.Fatalf("the socket's folder is not recorded in the state folder: %q %v", rec, err)
	}
	r := w.run(t, "", "key")
	if r.ExitCode != 0 || r.Stdout != k+"\n" || r.Stderr != "" {
		t.Fatalf("key: exit %d, %s\n%s", r.ExitCode, fp(strings.TrimSpace(r.Stdout)), r.Stderr)
	}
}

// TestForeignServerInOwnFolder: the folder and the socket file are alice's, but the process
// listening is bob's (root moved bob's socket in and gave the file to alice). Only the server's
// credentials (SO_PEERCRED) tell: alice's key connects, sends nothing, and says so.
func TestForeignServerInOwnFolder(t *testing.T) {
	requireRoot(t, "runs programs as two other local users")
	alice, bob := testenv.User(t, userAlice), testenv.User(t, userBob)
	k, bobKey := newKey(t), newKey(t)
	api := testenv.NewFakeAPI(t, k)
	w := newWorld(t, alice, api, publicDir(t, 0o1777))
	rt := filepath.Join(w.dir, "run")
	w.writeOwned(t, filepath.Join(rt, auth.AppName, "placeholder"), "")
	os.Remove(filepath.Join(rt, auth.AppName, "placeholder"))
	w.vars["XDG_RUNTIME_DIR"] = rt
	w.writeOwned(t, w.keyFile(), k+"\n")

	bobDir := filepath.Join(publicDir(t, 0o1777), "bob")
	seen := squat(t, bob, bobDir, 0o755, bobKey)
	mine := filepath.Join(rt, auth.AppName, "control.sock")
	if err := os.Rename(filepath.Join(bobDir, "control.sock"), mine); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(mine, alice.UID, alice.GID); err != nil {
		t.Fatal(err)
	}
	wantPrivate(t, filepath.Dir(mine), alice)

	r := w.run(t, "", "key")
	if r.ExitCode != 0 || r.Stdout != k+"\n" {
		t.Fatalf("key with bob's server on alice's socket: exit %d, %s\n%s", r.ExitCode, fp(strings.TrimSpace(r.Stdout)), r.Stderr)
	}
	wantRefused(t, r, "key", mine)
	if !strings.Contains(r.Stderr, "uid "+strconv.Itoa(bob.UID)) {
		t.Fatalf("key: the warning does not name bob's uid %d:\n%s", bob.UID, r.Stderr)
	}
	r = w.run(t, "", "status")
	wantRefused(t, r, "status", mine)
	waitFor(t, 5*time.Second, "bob's server to see the connections end", func() bool {
		return strings.Count(seen(), "conn") >= 2
	})
	for _, l := range strings.Split(strings.TrimSpace(seen()), "\n") {
		if strings.HasPrefix(l, "conn") && l != "conn read 0 bytes" {
			t.Fatalf("alice sent bob's server data: %s\n%s", l, seen())
		}
	}
}

func wantPrivate(t *testing.T, dir string, owner testenv.Account) {
	t.Helper()
	fi, err := os.Lstat(dir)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || fi.Mode().Perm() != 0o700 || int(st.Uid) != owner.UID {
		t.Fatalf("%s: mode %s uid %d, want a 0700 folder of uid %d", dir, fi.Mode(), st.Uid, owner.UID)
	}
}
