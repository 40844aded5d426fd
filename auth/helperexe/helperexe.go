// Package helperexe names the pair of programs behind the apiKeyHelper script: claude-keytray
// itself and claude-keytray-key, a small program next to it that asks the running daemon for
// the key with as little code as possible and hands anything else to `claude-keytray key`.
// Both sides derive one name from the other here, so a renamed build (a race-enabled test
// binary, a .exe) keeps its pair.
package helperexe

import (
	"path/filepath"
	"strings"
)

// suffix turns the main program's name into the small helper's: claude-keytray → claude-keytray-key.
const suffix = "-key"

// AskedEnv is set by the small helper when it execs `claude-keytray key` after it already put
// its request to the daemon (which answered with something it does not handle itself, or
// nothing). The full command then goes straight to its fallback instead of asking again: a
// second request from the same process would look to the daemon like Claude Code calling back
// after a 401.
const AskedEnv = "CLAUDE_KEYTRAY_DAEMON_ASKED"

// Lean is the small helper's path for the main program at full: the same folder and extension,
// "-key" added to the name.
func Lean(full string) string {
	ext := exeExt(full)
	return strings.TrimSuffix(full, ext) + suffix + ext
}

// Full is the main program's path for the small helper at lean; false when lean's name does not
// end in "-key".
func Full(lean string) (string, bool) {
	ext := exeExt(lean)
	base := strings.TrimSuffix(lean, ext)
	if !strings.HasSuffix(filepath.Base(base), suffix) || filepath.Base(base) == suffix {
		return "", false
	}
	return strings.TrimSuffix(base, suffix) + ext, true
}

func exeExt(p string) string {
	if e := filepath.Ext(p); strings.EqualFold(e, ".exe") {
		return e
	}
	return ""
}
