//go:build bench && linux

package bench

import (
	"context"
	"crypto/rand"
	"debug/elf"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/claude"
	"github.com/claude-keytray/claude-keytray/auth/control"
	"github.com/claude-keytray/claude-keytray/auth/socketpath"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// world is the benchmark's private session: its own HOME and XDG dirs, D-Bus session,
// unlocked gnome-keyring and loopback API, the binaries under test, one key.
type world struct {
	t    *testing.T
	env  *testenv.Env
	dir  string
	root string
	key  string
	api  *testenv.FakeAPI

	release, standard, floor build
	// releaseLean and standardLean are claude-keytray-key, built next to each.
	releaseLean, standardLean build
	// helper is the script `install` wrote; helperStd has the same shape for the default build.
	// helperFull, helperFloor and plainScript are the same script shape (#!/bin/sh and exec)
	// running `claude-keytray key` (the helper before claude-keytray-key), the floor program
	// and `cat ~/.claude/api_key`.
	helper, helperStd, helperFull, helperFloor, plainScript string
	plainFile                                               string
	sourceFile                                              string
}

// build is one compiled program.
type build struct {
	path    string
	how     string
	size    int64
	linking string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	// A benchmark that skipped would print nothing worth reading: a missing part is an error.
	for bin, pkg := range map[string]string{"dbus-daemon": "dbus", "gnome-keyring-daemon": "gnome-keyring", "secret-tool": "libsecret-tools"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is not on PATH; install the Debian package %s (scripts/install-test-deps.sh installs every test dependency)", bin, pkg)
		}
	}
	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, env: testenv.New(t), dir: t.TempDir(), root: root, key: newKey(t)}

	progress("building the release binary, the default `go build` and the floor program")
	w.release = w.goBuild("release/claude-keytray", "CGO_ENABLED=0 go build -trimpath -ldflags \"-s -w\"",
		[]string{"CGO_ENABLED=0"}, "-trimpath", "-ldflags", "-s -w", "./cmd/claude-keytray")
	w.standard = w.goBuild("default/claude-keytray", "go build", nil, "./cmd/claude-keytray")
	w.releaseLean = w.goBuild("release/claude-keytray-key", "CGO_ENABLED=0 go build -trimpath -ldflags \"-s -w\"",
		[]string{"CGO_ENABLED=0"}, "-trimpath", "-ldflags", "-s -w", "./cmd/claude-keytray-key")
	w.standardLean = w.goBuild("default/claude-keytray-key", "go build", nil, "./cmd/claude-keytray-key")
	w.floor = w.goBuild("floor/floor", "CGO_ENABLED=0 go build -trimpath -ldflags \"-s -w\"",
		[]string{"CGO_ENABLED=0"}, "-tags", "bench", "-trimpath", "-ldflags", "-s -w", "./bench/floor")

	progress("starting a private D-Bus session, gnome-keyring and the loopback API")
	w.env.StartBus(t)
	w.env.StartKeyring(t)
	w.api = testenv.NewFakeAPI(t, w.key)
	w.env.UseFakeAPI(w.api)

	if r := w.env.Exec(t, w.key+"\n", w.release.path, "update-key"); r.ExitCode != 0 {
		t.Fatalf("claude-keytray update-key exited %d: %s", r.ExitCode, r.Stderr)
	}
	if r := w.env.Exec(t, "", w.release.path, "install", "--no-autostart"); r.ExitCode != 0 {
		t.Fatalf("claude-keytray install --no-autostart exited %d: %s", r.ExitCode, r.Stderr)
	}
	w.helper = filepath.Join(w.env.ClaudeDir(), claude.HelperFileName)
	if fi, err := os.Stat(w.helper); err != nil || fi.Mode()&0o100 == 0 {
		t.Fatalf("install wrote no executable helper at %s: %v", w.helper, err)
	}
	w.helperStd = w.script("default/auth_helper.sh", claude.HelperScript(w.standard.path))
	w.helperFloor = w.script("floor/auth_helper.sh", []byte("#!/bin/sh\nexec '"+w.floor.path+"'\n"))
	w.helperFull = w.script("full/auth_helper.sh", []byte("#!/bin/sh\nexec '"+w.release.path+"' key\n"))
	w.plainScript = w.script("plain/auth_helper.sh", []byte("#!/bin/sh\nexec cat \"$HOME/.claude/api_key\"\n"))
	if !strings.Contains(readFile(t, w.helper), w.releaseLean.path) {
		t.Fatalf("the helper install wrote does not run %s:\n%s", w.releaseLean.path, readFile(t, w.helper))
	}
	w.plainFile = w.env.WriteFile(t, ".claude/api_key", w.key, 0o600)
	w.sourceFile = w.env.WriteFile(t, filepath.Join(w.dir, "source-key"), w.key+"\n", 0o600)
	return w
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (w *world) goBuild(out, how string, extraEnv []string, args ...string) build {
	w.t.Helper()
	path := filepath.Join(w.dir, out)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", append([]string{"build", "-o", path}, args...)...)
	cmd.Dir = w.root
	cmd.Env = append(os.Environ(), extraEnv...)
	if b, err := cmd.CombinedOutput(); err != nil {
		w.t.Fatalf("go build %s failed: %v\n%s", strings.Join(args, " "), err, b)
	}
	fi, err := os.Stat(path)
	if err != nil {
		w.t.Fatal(err)
	}
	return build{path: path, how: how, size: fi.Size(), linking: linking(path)}
}

