//go:build unix

package main

import (
	"fmt"
	"os"
	"syscall"
)

// restartInto replaces this process with the program at path, same arguments and environment
// and, for systemd or launchd, the same pid.
func restartInto(path string) error {
	err := syscall.Exec(path, append([]string{path}, os.Args[1:]...), os.Environ())
	return fmt.Errorf("restarting into the new %s: %w; start it again by hand", path, err)
}
