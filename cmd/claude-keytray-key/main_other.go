//go:build !linux && !darwin

// Command claude-keytray-key is the apiKeyHelper's fast path on Linux and macOS. Elsewhere
// there is no exec to hand over to `claude-keytray key` in the same process, so the helper
// script runs claude-keytray itself; this build only passes its arguments on to it, for
// anyone who runs it by hand.
package main

import (
	"os"

	"github.com/claude-keytray/claude-keytray/auth/helperexe"
)

func main() {
	self, err := os.Executable()
	if err != nil {
		fail("cannot tell where claude-keytray-key is: " + err.Error())
	}
	full, ok := helperexe.Full(self)
	if !ok {
		fail("claude-keytray-key at " + self + " was renamed, so it cannot find claude-keytray next to it; reinstall claude-keytray")
	}
	p, err := os.StartProcess(full, append([]string{full, "key"}, os.Args[1:]...), &os.ProcAttr{Files: []*os.File{os.Stdin, os.Stdout, os.Stderr}})
	if err != nil {
		fail("cannot run " + full + ": " + err.Error())
	}
	st, err := p.Wait()
	if err != nil {
		fail("waiting for " + full + ": " + err.Error())
	}
	os.Exit(st.ExitCode())
}

func fail(msg string) {
	os.Stderr.WriteString("claude-keytray: " + msg + "\n")
	os.Exit(1)
}
