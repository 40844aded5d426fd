//go:build unix

package run

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// outputGrace is how long output is still read after the command exits: a background process
// it started may hold the pipe or terminal open, and `run` must not wait for that forever.
const outputGrace = 2 * time.Second

// forwarded are the signals passed on to the command; SIGWINCH resizes its terminal.
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH}

type runnerSys struct {
	sigs chan os.Signal
	// tty is our controlling terminal, to tell a signal the terminal sent to our whole process
	// group (the command has it too) from one sent to us alone.
	tty      *os.File
	rawState *term.State
	rawFd    int
}

func (s *runnerSys) init(r *runner) {
	s.sigs = make(chan os.Signal, 8)
	signal.Notify(s.sigs, forwarded...)
	if f, err := os.Open("/dev/tty"); err == nil {
		s.tty = f
	}
}

func (s *runnerSys) close(r *runner) {
	signal.Stop(s.sigs)
	if s.tty != nil {
		s.tty.Close()
	}
	s.restore()
}

func (s *runnerSys) restore() {
	if s.rawState != nil {
		term.Restore(s.rawFd, s.rawState)
		s.rawState = nil
	}
}

// inForeground reports whether our process group is the terminal's foreground group, i.e. a
// Ctrl-C on it reached the command directly as well.
func (s *runnerSys) inForeground() bool {
	if s.tty == nil {
		return false
	}
	pg, err := unix.IoctlGetInt(int(s.tty.Fd()), unix.TIOCGPGRP)
	return err == nil && pg == unix.Getpgrp()
}

// attempt runs the command once.
func (r *runner) attempt(ctx context.Context, env []string) (result, error) {
	r.det.Reset()
	cmd := exec.Command(r.o.Args[0], r.o.Args[1:]...)
	cmd.Env = env
	if cmd.Err != nil {
		return result{}, startError(r.o.Args[0], cmd.Err)
	}

	var master, slave *os.File
	if r.usePTY {
		var err error
		master, slave, err = openPTY()
		if err != nil {
			// No pseudo-terminal to be had: pass the terminal through unscanned.
			r.say("no pseudo-terminal (%v); the command's terminal output is not checked for auth errors", err)
			r.usePTY = false
		}
	}
	ptyFor := func(tty bool) bool { return master != nil && tty }

	var closeAfterStart []*os.File
	var feed *replayReader
	var feedW *os.File
	switch {
	case ptyFor(r.inTTY):
		cmd.Stdin = slave
	case r.inTTY:
		cmd.Stdin = r.o.Stdin
	default:
		pr, pw, err := os.Pipe()
		if err != nil {
			return result{}, startError(r.o.Args[0], err)
		}
		cmd.Stdin = pr
		closeAfterStart = append(closeAfterStart, pr)
		feed, feedW = r.rec.reader(), pw
	}
	var ptyOut *os.File
	switch {
	case ptyFor(r.outTTY):
		cmd.Stdout, ptyOut = slave, r.o.Stdout
	case r.outTTY:
		cmd.Stdout = r.o.Stdout
	default:
		cmd.Stdout = r.det.Writer(r.o.Stdout)
	}
	switch {
	case ptyFor(r.errTTY):
		cmd.Stderr = slave
		if ptyOut == nil {
			ptyOut = r.o.Stderr
		}
	case r.errTTY:
		cmd.Stderr = r.o.Stderr
	default:
		cmd.Stderr = r.det.Writer(r.o.Stderr)
	}
	if master != nil {
		// The command leads a session of its own with the pseudo-terminal as its terminal, so
		// the terminal's signals reach it through the pseudo-terminal, once.
		ctty := 1
		if ptyFor(r.inTTY) {
			ctty = 0
		} else if !ptyFor(r.outTTY) {
			ctty = 2
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: ctty}
		closeAfterStart = append(closeAfterStart, slave)
		r.sizePTY(master)
		if ptyFor(r.inTTY) {
			fd := int(r.o.Stdin.Fd())
			if st, err := term.MakeRaw(fd); err == nil {
				r.sys.rawState, r.sys.rawFd = st, fd
			}
		}
	}
	cmd.WaitDelay = outputGrace

	if err := cmd.Start(); err != nil {
		for _, f := range closeAfterStart {
			f.Close()
		}
		if master != nil {
			master.Close()
		}
		if feedW != nil {
			feedW.Close()
		}
		r.sys.restore()
		return result{}, startError(r.o.Args[0], err)
	}
	for _, f := range closeAfterStart {
		f.Close()
	}

	var wg sync.WaitGroup
	if feed != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A command that exits without reading all its input makes the write fail: fine.
			io.Copy(feedW, feed)
			feedW.Close()
		}()
	}
	outDone := make(chan struct{})
	if master != nil {
		r.mu.Lock()
		r.master = master
		r.typed = false
		r.mu.Unlock()
		if ptyFor(r.inTTY) {
			r.forwardTyped()
		}
		go func() {
			defer close(outDone)
			// EIO once the command and everything it started have let go of the terminal.
			io.Copy(r.det.Writer(ptyOut), master)
		}()
	} else {
		close(outDone)
	}

	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	stopped := false
	var werr error
