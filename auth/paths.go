package auth

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
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
	RuntimeDir    string
	Socket        string
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

	if rd := os.Getenv("XDG_RUNTIME_DIR"); rd != "" {
		p.RuntimeDir = filepath.Join(rd, AppName)
	} else {
		// Without XDG_RUNTIME_DIR (servers, containers, macOS) a per-user private folder under
		// the temp dir; the daemon creates it 0700 and checks its owner. Windows has no uid
		// (os.Getuid is -1), and its temp folder is the user's own.
		p.RuntimeDir = filepath.Join(os.TempDir(), AppName+"-"+strconv.Itoa(os.Getuid()))
		if runtime.GOOS == "windows" {
			p.RuntimeDir = filepath.Join(os.TempDir(), AppName)
		}
	}
	p.Socket = filepath.Join(p.RuntimeDir, "control.sock")
	return p, nil
}

func xdgDir(env, home, fallback string) string {
	if d := os.Getenv(env); d != "" && filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(home, fallback)
}
