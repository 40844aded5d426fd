//go:build linux

package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// terminal runs the binary at a pseudo-terminal (script(1)), as a person at a prompt does, and
// answers each question only once it is on screen.
type terminal struct {
	t      *testing.T
	cancel context.CancelFunc
	wait   func() error
	stdin  io.WriteCloser
	out    *syncBuffer
}

// atTerminal starts `claude-keytray args` in env at a pseudo-terminal, bounded by limit.
func atTerminal(t *testing.T, env *testenv.Env, limit time.Duration, args string) *terminal {
	t.Helper()
	testenv.Require(t, "script")
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	cmd := env.Command(ctx, "script", "-qec", testenv.Binary(t)+" "+args, "/dev/null")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	return &terminal{t: t, cancel: cancel, wait: cmd.Wait, stdin: stdin, out: out}
}

// expect waits until the screen shows s.
func (p *terminal) expect(s string) {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.out.String(), s) {
		if time.Now().After(deadline) {
			p.t.Fatalf("the terminal never showed %q:\n%s", s, p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// answer waits for prompt, then types line and Enter.
func (p *terminal) answer(prompt, line string) {
	p.t.Helper()
	p.expect(prompt)
	io.WriteString(p.stdin, line+"\r")
}

// finish waits for the program to exit and returns what the terminal showed, without the
// carriage returns.
func (p *terminal) finish() (string, error) {
	err := p.wait()
	p.stdin.Close()
	return strings.ReplaceAll(p.out.String(), "\r", ""), err
}
