//go:build !darwin && !windows

package packaging

import (
	"fmt"
	"path/filepath"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/claude"
)

// configHome is $XDG_CONFIG_HOME as Paths resolved it (ConfigDir is its claude-keytray folder).
func configHome(p auth.Paths) string { return filepath.Dir(p.ConfigDir) }

// AutostartPath is the XDG autostart entry: $XDG_CONFIG_HOME/autostart/claude-keytray.desktop.
func AutostartPath(p auth.Paths) string {
	return filepath.Join(configHome(p), "autostart", AppID+".desktop")
}

// UnitPath is where Enable writes the user unit for mode m: $XDG_CONFIG_HOME/systemd/user.
func UnitPath(p auth.Paths, m Mode) string {
	return filepath.Join(configHome(p), "systemd", "user", UnitName(m))
}

func otherMode(m Mode) Mode {
	if m == ModeTray {
		return ModeDaemon
	}
	return ModeTray
}

// Enable registers the app to start at login. In tray mode that is the XDG autostart entry,
// which every desktop runs, plus the tray unit for sessions that systemd runs; in daemon mode
// the daemon unit alone. Units are enabled when systemctl --user answers; without a user
// manager they are written anyway and take effect once there is one. Whatever the other mode
// had registered is removed.
func Enable(o Options) (changes []claude.Change, err error) {
	o, err = o.resolve()
	if err != nil {
		return nil, err
	}
	unit, entry := UnitPath(o.Paths, o.Mode), AutostartPath(o.Paths)
	if o.Mode == ModeTray {
		err = refuseForeign(unit, entry)
	} else {
		err = refuseForeign(unit)
	}
	if err != nil {
		return nil, err
	}
	sd := probeSystemdUser()
	pl := newPlan(o.DryRun)
	// Whatever happens, remember the folders made so far, so Disable can take them away.
	defer func() {
		if rerr := pl.saveRecord(o.Paths); err == nil {
			err = rerr
		}
	}()
	unitsChanged := false

	detail := "systemd user unit: " + o.Mode.describe() + ", WantedBy=default.target"
	if o.Mode == ModeTray {
		detail = "systemd user unit: " + o.Mode.describe() + ", WantedBy=graphical-session.target"
	}
	changed, err := pl.writeFile(unit, SystemdUnit(o.Mode, o.Exe, PerUser), 0o644, detail)
	if err != nil {
		return pl.changes, err
	}
	unitsChanged = unitsChanged || changed

	other := UnitPath(o.Paths, otherMode(o.Mode))
	if sd.ok && ownFile(other) && sd.enabled(UnitName(otherMode(o.Mode))) {
		if !o.DryRun {
			if err := sd.disable(UnitName(otherMode(o.Mode))); err != nil {
				return pl.changes, err
			}
		}
		pl.add(other, "disabled", "systemctl --user disable "+UnitName(otherMode(o.Mode)))
	}
	removed, err := pl.removeOurs(other, "the "+string(otherMode(o.Mode))+" mode's unit")
	if err != nil {
		return pl.changes, err
	}
	unitsChanged = unitsChanged || removed

	if o.Mode == ModeTray {
		if _, err := pl.writeFile(entry, AutostartEntry(o.Exe, sd.ok), 0o644, "XDG autostart entry: the desktop runs "+o.Exe+" tray at login"); err != nil {
			return pl.changes, err
		}
	} else if _, err := pl.removeOurs(entry, "the tray mode's autostart entry"); err != nil {
		return pl.changes, err
	}

	if sd.ok && !o.DryRun {
		if unitsChanged {
			if err := sd.reload(); err != nil {
				return pl.changes, err
			}
		}
	}
	if sd.ok && !sd.enabled(UnitName(o.Mode)) {
		if !o.DryRun {
			if err := sd.enable(UnitName(o.Mode)); err != nil {
				return pl.changes, err
			}
		}
		pl.add(unit, "enabled", "systemctl --user enable "+UnitName(o.Mode))
	}
	return pl.changes, nil
}

