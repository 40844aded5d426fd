package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/control"
	"golang.org/x/term"
)

// Every command but daemon and tray is a client of the running engine and falls back to doing
// the work itself when none runs.

// client is the control client of the user's own daemon. A socket that is not the user's own
// (another user's folder or server) is never used; the command then works alone and says once,
// on stderr, what is wrong and what to do.
func (a *app) client() *control.Client {
	c := control.ClientFor(a.paths)
	if err := c.Refused(); err != nil {
		a.warnUnsafeSocket(err)
	}
	return c.WithProfile(a.profile)
}

// noteUnsafe warns when err says the server on the socket is not the user's own.
func (a *app) noteUnsafe(err error) {
	var ue *control.UnsafeSocketError
	if errors.As(err, &ue) {
		a.warnUnsafeSocket(ue)
	}
}

// daemonPID is the pid of the user's own daemon, from the lock next to its socket.
func daemonPID(a *app) (int, bool) {
	sock, err := control.Locate(a.paths)
	if err != nil || sock == "" {
		return 0, false
	}
	return control.ReadPID(sock)
}

// warnUnsafeSocket prints err once per run.
func (a *app) warnUnsafeSocket(err error) {
	if a.unsafeWarned {
		return
	}
	a.unsafeWarned = true
	fmt.Fprintln(os.Stderr, "claude-keytray: warning: "+oneLine(err.Error())+"; working without the daemon")
}

// keyFromDaemon is the helper's fast path: one round trip to the daemon's memory.
func keyFromDaemon(ctx context.Context, a *app) (string, bool) {
	k, err := a.client().Key(ctx)
	if err != nil {
		a.noteUnsafe(err)
		return "", false
	}
	return k, true
}

// currentStatus asks the daemon, else builds the status from the keychain and state files.
func currentStatus(ctx context.Context, a *app) auth.Status {
	st, err := a.client().Status(ctx)
	if err == nil {
		return st
	}
	a.noteUnsafe(err)
	f := a.fleet(nil, nil)
	if a.profile != "" {
		e, _ := f.Engine(a.profile)
		e.Load(ctx)
		e.SetDaemon(offlineDaemon(a, err))
		st, _ := f.ProfileStatus(a.profile)
		return st
	}
	f.Load(ctx)
	f.SetDaemon(offlineDaemon(a, err))
	return f.Status()
}

func daemonStatus(ctx context.Context, a *app) auth.DaemonStatus {
	st, err := a.client().Status(ctx)
	if err == nil {
		return st.Daemon
	}
	a.noteUnsafe(err)
	return offlineDaemon(a, err)
}

// offlineDaemon is the daemon's part of the status when its control API did not answer. Where
// the system has no AF_UNIX sockets an engine may still run (its pid is in the lock file): the
// status says so, and why nothing can talk to it.
func offlineDaemon(a *app, err error) auth.DaemonStatus {
	if !errors.Is(err, control.ErrUnavailable) {
		return auth.DaemonStatus{}
	}
	d := auth.DaemonStatus{ControlAPI: "off", ControlAPIProblem: control.NoUnixSockets}
	if pid, ok := control.LockOwner(a.paths.Socket); ok && pid > 0 {
		d.Running, d.PID = true, pid
	}
	return d
}

// updateKey stores a key through the daemon (so it switches at once) or, with none, directly.
func updateKey(ctx context.Context, a *app, raw string, verify bool, origin string) (auth.Status, error) {
	// A person waits for this: a keychain that asks gets the time to be answered.
	background := ctx
	ctx, stop := personWaits(ctx)
	defer stop()
	st, err := a.client().UpdateKey(ctx, raw, verify)
	// The client's errors unwrap to auth's (ErrKeyRejected, *KeyError…), so exit codes are the
	// same with or without a daemon.
	if err == nil || !errors.Is(err, control.ErrNotRunning) {
		return st, err
	}
	a.noteUnsafe(err)
	log, closer := a.fileLogger()
	defer closer.Close()
	e := a.engine(log)
	// Only the write is the person's: reading the old key first must not make the keychain
	// ask for it as well (KeePassXC would show one dialog for the read, another for the write).
	e.Load(background)
	return e.UpdateKey(ctx, raw, auth.UpdateOptions{Verify: verify, Origin: origin})
}

// refreshNow refreshes through the daemon, or once in-process when none runs. A person at a
// terminal waits for it, so the keychain may ask them to unlock or confirm; from a script or
// cron (no terminal) it never asks.
func refreshNow(ctx context.Context, a *app) (auth.Status, error) {
	background := ctx
	if term.IsTerminal(int(os.Stderr.Fd())) || term.IsTerminal(int(os.Stdin.Fd())) {
		var stop func()
		ctx, stop = personWaits(ctx)
		defer stop()
	}
	st, err := a.client().Refresh(ctx)
	if err == nil {
		return st, nil
	}
	if !errors.Is(err, control.ErrNotRunning) {
		return st, err
	}
	a.noteUnsafe(err)
	log, closer := a.fileLogger()
	defer closer.Close()
	e := a.engine(log)
	// Only the refresh is the person's: loading the key first must not make the keychain ask
	// as well (KeePassXC would show a dialog for each read).
	e.Load(background)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return e.Refresh(ctx, auth.RefreshRequest{Reason: "refresh command", User: true}), nil
}

// personWaits marks ctx as a person's: keychain calls under it may wait for an unlock or a
// confirmation and say so on stderr once. The daemon cannot reach this terminal, so a call
// still running after 2 s says it here; stop ends that timer.
func personWaits(ctx context.Context) (context.Context, func()) {
	say := onceSayer(os.Stderr)
	slow := time.AfterFunc(2*time.Second, func() { say("Waiting for the keychain: " + auth.ConfirmHint + ".") })
	return auth.Interactive(ctx, say), func() { slow.Stop() }
}

// onceSayer prints the first message it is given on w, as one line, and ignores the rest.
func onceSayer(w io.Writer) func(string) {
	var once sync.Once
	return func(msg string) { once.Do(func() { fmt.Fprintln(w, "claude-keytray: "+msg) }) }
}
