// Package socketpath is where the control socket usually lives. The engine (through auth.Paths)
// and the small apiKeyHelper program both use it, so they always meet at the same socket.
package socketpath

import (
	"os"
	"path/filepath"
	"runtime"
)

// FileName is the socket's name in its folder.
const FileName = "control.sock"

// Dir is the socket's usual private folder, $XDG_RUNTIME_DIR/claude-keytray. Without
// XDG_RUNTIME_DIR (su, ssh without logind, cron, containers, macOS, Windows) there is none: a
// predictable path in the shared temp folder could be taken by another user first, so the daemon
// makes a private folder with a random name and records it (auth/control), and Dir is "" —
// except on Windows, whose temp folder is private to the user.
func Dir() string {
	if rd := os.Getenv("XDG_RUNTIME_DIR"); rd != "" && filepath.IsAbs(rd) {
		return filepath.Join(rd, "claude-keytray")
	}
	if runtime.GOOS == "windows" {
		// Windows' temp folder is the user's own (under the profile, behind its access list).
		return filepath.Join(os.TempDir(), "claude-keytray")
	}
	return ""
}

// Path is the usual control socket, "" when there is none.
func Path() string {
	d := Dir()
	if d == "" {
		return ""
	}
	return filepath.Join(d, FileName)
}
