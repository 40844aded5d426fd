package auth

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// shellCommand runs command through cmd as typed at a prompt. The command line is set by hand:
// Go's quoting of arguments writes a " inside an argument as \", which cmd does not read, so a
// command with quoted paths would reach cmd mangled. /s /c "…" hands cmd the text between the
// outer quotes unchanged.
func shellCommand(ctx context.Context, command string) *exec.Cmd {
	comspec := os.Getenv("ComSpec")
	if comspec == "" {
		comspec = filepath.Join(os.Getenv("SystemRoot"), "System32", "cmd.exe")
	}
	cmd := exec.CommandContext(ctx, comspec)
	// No console window flashes up when the tray (a GUI program) runs the source.
	const createNoWindow = 0x08000000
	cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: `cmd /d /s /c "` + command + `"`, HideWindow: true, CreationFlags: createNoWindow}
	return cmd
}
