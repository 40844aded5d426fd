//go:build !windows

package control

import (
	"errors"
	"io/fs"
	"syscall"
)

// notListening: no socket file (ENOENT) or a file nobody accepts on (ECONNREFUSED, left by a
// killed daemon).
func notListening(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED)
}

// socketsUnsupported: every unix has AF_UNIX.
func socketsUnsupported(err error) bool { return false }
