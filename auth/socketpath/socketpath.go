// Package socketpath is where the control socket lives: its usual folder, and the record the
// daemon leaves in its state folder when it listens in a private folder instead. The engine
// (through auth.Paths) and the small apiKeyHelper program both use it, so they always meet at
// the same socket.
package socketpath

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// FileName is the socket's name in its folder.
const FileName = "control.sock"

// appName names the app's folders (auth.AppName).
const appName = "claude-keytray"

// RecordFileName is the record, in the state folder, of the private folder the daemon listens
// in when the usual one is unset or taken.
const RecordFileName = "socket-dir"

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

// AppDirs are the app's config and state folders for home: on Linux
// $XDG_CONFIG_HOME/claude-keytray and $XDG_STATE_HOME/claude-keytray (~/.config and
// ~/.local/state when unset); on macOS and Windows claude-keytray in the user config folder,
// and its state folder.
func AppDirs(home string) (configDir, stateDir string, err error) {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		d, err := os.UserConfigDir()
		if err != nil {
			return "", "", err
		}
		configDir = filepath.Join(d, appName)
		return configDir, filepath.Join(configDir, "state"), nil
	}
	configDir = filepath.Join(xdgDir("XDG_CONFIG_HOME", home, ".config"), appName)
	stateDir = filepath.Join(xdgDir("XDG_STATE_HOME", home, filepath.Join(".local", "state")), appName)
	return configDir, stateDir, nil
}

func xdgDir(env, home, fallback string) string {
	if d := os.Getenv(env); d != "" && filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(home, fallback)
}

// ReadRecord returns the folder recorded in the record file at path, or "" when there is none
// usable. The record lives in the user's own state folder; what it names must still be checked
// like any socket folder before use.
func ReadRecord(path string) string {
	if path == "" {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil || len(b) > 4096 {
		return ""
	}
	dir := strings.TrimSpace(string(b))
	if !filepath.IsAbs(dir) {
		return ""
	}
	return dir
}

// Recorded is the socket in the private folder the daemon recorded, "" when none is recorded
// (or when it is the usual socket).
func Recorded() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	_, state, err := AppDirs(home)
	if err != nil {
		return ""
	}
	dir := ReadRecord(filepath.Join(state, RecordFileName))
	if dir == "" {
		return ""
	}
	if sock := filepath.Join(dir, FileName); sock != Path() {
		return sock
	}
	return ""
}
