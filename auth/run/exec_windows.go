package run

import (
	"context"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"time"
)

// On Windows there is no pseudo-terminal to give the command (ConPTY is not used): console
// streams pass through directly and unscanned, redirected ones are scanned. Ctrl-C reaches every
// process on the console, the command included, so it is not forwarded, only noted.

const outputGrace = 2 * time.Second

const ptySupported = false

type runnerSys struct{ sigs chan os.Signal }

func (s *runnerSys) init(r *runner) {
	s.sigs = make(chan os.Signal, 4)
	signal.Notify(s.sigs, os.Interrupt)
}

func (s *runnerSys) close(r *runner) { signal.Stop(s.sigs) }

func (r *runner) attempt(ctx context.Context, env []string) (result, error) {
	r.det.Reset()
	cmd := exec.Command(r.o.Args[0], r.o.Args[1:]...)
	cmd.Env = env
	if cmd.Err != nil {
		return result{}, startError(r.o.Args[0], cmd.Err)
	}
	var feed *replayReader
	var feedW *os.File
	if r.inTTY {
		cmd.Stdin = r.o.Stdin
	} else {
		pr, pw, err := os.Pipe()
		if err != nil {
			return result{}, startError(r.o.Args[0], err)
		}
		defer pr.Close()
		cmd.Stdin = pr
		feed, feedW = r.rec.reader(), pw
	}
	if r.outTTY {
		cmd.Stdout = r.o.Stdout
	} else {
		cmd.Stdout = r.det.Writer(r.o.Stdout)
	}
	if r.errTTY {
		cmd.Stderr = r.o.Stderr
	} else {
		cmd.Stderr = r.det.Writer(r.o.Stderr)
	}
	cmd.WaitDelay = outputGrace
	if err := cmd.Start(); err != nil {
		if feedW != nil {
			feedW.Close()
		}
		return result{}, startError(r.o.Args[0], err)
	}
	var wg sync.WaitGroup
	if feed != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			io.Copy(feedW, feed)
			feedW.Close()
		}()
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
		case <-r.sys.sigs:
			stopped = true
			r.markStopped()
		case <-ctx.Done():
			cmd.Process.Kill()
			stopped = true
		}
	}
	if feed != nil {
		feed.close()
		feedW.Close()
	}
	wg.Wait()
	code := 1
	if cmd.ProcessState != nil {
		code = cmd.ProcessState.ExitCode()
	} else if werr == nil {
		code = 0
	}
	return result{code: code, match: r.det.Match(), stopped: stopped || r.isStopped()}, nil
}
