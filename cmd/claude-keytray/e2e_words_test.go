//go:build linux

package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// What a person reads is said in a person's words: these are the marks of log output.
var logWords = []struct {
	what string
	re   *regexp.Regexp
}{
	{"a backtick", regexp.MustCompile("`")},
	{"a pid", regexp.MustCompile(`(?i)\bpid\b`)},
	{"a D-Bus object path", regexp.MustCompile(`/org/freedesktop/|/StatusNotifierItem|/MenuBar`)},
	{"an HTTP status", regexp.MustCompile(`\bHTTP \d{3}|\b\d{3} status code\b|\(HTTP`)},
	{"an exit status", regexp.MustCompile(`exit status \d|\(exit \d`)},
	{"the program naming itself twice", regexp.MustCompile(`claude-keytray: claude-keytray|claude-keytray daemon: `)},
	{"an error code", regexp.MustCompile(`\b(key_rejected|invalid_key|keychain_unavailable|source_configured|no_key|internal)\b\)?$`)},
}

// checkWords fails when text, one message a person reads, has log words or more than two
// sentences: one of what happened and one of what to do.
func checkWords(t *testing.T, where, text string) {
	t.Helper()
	text = strings.TrimSpace(text)
	if text == "" {
		t.Errorf("%s: nothing was said", where)
		return
	}
	for _, w := range logWords {
		if w.re.MatchString(text) {
			t.Errorf("%s has %s: %q", where, w.what, text)
		}
	}
	if n := sentences(text); n > 2 {
		t.Errorf("%s has %d sentences, want at most two: %q", where, n, text)
	}
}

// errorLines checks what a failed command printed on stderr: one line, in a person's words.
func errorLines(t *testing.T, where string, r testenv.Result, code int) {
	t.Helper()
	if r.ExitCode != code {
		t.Errorf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", where, r.ExitCode, code, r.Stdout, r.Stderr)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(r.Stderr), "\n") {
		if strings.HasPrefix(l, "claude-keytray: ") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Errorf("%s: want one error line on stderr, got %q", where, r.Stderr)
		return
	}
	checkWords(t, where, strings.TrimPrefix(lines[0], "claude-keytray: "))
	t.Logf("%-44s %s", where+":", lines[0])
}

// TestWordsCLIErrors runs the real binary down every error path a person meets at the command
// line and checks each line it prints.
func TestWordsCLIErrors(t *testing.T) {
	t.Parallel()
	old, rejected := newKey(t), newKey(t)
	env, api := keychainEnv(t, old)
	wantExit(t, env.RunInput(t, old, "update-key"), 0, "storing the first key")

	for _, tc := range []struct {
		name, stdin string
		args        []string
		code        int
	}{
		{"update-key with an argument", "", []string{"update-key", "sk-ant-api03-x"}, 1},
		{"update-key with nothing", "", []string{"update-key"}, 1},
		{"two different keys", old + "\n" + rejected, []string{"update-key"}, 1},
		{"a label beside the key", "my key " + old, []string{"update-key"}, 1},
		{"only a variable name", "ANTHROPIC_API_KEY=", []string{"update-key"}, 1},
		{"an admin key", "sk-ant-admin01-" + strings.Repeat("a", 80), []string{"update-key"}, 1},
		{"an OAuth token", "sk-ant-oat01-" + strings.Repeat("a", 80), []string{"update-key"}, 1},
		{"a key cut short", "sk-ant-api03-abcdef", []string{"update-key"}, 1},
		{"a control character", "sk-ant-api03-abc\x1bdef", []string{"update-key"}, 1},
		{"non-ASCII", "sk-ant-api03-abcdéf", []string{"update-key"}, 1},
		{"too long", strings.Repeat("x", 16385), []string{"update-key"}, 1},
		{"a rejected key", rejected, []string{"update-key"}, 5},
		{"import --from bogus", "", []string{"import", "--from", "bogus"}, 1},
		{"import from a missing file", "", []string{"import", "--from", "file"}, 1},
		{"import with nothing to import", "", []string{"import"}, 1},
		{"run with no command", "", []string{"run"}, 1},
		{"an unknown store", "", []string{"status", "--store", "bogus"}, 1},
		{"key from an empty file store", "", []string{"key", "--store", "file"}, 2},
		{"an unknown command", "", []string{"bogus"}, 1},
	} {
		errorLines(t, tc.name, env.RunInput(t, tc.stdin, tc.args...), tc.code)
	}

	env.Set("CLAUDE_API_KEY", rejected)
	errorLines(t, "import of a rejected key", env.Run(t, "import"), 5)
	env.Set("CLAUDE_API_KEY", "")

	env.Set("CLAUDE_AUTH_REFRESH_INTERVAL", "abc")
	errorLines(t, "a bad refresh interval", env.Run(t, "refresh"), 1)
	env.Set("CLAUDE_AUTH_REFRESH_INTERVAL", "")

	env.Set("CLAUDE_KEYTRAY_SOURCE", "cat /nonexistent")
	errorLines(t, "update-key with a source", env.RunInput(t, old, "update-key"), 1)
	env.Set("CLAUDE_KEYTRAY_SOURCE", "")

	// Through a running daemon: its answers (HTTP, codes) read the same as without one.
	env.StartBinary(t, "daemon")
	waitRunning(t, env)
	errorLines(t, "a rejected key through the daemon", env.RunInput(t, rejected, "update-key"), 5)
	errorLines(t, "two keys through the daemon", env.RunInput(t, old+old[:30], "update-key"), 1)
	errorLines(t, "a second daemon", env.Run(t, "daemon"), 1)
	api.ForceStatus(529)
	r := env.RunInput(t, rejected, "update-key")
	wantExit(t, r, 0, "update-key while the API is overloaded")
	for _, l := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		checkWords(t, "update-key while the API is overloaded", l)
	}

	// No keychain at all: no session bus.
	bare := testenv.New(t)
	errorLines(t, "key without a session bus", bare.Run(t, "key"), 3)
	errorLines(t, "update-key without a session bus", bare.RunInput(t, old, "update-key", "--no-verify"), 3)

	// A session bus with no Secret Service on it.
	noService := testenv.New(t)
	noService.StartBus(t)
	errorLines(t, "key without a Secret Service", noService.Run(t, "key"), 3)
}

