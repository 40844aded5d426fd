package auth

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/claude-keytray/claude-keytray/auth/claude"
)

// AppName names the app's folders, the keychain service and the socket's folder.
const AppName = claude.Program

// LockFileName is the engine's lock next to the control socket; it also holds the owner's pid.
const LockFileName = "daemon.lock"

// Paths are every file and folder claude-keytray reads or writes, resolved once from the
// environment so that tests (and users) can move all of them with HOME, XDG_* and CLAUDE_CONFIG_DIR.
type Paths struct {
	Home string
	// Claude is Claude Code's side: its folder, settings, our helper and install's record.
	Claude claude.Files
	// PlainKeyFile is the seed's plaintext key file, ~/.claude/api_key: an import source and,
	// with --store file, the file store.
	PlainKeyFile string

	ConfigDir  string
	ConfigFile string
	StateDir   string
	LogFile    string
	// StateFile keeps what must outlive a process (the key's id, check times, 401 counts).
	StateFile string
	// CallersFile records Claude Code's helper calls for a `key` run without a daemon.
	CallersFile string
	RuntimeDir  string
	Socket      string
	// LockFile is held by the one engine of the user; it also names its pid.
	LockFile string
}

// DefaultPaths resolves Paths from the environment.
func DefaultPaths() (Paths, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return Paths{}, fmt.Errorf("finding the home folder: %w (set HOME)", err)
	}
	var configDir, stateDir string
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		d, err := os.UserConfigDir()
		if err != nil {
			return Paths{}, fmt.Errorf("finding the user config folder: %w", err)
		}
		configDir = filepath.Join(d, AppName)
		stateDir = filepath.Join(configDir, "state")
	} else {
		configDir = filepath.Join(xdgDir("XDG_CONFIG_HOME", home, ".config"), AppName)
		stateDir = filepath.Join(xdgDir("XDG_STATE_HOME", home, filepath.Join(".local", "state")), AppName)
	}
	var runtimeDir string
	if rd := os.Getenv("XDG_RUNTIME_DIR"); rd != "" {
		runtimeDir = filepath.Join(rd, AppName)
	} else {
		// Without XDG_RUNTIME_DIR (servers, containers, macOS, Windows) a per-user private
		// folder under the temp dir; the daemon creates it 0700 and checks its owner.
		runtimeDir = filepath.Join(os.TempDir(), AppName+"-"+strconv.Itoa(os.Getuid()))
	}
	return PathsIn(home, claude.Locate(home, stateDir), configDir, stateDir, runtimeDir), nil
}

// PathsIn lays out every file in the given folders.
func PathsIn(home string, cl claude.Files, configDir, stateDir, runtimeDir string) Paths {
	return Paths{
		Home:         home,
		Claude:       cl,
		PlainKeyFile: filepath.Join(home, ".claude", "api_key"),
		ConfigDir:    configDir,
		ConfigFile:   filepath.Join(configDir, "config.json"),
		StateDir:     stateDir,
		LogFile:      filepath.Join(stateDir, "claude-keytray.log"),
		StateFile:    filepath.Join(stateDir, "state.json"),
		CallersFile:  filepath.Join(stateDir, "callers.json"),
		RuntimeDir:   runtimeDir,
		Socket:       filepath.Join(runtimeDir, "control.sock"),
		LockFile:     filepath.Join(runtimeDir, LockFileName),
	}
}

func xdgDir(env, home, fallback string) string {
	if d := os.Getenv(env); d != "" && filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(home, fallback)
}
