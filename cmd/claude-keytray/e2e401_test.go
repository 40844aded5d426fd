//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/claude"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// 401 handling end to end: the real binary as `daemon` with the helper installed, the real
// claude CLI, a real Secret Service, and dunst with dbus-monitor counting notifications. The
// key comes from a source command (`cat` of a file) with a refresh interval of a day, so only a
// 401 makes the engine read the source again.

// new401World starts a world whose keychain and source hold old, which the API accepts, with
// the helper installed; the daemon is the caller's to start.
func new401World(t *testing.T) (w *daemonWorld, source, old string) {
	t.Helper()
	testenv.Require(t, "claude")
	w = newDaemonWorld(t)
	// A race-enabled binary sleeps a second before exiting unless told not to; Claude Code waits
	// for the helper to exit, so that second would land between every 401 and its retry.
	w.env.Set("GORACE", "atexit_sleep_ms=0")
	w.notes = w.env.StartNotifications(t)
	old = w.newKey()
	w.api.SetAccepted(old)
	source = filepath.Join(w.env.Dir, "source-key")
	writeSource(t, source, old)
	w.env.Set("CLAUDE_KEYTRAY_SOURCE", "cat '"+source+"'")
	w.env.Set("CLAUDE_AUTH_REFRESH_INTERVAL", "86400")
	// Stored directly: with a source configured, update-key leaves the key to the source.
	w.env.SecretToolStore(t, old)
	wantExit(t, w.run("", "install", "--no-autostart"), 0, "install --no-autostart")
	return w, source, old
}

// startSettledDaemon starts the daemon and makes sure its last refresh worked, so no retry
// timer (seconds, after a failed refresh) can read the source behind the test's back: only a
// 401 may. A keychain slow to answer under load can fail the start-up refresh.
func (w *daemonWorld) startSettledDaemon() *testenv.Proc {
	w.t.Helper()
	d := w.startDaemon()
	for i := 0; ; i++ {
		st := w.status()
		if st.Refresh.LastError == "" {
			return d
		}
		if i == 3 {
			w.t.Fatalf("the daemon's refreshes keep failing: %s", st.Refresh.LastError)
		}
		w.t.Logf("the start-up refresh failed (%s); refreshing again", st.Refresh.LastError)
		w.refresh()
	}
}

func writeSource(t *testing.T, path, key string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// rotate puts next in the source and makes the API accept only next: the old key is revoked
// and the daemon, with its day-long interval, has not noticed.
func (w *daemonWorld) rotate(source, next string) {
	writeSource(w.t, source, next)
	w.api.SetAccepted(next)
}

// messages returns the /v1/messages requests api answered, in order.
func messages(api *testenv.FakeAPI) []testenv.Request {
	var out []testenv.Request
	for _, r := range api.Requests() {
		if r.Path == "/v1/messages" {
			out = append(out, r)
		}
	}
	return out
}

func keysSeen(reqs []testenv.Request) string {
	var b []string
	for _, r := range reqs {
		b = append(b, fmt.Sprintf("%s→%d", auth.Fingerprint(r.Key), r.Status))
	}
	return strings.Join(b, ", ")
}

// wantOnlyNotification waits for the one notification of the test, checks its summary and that
// no other comes, and returns it.
func (w *daemonWorld) wantOnlyNotification(summary string) testenv.Notification {
	w.t.Helper()
	n := w.wantNotifications(summary, 1)[0]
	if all := w.notes.All(); len(all) != 1 {
		w.t.Fatalf("%d notifications, want exactly one: %v", len(all), all)
	}
	return n
}

// The key was rotated at the source and the old one revoked: Claude Code gets a 401, runs the
// helper again a moment later, the daemon sees the early call, reads the source and answers the
// new key, and Claude Code's retry succeeds. One notification, one auth failure.
func TestE2E401ClaudeRetryGetsRotatedKey(t *testing.T) {
	t.Parallel()
	w, source, old := new401World(t)
	d := w.startSettledDaemon()
	next := w.newKey()
	w.rotate(source, next)

	r := w.env.Claude(t, "-p", "say hi")
	wantExit(t, r, 0, "claude -p after the rotation")
	if !strings.Contains(r.Stdout, testenv.FakeReply) {
		t.Fatalf("claude -p printed %q", r.Stdout)
	}
	msgs := messages(w.api)
	if len(msgs) != 2 || msgs[0].Key != old || msgs[0].Status != 401 || msgs[1].Key != next || msgs[1].Status != 200 {
		t.Fatalf("the API saw %s; want %s→401 then %s→200", keysSeen(msgs), auth.Fingerprint(old), auth.Fingerprint(next))
	}
	t.Logf("real claude CLI: 401 at %s, retry with the new key %v later", msgs[0].At.Format("15:04:05.000"), msgs[1].At.Sub(msgs[0].At).Round(time.Millisecond))

	n := w.wantOnlyNotification("Claude key rotated")
	// Words for people: the fingerprint, no pids or HTTP codes.
	if !strings.Contains(n.Body, "Now using key "+auth.Fingerprint(next)) || strings.Contains(n.Body, "pid") || strings.Contains(n.Body, "401") {
		t.Fatalf("notification body %q", n.Body)
	}
	st := w.status()
	if st.AuthFailures.Count != 1 || st.State != auth.StateOK || st.Key.Fingerprint != auth.Fingerprint(next) {
		t.Fatalf("status: auth_failures %d, state %s, key %s", st.AuthFailures.Count, st.State, st.Key.Fingerprint)
	}
	w.wantStored(next, "after the 401")
	w.stopDaemon(d, syscall.SIGTERM)
	log := w.readLog()
	if !strings.Contains(log, "a 401 retry") {
		t.Fatalf("the log does not record the retry:\n%s", log)
	}
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "msg=refresh ") && strings.Contains(line, "auth failure") {
			t.Logf("the forced refresh: %s", line[strings.Index(line, "took_ms"):])
		}
	}
}

