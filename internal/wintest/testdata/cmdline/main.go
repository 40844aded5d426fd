// Command cmdline runs the command line in KEYTRAY_CMDLINE exactly as written, through a pipe,
// the way Claude Code runs its apiKeyHelper on Windows (cmd /d /s /c "…", no quoting added in
// between), and prints what it printed. Starting programs from Linux under wine cannot do that:
// wine quotes each argument itself, writing " as \", which cmd does not read.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

func main() {
	cmd := exec.Command(os.Getenv("ComSpec"))
	cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: os.Getenv("KEYTRAY_CMDLINE")}
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	os.Stdout.Write(out)
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		os.Exit(ee.ExitCode())
	case err != nil:
		fmt.Fprintln(os.Stderr, "cmdline:", err)
		os.Exit(120)
	}
}
