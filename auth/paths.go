package auth

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// AppName names the app's folders, the keychain service and the socket's folder.
const AppName = "claude-keytray"

// Paths are every file and folder claude-keytray reads or writes, resolved once from the
// environment so that tests (and users) can move all of them with HOME, XDG_* and CLAUDE_CONFIG_DIR.
type Paths struct {
	Home string
	// ClaudeDir is $CLAUDE_CONFIG_DIR or ~/.claude.
	ClaudeDir    string
	HelperPath   string
	SettingsPath string
	// PlainKeyFile is the seed's plaintext key file, ~/.claude/api_key: an import source and,
	// with --store file, the file store.
	PlainKeyFile string

	ConfigDir  string
	ConfigFile string
	StateDir   string
	LogFile    string
	// InstallRecord remembers what install changed so uninstall can undo exactly that.
	InstallRecord string
	// RuntimeDir and Socket are the usual socket under XDG_RUNTIME_DIR; empty without it.
	RuntimeDir string
	Socket     string
	// SocketRecord names the private folder the daemon listens in when the usual socket is
	// unset or taken.
	SocketRecord string
}

// DefaultPaths resolves Paths from the environment.
func DefaultPaths() (Paths, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return Paths{}, fmt.Errorf("finding the home folder: %w (set HOME)", err)
	}
	p := Paths{Home: home}
	p.ClaudeDir = os.Getenv("CLAUDE_CONFIG_DIR")
	if p.ClaudeDir == "" {
		p.ClaudeDir = filepath.Join(home, ".claude")
	}
	p.HelperPath = filepath.Join(p.ClaudeDir, HelperFileName)
	p.SettingsPath = filepath.Join(p.ClaudeDir, "settings.json")
	p.PlainKeyFile = filepath.Join(home, ".claude", "api_key")

	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		d, err := os.UserConfigDir()
		if err != nil {
			return Paths{}, fmt.Errorf("finding the user config folder: %w", err)
		}
		p.ConfigDir = filepath.Join(d, AppName)
		p.StateDir = filepath.Join(p.ConfigDir, "state")
	} else {
		p.ConfigDir = filepath.Join(xdgDir("XDG_CONFIG_HOME", home, ".config"), AppName)
		p.StateDir = filepath.Join(xdgDir("XDG_STATE_HOME", home, filepath.Join(".local", "state")), AppName)
	}
	p.ConfigFile = filepath.Join(p.ConfigDir, "config.json")
	p.LogFile = filepath.Join(p.StateDir, "claude-keytray.log")
	p.InstallRecord = filepath.Join(p.StateDir, "install.json")

	// Without XDG_RUNTIME_DIR (su, ssh without logind, cron, containers, macOS, Windows) there is
	// no usual socket: a predictable path in the shared temp folder could be taken by another
	// user first. The daemon then makes a private folder with a random name there and records it
	// here, in the user's own state folder, for clients to find (auth/control).
	p.SocketRecord = filepath.Join(p.StateDir, "socket-dir")
	if rd := os.Getenv("XDG_RUNTIME_DIR"); rd != "" && filepath.IsAbs(rd) {
		p.RuntimeDir = filepath.Join(rd, AppName)
		p.Socket = filepath.Join(p.RuntimeDir, "control.sock")
	}
	return p, nil
}

func xdgDir(env, home, fallback string) string {
	if d := os.Getenv(env); d != "" && filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(home, fallback)
}