// No valid key anywhere: claude -p fails, the daemon says once that the key is rejected however
// often Claude Code calls back, and the state is invalid.
func TestE2E401NoValidKey(t *testing.T) {
	t.Parallel()
	w, _, old := new401World(t)
	w.startSettledDaemon()
	w.api.SetAccepted() // revoked, and the source has nothing better
	w.env.Set("CLAUDE_CODE_MAX_RETRIES", "3")

	r := w.env.Claude(t, "-p", "say hi")
	if r.ExitCode == 0 || !strings.Contains(r.Stdout+r.Stderr, "Invalid API key") {
		t.Fatalf("claude -p with a revoked key: exit %d\nstdout %s\nstderr %s", r.ExitCode, r.Stdout, r.Stderr)
	}
	if msgs := messages(w.api); len(msgs) < 3 {
		t.Fatalf("claude retried only %d times: %s", len(msgs), keysSeen(msgs))
	}
	n := w.wantOnlyNotification("Claude key rejected")
	if !strings.Contains(n.Body, "The API rejects key "+auth.Fingerprint(old)+".\nChoose Update key…") || n.Urgency != 2 {
		t.Fatalf("notification body %q", n.Body)
	}
	st := w.status()
	if st.State != auth.StateInvalid || st.AuthFailures.Count < 1 {
		t.Fatalf("status: state %s, auth_failures %d", st.State, st.AuthFailures.Count)
	}
	t.Logf("claude called back %d times; auth_failures.count %d", len(messages(w.api))-1, st.AuthFailures.Count)
}

// Two claude processes at once, only one of them getting a 401: only that one is counted, and
// the notification names it.
func TestE2E401TwoClaudesOnlyOneCounted(t *testing.T) {
	t.Parallel()
	w, source, old := new401World(t)
	w.startSettledDaemon()
	next := w.newKey()
	writeSource(t, source, next)
	// A talks to an API that takes both keys; B to one that revoked the old key.
	w.api.SetAccepted(old, next)
	apiB := testenv.NewFakeAPI(t, next)

	ctx, cancel := context.WithTimeout(context.Background(), testenv.ClaudeTimeout)
	defer cancel()
	start := func(extra ...string) (*exec.Cmd, *strings.Builder) {
		cmd := w.env.Command(ctx, "claude", "-p", "say hi")
		cmd.Env = append(cmd.Env, extra...)
		var b strings.Builder
		cmd.Stdout, cmd.Stderr = &b, &b
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &b
	}
	a, aOut := start()
	b, bOut := start("ANTHROPIC_BASE_URL=" + apiB.URL())
	errA, errB := a.Wait(), b.Wait()
	if errA != nil || errB != nil {
		t.Fatalf("claude A: %v\n%s\nclaude B: %v\n%s", errA, aOut, errB, bOut)
	}
	if msgs := messages(apiB); len(msgs) != 2 || msgs[0].Status != 401 || msgs[1].Key != next {
		t.Fatalf("B's API saw %s", keysSeen(msgs))
	}
	for _, m := range messages(w.api) {
		if m.Status != 200 {
			t.Fatalf("A got a %d", m.Status)
		}
	}
	st := w.status()
	if st.AuthFailures.Count != 1 {
		t.Fatalf("auth_failures.count %d, want 1 (B only)", st.AuthFailures.Count)
	}
	n := w.wantOnlyNotification("Claude key rotated")
	if !strings.Contains(n.Body, auth.Fingerprint(next)) {
		t.Fatalf("the notification %q does not name the new key", n.Body)
	}
	if log := w.readLog(); !strings.Contains(log, "caller_pid="+strconv.Itoa(b.Process.Pid)) || strings.Contains(log, "caller_pid="+strconv.Itoa(a.Process.Pid)) {
		t.Fatalf("the log does not put the retry on B (pid %d; A is %d)", b.Process.Pid, a.Process.Pid)
	}
}