// Disable undoes Enable for both modes: units are disabled and removed, the autostart entry
// removed, and so are the folders Enable created once they are empty. A running app keeps
// running (the tray's checkbox calls this); Stop ends it.
func Disable(o Options) ([]claude.Change, error) {
	o, err := o.resolve()
	if err != nil {
		return nil, err
	}
	sd := probeSystemdUser()
	pl := newPlan(o.DryRun)
	unitsChanged := false
	for _, m := range []Mode{ModeTray, ModeDaemon} {
		unit := UnitPath(o.Paths, m)
		if !ownFile(unit) {
			continue
		}
		if sd.ok && sd.enabled(UnitName(m)) {
			if !o.DryRun {
				if err := sd.disable(UnitName(m)); err != nil {
					return pl.changes, err
				}
			}
			pl.add(unit, "disabled", "systemctl --user disable "+UnitName(m))
		}
		removed, err := pl.removeOurs(unit, "")
		if err != nil {
			return pl.changes, err
		}
		unitsChanged = unitsChanged || removed
	}
	if _, err := pl.removeOurs(AutostartPath(o.Paths), ""); err != nil {
		return pl.changes, err
	}
	if sd.ok && unitsChanged && !o.DryRun {
		if err := sd.reload(); err != nil {
			return pl.changes, err
		}
	}
	return pl.changes, pl.removeCreatedDirs(o.Paths, pl.removedSet())
}

// Enabled reports whether anything Enable writes is in place and switched on: the autostart
// entry, or a unit (enabled, where systemctl --user answers).
func Enabled(o Options) (bool, error) {
	o, err := o.resolve()
	if err != nil {
		return false, err
	}
	if ownFile(AutostartPath(o.Paths)) {
		return true, nil
	}
	var sd *systemdUser
	for _, m := range []Mode{ModeTray, ModeDaemon} {
		if !ownFile(UnitPath(o.Paths, m)) {
			continue
		}
		if sd == nil {
			s := probeSystemdUser()
			sd = &s
		}
		if !sd.ok || sd.enabled(UnitName(m)) {
			return true, nil
		}
	}
	return false, nil
}

// Start starts the app in the background unless it already runs: through its unit where the
// user manager would start that unit at login too (the daemon unit; the tray unit in a session
// systemd runs), else as a detached process of its own. It returns once the app answers.
func Start(o Options) error {
	o, err := o.resolve()
	if err != nil {
		return err
	}
	if _, ok := Running(o); ok || o.DryRun {
		return nil
	}
	sd := probeSystemdUser()
	if sd.ok && ownFile(UnitPath(o.Paths, o.Mode)) && (o.Mode == ModeDaemon || sd.graphicalSession()) {
		if err := sd.start(o.Mode, o.Exe); err != nil {
			return err
		}
		return waitRunning(o, nil, nil)
	}
	return startDirect(o)
}

// Stop ends the running app: its unit if the user manager runs it, else the process that
// answers on the control socket.
func Stop(o Options) error {
	o, err := o.resolve()
	if err != nil {
		return err
	}
	if o.DryRun {
		return nil
	}
	sd := probeSystemdUser()
	if sd.ok {
		for _, m := range []Mode{ModeTray, ModeDaemon} {
			if sd.active(m, o.Exe) {
				if err := sd.stop(m, o.Exe); err != nil {
					return err
				}
			}
		}
	}
	if pid, ok := Running(o); ok {
		if err := stopPID(o, pid); err != nil {
			return fmt.Errorf("%w (socket %s)", err, o.Paths.Socket)
		}
	}
	return nil
}

func installedMode(o Options) (Mode, bool) {
	switch {
	case ownFile(AutostartPath(o.Paths)), ownFile(UnitPath(o.Paths, ModeTray)):
		return ModeTray, true
	case ownFile(UnitPath(o.Paths, ModeDaemon)):
		return ModeDaemon, true
	}
	return "", false
}