loop:
	for {
		select {
		case werr = <-waited:
			break loop
		case sig := <-r.sys.sigs:
			if r.forward(cmd, master, sig.(syscall.Signal)) {
				stopped = true
				r.markStopped()
			}
		case <-ctx.Done():
			cmd.Process.Signal(syscall.SIGTERM)
			stopped = true
		}
	}

	if feed != nil {
		feed.close()
		feedW.Close()
	}
	wg.Wait()
	typed := false
	if master != nil {
		select {
		case <-outDone:
		case <-time.After(outputGrace):
		}
		master.Close()
		<-outDone
		r.mu.Lock()
		r.master = nil
		typed = r.typed
		r.mu.Unlock()
		r.sys.restore()
	}

	code := exitCode(cmd, werr)
	return result{code: code, match: r.det.Match(), stopped: stopped || r.isStopped(), typed: typed}, nil
}

// forward passes a signal on to the command and reports whether it asks us to stop.
func (r *runner) forward(cmd *exec.Cmd, master *os.File, sig syscall.Signal) bool {
	if sig == syscall.SIGWINCH {
		if master != nil {
			r.sizePTY(master)
		}
		return false
	}
	stops := sig == syscall.SIGINT || sig == syscall.SIGTERM || sig == syscall.SIGHUP || sig == syscall.SIGQUIT
	if master == nil && (sig == syscall.SIGINT || sig == syscall.SIGQUIT || sig == syscall.SIGHUP) && r.sys.inForeground() {
		// The terminal sent it to our whole process group: the command has it already.
		return stops
	}
	if master != nil {
		// The command leads its own process group; its children get it too, as from a terminal.
		syscall.Kill(-cmd.Process.Pid, sig)
	} else {
		cmd.Process.Signal(sig)
	}
	return stops
}

// sizePTY gives the pseudo-terminal the size of our terminal.
func (r *runner) sizePTY(master *os.File) {
	for _, f := range []*os.File{r.o.Stdout, r.o.Stderr, r.o.Stdin} {
		if !term.IsTerminal(int(f.Fd())) {
			continue
		}
		ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
		if err != nil {
			continue
		}
		if raw, err := master.SyscallConn(); err == nil {
			raw.Control(func(fd uintptr) { unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, ws) })
		}
		return
	}
}

// exitCode is the command's exit status; a command killed by a signal gives 128+signal, as in
// the shell.
func exitCode(cmd *exec.Cmd, err error) int {
	if cmd.ProcessState != nil {
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
			if ws.Signaled() {
				return 128 + int(ws.Signal())
			}
			return ws.ExitStatus()
		}
		return cmd.ProcessState.ExitCode()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return 1
}
