package packaging

import (
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/windows"
)

// detach starts the child without a console and outside our process group, so closing the
// terminal that ran install does not end it.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{
		CreationFlags: windows.DETACHED_PROCESS | windows.CREATE_NEW_PROCESS_GROUP,
		HideWindow:    true,
	}
}

// terminate ends the process. Windows has no SIGTERM for a process without a console; the
// engine copes with the socket and lock a killed process leaves behind.
func terminate(p *os.Process) error { return p.Kill() }
