//go:build windows

package control

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// checkPrivateDir only checks that dir is a real folder: Windows has no owner and mode bits in
// this form. The folder sits in the user's profile (or temp) folder, whose access list admits
// only that user and administrators.
//
// A folder or socket that is not there is no danger: dialling then says whether nothing listens
// or the system has no AF_UNIX sockets at all, which decides how the commands carry on.
func checkPrivateDir(dir string) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking the control socket's folder %s: %w", dir, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 || !fi.IsDir() {
		return &UnsafeSocketError{Path: dir, Problem: fmt.Sprintf("is not a folder (mode %s)", fi.Mode()),
			Fix: "remove it and start claude-keytray again"}
	}
	return nil
}

// checkSocketFile only checks that the socket exists: see checkPrivateDir.
func checkSocketFile(path string) error {
	if _, err := os.Lstat(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("checking the control socket %s: %w", path, err)
	}
	return nil
}