// linking says whether a binary needs the dynamic loader (a cgo build does).
func linking(path string) string {
	f, err := elf.Open(path)
	if err != nil {
		return "?"
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "dynamic (cgo)"
		}
	}
	return "static"
}

func (w *world) script(rel string, body []byte) string {
	w.t.Helper()
	path := filepath.Join(w.dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(path, body, 0o700); err != nil {
		w.t.Fatal(err)
	}
	return path
}

// newKey makes a Console-shaped key, 108 characters like a real one.
func newKey(t *testing.T) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 95)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "sk-ant-api03-" + string(b)
}

// vars is the world's environment with some variables replaced (an empty value removes one).
func (w *world) vars(over map[string]string) []string {
	env := slices.DeleteFunc(w.env.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		_, ok := over[k]
		return ok
	})
	for k, v := range over {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// instanceDirs makes a runtime dir and a state dir of its own for one more engine, so several
// can run side by side (one engine per runtime dir) and keep separate logs. The runtime dir
// sits in the temp dir to keep the socket path short.
func (w *world) instanceDirs(name string) map[string]string {
	w.t.Helper()
	rt, err := os.MkdirTemp("", "ktb-"+name)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { os.RemoveAll(rt) })
	if err := os.Chmod(rt, 0o700); err != nil {
		w.t.Fatal(err)
	}
	state := filepath.Join(w.dir, "state-"+name)
	if err := os.MkdirAll(state, 0o700); err != nil {
		w.t.Fatal(err)
	}
	return map[string]string{"XDG_RUNTIME_DIR": rt, "XDG_STATE_HOME": state}
}

// engineProc is a running daemon or tray.
type engineProc struct {
	name   string
	cmd    *exec.Cmd
	env    []string
	socket string
	// record is the state folder's socket record, read for the socket when the engine runs
	// without XDG_RUNTIME_DIR.
	record  string
	logFile string
	errFile string
	started time.Time
	done    chan struct{}
}