// Scripts and benchmarks run the helper in a loop: never a 401.
func TestE2E401HelperLoopNeverCounted(t *testing.T) {
	t.Parallel()
	w, source, _ := new401World(t)
	w.startSettledDaemon()
	// Even with a rotation pending, quick calls from a loop must not trigger a refresh.
	writeSource(t, source, w.newKey())
	helper := filepath.Join(w.env.ClaudeDir(), claude.HelperFileName)
	start := time.Now()
	r := w.env.Exec(t, "", "sh", "-c", `for i in $(seq 20); do "$1" >/dev/null || exit 1; done`, "sh", helper)
	took := time.Since(start)
	wantExit(t, r, 0, "20 helper calls in a loop")
	t.Logf("20 helper calls through the daemon in %v (%v each)", took.Round(time.Millisecond), (took / 20).Round(time.Microsecond))
	if st := w.status(); st.AuthFailures.Count != 0 {
		t.Fatalf("after the loop: auth_failures %d, want 0", st.AuthFailures.Count)
	}
	// A timer refresh may run meanwhile (a slow keychain at start-up makes the loop retry in
	// seconds), but nothing may be a 401: no forced refresh, no 401 notification.
	time.Sleep(300 * time.Millisecond)
	log := w.readLog()
	if strings.Contains(log, "auth failure") || strings.Contains(log, "401 retry") {
		t.Fatalf("the loop was taken for a 401:\n%s", log)
	}
	for _, n := range w.notes.All() {
		if strings.Contains(n.Body, "401") {
			t.Fatalf("notification %v", n)
		}
	}
	// The daemon's side of each call: the /proc walk and the answer.
	var slowest time.Duration
	calls := 0
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, "path="+"/api/auth/key") {
			continue
		}
		_, rest, _ := strings.Cut(line, "duration=")
		d, err := time.ParseDuration(strings.Fields(rest)[0])
		if err == nil {
			calls++
			slowest = max(slowest, d)
		}
	}
	if calls != 20 {
		t.Fatalf("the log has %d key requests, want 20", calls)
	}
	t.Logf("the daemon answered each in at most %v", slowest)
}

// Without a daemon, `key` runs in-process and tracks Claude Code's calls in a state file: the
// 401 retry still reads the rotated key from the source, with one notification.
func TestE2E401NoDaemonClaudeRetry(t *testing.T) {
	t.Parallel()
	w, source, old := new401World(t)
	next := w.newKey()
	w.rotate(source, next)

	r := w.env.Claude(t, "-p", "say hi")
	wantExit(t, r, 0, "claude -p without a daemon")
	msgs := messages(w.api)
	if len(msgs) != 2 || msgs[0].Key != old || msgs[1].Key != next || msgs[1].Status != 200 {
		t.Fatalf("the API saw %s", keysSeen(msgs))
	}
	t.Logf("real claude CLI without a daemon: retry %v after the 401", msgs[1].At.Sub(msgs[0].At).Round(time.Millisecond))
	n := w.wantOnlyNotification("Claude key rotated")
	if !strings.Contains(n.Body, "Now using key "+auth.Fingerprint(next)) {
		t.Fatalf("notification body %q", n.Body)
	}
	w.wantStored(next, "after the in-process refresh")
	file := filepath.Join(w.env.Get("XDG_STATE_HOME"), "claude-keytray", "callers.json")
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file %s: %v %v", file, fi, err)
	}
	b, _ := os.ReadFile(file)
	var f struct {
		Callers []map[string]any `json:"callers"`
	}
	if err := json.Unmarshal(b, &f); err != nil || strings.Contains(string(b), old) || strings.Contains(string(b), next) {
		t.Fatalf("state file: %v\n%s", err, b)
	}
}

