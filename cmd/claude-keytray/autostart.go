package main

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/claude-keytray/claude-keytray/auth/claude"
	"github.com/claude-keytray/claude-keytray/packaging"
)

// autostartResult is what turning on login autostart did, for install's and setup's output.
type autostartResult struct {
	mode    packaging.Mode
	why     string
	changes []claude.Change
	// noSystemd: Linux without a reachable user manager; units were written but not enabled.
	noSystemd bool
	pid       int
	// alreadyRunning: an instance was running before; nothing was started.
	alreadyRunning bool
	// started: this run started the app and it answered (pid may still be 0 where the
	// running app's pid cannot be read).
	started bool
}

// autostartOptions keeps the mode an earlier install chose; otherwise the session decides.
func autostartOptions(a *app, dryRun bool) (packaging.Options, string) {
	o := packaging.Options{Exe: exe(), Paths: a.paths, DryRun: dryRun}
	if m, ok := packaging.InstalledMode(o); ok {
		o.Mode = m
		return o, "as set up before"
	}
	o.Mode = packaging.DefaultMode()
	return o, "for " + packaging.ModeReason()
}

// enableAutostart registers the app for login and starts it in the background.
func enableAutostart(a *app, dryRun bool) (autostartResult, error) {
	o, why := autostartOptions(a, dryRun)
	res := autostartResult{mode: o.Mode, why: why}
	res.noSystemd = runtime.GOOS == "linux" && !packaging.SystemdUserAvailable()
	changes, err := packaging.Enable(o)
	res.changes = changes
	if err != nil {
		return res, err
	}
	if pid, ok := packaging.Running(o); ok {
		res.pid, res.alreadyRunning = pid, true
		return res, nil
	}
	if dryRun {
		return res, nil
	}
	if err := packaging.Start(o); err != nil {
		return res, err
	}
	res.started = true
	res.pid, _ = packaging.Running(o)
	return res, nil
}

// printAutostart says what enableAutostart did; a start that failed is left to the error.
func printAutostart(w io.Writer, res autostartResult, dryRun bool) {
	fmt.Fprintf(w, "Login autostart: %s mode, %s.\n", res.mode, res.why)
	printDetailedChanges(w, res.changes, dryRun)
	if res.noSystemd {
		fmt.Fprintln(w, "systemctl --user is unavailable (no systemd user manager here): the unit is written for when there is one, and the app is started directly.")
	}
	switch {
	case res.alreadyRunning:
		fmt.Fprintf(w, "claude-keytray is already running%s.\n", pidNote(res.pid))
	case dryRun:
		fmt.Fprintf(w, "would: start claude-keytray %s in the background\n", res.mode)
	case res.started:
		fmt.Fprintf(w, "started claude-keytray %s in the background%s\n", res.mode, pidNote(res.pid))
	}
}

// pidNote is " (pid N)", or nothing when the pid is not known.
func pidNote(pid int) string {
	if pid <= 0 {
		return ""
	}
	return fmt.Sprintf(" (pid %d)", pid)
}

func printDetailedChanges(w io.Writer, changes []claude.Change, dryRun bool) {
	if len(changes) == 0 {
		fmt.Fprintln(w, "nothing to change: already set up")
		return
	}
	for _, c := range changes {
		if dryRun {
			fmt.Fprint(w, "would: ")
		}
		fmt.Fprintln(w, c.String())
	}
}

func installAutostart(ctx context.Context, w io.Writer, a *app, dryRun bool) error {
	res, err := enableAutostart(a, dryRun)
	printAutostart(w, res, dryRun)
	return err
}

// uninstallAutostart stops the running app and removes what enableAutostart registered.
func uninstallAutostart(ctx context.Context, w io.Writer, a *app, dryRun bool) error {
	o := packaging.Options{Exe: exe(), Paths: a.paths, DryRun: dryRun}
	if pid, ok := packaging.Running(o); ok {
		if dryRun {
			fmt.Fprintf(w, "would: stop claude-keytray (pid %d)\n", pid)
		} else if err := packaging.Stop(o); err != nil {
			return err
		} else {
			fmt.Fprintf(w, "stopped claude-keytray (pid %d)\n", pid)
		}
	}
	changes, err := packaging.Disable(o)
	for _, c := range changes {
		if dryRun {
			fmt.Fprint(w, "would: ")
		}
		fmt.Fprintln(w, c.String())
	}
	return err
}
