//go:build !windows

package packaging

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// detach puts the child in a session of its own: no controlling terminal, and a hangup or
// Ctrl-C in the terminal that ran install does not reach it.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}

// terminate asks for a clean exit, which removes the socket and releases the lock.
func terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }

// killHint says how a person ends a process that would not stop.
func killHint(pid int) string { return fmt.Sprintf("end it with your task manager or kill -9 %d", pid) }
