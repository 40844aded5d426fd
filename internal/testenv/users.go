//go:build linux

package testenv

import (
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Account is a real unprivileged user of this machine that a test runs programs as.
type Account struct {
	Name     string
	UID, GID int
}

var useraddMu sync.Mutex

// User returns the local account name, creating it (system user, no home, no login shell)
// when it does not exist yet. Creating users needs root: without it the test is skipped, or
// fails when CI=true.
func User(t testing.TB, name string) Account {
	t.Helper()
	if a, ok := lookupAccount(name); ok {
		return a
	}
	if syscall.Getuid() != 0 {
		if InCI() {
			t.Fatalf("testenv: creating the test user %s needs root", name)
		}
		t.Skipf("testenv: creating the test user %s needs root (run the tests as root, as CI does)", name)
	}
	Require(t, "useradd")
	useraddMu.Lock()
	defer useraddMu.Unlock()
	var out []byte
	for i := 0; i < 20; i++ {
		if a, ok := lookupAccount(name); ok {
			return a
		}
		var err error
		out, err = exec.Command("useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
			"--shell", "/usr/sbin/nologin", "--user-group", name).CombinedOutput()
		if err == nil {
			continue
		}
		// Another test binary may hold /etc/passwd's lock for a moment.
		if strings.Contains(string(out), "lock") {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if a, ok := lookupAccount(name); ok {
			return a
		}
		t.Fatalf("testenv: useradd %s: %v: %s", name, err, out)
	}
	if a, ok := lookupAccount(name); ok {
		return a
	}
	t.Fatalf("testenv: useradd %s did not create the user: %s", name, out)
	return Account{}
}

func lookupAccount(name string) (Account, bool) {
	u, err := user.Lookup(name)
	if err != nil {
		return Account{}, false
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return Account{}, false
	}
	return Account{Name: name, UID: uid, GID: gid}, true
}

// As makes cmd run as the account, with no supplementary groups.
func (a Account) As(cmd *exec.Cmd) *exec.Cmd {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(a.UID), Gid: uint32(a.GID), Groups: []uint32{}}
	return cmd
}

// StartCmd starts a prepared command in its own process group, keeps its output, and stops it
// in cleanup, like Env.Start.
func StartCmd(t testing.TB, cmd *exec.Cmd) *Proc {
	t.Helper()
	p := &Proc{Cmd: cmd, name: cmd.Path, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.stdout, &p.stderr
	p.start(t)
	return p
}
