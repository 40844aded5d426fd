package packaging

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/claude-keytray/claude-keytray/auth"
)

// Mode is how the app runs when started at login.
type Mode string

const (
	// ModeTray runs `claude-keytray tray`: the icon in a desktop session.
	ModeTray Mode = "tray"
	// ModeDaemon runs `claude-keytray daemon`: the engine alone, for machines without a desktop.
	ModeDaemon Mode = "daemon"
)

// Options say what to register and where.
type Options struct {
	// Exe is claude-keytray's absolute path; empty means this program.
	Exe string
	// Mode is what to start; empty means DefaultMode().
	Mode Mode
	// Paths are the user's folders; the zero value means auth.DefaultPaths().
	Paths auth.Paths
	// DryRun reports what would change and changes nothing.
	DryRun bool
}

// DefaultMode is ModeTray in a desktop session (DISPLAY or WAYLAND_DISPLAY set, or macOS or
// Windows) and ModeDaemon otherwise.
func DefaultMode() Mode {
	m, _ := detectMode()
	return m
}

// ModeReason says in a few words why DefaultMode chose what it chose, for the output of
// install and setup.
func ModeReason() string {
	_, why := detectMode()
	return why
}

func detectMode() (Mode, string) {
	switch runtime.GOOS {
	case "darwin", "windows":
		return ModeTray, "a desktop session"
	}
	if os.Getenv("WAYLAND_DISPLAY") != "" {
		return ModeTray, "a desktop session (WAYLAND_DISPLAY is set)"
	}
	if d := os.Getenv("DISPLAY"); d != "" {
		// A display forwarded over SSH is gone at the next login; the machine has no desktop
		// of its own to start a tray in.
		if os.Getenv("SSH_CONNECTION") != "" && strings.HasPrefix(d, "localhost:") {
			return ModeDaemon, "no desktop session (DISPLAY=" + d + " is forwarded over SSH)"
		}
		return ModeTray, "a desktop session (DISPLAY=" + d + ")"
	}
	return ModeDaemon, "no desktop session (neither DISPLAY nor WAYLAND_DISPLAY is set)"
}

// resolve fills the defaults and checks what the caller gave.
func (o Options) resolve() (Options, error) {
	if o.Mode == "" {
		o.Mode = DefaultMode()
	}
	if o.Mode != ModeTray && o.Mode != ModeDaemon {
		return o, fmt.Errorf("unknown start mode %q: want %q or %q", o.Mode, ModeTray, ModeDaemon)
	}
	if o.Exe == "" {
		e, err := os.Executable()
		if err != nil {
			return o, fmt.Errorf("finding this program's path for the login entry: %w", err)
		}
		if r, err := filepath.EvalSymlinks(e); err == nil {
			e = r
		}
		o.Exe = e
	}
	if !filepath.IsAbs(o.Exe) {
		return o, fmt.Errorf("the program path %q is not absolute; the login entry needs the full path of claude-keytray", o.Exe)
	}
	if o.Paths.Home == "" {
		p, err := auth.DefaultPaths()
		if err != nil {
			return o, err
		}
		o.Paths = p
	}
	return o, nil
}

// args is the command line the login entry runs, after the program.
func (m Mode) args() []string { return []string{string(m)} }

// describe names the mode for people.
func (m Mode) describe() string {
	if m == ModeTray {
		return "the tray icon"
	}
	return "the headless daemon"
}
