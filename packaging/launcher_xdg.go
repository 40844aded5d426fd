//go:build !darwin && !windows

package packaging

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/claude-keytray/claude-keytray/assets"
	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/claude"
)

// The applications-menu launcher `install` adds, so the tray can be started again after Quit
// without a terminal: $XDG_DATA_HOME/applications/claude-keytray.desktop and the app icon in
// the user's hicolor theme. The packages ship the same entry in /usr/share/applications.

// dataHome is $XDG_DATA_HOME, or ~/.local/share.
func dataHome() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the home folder for ~/.local/share: %w", err)
	}
	return filepath.Join(home, ".local", "share"), nil
}

// LauncherPath is the per-user applications menu entry.
func LauncherPath() (string, error) {
	d, err := dataHome()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "applications", AppID+".desktop"), nil
}

// launcherFiles are the files the launcher is made of, by path.
func launcherFiles(exe string) (map[string][]byte, error) {
	d, err := dataHome()
	if err != nil {
		return nil, err
	}
	entry, _ := LauncherPath()
	icon, _ := assets.AppIconPNG(48)
	return map[string][]byte{
		entry: UserApplicationEntry(exe),
		filepath.Join(d, "icons", "hicolor", "48x48", "apps", AppID+".png"):    icon,
		filepath.Join(d, "icons", "hicolor", "scalable", "apps", AppID+".svg"): assets.AppIconSVG(),
	}, nil
}

// UserApplicationEntry is the packages' menu entry with install's marker and this program's
// absolute path.
func UserApplicationEntry(exe string) []byte {
	return append([]byte("# "+installMarker+"\n"), ApplicationEntry(exe)...)
}

// launcherRecord is install's undo record for the launcher: what it wrote and the folders it made.
type launcherRecord struct {
	Files       []string `json:"files"`
	CreatedDirs []string `json:"created_dirs"`
}

func launcherRecordPath(p auth.Paths) string { return filepath.Join(p.StateDir, "launcher.json") }

// InstallLauncher writes the launcher and its icon. A file there that install did not write
// is left alone (the entry) or kept (an icon that differs), and reported.
func InstallLauncher(o Options) ([]claude.Change, error) {
	o, err := o.resolve()
	if err != nil {
		return nil, err
	}
	files, err := launcherFiles(o.Exe)
	if err != nil {
		return nil, err
	}
	entry, _ := LauncherPath()
	if err := refuseForeign(entry); err != nil {
		return nil, err
	}
	pl := newPlan(o.DryRun)
	var rec launcherRecord
	if b, err := os.ReadFile(launcherRecordPath(o.Paths)); err == nil {
		_ = json.Unmarshal(b, &rec)
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		data := files[p]
		if p != entry {
			if old, err := os.ReadFile(p); err == nil && !bytes.Equal(old, data) {
				pl.add(p, "kept", "an icon that install did not write")
				continue
			}
		}
		if _, err := pl.writeFile(p, data, 0o644, "applications menu: "+DisplayName); err != nil {
			return pl.changes, err
		}
		if !contains(rec.Files, p) {
			rec.Files = append(rec.Files, p)
		}
	}
	for _, d := range pl.created {
		if !contains(rec.CreatedDirs, d) {
			rec.CreatedDirs = append(rec.CreatedDirs, d)
		}
	}
	if o.DryRun {
		return pl.changes, nil
	}
	b, _ := json.MarshalIndent(rec, "", "  ")
	if err := os.MkdirAll(o.Paths.StateDir, 0o700); err != nil {
		return pl.changes, fmt.Errorf("creating the state folder %s: %w", o.Paths.StateDir, err)
	}
	return pl.changes, writeAtomic(launcherRecordPath(o.Paths), append(b, '\n'), 0o600)
}

// RemoveLauncher undoes InstallLauncher from its record: the files it wrote (when they are
// still what it wrote) and then the folders it made, once empty.
func RemoveLauncher(o Options) ([]claude.Change, error) {
	o, err := o.resolve()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(launcherRecordPath(o.Paths))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading install's record %s: %w", launcherRecordPath(o.Paths), err)
	}
	var rec launcherRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("install's record %s is damaged (%v); remove the launcher by hand", launcherRecordPath(o.Paths), err)
	}
	files, err := launcherFiles(o.Exe)
	if err != nil {
		return nil, err
	}
	pl := newPlan(o.DryRun)
	for _, p := range rec.Files {
		old, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		want, known := files[p]
		if !ours(old) && !(known && bytes.Equal(old, want)) {
			pl.add(p, "kept", "changed since install")
			continue
		}
		if !o.DryRun {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return pl.changes, fmt.Errorf("removing %s: %w", p, err)
			}
		}
		pl.add(p, "removed", "")
	}
	removed := pl.removedSet()
	if err := pl.removeEmptyDirs(rec.CreatedDirs, removed); err != nil {
		return pl.changes, err
	}
	if !o.DryRun {
		if err := os.Remove(launcherRecordPath(o.Paths)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return pl.changes, err
		}
	}
	return pl.changes, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
