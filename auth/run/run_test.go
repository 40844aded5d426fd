//go:build unix

package run

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
)

// fakeRefresher stands in for the engine: the engine's side is tested in package auth and end
// to end in cmd/claude-keytray.
type fakeRefresher struct {
	mu      sync.Mutex
	origins []string
	state   auth.State
	keys    []string // handed out in turn by Key; the last one repeats
	keyCall int
	// unconfirmed: the refresh kept the key and the API said nothing about it (an outage).
	unconfirmed bool
}

func (f *fakeRefresher) ReportAuthFailure(ctx context.Context, origin string) (auth.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.origins = append(f.origins, origin)
	st := f.state
	if st == "" {
		st = auth.StateOK
	}
	// Like the engine's forced refresh: the API is asked, and its answer is stamped now.
	now := time.Now()
	v := auth.Validation{Result: auth.ResultValid, CheckedAt: &now}
	switch {
	case f.unconfirmed:
		before := now.Add(-time.Hour)
		st, v = auth.StateUnverified, auth.Validation{Result: auth.ResultUnknown, CheckedAt: &before, Detail: "HTTP 529 overloaded"}
	case st == auth.StateInvalid:
		v.Result = auth.ResultInvalid
	}
	return auth.Status{State: st, Key: auth.KeyStatus{Present: true, Fingerprint: "sk-ant-api03-…test"}, Validation: v}, nil
}

func (f *fakeRefresher) Key(ctx context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := f.keys[min(f.keyCall, len(f.keys)-1)]
	f.keyCall++
	return k, nil
}

func (f *fakeRefresher) reported() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.origins...)
}

// stdio gives Run pipes for its streams and collects what comes out.
type stdio struct {
	stdin          *os.File
	stdout, stderr *os.File
	out, errOut    bytes.Buffer
	wg             sync.WaitGroup
}

func newStdio(t *testing.T, input string) *stdio {
	t.Helper()
	s := &stdio{}
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() { io.WriteString(inW, input); inW.Close() }()
	s.stdin = inR
	var outW, errW *os.File
	var outR, errR *os.File
	if outR, outW, err = os.Pipe(); err != nil {
		t.Fatal(err)
	}
	if errR, errW, err = os.Pipe(); err != nil {
		t.Fatal(err)
	}
	s.stdout, s.stderr = outW, errW
	s.wg.Add(2)
	go func() { defer s.wg.Done(); io.Copy(&s.out, outR); outR.Close() }()
	go func() { defer s.wg.Done(); io.Copy(&s.errOut, errR); errR.Close() }()
	t.Cleanup(func() { inR.Close() })
	return s
}

func (s *stdio) done() {
	s.stdout.Close()
	s.stderr.Close()
	s.wg.Wait()
}

func runIt(t *testing.T, s *stdio, ref *fakeRefresher, retries int, env bool, args ...string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code, err := Run(ctx, Options{
		Args: args, Retries: retries, Env: env, Refresher: ref,
		Stdin: s.stdin, Stdout: s.stdout, Stderr: s.stderr,
		Environ: []string{"PATH=" + os.Getenv("PATH")},
		Backoff: func(int) time.Duration { return 10 * time.Millisecond },
	})
	s.done()
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return code
}

// script writes a shell script; COUNT in body names a file of its own (see counter).
func script(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "tool")
	body = strings.ReplaceAll(body, "COUNT", filepath.Join(dir, "count"))
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

// counter counts the script's runs in $n.
const counter = `n=$(cat COUNT 2>/dev/null || echo 0); n=$((n+1)); echo $n > COUNT
`

func TestRunCleanExitPassesThrough(t *testing.T) {
	s := newStdio(t, "")
	ref := &fakeRefresher{}
	// Output that mentions no auth error, binary bytes included, and an exit code of its own.
	tool := script(t, `printf 'out\000\377line\n'; printf 'err: fine\n' >&2; exit 3`)
	code := runIt(t, s, ref, 2, false, tool)
	if code != 3 || s.out.String() != "out\x00\xffline\n" || s.errOut.String() != "err: fine\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, s.out.String(), s.errOut.String())
	}
	if len(ref.reported()) != 0 {
		t.Fatalf("reported %q", ref.reported())
	}
	// Exit 0 with an auth message in the output is a success: nothing to retry.
	s = newStdio(t, "")
	tool = script(t, `echo "API Error: 401 (handled)"; exit 0`)
	if code := runIt(t, s, ref, 2, false, tool); code != 0 || len(ref.reported()) != 0 {
		t.Fatalf("exit %d, reported %q", code, ref.reported())
	}
}

func TestRunRetriesAfterAuthFailure(t *testing.T) {
	s := newStdio(t, "the prompt\n")
	ref := &fakeRefresher{}
	tool := script(t, counter+`input=$(cat)
if [ "$n" -lt 2 ]; then echo "Invalid API key · Fix external API key"; exit 1; fi
echo "ok $n: $input"`)
	code := runIt(t, s, ref, 2, false, tool)
	if code != 0 {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", code, s.out.String(), s.errOut.String())
	}
	// Both attempts' output passed through; the retry got the same input.
	if want := "Invalid API key · Fix external API key\nok 2: the prompt\n"; s.out.String() != want {
		t.Fatalf("stdout %q, want %q", s.out.String(), want)
	}
	if got := ref.reported(); len(got) != 1 || got[0] != "tool; retrying 1/2" {
		t.Fatalf("reported %q", got)
	}
	if !strings.Contains(s.errOut.String(), "claude-keytray: key sk-ant-api03-…test refreshed; running tool again (1/2)") {
		t.Fatalf("stderr %q", s.errOut.String())
	}
}

