//go:build unix

package auth

// The caller records of `key` runs without a daemon, for the external tests to age them.
type CallerFile = callerFile

var WithCallerFile = withCallerFile
