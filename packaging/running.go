package packaging

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/control"
)

// Running reports whether the app (tray or daemon) answers on the control socket, and its pid.
// It asks the running engine itself (GET /api/auth/status), so a pid left in a lock file by a
// process that died, and since reused, is never taken for ours.
func Running(o Options) (int, bool) {
	if o.Paths.Socket == "" && o.Paths.SocketRecord == "" {
		p, err := auth.DefaultPaths()
		if err != nil {
			return 0, false
		}
		o.Paths = p
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	// The control client checks that the socket and the process serving it are the user's own.
	c := control.ClientFor(o.Paths)
	defer c.Close()
	st, err := c.Status(ctx)
	if err != nil {
		return 0, false
	}
	return st.Daemon.PID, st.Daemon.Running && st.Daemon.PID > 0
}

// startupWait bounds how long Start waits for a new instance to answer: it opens the keychain
// and reads the key before it serves.
const startupWait = 15 * time.Second

// startDirect runs exe in mode in the background, detached from this process and its terminal,
// and waits until it answers on the control socket.
func startDirect(o Options) error {
	cmd := exec.Command(o.Exe, o.Mode.args()...)
	cmd.Dir = o.Paths.Home
	cmd.Env = backgroundEnv(os.Environ())
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("opening %s: %w", os.DevNull, err)
	}
	defer devnull.Close()
	// The app writes its own log; its stdio goes nowhere so that no terminal or pipe of ours
	// keeps it attached (or blocks it once we are gone).
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
	detach(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s %s: %w", o.Exe, o.Mode, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	return waitRunning(o, exited, func(err error) error {
		if _, ok := Running(o); ok {
			return nil // another copy won the race for the lock: one runs, as wanted
		}
		return fmt.Errorf("%s %s exited right after starting (%v); run it in a terminal to see why, or read the log %s", o.Exe, o.Mode, err, o.Paths.LogFile)
	})
}

// waitRunning waits until the app answers, the process it started ends (exited, then onExit
// decides), or startupWait passes.
func waitRunning(o Options, exited <-chan error, onExit func(error) error) error {
	deadline := time.Now().Add(startupWait)
	for {
		if _, ok := Running(o); ok {
			return nil
		}
		select {
		case err := <-exited:
			if err == nil {
				err = errors.New("exit status 0")
			}
			return onExit(err)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			sock, _ := control.Locate(o.Paths)
			return fmt.Errorf("claude-keytray %s did not answer on its control socket %s within %v; see the log %s", o.Mode, sock, startupWait, o.Paths.LogFile)
		}
	}
}

// backgroundEnv drops keys from the environment a long-running process inherits: the app reads
// its key from the keychain, and a key in its environment would only be one more copy (and
// ANTHROPIC_API_KEY would show up as a conflict in its status).
func backgroundEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if slices.Contains(auth.KeyEnvVars, name) {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// stopPID asks the process to end and waits for it; a process that does not end in time is
// killed.
func stopPID(o Options, pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return nil
	}
	if err := terminate(p); err != nil {
		if _, ok := Running(o); !ok {
			return nil
		}
		return fmt.Errorf("stopping claude-keytray (pid %d): %w", pid, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if !control.ProcessAlive(pid) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = p.Kill()
	time.Sleep(100 * time.Millisecond)
	if control.ProcessAlive(pid) {
		return fmt.Errorf("claude-keytray (pid %d) did not stop; end it with your task manager or kill -9 %d", pid, pid)
	}
	return nil
}
