package auth

import (
	"context"
	"os/exec"
	"time"

	"github.com/claude-keytray/claude-keytray/auth/claude"
)

// askClaudeEvery is the longest the engine goes without asking `claude auth status` again:
// what Claude Code will use can change without any file this app watches changing.
const askClaudeEvery = 10 * time.Minute

// cliAnswer is the last `claude auth status` answer.
type cliAnswer struct {
	status *claude.CLIAuthStatus
	err    error
	at     time.Time
}

// credential is what Claude Code started now in the user's home will use: the CLI's last
// answer combined with what the environment and the files say now.
func (e *Engine) credential() claude.Credential {
	p := e.opts.Paths
	derived := claude.Effective(p.Claude, p.Home, e.opts.Environ)
	e.cliMu.Lock()
	a := e.cli
	e.cliMu.Unlock()
	return claude.Combine(derived, a.status, a.err)
}

// claudeCLI finds the claude executable to ask, "" when there is none.
func (e *Engine) claudeCLI() string {
	switch e.opts.ClaudeCLI {
	case "-":
		return ""
	case "":
		bin, err := exec.LookPath("claude")
		if err != nil {
			return ""
		}
		return bin
	}
	return e.opts.ClaudeCLI
}

// AskClaude runs `claude auth status` in the user's home (with a timeout) and keeps its
// answer for status. Without the CLI it does nothing: status derives the answer. It never
// runs on the helper's path.
func (e *Engine) AskClaude(ctx context.Context) {
	bin := e.claudeCLI()
	if bin == "" {
		return
	}
	start := time.Now()
	st, err := claude.AskCLI(ctx, bin, e.opts.Paths.Claude, e.opts.Environ, e.opts.Paths.RuntimeDir)
	a := cliAnswer{err: err, at: time.Now()}
	if err == nil {
		a.status = &st
	}
	e.cliMu.Lock()
	changed := e.cli.status == nil != (a.status == nil) || a.status != nil && *a.status != *e.cli.status
	e.cli = a
	e.cliMu.Unlock()
	if err != nil {
		e.log.Warn("claude auth status gave no answer", "cli", bin, "err", err)
	} else {
		e.log.Info("claude auth status", "auth_method", st.AuthMethod, "api_key_source", st.APIKeySource, "took_ms", time.Since(start).Milliseconds())
	}
	if changed {
		e.publishStatus()
	}
}

// askClaudeLoop asks the CLI at start, whenever the settings may have changed (kick), and at
// least every askClaudeEvery, one question at a time.
func (e *Engine) askClaudeLoop(ctx context.Context, kick <-chan struct{}) {
	if e.claudeCLI() == "" {
		return
	}
	for {
		e.AskClaude(ctx)
		t := time.NewTimer(askClaudeEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-kick:
		case <-t.C:
		}
		t.Stop()
	}
}