// toolSource is a small program standing in for an SDK script: it calls the API's /v1/models
// with $ANTHROPIC_API_KEY, prints "models ok" on 200 and Claude Code's "API Error: 401" on a
// rejection.
const toolSource = `package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	req, _ := http.NewRequest("GET", os.Getenv("ANTHROPIC_BASE_URL")+"/v1/models", nil)
	req.Header.Set("x-api-key", os.Getenv("ANTHROPIC_API_KEY"))
	req.Header.Set("anthropic-version", "2023-06-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "connection error:", err)
		os.Exit(2)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		fmt.Printf("API Error: %d {\"type\":\"error\"}\n", resp.StatusCode)
		os.Exit(1)
	}
	fmt.Println("models ok")
}
`

// sdkTool builds toolSource into the test's temporary folder (the Go build cache makes the
// second build quick); Go is there, since it runs the tests.
func sdkTool(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string]string{"go.mod": "module sdktool\n\ngo 1.21\n", "main.go": toolSource} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "build", "-o", "sdk-tool", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the stand-in SDK tool: %v\n%s", err, out)
	}
	return filepath.Join(dir, "sdk-tool")
}

// `run --env` with a tool that reads ANTHROPIC_API_KEY: a 401, one forced refresh through the
// daemon, one retry with the fresh key, one notification.
func TestE2ERunEnvRetriesOnce(t *testing.T) {
	t.Parallel()
	tool := sdkTool(t)
	w, source, _ := new401World(t)
	w.startSettledDaemon()
	next := w.newKey()
	w.rotate(source, next)

	r := w.run("", "run", "--env", "--", tool)
	wantExit(t, r, 0, "run --env after the rotation")
	if r.Stdout != "API Error: 401 {\"type\":\"error\"}\nmodels ok\n" {
		t.Fatalf("stdout %q", r.Stdout)
	}
	if !strings.Contains(r.Stderr, "refreshed; running sdk-tool again (1/2)") {
		t.Fatalf("stderr %q", r.Stderr)
	}
	n := w.wantOnlyNotification("Claude key rotated")
	if n.Body != "sdk-tool was refused the old key: now using "+auth.Fingerprint(next)+", retrying 1/2" {
		t.Fatalf("notification body %q", n.Body)
	}
	if st := w.status(); st.AuthFailures.Count != 1 || st.Key.Fingerprint != auth.Fingerprint(next) {
		t.Fatalf("status: auth_failures %d, key %s", st.AuthFailures.Count, st.Key.Fingerprint)
	}
}

// A command that keeps failing stops after --retries with its own exit code; a command that
// succeeds, or fails for another reason, passes through untouched.
func TestE2ERunPassThroughAndGiveUp(t *testing.T) {
	t.Parallel()
	w, _, _ := new401World(t)
	w.startSettledDaemon()

	// A clean exit: output byte for byte, binary and all, exit code kept, nothing reported.
	script := `printf 'a\000b\377\n'; printf 'to stderr\n' >&2; head -c 5; exit "$1"`
	for _, code := range []int{0, 4} {
		r := w.run("input-not-used-beyond-five", "run", "--", "sh", "-c", script, "sh", strconv.Itoa(code))
		wantExit(t, r, code, "run of a command exiting "+strconv.Itoa(code))
		if r.Stdout != "a\x00b\xff\ninput" || r.Stderr != "to stderr\n" {
			t.Fatalf("exit %d: stdout %q stderr %q", code, r.Stdout, r.Stderr)
		}
	}
	if st := w.status(); st.AuthFailures.Count != 0 {
		t.Fatalf("a clean run was counted: %d", st.AuthFailures.Count)
	}

	// Always failing: three runs, three events (two retries and giving up), exit code 9.
	r := w.run("", "run", "--retries", "2", "--", "sh", "-c", `echo '{"is_error":true,"api_error_status":401}'; exit 9`)
	wantExit(t, r, 9, "run of a command that always fails")
	if strings.Count(r.Stdout, "api_error_status") != 3 {
		t.Fatalf("ran %d times, want 3: %q", strings.Count(r.Stdout, "api_error_status"), r.Stdout)
	}
	notes := w.wantNotifications("Claude key refreshed", 3)
	for i, want := range []string{"retrying 1/2", "retrying 2/2", "gave up after 2 retries"} {
		if notes[i].Body != "sh was refused the key; it was read again, "+want {
			t.Fatalf("notification %d: %q", i+1, notes[i].Body)
		}
	}
	if st := w.status(); st.AuthFailures.Count != 3 {
		t.Fatalf("auth_failures %d, want 3", st.AuthFailures.Count)
	}
}

