//go:build unix

package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"

	"github.com/claude-keytray/claude-keytray/auth"
	"golang.org/x/sys/unix"
)

// reexecWithout replaces this process (same pid, so a service manager keeps tracking it) by a
// fresh copy of itself whose environment block has no CLAUDE_API_KEY; raw reaches the copy
// through an inherited pipe. It returns only if that failed.
func reexecWithout(raw string) {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "claude-keytray: could not drop %s from the process environment: %v\n", envKeyVar, err)
		return
	}
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(os.Stderr, "claude-keytray: could not drop %s from the process environment: %v\n", envKeyVar, err)
		return
	}
	// A key is at most 16 KiB and a pipe holds 64 KiB: the write never waits for a reader.
	_, werr := io.WriteString(w, raw)
	w.Close()
	fd := int(r.Fd())
	if werr == nil {
		_, werr = unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0)
	}
	if werr == nil {
		werr = syscall.Exec(exe, os.Args, append(os.Environ(), envKeyFDVar+"="+strconv.Itoa(fd)))
	}
	r.Close()
	fmt.Fprintf(os.Stderr, "claude-keytray: could not drop %s from the process environment: %v\n", envKeyVar, werr)
}

// readHandedKey reads the value reexecWithout put in the pipe fd.
func readHandedKey(fd string) string {
	n, err := strconv.Atoi(fd)
	if err != nil || n < 3 {
		return ""
	}
	unix.CloseOnExec(n)
	f := os.NewFile(uintptr(n), envKeyVar)
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, auth.MaxKeyLen+3))
	return string(b)
}
