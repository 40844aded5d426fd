package main

import (
	"fmt"
	"os"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/nodump"
)

// undumpable keeps a process that holds keys out of core dumps (see nodump); a failure is
// said, not fatal: the key must still be served.
func undumpable() {
	if err := nodump.Apply(); err != nil {
		fmt.Fprintf(os.Stderr, "claude-keytray: could not keep this process out of core dumps: %v\n", err)
	}
}

// envKeyVar is claude-keytray's own key variable: a key to import when the keychain holds none.
// ANTHROPIC_API_KEY and ANTHROPIC_AUTH_TOKEN are left alone: they are the user's settings for
// Claude Code and other tools, and status reports them as credentials that win over the helper.
const envKeyVar = "CLAUDE_API_KEY"

// envKeyFDVar names, in a re-executed engine, the pipe that carries CLAUDE_API_KEY's value:
// present only in the copy of the engine that already dropped the variable.
const envKeyFDVar = "CLAUDE_KEYTRAY_IMPORT_FD"

// takeEnvKey is the first thing an engine (daemon, tray) does: it takes CLAUDE_API_KEY out of
// its environment, so no source command or other child inherits it, and returns the value for
// the engine to import. Where the system keeps a copy of the environment the process started
// with (/proc/PID/environ, ps -E), the engine re-executes itself once without the variable,
// handing the value over through a pipe; the marker keeps that from happening twice.
func takeEnvKey() string {
	if fd, ok := os.LookupEnv(envKeyFDVar); ok {
		os.Unsetenv(envKeyFDVar)
		os.Unsetenv(envKeyVar)
		return readHandedKey(fd)
	}
	raw, ok := os.LookupEnv(envKeyVar)
	if !ok {
		return ""
	}
	os.Unsetenv(envKeyVar)
	if len(raw) > auth.MaxKeyLen+2 {
		// Not a key Claude Code would take; the import refuses it with the reason.
		raw = raw[:auth.MaxKeyLen+3]
	}
	reexecWithout(raw)
	// Still here: this system keeps no copy (Windows changes the block itself), or the
	// re-exec failed and the original block keeps the value; children are spared either way.
	return raw
}

// engineEnviron is the environment the engine looks at (conflicts, the one-time import): the
// process's own, plus CLAUDE_API_KEY's value when it was taken out.
func engineEnviron(envKey string) []string {
	env := os.Environ()
	if envKey != "" {
		env = append(env, envKeyVar+"="+envKey)
	}
	return env
}
