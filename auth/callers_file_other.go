//go:build !unix

package auth

import "time"

// Without a unix file lock (and without caller tracking: see callers_proc_other.go) the
// records of `key` runs without a daemon are not kept.

func (t *callerTracker) observeInFile(path string, id callerID, p Paths, now time.Time) (helperCall, bool) {
	return helperCall{}, false
}

func (t *callerTracker) servedInFile(string, callerID, keySnapshot, time.Time) {}