func TestRunGivesUpAfterRetries(t *testing.T) {
	s := newStdio(t, "")
	ref := &fakeRefresher{}
	tool := script(t, counter+`echo '{"type":"result","is_error":true,"api_error_status":401}'; exit 7`)
	code := runIt(t, s, ref, 2, false, tool)
	if code != 7 {
		t.Fatalf("exit %d, want the command's 7", code)
	}
	want := []string{"tool; retrying 1/2", "tool; retrying 2/2", "tool; gave up after 2 retries"}
	if got := ref.reported(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("reported %q, want %q", got, want)
	}
	if n := strings.Count(s.out.String(), "api_error_status"); n != 3 {
		t.Fatalf("ran %d times, want 3", n)
	}
}

func TestRunStopsOnRejectedKey(t *testing.T) {
	s := newStdio(t, "")
	ref := &fakeRefresher{state: auth.StateInvalid}
	tool := script(t, counter+`echo "API Error: 401"; exit 1`)
	if code := runIt(t, s, ref, 2, false, tool); code != 1 || len(ref.reported()) != 1 {
		t.Fatalf("exit %d, reported %q", code, ref.reported())
	}
	if !strings.Contains(s.errOut.String(), "the API rejects key") {
		t.Fatalf("stderr %q", s.errOut.String())
	}
}

// A refresh that neither changed the key nor got the API to confirm it (the API is down) gives
// the command nothing new: it is not run again.
func TestRunNoRetryWithUnconfirmedSameKey(t *testing.T) {
	s := newStdio(t, "input\n")
	ref := &fakeRefresher{unconfirmed: true}
	tool := script(t, counter+`cat >/dev/null; echo "API Error: 401"; exit 1`)
	if code := runIt(t, s, ref, 2, false, tool); code != 1 || strings.Count(s.out.String(), "API Error") != 1 || len(ref.reported()) != 1 {
		t.Fatalf("exit %d, stdout %q, reported %q", code, s.out.String(), ref.reported())
	}
	if !strings.Contains(s.errOut.String(), "the API could not confirm key sk-ant-api03-…test after the auth error (HTTP 529 overloaded); tool is not run again with the same key") {
		t.Fatalf("stderr %q", s.errOut.String())
	}
}

func TestRunEnvFetchesKeyPerAttempt(t *testing.T) {
	s := newStdio(t, "")
	ref := &fakeRefresher{keys: []string{"sk-ant-api03-old", "sk-ant-api03-new"}}
	tool := script(t, `if [ "$ANTHROPIC_API_KEY" != sk-ant-api03-new ]; then echo "API Error: 401 ${ANTHROPIC_API_KEY#sk-ant-api03-}" >&2; exit 1; fi; echo "ok ${ANTHROPIC_API_KEY#sk-ant-api03-}"`)
	code := runIt(t, s, ref, 2, true, tool)
	if code != 0 || s.out.String() != "ok new\n" || !strings.HasPrefix(s.errOut.String(), "API Error: 401 old\n") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, s.out.String(), s.errOut.String())
	}
}

func TestRunDoesNotReplayOversizedInput(t *testing.T) {
	input := strings.Repeat("0123456789abcdef", 4096) // 64 KiB
	s := newStdio(t, input)
	ref := &fakeRefresher{}
	tool := script(t, counter+`wc -c | tr -d ' '; echo "API Error: 401"; exit 4`)
	ctx := context.Background()
	code, err := Run(ctx, Options{Args: []string{tool}, Retries: 2, Refresher: ref,
		Stdin: s.stdin, Stdout: s.stdout, Stderr: s.stderr, StdinCap: 1024,
		Environ: []string{"PATH=" + os.Getenv("PATH")}})
	s.done()
	if err != nil || code != 4 {
		t.Fatalf("exit %d, err %v", code, err)
	}
	if s.out.String() != "65536\nAPI Error: 401\n" {
		t.Fatalf("the command did not get all its input once: %q", s.out.String())
	}
	if got := ref.reported(); len(got) != 1 || !strings.Contains(got[0], "not run again: its input was larger than") {
		t.Fatalf("reported %q", got)
	}
	if !strings.Contains(s.errOut.String(), "run it again yourself") {
		t.Fatalf("stderr %q", s.errOut.String())
	}
}

// Input the first attempt did not read is still there for the second.
func TestRunReplayIncludesUnreadInput(t *testing.T) {
	input := strings.Repeat("x", 200<<10) + "END\n"
	s := newStdio(t, input)
	ref := &fakeRefresher{}
	tool := script(t, counter+`if [ "$n" -lt 2 ]; then head -c 10 >/dev/null; echo "Failed to authenticate. API Error: 401"; exit 1; fi; wc -c | tr -d ' '`)
	if code := runIt(t, s, ref, 2, false, tool); code != 0 || s.out.String() != "Failed to authenticate. API Error: 401\n204804\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, s.out.String(), s.errOut.String())
	}
}

func TestRunCommandNotFound(t *testing.T) {
	s := newStdio(t, "")
	_, err := Run(context.Background(), Options{Args: []string{"/nonexistent/tool"}, Refresher: &fakeRefresher{},
		Stdin: s.stdin, Stdout: s.stdout, Stderr: s.stderr})
	s.done()
	if ExitCode(err) != 127 || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("err %v (code %d)", err, ExitCode(err))
	}
}
