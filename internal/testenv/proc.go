//go:build linux

package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Proc is a background process started by an Env. Its output is kept in memory.
type Proc struct {
	Cmd  *exec.Cmd
	name string

	stdout, stderr lockedBuffer
	done           chan struct{}
	err            error // valid after done is closed
}

// Start starts a program in the Env in its own process group and stops it (SIGTERM, then
// SIGKILL after 5 s) in cleanup. Its stdin is empty.
func (e *Env) Start(t testing.TB, name string, args ...string) *Proc {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = e.Environ()
	cmd.Dir = e.Home()
	p := &Proc{Cmd: cmd, name: name, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.stdout, &p.stderr
	p.start(t)
	return p
}

// startReporting starts a daemon that writes one line on file descriptor 3 once it is ready
// (dbus-daemon's address, Xvfb's display number) and returns that line, trimmed. An empty line
// or none within timeout fails the test with the daemon's output.
func (e *Env) startReporting(t testing.TB, timeout time.Duration, name string, args ...string) (*Proc, string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = e.Environ()
	cmd.Dir = e.Home()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatalf("testenv: pipe: %v", err)
	}
	cmd.ExtraFiles = []*os.File{w}
	p := &Proc{Cmd: cmd, name: name, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.stdout, &p.stderr
	p.start(t)
	w.Close()
	line, err := readLineTimeout(r, timeout)
	r.Close()
	line = strings.TrimSpace(line)
	if err != nil || line == "" {
		t.Fatalf("testenv: %s reported nothing on fd 3: %v\n%s", name, err, p)
	}
	return p, line
}

// start runs p.Cmd, whose fields the caller has prepared, and registers its cleanup.
func (p *Proc) start(t testing.TB) {
	t.Helper()
	if p.Cmd.SysProcAttr == nil {
		p.Cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	// Its own group, so stopping it also stops what it spawned.
	p.Cmd.SysProcAttr.Setpgid = true
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("testenv: start %s: %v", p.name, err)
	}
	go func() {
		p.err = p.Cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.Stop(5 * time.Second) {
			t.Logf("testenv: %s (pid %d) had to be killed", p.name, p.Pid())
		}
	})
}

// Pid is the process id.
func (p *Proc) Pid() int { return p.Cmd.Process.Pid }

// Stdout returns what the process wrote to stdout so far.
func (p *Proc) Stdout() string { return p.stdout.String() }

// Stderr returns what the process wrote to stderr so far.
func (p *Proc) Stderr() string { return p.stderr.String() }

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Wait waits up to timeout for the process to end and returns its exit code (-1 for a signal),
// or an error when it is still running.
func (p *Proc) Wait(timeout time.Duration) (int, error) {
	select {
	case <-p.done:
	case <-time.After(timeout):
		return 0, fmt.Errorf("%s (pid %d) still running after %v", p.name, p.Pid(), timeout)
	}
	var ee *exec.ExitError
	switch {
	case p.err == nil:
		return 0, nil
	case errors.As(p.err, &ee):
		return ee.ExitCode(), nil
	default:
		return -1, p.err
	}
}

// Signal sends sig to the process (not its group).
func (p *Proc) Signal(sig syscall.Signal) error {
	if p.Exited() {
		return nil
	}
	return p.Cmd.Process.Signal(sig)
}

// Stop sends SIGTERM to the process group, waits up to grace, then SIGKILLs the group. It
// reports whether the process ended within grace. Calling it again is harmless.
func (p *Proc) Stop(grace time.Duration) bool {
	pgid := p.Pid()
	if p.Exited() {
		return true
	}
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		return true
	case <-time.After(grace):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-p.done
	return false
}

// String names the process and shows its output, for failure messages.
func (p *Proc) String() string {
	return fmt.Sprintf("%s (pid %d)\nstdout:\n%s\nstderr:\n%s", p.name, p.Pid(),
		indent(p.Stdout()), indent(p.Stderr()))
}

func indent(s string) string {
	if s == "" {
		return "  (empty)"
	}
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
