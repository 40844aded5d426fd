//go:build !unix

package auth

import "sync"

// Without a unix file lock, updates are serialised within the process only.
var fileLockMu sync.Mutex

func lockedUpdate(path string, fn func()) error {
	fileLockMu.Lock()
	defer fileLockMu.Unlock()
	fn()
	return nil
}
