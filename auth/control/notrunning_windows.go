//go:build windows

package control

import (
	"errors"
	"io/fs"

	"golang.org/x/sys/windows"
)

// notListening: Windows reports a missing or abandoned AF_UNIX socket as WSAECONNREFUSED or
// as a missing file.
func notListening(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, windows.WSAECONNREFUSED)
}

// socketsUnsupported: a Windows without AF_UNIX (before 10 1803, and wine) refuses to create
// the socket at all.
func socketsUnsupported(err error) bool {
	return errors.Is(err, windows.WSAEAFNOSUPPORT) || errors.Is(err, windows.WSAEPROTONOSUPPORT) || errors.Is(err, windows.WSAESOCKTNOSUPPORT)
}
