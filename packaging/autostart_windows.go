package packaging

import (
	"errors"
	"fmt"
	"strings"

	"github.com/claude-keytray/claude-keytray/auth/claude"
	"golang.org/x/sys/windows/registry"
)

// runKey is the per-user list of programs Windows starts at sign-in. It needs no administrator,
// and unlike a Windows service the program runs in the user's desktop, where it can show its
// tray icon.
const runKey = `Software\Microsoft\Windows\CurrentVersion\Run`

// runValue names claude-keytray's entry in runKey.
const runValue = AppID

// RunKeyPath is how the changes name the entry.
const RunKeyPath = `HKCU\` + runKey + `\` + runValue

// runCommand is the entry's data: the quoted program and the mode. It names the GUI program
// (TrayExe), so that signing in opens no console window.
func runCommand(o Options) string {
	return `"` + TrayExe(o.Exe) + `" ` + strings.Join(o.Mode.args(), " ")
}

// Enable sets the Run entry.
func Enable(o Options) ([]claude.Change, error) {
	o, err := o.resolve()
	if err != nil {
		return nil, err
	}
	want := runCommand(o)
	k, _, err := registry.CreateKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE|registry.SET_VALUE)
	if err != nil {
		return nil, fmt.Errorf("opening HKCU\\%s: %w", runKey, err)
	}
	defer k.Close()
	old, _, err := k.GetStringValue(runValue)
	if err == nil && old == want {
		return []claude.Change{}, nil
	}
	action := "wrote"
	if errors.Is(err, registry.ErrNotExist) {
		action = "created"
	}
	if !o.DryRun {
		if err := k.SetStringValue(runValue, want); err != nil {
			return nil, fmt.Errorf("setting %s: %w", RunKeyPath, err)
		}
	}
	return []claude.Change{{Path: RunKeyPath, Action: action, Detail: "Windows starts " + want + " at sign-in"}}, nil
}

// Disable deletes the Run entry. A running app keeps running; Stop ends it.
func Disable(o Options) ([]claude.Change, error) {
	o, err := o.resolve()
	if err != nil {
		return nil, err
	}
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE|registry.SET_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return []claude.Change{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("opening HKCU\\%s: %w", runKey, err)
	}
	defer k.Close()
	if _, _, err := k.GetStringValue(runValue); errors.Is(err, registry.ErrNotExist) {
		return []claude.Change{}, nil
	}
	if !o.DryRun {
		if err := k.DeleteValue(runValue); err != nil && !errors.Is(err, registry.ErrNotExist) {
			return nil, fmt.Errorf("deleting %s: %w", RunKeyPath, err)
		}
	}
	return []claude.Change{{Path: RunKeyPath, Action: "removed"}}, nil
}

// Enabled reports whether the Run entry exists.
func Enabled(o Options) (bool, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("opening HKCU\\%s: %w", runKey, err)
	}
	defer k.Close()
	_, _, err = k.GetStringValue(runValue)
	return err == nil, nil
}

// Start starts the app detached, without a console window.
func Start(o Options) error {
	o, err := o.resolve()
	if err != nil {
		return err
	}
	if _, ok := Running(o); ok || o.DryRun {
		return nil
	}
	return startDirect(o)
}

// Stop ends the running app.
func Stop(o Options) error {
	o, err := o.resolve()
	if err != nil {
		return err
	}
	if o.DryRun {
		return nil
	}
	if pid, ok := Running(o); ok {
		return stopPID(o, pid)
	}
	return nil
}

func installedMode(o Options) (Mode, bool) {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if err != nil {
		return "", false
	}
	defer k.Close()
	v, _, err := k.GetStringValue(runValue)
	if err != nil {
		return "", false
	}
	if strings.HasSuffix(v, " "+string(ModeDaemon)) {
		return ModeDaemon, true
	}
	return ModeTray, true
}
