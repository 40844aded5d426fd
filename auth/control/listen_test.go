package control_test

import (
	"bufio"
	"context"
	"errors"
	"io/fs"
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
	"github.com/claude-keytray/claude-keytray/auth/control"
)

func TestListenModesAndPID(t *testing.T) {
	testEnv(t)
	sock, c := startServer(t, &fakeEngine{key: keyA}, nil)

	fi, err := os.Lstat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&fs.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %s, want a socket with 0600", fi.Mode())
	}
	di, err := os.Lstat(filepath.Dir(sock))
	if err != nil {
		t.Fatal(err)
	}
	if !di.IsDir() || di.Mode().Perm() != 0o700 {
		t.Fatalf("socket folder mode %s, want 0700", di.Mode())
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(sock), auth.LockFileName))
	if err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Fatalf("lock file holds %q (%v), want our pid %d", b, err, os.Getpid())
	}
	if pid, ok := control.ReadPID(sock); !ok || pid != os.Getpid() {
		t.Fatalf("ReadPID = %d, %v; want %d", pid, ok, os.Getpid())
	}
	if _, err := c.Status(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestSecondListenInSameProcess(t *testing.T) {
	testEnv(t)
	sock, c := startServer(t, &fakeEngine{key: keyA}, nil)

	l, lk, err := control.Listen(sock)
	var are *control.AlreadyRunningError
	if !errors.As(err, &are) || are.PID != os.Getpid() || err.Error() != "already running (pid "+strconv.Itoa(os.Getpid())+")" {
		t.Fatalf("second Listen: %v %v %v", l, lk, err)
	}
	// The refused second daemon must leave the first one's socket alone.
	if _, err := c.Status(context.Background()); err != nil {
		t.Fatalf("the first daemon stopped answering after a refused second Listen: %v", err)
	}
}

// TestOtherProcessLockAndKilledDaemon runs a real second daemon process, checks it blocks us,
// kills it with SIGKILL (no cleanup) and checks its leftover socket is replaced.
func TestOtherProcessLockAndKilledDaemon(t *testing.T) {
	testEnv(t)
	sock := socketPath(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CONTROL_TEST_HOLD="+sock)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("the second daemon did not start: %q %v", line, err)
	}
	child := cmd.Process.Pid

	c := control.NewClient(sock)
	if got, err := c.Key(context.Background()); err != nil || got != keyA {
		t.Fatalf("the other process does not serve: %v", err)
	}
	_, _, err = control.Listen(sock)
	var are *control.AlreadyRunningError
	if !errors.As(err, &are) || are.PID != child {
		t.Fatalf("Listen while pid %d runs: %v", child, err)
	}
	if pid, ok := control.ReadPID(sock); !ok || pid != child {
		t.Fatalf("ReadPID = %d, %v; want %d", pid, ok, child)
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if _, err := os.Lstat(sock); err != nil {
		t.Fatalf("a killed daemon should leave its socket behind for this test: %v", err)
	}
	if _, ok := control.ReadPID(sock); ok {
		t.Fatal("ReadPID reports a killed daemon as running")
	}
	if _, err := c.Status(context.Background()); !errors.Is(err, control.ErrNotRunning) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("Status against a dead daemon's socket: %v, want ErrNotRunning", err)
	}
	if _, err := c.Key(context.Background()); !errors.Is(err, control.ErrNotRunning) {
		t.Fatalf("Key against a dead daemon's socket: %v, want ErrNotRunning", err)
	}

	_, c2 := startServer(t, &fakeEngine{key: keyB}, nil)
	if got, err := c2.Key(context.Background()); err != nil || got != keyB {
		t.Fatalf("after replacing the stale socket: %v", err)
	}
}

func TestReleaseRemovesSocket(t *testing.T) {
	testEnv(t)
	sock := socketPath(t)
	l, lk, err := control.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if err := lk.Release(); err != nil {
		t.Fatal(err)
	}
	if err := lk.Release(); err != nil {
		t.Fatalf("second Release: %v", err)
	}
	if _, err := os.Lstat(sock); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("socket still there after Release: %v", err)
	}
	if _, ok := control.ReadPID(sock); ok {
		t.Fatal("ReadPID reports a daemon after Release")
	}
	l2, lk2, err := control.Listen(sock)
	if err != nil {
		t.Fatalf("Listen after Release: %v", err)
	}
	l2.Close()
	lk2.Release()
}

