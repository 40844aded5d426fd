//go:build !windows

package auth

import (
	"context"
	"os/exec"
	"syscall"
)

// shellCommand runs a source command in a session of its own, with no controlling terminal and
// stdin from /dev/null (exec's default): a gpg or op that wants a passphrase cannot take over
// the terminal a person ran us from (a pinentry left spinning there after it closed), it uses
// its graphical prompt or fails. Its process group is the session's, so a timeout ends all of it.
func shellCommand(ctx context.Context, command string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Cancel = func() error {
		// The negative pid signals the whole process group the command started.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	return cmd
}