// Without a daemon `run` still runs the command, reads the key itself, refreshes in-process
// after the 401 and retries.
func TestE2ERunWithoutDaemon(t *testing.T) {
	t.Parallel()
	tool := sdkTool(t)
	w, source, _ := new401World(t)
	next := w.newKey()
	w.rotate(source, next)

	r := w.run("", "run", "--env", "--", tool)
	wantExit(t, r, 0, "run --env without a daemon")
	if r.Stdout != "API Error: 401 {\"type\":\"error\"}\nmodels ok\n" {
		t.Fatalf("stdout %q\nstderr %q", r.Stdout, r.Stderr)
	}
	n := w.wantOnlyNotification("Claude key rotated")
	if !strings.HasSuffix(n.Body, ", retrying 1/2") {
		t.Fatalf("notification body %q", n.Body)
	}
	w.wantStored(next, "after run refreshed in-process")

	// And a plain command runs with no daemon and no auth error at all.
	r = w.run("", "run", "--", "sh", "-c", "echo plain; exit 3")
	if r.ExitCode != 3 || r.Stdout != "plain\n" {
		t.Fatalf("plain run: exit %d stdout %q stderr %q", r.ExitCode, r.Stdout, r.Stderr)
	}
}

// `run -- claude` when no key works: Claude Code's own retries already told the daemon (one
// "rejected" notification); run sees "Invalid API key", reports it, and the same rejection is
// not announced twice. run does not retry a rejected key and exits with claude's code.
func TestE2ERunClaudeRejectedOneNotification(t *testing.T) {
	t.Parallel()
	w, _, _ := new401World(t)
	w.startSettledDaemon()
	w.api.SetAccepted()
	w.env.Set("CLAUDE_CODE_MAX_RETRIES", "1")

	ctx, cancel := context.WithTimeout(context.Background(), testenv.ClaudeTimeout)
	defer cancel()
	r := w.env.ExecContext(ctx, t, "", testenv.Binary(t), "run", "--", "claude", "-p", "--output-format", "json", "say hi")
	if r.ExitCode != 1 || !strings.Contains(r.Stdout, `"api_error_status":401`) {
		t.Fatalf("run -- claude: exit %d\nstdout %s\nstderr %s", r.ExitCode, r.Stdout, r.Stderr)
	}
	if !strings.Contains(r.Stderr, "the API rejects key") || strings.Count(r.Stdout, `"type":"result"`) != 1 {
		t.Fatalf("run retried a rejected key, or did not say why it stopped:\nstdout %s\nstderr %s", r.Stdout, r.Stderr)
	}
	w.wantOnlyNotification("Claude key rejected")
	if st := w.status(); st.State != auth.StateInvalid || st.AuthFailures.Count < 2 {
		t.Fatalf("state %s, auth_failures %d (want claude's retry and run's report)", st.State, st.AuthFailures.Count)
	}
}

// Signals sent to run reach the command, and run exits with the command's own code.
func TestE2ERunForwardsSignals(t *testing.T) {
	t.Parallel()
	env := testenv.New(t)
	env.Set("GORACE", "atexit_sleep_ms=0")
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGUSR1} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		name := map[syscall.Signal]string{syscall.SIGTERM: "TERM", syscall.SIGUSR1: "USR1"}[sig]
		cmd := env.Command(ctx, testenv.Binary(t), "run", "--", "sh", "-c",
			`trap 'echo "got `+name+`"; exit 7' `+name+`; echo ready; while :; do sleep 0.05; done`)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64)
		n, _ := out.Read(buf)
		if string(buf[:n]) != "ready\n" {
			t.Fatalf("the command printed %q", buf[:n])
		}
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		rest := make([]byte, 64)
		m, _ := out.Read(rest)
		err = cmd.Wait()
		cancel()
		if cmd.ProcessState.ExitCode() != 7 || string(rest[:m]) != "got "+name+"\n" {
			t.Fatalf("after SIG%s: run exited %d (%v), the command printed %q", name, cmd.ProcessState.ExitCode(), err, rest[:m])
		}
	}
}
