package packaging

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/claude"
)

// LaunchAgentPath is ~/Library/LaunchAgents/io.github.claude-keytray.plist.
func LaunchAgentPath(p auth.Paths) string {
	return filepath.Join(p.Home, "Library", "LaunchAgents", LaunchAgentFile)
}

// launchdLog is where launchd puts the app's stdout and stderr: the state folder.
func launchdLog(p auth.Paths) string { return filepath.Join(p.StateDir, "launchd.log") }

// Enable writes the LaunchAgent, which launchd loads at every login. It is not loaded now:
// Start does that.
func Enable(o Options) (changes []claude.Change, err error) {
	o, err = o.resolve()
	if err != nil {
		return nil, err
	}
	if err := refuseForeign(LaunchAgentPath(o.Paths)); err != nil {
		return nil, err
	}
	pl := newPlan(o.DryRun)
	// Whatever happens, remember the folders made so far, so Disable can take them away.
	defer func() {
		if rerr := pl.saveRecord(o.Paths); err == nil {
			err = rerr
		}
	}()
	// launchd drops the app's output when the log's folder is missing.
	if !o.DryRun {
		if err := os.MkdirAll(o.Paths.StateDir, 0o700); err != nil {
			return nil, fmt.Errorf("creating the state folder %s: %w", o.Paths.StateDir, err)
		}
	}
	if _, err := pl.writeFile(LaunchAgentPath(o.Paths), LaunchAgentPlist(o.Mode, o.Exe, launchdLog(o.Paths)), 0o644,
		"LaunchAgent: launchd starts "+o.Mode.describe()+" at login"); err != nil {
		return pl.changes, err
	}
	return pl.changes, nil
}

// Disable removes the LaunchAgent. A running app keeps running; Stop ends it.
func Disable(o Options) ([]claude.Change, error) {
	o, err := o.resolve()
	if err != nil {
		return nil, err
	}
	pl := newPlan(o.DryRun)
	if _, err := pl.removeOurs(LaunchAgentPath(o.Paths), ""); err != nil {
		return pl.changes, err
	}
	return pl.changes, pl.removeCreatedDirs(o.Paths, pl.removedSet())
}

// Enabled reports whether the LaunchAgent is in place.
func Enabled(o Options) (bool, error) {
	o, err := o.resolve()
	if err != nil {
		return false, err
	}
	return ownFile(LaunchAgentPath(o.Paths)), nil
}

func guiDomain() string { return "gui/" + strconv.Itoa(os.Getuid()) }

func launchctl(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "launchctl", args...).CombinedOutput()
	s := strings.TrimSpace(string(out))
	if err != nil {
		return s, fmt.Errorf("launchctl %s: %v: %s", strings.Join(args, " "), err, s)
	}
	return s, nil
}

// Start loads the LaunchAgent into the login session (launchd then runs it, RunAtLoad), or
// kicks it if it is loaded but not running; without a LaunchAgent it starts the app detached.
func Start(o Options) error {
	o, err := o.resolve()
	if err != nil {
		return err
	}
	if _, ok := Running(o); ok || o.DryRun {
		return nil
	}
	plist := LaunchAgentPath(o.Paths)
	if !ownFile(plist) {
		return startDirect(o)
	}
	if _, err := launchctl("print", guiDomain()+"/"+BundleID); err != nil {
		if _, err := launchctl("bootstrap", guiDomain(), plist); err != nil {
			return err
		}
	} else if _, err := launchctl("kickstart", guiDomain()+"/"+BundleID); err != nil {
		return err
	}
	return waitRunning(o, nil, nil)
}

// Stop unloads the LaunchAgent (which ends the app launchd runs) and ends any other running
// copy.
func Stop(o Options) error {
	o, err := o.resolve()
	if err != nil {
		return err
	}
	if o.DryRun {
		return nil
	}
	if _, err := launchctl("print", guiDomain()+"/"+BundleID); err == nil {
		if _, err := launchctl("bootout", guiDomain()+"/"+BundleID); err != nil {
			return err
		}
	}
	if pid, ok := Running(o); ok {
		return stopPID(o, pid)
	}
	return nil
}

func installedMode(o Options) (Mode, bool) {
	b, err := os.ReadFile(LaunchAgentPath(o.Paths))
	if err != nil || !ours(b) {
		return "", false
	}
	if strings.Contains(string(b), "<string>"+string(ModeDaemon)+"</string>") {
		return ModeDaemon, true
	}
	return ModeTray, true
}