// startEngine starts bin with args (daemon or tray) in the environment env; it is stopped in
// cleanup.
func (w *world) startEngine(name, bin string, env []string, args ...string) *engineProc {
	w.t.Helper()
	get := func(k string) string {
		for _, kv := range env {
			if v, ok := strings.CutPrefix(kv, k+"="); ok {
				return v
			}
		}
		return ""
	}
	p := &engineProc{
		name:    name,
		env:     env,
		socket:  filepath.Join(get("XDG_RUNTIME_DIR"), auth.AppName, "control.sock"),
		record:  filepath.Join(get("XDG_STATE_HOME"), auth.AppName, socketpath.RecordFileName),
		logFile: filepath.Join(get("XDG_STATE_HOME"), auth.AppName, "claude-keytray.log"),
		errFile: filepath.Join(w.dir, name+".stderr"),
		done:    make(chan struct{}),
	}
	// A file, not a pipe: the daemon logs every request to stderr and the benchmark must not
	// be the one reading it.
	errf, err := os.OpenFile(p.errFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		w.t.Fatal(err)
	}
	defer errf.Close()
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env, p.cmd.Dir = env, w.env.Home()
	p.cmd.Stdout, p.cmd.Stderr = errf, errf
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if get("XDG_RUNTIME_DIR") == "" {
		p.socket = "" // known once the daemon has recorded its private folder (waitReady)
	}
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		w.t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	w.t.Cleanup(func() { p.stop() })
	return p
}

func (p *engineProc) pid() int { return p.cmd.Process.Pid }

func (p *engineProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group and waits; SIGKILL after 5 s.
func (p *engineProc) stop() {
	if p.exited() {
		return
	}
	_ = syscall.Kill(-p.pid(), syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
		<-p.done
	}
}

func (p *engineProc) stderr() string {
	b, _ := os.ReadFile(p.errFile)
	return string(b)
}

// waitReady returns how long after its start the socket accepted a connection and the first
// key came back.
func (p *engineProc) waitReady(t *testing.T, limit time.Duration) (sock, key time.Duration) {
	t.Helper()
	deadline := p.started.Add(limit)
	for {
		if p.socket == "" {
			if dir := socketpath.ReadRecord(p.record); dir != "" {
				p.socket = filepath.Join(dir, socketpath.FileName)
			}
		}
		c, err := net.Dial("unix", p.socket)
		if p.socket != "" && err == nil {
			sock = time.Since(p.started)
			c.Close()
			break
		}
		p.checkAlive(t, deadline, "accept connections on "+p.socket)
		time.Sleep(200 * time.Microsecond)
	}
	cl := control.NewClient(p.socket)
	for {
		_, err := cl.Key(context.Background())
		if err == nil {
			return sock, time.Since(p.started)
		}
		p.checkAlive(t, deadline, "serve the key ("+err.Error()+")")
		time.Sleep(200 * time.Microsecond)
	}
}

func (p *engineProc) checkAlive(t *testing.T, deadline time.Time, what string) {
	t.Helper()
	if p.exited() {
		t.Fatalf("%s exited before it could %s:\n%s", p.name, what, p.stderr())
	}
	if time.Now().After(deadline) {
		t.Fatalf("%s did not %s within %v of its start:\n%s", p.name, what, deadline.Sub(p.started), p.stderr())
	}
}

// keyRequests counts the key requests the engine answered with the key, from its log.
func (p *engineProc) keyRequests() int {
	b, err := os.ReadFile(p.logFile)
	if err != nil {
		return 0
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, "path="+control.PathKey+" ") && strings.Contains(line, "status=200") {
			n++
		}
	}
	return n
}

// waitKeyRequests waits (up to 5 s: the log line is written after the answer) until the
// engine's log shows want key requests, and returns the count it saw.
func (p *engineProc) waitKeyRequests(want int) int {
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := p.keyRequests()
		if n >= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *engineProc) sample(t *testing.T) procSample {
	t.Helper()
	s, err := readProc(p.pid())
	if err != nil {
		t.Fatalf("reading /proc of %s (pid %d): %v\n%s", p.name, p.pid(), err, p.stderr())
	}
	return s
}

func (w *world) sh(name, command string, env []string) *contender {
	return &contender{name: name, argv: []string{"/bin/sh", "-c", command}, env: env, dir: w.env.Home(), want: w.key}
}

// shQuote quotes s as one sh word.
func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func mib(kib int64) string { return fmt.Sprintf("%.1f", float64(kib)/1024) }