// waitRunning waits until status shows the Env's daemon.
func waitRunning(t *testing.T, env *testenv.Env) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !statusOf(t, env).Daemon.Running {
		if time.Now().After(deadline) {
			t.Fatal("the daemon did not start within 20 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// doctorText checks doctor's text report line by line and returns it.
func doctorText(t *testing.T, where string, r testenv.Result) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	if len(lines) < 5 {
		t.Fatalf("%s: doctor printed %q\nstderr: %s", where, r.Stdout, r.Stderr)
	}
	t.Logf("%s:\n%s", where, r.Stdout)
	line := regexp.MustCompile(`^\[(ok  |warn|FAIL)\] (.{17}) (.+)$`)
	fix := regexp.MustCompile(`^ {25}fix: (.+)$`)
	for _, l := range lines {
		if m := line.FindStringSubmatch(l); m != nil {
			checkWords(t, where+": "+strings.TrimSpace(m[2]), m[3])
		} else if m := fix.FindStringSubmatch(l); m != nil {
			checkWords(t, where+": fix", m[1])
		} else {
			t.Errorf("%s: a line that is neither a check nor a fix: %q", where, l)
		}
	}
	return r.Stdout
}

// TestWordsDoctor: doctor in a world with every problem it knows says each in a person's
// words with one fix, and says when the daemon still serves the key while the keychain is away.
func TestWordsDoctor(t *testing.T) {
	t.Parallel()
	k, plain := newKey(t), newKey(t)
	env, api := keychainEnv(t) // the API accepts no key yet
	wantExit(t, env.RunInput(t, k, "update-key", "--no-verify"), 0, "storing the key")
	env.WriteFile(t, ".claude/api_key", plain+"\n", 0o600)
	env.WriteFile(t, ".claude/settings.json", `{"env":{"ANTHROPIC_API_KEY":"`+plain+`"}}`, 0o666)
	env.WriteFile(t, ".bashrc", "export ANTHROPIC_API_KEY="+plain+"\n", 0o600)
	if err := os.Chmod(env.Home(), 0o777); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(env.Home(), 0o700) })
	env.Set("CLAUDE_AUTH_REFRESH_INTERVAL", "abc")
	out := doctorText(t, "doctor, key rejected", env.Run(t, "doctor"))
	for _, want := range []string{"[FAIL] API accepts key", "[FAIL] refresh interval", "[FAIL] helper script", "[FAIL] Claude settings", "[FAIL] conflicts", "[FAIL] plaintext keys", "[warn] plaintext keys", "[FAIL] file permissions", "[warn] daemon"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor does not show %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, k) || strings.Contains(out, plain) {
		t.Fatal("doctor printed a key")
	}
	api.SetAccepted(k)
	api.ForceStatus(529)
	doctorText(t, "doctor, API overloaded", env.Run(t, "doctor"))
	api.ForceStatus(0)
	env.Set("CLAUDE_AUTH_REFRESH_INTERVAL", "")

	// The keychain goes away while the daemon holds the key: one problem, one fix, and the
	// key Claude Code still gets.
	env.StartBinary(t, "daemon")
	waitRunning(t, env)
	out = doctorText(t, "doctor, daemon running", env.Run(t, "doctor"))
	if !strings.Contains(out, "[ok  ] daemon") {
		t.Errorf("doctor with the daemon running:\n%s", out)
	}
	env.StopKeyring(t)
	out = doctorText(t, "doctor, keychain down", env.Run(t, "doctor"))
	if !strings.Contains(out, "still serves key "+auth.Fingerprint(k)+" from memory") {
		t.Errorf("doctor does not say the daemon still serves the key:\n%s", out)
	}
	if n := strings.Count(out, "[FAIL] keychain"); n != 1 || strings.Contains(out, "key present") {
		t.Errorf("the keychain being down is %d failures and a key check, want one:\n%s", n, out)
	}
	r := env.Run(t, "doctor", "--json")
	if !strings.Contains(r.Stdout, `"more"`) {
		t.Errorf("doctor --json keeps no details in \"more\":\n%s", r.Stdout)
	}
}
