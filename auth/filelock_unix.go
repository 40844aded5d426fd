//go:build unix

package auth

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// fileLockWait bounds the wait for another process's update of a shared state file.
const fileLockWait = time.Second

// lockedUpdate runs fn holding an exclusive lock on path+".lock", so the daemon and `key` runs
// without one read and write path one at a time.
func lockedUpdate(path string, fn func()) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	lf, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer lf.Close()
	deadline := time.Now().Add(fileLockWait)
	for {
		err := unix.Flock(int(lf.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
	defer unix.Flock(int(lf.Fd()), unix.LOCK_UN)
	fn()
	return nil
}
