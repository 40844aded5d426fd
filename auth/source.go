package auth

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/claude-keytray/claude-keytray/auth/capbuf"
	"github.com/claude-keytray/claude-keytray/auth/internal/keyshape"
)

// Source is where a refresh reads the current key from when it is not the keychain itself.
type Source interface {
	Fetch(ctx context.Context) (string, error)
	// Name is the status's key.source for keys it gave ("command").
	Name() string
}

// maxSourceOutput caps what a source may print: a key is at most MaxKeyLen characters, so
// anything much larger is a mistake (a whole JSON document, a binary) and is not read in full.
const maxSourceOutput = 4 * MaxKeyLen

// CommandSource runs a shell command (Vault, AWS Secrets Manager, pass, 1Password…) whose
// stdout is the key.
type CommandSource struct {
	Command string
	Timeout time.Duration
}

func (c *CommandSource) Name() string { return "command" }

// Fetch runs the command under its timeout. The whole process group is killed on timeout so a
// command's children (a `sleep`, a CLI's helper) cannot outlive it. Errors carry the command's
// stderr, with anything that looks like the output key masked.
func (c *CommandSource) Fetch(ctx context.Context) (string, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultSourceTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := shellCommand(ctx, c.Command)
	// A command that floods stdout is stopped at once rather than at the timeout.
	stdout := capbuf.Buffer{Max: maxSourceOutput, OnOverflow: cancel}
	// Enough of stderr for the error a person reads.
	stderr := capbuf.Buffer{Max: 4096}
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	out := stdout.String()
	errText := strings.TrimSpace(stderr.String())
	if errText != "" {
		// A failing command may print a key on stderr (a debug line, a token in an error): the
		// error reaches status, notifications and the terminal, so anything key-shaped is masked.
		errText = "; stderr: " + keyshape.Mask(Redact(errText, strings.TrimSpace(out)))
	}
	// The command line itself may hold a secret (a token in a URL): mask what the output was.
	command := Redact(c.Command, strings.TrimSpace(out))
	switch {
	case stdout.Overflowed():
		return "", fmt.Errorf("source command %q printed more than %d bytes; it should print only the key%s", command, maxSourceOutput, errText)
	case ctx.Err() == context.DeadlineExceeded:
		return "", fmt.Errorf("source command %q did not finish within %s (raise source_timeout_seconds in the config if it is just slow)%s", command, timeout, errText)
	case err != nil:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("source command %q failed with exit code %d%s", command, ee.ExitCode(), errText)
		}
		return "", fmt.Errorf("source command %q could not run: %v", command, err)
	case strings.TrimSpace(out) == "":
		return "", fmt.Errorf("source command %q printed nothing%s", command, errText)
	}
	return out, nil
}
