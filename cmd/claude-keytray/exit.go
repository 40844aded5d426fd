package main

import (
	"errors"
	"strings"

	"github.com/claude-keytray/claude-keytray/auth"
)

// Exit codes (DESIGN.md): 2 no key stored, 3 keychain unavailable or locked, 5 key rejected by
// the API, 1 anything else.
const (
	exitNoKey    = 2
	exitKeychain = 3
	exitRejected = 5
)

// exitError carries an exit code through cobra; silent means the message was already printed.
type exitError struct {
	code   int
	err    error
	silent bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode maps the engine's errors to exit codes.
func withCode(err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, auth.ErrUnknownProfile):
		return &exitError{code: exitNoKey, err: err}
	case errors.Is(err, auth.ErrNoKey):
		return &exitError{code: exitNoKey, err: err}
	case errors.Is(err, auth.ErrKeychainUnavailable):
		return &exitError{code: exitKeychain, err: err}
	case errors.Is(err, auth.ErrKeyRejected):
		return &exitError{code: exitRejected, err: err}
	}
	return err
}

// oneLine keeps stderr to one line per error, as scripts and Claude Code's helper log expect.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
