package auth

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/claude-keytray/claude-keytray/auth/claude"
	"github.com/claude-keytray/claude-keytray/auth/socketpath"
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
	// NotesFile is the ledger of what was announced (notified.json); "" puts it in StateDir.
	NotesFile string
	// RuntimeDir and Socket are the usual socket under XDG_RUNTIME_DIR; empty without it.
	RuntimeDir string
	Socket     string
	// SocketRecord names the private folder the daemon listens in when the usual socket is
	// unset or taken.
	SocketRecord string
	// LockFile is held by the one engine of the user and names its pid; it sits next to the
	// socket, in the private folder of SocketRecord when the daemon moved there.
	LockFile string
}

// DefaultPaths resolves Paths from the environment.
func DefaultPaths() (Paths, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return Paths{}, fmt.Errorf("finding the home folder: %w (set HOME)", err)
	}
	configDir, stateDir, err := socketpath.AppDirs(home)
	if err != nil {
		return Paths{}, fmt.Errorf("finding the user config folder: %w", err)
	}
	return PathsIn(home, claude.Locate(home, stateDir), configDir, stateDir, socketpath.Dir()), nil
}

// PathsIn lays out every file in the given folders; runtimeDir "" means there is no usual
// socket (see socketpath.Dir).
func PathsIn(home string, cl claude.Files, configDir, stateDir, runtimeDir string) Paths {
	p := Paths{
		Home:         home,
		Claude:       cl,
		PlainKeyFile: filepath.Join(home, ".claude", "api_key"),
		ConfigDir:    configDir,
		ConfigFile:   filepath.Join(configDir, "config.json"),
		StateDir:     stateDir,
		LogFile:      filepath.Join(stateDir, "claude-keytray.log"),
		StateFile:    filepath.Join(stateDir, "state.json"),
		CallersFile:  filepath.Join(stateDir, "callers.json"),
		NotesFile:    filepath.Join(stateDir, "notified.json"),
		SocketRecord: filepath.Join(stateDir, socketpath.RecordFileName),
		RuntimeDir:   runtimeDir,
	}
	if runtimeDir != "" {
		p.Socket = filepath.Join(runtimeDir, socketpath.FileName)
		p.LockFile = filepath.Join(runtimeDir, LockFileName)
	}
	return p
}
