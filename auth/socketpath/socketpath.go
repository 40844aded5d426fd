// Package socketpath is where the control socket lives. The engine (through auth.Paths) and
// the small apiKeyHelper program both use it, so they always meet at the same socket.
package socketpath

import (
	"os"
	"path/filepath"
	"strconv"
)

// FileName is the socket's name in its folder.
const FileName = "control.sock"

// Dir is the socket's private folder: $XDG_RUNTIME_DIR/claude-keytray, or, without
// XDG_RUNTIME_DIR (servers, containers, macOS, Windows), a per-user folder in the temp dir that
// the daemon creates 0700 and whose owner it checks.
func Dir() string {
	if rd := os.Getenv("XDG_RUNTIME_DIR"); rd != "" {
		return filepath.Join(rd, "claude-keytray")
	}
	return filepath.Join(os.TempDir(), "claude-keytray-"+strconv.Itoa(os.Getuid()))
}

// Path is the control socket.
func Path() string { return filepath.Join(Dir(), FileName) }
