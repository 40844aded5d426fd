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

// attempt runs the command once: wire its input and output, start it, pass signals on while
// it runs, then collect what is left of its output and its exit code.
func (r *runner) attempt(ctx context.Context, env []string) (result, error) {
	r.det.Reset()
	a, err := r.prepare(env)
	if err != nil {
		return result{}, err
	}
	if err := a.cmd.Start(); err != nil {
		a.abort(r)
		return result{}, startError(r.o.Args[0], err)
	}
	for _, f := range a.closeAfterStart {
		f.Close()
	}
	a.pump(r)
	stopped, werr := r.wait(ctx, a)
	typed := a.finish(r)
	code := exitCode(a.cmd, werr)
	return result{code: code, match: r.det.Match(), stopped: stopped || r.isStopped(), typed: typed}, nil
}

// attemptIO is one attempt's process and the files and goroutines around it.
type attemptIO struct {
	cmd *exec.Cmd
	// master and slave are the pseudo-terminal, when the command gets one.
	master, slave *os.File
	// ptyOut is where what the command writes to the pseudo-terminal goes.
	ptyOut *os.File
	// closeAfterStart are the command's ends of pipes and terminal, ours to close once it runs.
	closeAfterStart []*os.File
	// feed replays piped input into feedW, the command's stdin pipe.
	feed     *replayReader
	feedW    *os.File
	feedDone sync.WaitGroup
	// outDone is closed when the pseudo-terminal's output is all copied.
	outDone chan struct{}
}

// ptyFor reports whether a stream that is a terminal (tty) goes through the pseudo-terminal.
func (a *attemptIO) ptyFor(tty bool) bool { return a.master != nil && tty }

// prepare makes the command and wires its stdin, stdout and stderr, through a pseudo-terminal
// when our output is a terminal, so what it prints is scanned either way.
func (r *runner) prepare(env []string) (*attemptIO, error) {
	a := &attemptIO{cmd: exec.Command(r.o.Args[0], r.o.Args[1:]...)}
	a.cmd.Env = env
	if a.cmd.Err != nil {
		return nil, startError(r.o.Args[0], a.cmd.Err)
	}
	if r.usePTY {
		var err error
		a.master, a.slave, err = openPTY()
		if err != nil {
			// No pseudo-terminal to be had: pass the terminal through unscanned.
			r.say("no pseudo-terminal (%v); the command's terminal output is not checked for auth errors", err)
			r.usePTY = false
		}
	}
	if err := r.wireStdin(a); err != nil {
		if a.master != nil {
			a.master.Close()
			a.slave.Close()
		}
		return nil, startError(r.o.Args[0], err)
	}
	r.wireOutput(a)
	if a.master != nil {
		r.ptySession(a)
	}
	a.cmd.WaitDelay = outputGrace
	return a, nil
}

// wireStdin gives the command the pseudo-terminal, our terminal, or a pipe that replays our
// piped input.
func (r *runner) wireStdin(a *attemptIO) error {
	switch {
	case a.ptyFor(r.inTTY):
		a.cmd.Stdin = a.slave
	case r.inTTY:
		a.cmd.Stdin = r.o.Stdin
	default:
		pr, pw, err := os.Pipe()
		if err != nil {
			return err
		}
		a.cmd.Stdin = pr
		a.closeAfterStart = append(a.closeAfterStart, pr)
		a.feed, a.feedW = r.rec.reader(), pw
	}
	return nil
}

// wireOutput sends stdout and stderr to the pseudo-terminal when they are terminals, else to
// ours through the detector (a terminal without a pseudo-terminal passes unscanned).
func (r *runner) wireOutput(a *attemptIO) {
	switch {
	case a.ptyFor(r.outTTY):
		a.cmd.Stdout, a.ptyOut = a.slave, r.o.Stdout
	case r.outTTY:
		a.cmd.Stdout = r.o.Stdout
	default:
		a.cmd.Stdout = r.det.Writer(r.o.Stdout)
	}
	switch {
	case a.ptyFor(r.errTTY):
		a.cmd.Stderr = a.slave
		if a.ptyOut == nil {
			a.ptyOut = r.o.Stderr
		}
	case r.errTTY:
		a.cmd.Stderr = r.o.Stderr
	default:
		a.cmd.Stderr = r.det.Writer(r.o.Stderr)
	}
}

// ptySession makes the command lead a session of its own with the pseudo-terminal as its
// terminal, so the terminal's signals reach it through the pseudo-terminal, once. Typed input
// goes through raw, for the command's terminal to interpret.
func (r *runner) ptySession(a *attemptIO) {
	ctty := 1
	if a.ptyFor(r.inTTY) {
		ctty = 0
	} else if !a.ptyFor(r.outTTY) {
		ctty = 2
	}
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: ctty}
	a.closeAfterStart = append(a.closeAfterStart, a.slave)
	r.sizePTY(a.master)
	if a.ptyFor(r.inTTY) {
		fd := int(r.o.Stdin.Fd())
		if st, err := term.MakeRaw(fd); err == nil {
			r.sys.rawState, r.sys.rawFd = st, fd
		}
	}
}

// abort undoes prepare when the command could not start.
func (a *attemptIO) abort(r *runner) {
	for _, f := range a.closeAfterStart {
		f.Close()
	}
	if a.master != nil {
		a.master.Close()
	}
	if a.feedW != nil {
		a.feedW.Close()
	}
	r.sys.restore()
}

// pump starts copying replayed input into the command and its pseudo-terminal's output to ours.
func (a *attemptIO) pump(r *runner) {
	if a.feed != nil {
		a.feedDone.Add(1)
		go func() {
			defer a.feedDone.Done()
			// A command that exits without reading all its input makes the write fail: fine.
			io.Copy(a.feedW, a.feed)
			a.feedW.Close()
		}()
	}
	a.outDone = make(chan struct{})
	if a.master == nil {
		close(a.outDone)
		return
	}
	r.mu.Lock()
	r.master = a.master
	r.typed = false
	r.mu.Unlock()
	if a.ptyFor(r.inTTY) {
		r.forwardTyped()
	}
	go func() {
		defer close(a.outDone)
		// EIO once the command and everything it started have let go of the terminal.
		io.Copy(r.det.Writer(a.ptyOut), a.master)
	}()
}

// wait waits for the command to exit, passing our signals on and stopping it when ctx ends. It
// reports whether we were asked to stop.
func (r *runner) wait(ctx context.Context, a *attemptIO) (bool, error) {
	waited := make(chan error, 1)
	go func() { waited <- a.cmd.Wait() }()
	stopped := false
	for {
		select {
		case werr := <-waited:
			return stopped, werr
		case sig := <-r.sys.sigs:
			if r.forward(a.cmd, a.master, sig.(syscall.Signal)) {
				stopped = true
				r.markStopped()
			}
		case <-ctx.Done():
			a.cmd.Process.Signal(syscall.SIGTERM)
			stopped = true
		}
	}
}

// finish ends the input replay, gives the pseudo-terminal's output a grace period to drain,
// restores our terminal, and reports whether input was typed into the command.
func (a *attemptIO) finish(r *runner) bool {
	if a.feed != nil {
		a.feed.close()
		a.feedW.Close()
	}
	a.feedDone.Wait()
	if a.master == nil {
		return false
	}
	select {
	case <-a.outDone:
	case <-time.After(outputGrace):
	}
	a.master.Close()
	<-a.outDone
	r.mu.Lock()
	r.master = nil
	typed := r.typed
	r.mu.Unlock()
	r.sys.restore()
	return typed
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
