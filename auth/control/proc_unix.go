//go:build unix

package control

import (
	"errors"

	"golang.org/x/sys/unix"
)

// ProcessAlive reports whether pid names a running process. Signal 0 tells: EPERM still means
// the process exists (it belongs to someone else).
func ProcessAlive(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}
