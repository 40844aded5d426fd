//go:build linux || darwin

package run

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// terminal is a pseudo-terminal playing the user's terminal: Run gets its slave as stdin,
// stdout and stderr; the test reads the screen from the master and types into it.
type terminal struct {
	master, slave *os.File
	mu            sync.Mutex
	screen        bytes.Buffer
	done          chan struct{}
}

func newTerminal(t *testing.T) *terminal {
	t.Helper()
	m, s, err := openPTY()
	if err != nil {
		t.Fatalf("openPTY: %v", err)
	}
	tm := &terminal{master: m, slave: s, done: make(chan struct{})}
	go func() {
		defer close(tm.done)
		buf := make([]byte, 4096)
		for {
			n, err := m.Read(buf)
			tm.mu.Lock()
			tm.screen.Write(buf[:n])
			tm.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { s.Close(); m.Close(); <-tm.done })
	return tm
}

func (tm *terminal) text() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.screen.String()
}

func (tm *terminal) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(tm.text(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never showed %q; it shows %q", s, tm.text())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// In a terminal the command still sees a terminal, its output is scanned, and a run nobody
// typed into is retried.
func TestRunInTerminal(t *testing.T) {
	tm := newTerminal(t)
	ref := &fakeRefresher{}
	tool := script(t, counter+`if [ -t 0 ] && [ -t 1 ] && [ -t 2 ]; then echo "tty $n"; fi
if [ "$n" -lt 2 ]; then echo "API Error: 401 · Please run /login"; exit 1; fi
echo "ok $n"`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code, err := Run(ctx, Options{Args: []string{tool}, Retries: 2, Refresher: ref,
		Stdin: tm.slave, Stdout: tm.slave, Stderr: tm.slave,
		Environ: []string{"PATH=" + os.Getenv("PATH")}, Backoff: func(int) time.Duration { return 0 }})
	if err != nil || code != 0 {
		t.Fatalf("exit %d, err %v; screen %q", code, err, tm.text())
	}
	tm.waitFor(t, "ok 2")
	for _, want := range []string{"tty 1", "API Error: 401", "tty 2"} {
		if !strings.Contains(tm.text(), want) {
			t.Fatalf("screen lacks %q: %q", want, tm.text())
		}
	}
	if got := ref.reported(); len(got) != 1 || got[0] != "tool; retrying 1/2" {
		t.Fatalf("reported %q", got)
	}
}

// A run the user typed into is refreshed and reported but not run again.
func TestRunInTerminalInteractiveNotReplayed(t *testing.T) {
	tm := newTerminal(t)
	ref := &fakeRefresher{}
	tool := script(t, counter+`echo "name?"; read name; echo "hi $name"; echo "Invalid API key · Fix external API key"; exit 1`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() {
		tm.waitFor(t, "name?")
		io.WriteString(tm.master, "ann\r")
	}()
	code, err := Run(ctx, Options{Args: []string{tool}, Retries: 2, Refresher: ref,
		Stdin: tm.slave, Stdout: tm.slave, Stderr: tm.slave,
		Environ: []string{"PATH=" + os.Getenv("PATH")}, Backoff: func(int) time.Duration { return 0 }})
	if err != nil || code != 1 {
		t.Fatalf("exit %d, err %v; screen %q", code, err, tm.text())
	}
	tm.waitFor(t, "run it again yourself")
	if !strings.Contains(tm.text(), "hi ann") {
		t.Fatalf("typed input did not reach the command: %q", tm.text())
	}
	if got := ref.reported(); len(got) != 1 || !strings.Contains(got[0], "not run again: it was interactive") {
		t.Fatalf("reported %q", got)
	}
}
