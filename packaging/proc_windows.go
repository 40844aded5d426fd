package packaging

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
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

// StopEventName is the named event a running tray or daemon waits on: setting it asks that
// process to stop cleanly (socket, lock and log closed), as SIGTERM does elsewhere.
func StopEventName(pid uint32) string {
	return `Local\claude-keytray-stop-` + strconv.FormatUint(uint64(pid), 10)
}

// terminate asks the process to stop through its stop event; stopPID kills it only if it has
// not stopped in time. A process without the event (an older build) is killed at once.
func terminate(p *os.Process) error {
	name, err := windows.UTF16PtrFromString(StopEventName(uint32(p.Pid)))
	if err != nil {
		return err
	}
	ev, err := windows.OpenEvent(windows.EVENT_MODIFY_STATE, false, name)
	if err != nil {
		return p.Kill()
	}
	defer windows.CloseHandle(ev)
	return windows.SetEvent(ev)
}

// killHint says how a person ends a process that would not stop.
func killHint(pid int) string {
	return fmt.Sprintf("end it in Task Manager or with taskkill /F /PID %d", pid)
}