func TestListenReplacesStaleSocketFile(t *testing.T) {
	testEnv(t)
	sock := socketPath(t)
	if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
		t.Fatal(err)
	}
	// A socket file with nobody behind it, as a crash leaves.
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ul.SetUnlinkOnClose(false)
	ul.Close()
	if _, err := control.NewClient(sock).Status(context.Background()); !errors.Is(err, control.ErrNotRunning) {
		t.Fatalf("Status on a stale socket: %v", err)
	}
	_, c := startServer(t, &fakeEngine{key: keyA}, nil)
	if _, err := c.Status(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestListenRefusals(t *testing.T) {
	root := testEnv(t)

	open := filepath.Join(root, "open", "control.sock")
	if err := os.MkdirAll(filepath.Dir(open), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Dir(open), 0o755)
	if _, _, err := control.Listen(open); err == nil || !strings.Contains(err.Error(), "chmod 700") {
		t.Fatalf("Listen in a 0755 folder: %v", err)
	}

	notSock := filepath.Join(root, "file", "control.sock")
	os.MkdirAll(filepath.Dir(notSock), 0o700)
	os.WriteFile(notSock, []byte("x"), 0o600)
	if _, _, err := control.Listen(notSock); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("Listen over a regular file: %v", err)
	}
	if _, err := os.Stat(notSock); err != nil {
		t.Fatal("Listen removed a regular file")
	}

	long := filepath.Join(root, strings.Repeat("d", 100), "control.sock")
	if _, _, err := control.Listen(long); err == nil || !strings.Contains(err.Error(), "XDG_RUNTIME_DIR") {
		t.Fatalf("Listen on a too long path: %v", err)
	}

	if os.Getuid() != 0 {
		t.Skip("checking a folder owned by another user needs root to chown it")
	}
	foreign := filepath.Join(root, "foreign", "control.sock")
	os.MkdirAll(filepath.Dir(foreign), 0o700)
	if err := os.Chown(filepath.Dir(foreign), 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, _, err := control.Listen(foreign); err == nil || !strings.Contains(err.Error(), "belongs to uid 65534") {
		t.Fatalf("Listen in another user's folder: %v", err)
	}
}

func TestClientNotRunning(t *testing.T) {
	root := testEnv(t)
	c := control.NewClient(filepath.Join(root, "nowhere", "control.sock"))
	ctx := context.Background()
	start := time.Now()
	_, err1 := c.Status(ctx)
	_, err2 := c.Refresh(ctx)
	_, err3 := c.UpdateKey(ctx, keyA, true)
	_, err4 := c.ReportAuthFailure(ctx, "run")
	_, err5 := c.Key(ctx)
	for i, err := range []error{err1, err2, err3, err4, err5} {
		if !errors.Is(err, control.ErrNotRunning) {
			t.Errorf("call %d: %v, want ErrNotRunning", i+1, err)
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("finding no daemon took %s", d)
	}
}

// TestOldListenerCloseKeepsNewSocket: a daemon that releases before closing its listener must
// not delete the socket of the daemon that started in between.
func TestOldListenerCloseKeepsNewSocket(t *testing.T) {
	testEnv(t)
	sock := socketPath(t)
	l1, lk1, err := control.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	if err := lk1.Release(); err != nil {
		t.Fatal(err)
	}
	l2, lk2, err := control.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	defer lk2.Release()
	defer l2.Close()
	l1.Close()
	if fi, err := os.Lstat(sock); err != nil || fi.Mode()&fs.ModeSocket == 0 {
		t.Fatalf("the new daemon's socket is gone after the old listener closed: %v", err)
	}
}
