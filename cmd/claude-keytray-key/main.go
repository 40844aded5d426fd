//go:build linux || darwin

// Command claude-keytray-key is the apiKeyHelper's fast path. Claude Code starts the helper
// afresh for every key it needs, and most of that time is starting a process, so this program
// links as little as it can: it checks the control socket, asks the running daemon for the key
// in one raw HTTP/1.1 request over raw syscalls, and prints it. Anything else — arguments, a
// profile, no daemon, an answer other than a key — it hands to `claude-keytray key` next to it
// by exec, in the same process, so the daemon still sees the real caller and every behaviour
// of that command (exit codes, messages, the keychain fallback, the 401 bookkeeping) is kept.
package main

import (
	"os"
	"syscall"

	"github.com/claude-keytray/claude-keytray/auth/helperexe"
	"github.com/claude-keytray/claude-keytray/auth/socketpath"
)

func main() {
	if len(os.Args) > 1 || os.Getenv("CLAUDE_KEYTRAY_PROFILE") != "" {
		execFull(false)
	}
	// The usual socket first; when nothing listens there (no XDG_RUNTIME_DIR, as on macOS, or
	// its folder was taken), the private folder the daemon recorded.
	key, asked := askDaemon(socketpath.Path())
	if key == nil && !asked {
		key, asked = askDaemon(socketpath.Recorded())
	}
	if key == nil {
		execFull(asked)
	}
	if _, err := os.Stdout.Write(key); err != nil {
		os.Stderr.WriteString("claude-keytray: " + err.Error() + "\n")
		os.Exit(1)
	}
}

// execFull replaces this process with `claude-keytray key` and the same arguments and
// environment; asked tells it the daemon was already asked.
func execFull(asked bool) {
	self, err := os.Executable()
	if err != nil {
		fail("cannot tell where claude-keytray-key is (" + err.Error() + "); point the helper at claude-keytray key by running claude-keytray install")
	}
	full, ok := helperexe.Full(self)
	if !ok {
		fail("claude-keytray-key at " + self + " was renamed, so it cannot find claude-keytray next to it; reinstall claude-keytray")
	}
	env := os.Environ()
	if asked {
		env = append(env, helperexe.AskedEnv+"=1")
	}
	args := append([]string{full, "key"}, os.Args[1:]...)
	err = syscall.Exec(full, args, env)
	fail("cannot run " + full + " (" + err.Error() + "); claude-keytray-key needs claude-keytray in the same folder: reinstall claude-keytray")
}

func fail(msg string) {
	os.Stderr.WriteString("claude-keytray: " + msg + "\n")
	os.Exit(1)
}
