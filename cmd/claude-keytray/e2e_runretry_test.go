//go:build linux

package main

import (
	"context"
	"strings"
	"testing"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// `run` retries only what Claude or the Anthropic API say is a key problem, and only with a key
// worth another try.

// A git server's "Failed to authenticate" (and other programs' words for their own logins) is
// not a Claude key problem: the command runs once, its piped input is read once, nothing is
// reported or announced.
func TestE2ERunIgnoresOtherProgramsAuthFailures(t *testing.T) {
	t.Parallel()
	w, _, _ := new401World(t)
	w.startSettledDaemon()
	for _, out := range []string{
		"remote: Failed to authenticate\nfatal: Authentication failed for 'https://git.example/repo.git/'",
		"error: Invalid API key for this service",
		"authentication_error: token expired",
	} {
		script := `cat; printf '%s\n' "$1"; echo ran >> "$HOME/runs"; exit 1`
		r := w.run("piped input\n", "run", "--", "sh", "-c", script, "sh", out)
		wantExit(t, r, 1, "run of a command failing on its own login")
		if r.Stdout != "piped input\n"+out+"\n" || strings.Contains(r.Stderr, "claude-keytray:") {
			t.Fatalf("%q: stdout %q stderr %q", out, r.Stdout, r.Stderr)
		}
	}
	if runs := w.env.Exec(t, "", "cat", w.env.Home()+"/runs").Stdout; runs != "ran\nran\nran\n" {
		t.Fatalf("the commands ran %d times in all, want 3 (once each)", strings.Count(runs, "ran"))
	}
	if st := w.status(); st.AuthFailures.Count != 0 {
		t.Fatalf("auth_failures %d, want 0: nothing was Claude's", st.AuthFailures.Count)
	}
	if all := w.notes.All(); len(all) != 0 {
		t.Fatalf("notifications: %v", all)
	}
}

// The real claude CLI fails on a revoked key (the API tells it not to retry, so its own
// helper-driven retry does not run): run recognises Claude Code's failure, the refresh reads
// the rotated key from the source, and the second claude run succeeds with it.
func TestE2ERunRetriesClaudeWithRotatedKey(t *testing.T) {
	t.Parallel()
	w, source, old := new401World(t)
	w.startSettledDaemon()
	next := w.newKey()
	w.rotate(source, next)
	w.api.SetShouldRetry("false")

	ctx, cancel := context.WithTimeout(context.Background(), testenv.ClaudeTimeout)
	defer cancel()
	r := w.env.ExecContext(ctx, t, "", testenv.Binary(t), "run", "--", "claude", "-p", "say hi")
	wantExit(t, r, 0, "run -- claude after the rotation")
	if !strings.Contains(r.Stdout, testenv.FakeReply) || !strings.Contains(r.Stderr, "refreshed; running claude again (1/2)") {
		t.Fatalf("stdout %q\nstderr %q", r.Stdout, r.Stderr)
	}
	msgs := messages(w.api)
	if len(msgs) < 2 || msgs[0].Key != old || msgs[0].Status != 401 || msgs[len(msgs)-1].Key != next || msgs[len(msgs)-1].Status != 200 {
		t.Fatalf("messages: %s", keysSeen(msgs))
	}
	w.wantStored(next, "after run's refresh")
	if st := w.status(); st.Key.Fingerprint != auth.Fingerprint(next) || st.AuthFailures.Count < 1 {
		t.Fatalf("status: key %s, auth_failures %d", st.Key.Fingerprint, st.AuthFailures.Count)
	}
}

// During an outage (the API answers 529) a refresh neither changes the key nor confirms it:
// Claude's 401 message is recognised and reported, but the command is not run again with the
// same key, and the one notification does not promise a retry.
func TestE2ERunNoRetryWhenKeyUnconfirmed(t *testing.T) {
	t.Parallel()
	w, _, old := new401World(t)
	w.startSettledDaemon()
	w.api.ForceStatus(529)

	script := `cat >/dev/null; echo ran >> "$HOME/runs"; echo 'API Error: 401 {"type":"error","error":{"type":"authentication_error"}}'; exit 1`
	r := w.run("piped input\n", "run", "--", "sh", "-c", script)
	wantExit(t, r, 1, "run during an outage")
	if runs := w.env.Exec(t, "", "cat", w.env.Home()+"/runs").Stdout; runs != "ran\n" {
		t.Fatalf("ran %d times, want once\nstderr %s", strings.Count(runs, "ran"), r.Stderr)
	}
	if !strings.Contains(r.Stderr, "the API could not confirm key "+auth.Fingerprint(old)) || !strings.Contains(r.Stderr, "not run again with the same key") {
		t.Fatalf("stderr %q", r.Stderr)
	}
	n := w.wantOnlyNotification("Claude key not confirmed")
	if n.Body != "sh was refused the key, and the API could not confirm "+auth.Fingerprint(old)+", not run again." {
		t.Fatalf("notification body %q", n.Body)
	}
	w.wantStored(old, "after the outage")
}
