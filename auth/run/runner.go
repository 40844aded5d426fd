package run

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"sync"

	"golang.org/x/term"
)

// runner is one `run`: the plumbing shared by its attempts.
type runner struct {
	o   Options
	det Detector
	// rec keeps piped input for a retry; nil when our stdin is a terminal.
	rec *recorder

	inTTY, outTTY, errTTY bool
	// usePTY: our stdout or stderr is a terminal, so the command gets a pseudo-terminal.
	usePTY bool

	mu sync.Mutex
	// master is the current attempt's pseudo-terminal, where typed input goes.
	master *os.File
	// typed is set once input from our terminal reached the command.
	typed     bool
	forwarder bool
	// stop is closed when a signal asked us to stop: nothing is retried after it.
	stop     chan struct{}
	stopOnce sync.Once

	sys runnerSys
}

func newRunner(o Options) *runner {
	r := &runner{o: o, stop: make(chan struct{})}
	r.inTTY = term.IsTerminal(int(o.Stdin.Fd()))
	r.outTTY = term.IsTerminal(int(o.Stdout.Fd()))
	r.errTTY = term.IsTerminal(int(o.Stderr.Fd()))
	r.usePTY = (r.outTTY || r.errTTY) && ptySupported
	if !r.inTTY {
		r.rec = newRecorder(o.Stdin, o.StdinCap)
	}
	r.sys.init(r)
	return r
}

func (r *runner) close() { r.sys.close(r) }

func (r *runner) stopped() <-chan struct{} { return r.stop }

func (r *runner) markStopped() { r.stopOnce.Do(func() { close(r.stop) }) }

func (r *runner) isStopped() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

// noReplay says why the command cannot be run again with the same input, or "".
func (r *runner) noReplay(res result) string {
	switch {
	case r.rec != nil && !r.rec.replayable():
		return fmt.Sprintf("its input was larger than %d MiB and was not kept", r.o.StdinCap>>20)
	case r.inTTY && !r.usePTY:
		return "it read from the terminal (interactive)"
	case r.inTTY && res.typed:
		return "it was interactive (input was typed into it)"
	}
	return ""
}

// startError maps a failed start to the shell's exit codes: 127 not found, 126 not executable.
func startError(name string, err error) error {
	switch {
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, fs.ErrNotExist):
		return &exitError{Code: 127, Err: fmt.Errorf("%s: command not found (check the name and PATH)", name)}
	case errors.Is(err, fs.ErrPermission):
		return &exitError{Code: 126, Err: fmt.Errorf("%s: permission denied (is it executable?)", name)}
	}
	return &exitError{Code: 126, Err: fmt.Errorf("starting %s: %w", name, err)}
}

// forwardTyped copies what is typed on our terminal to the current attempt's pseudo-terminal,
// for the whole run: a reader stuck in a read of our stdin cannot be handed from one attempt
// to the next.
func (r *runner) forwardTyped() {
	r.mu.Lock()
	if r.forwarder {
		r.mu.Unlock()
		return
	}
	r.forwarder = true
	r.mu.Unlock()
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := r.o.Stdin.Read(buf)
			if n > 0 {
				r.mu.Lock()
				m := r.master
				if m != nil {
					r.typed = true
				}
				r.mu.Unlock()
				if m != nil {
					m.Write(buf[:n])
				}
			}
			if err != nil {
				return
			}
		}
	}()
}
