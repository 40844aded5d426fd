package auth_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/authtest"
)

func TestCommandSource(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	for _, tc := range []struct {
		name, cmd string
		timeout   time.Duration
		want      string // the key, or a substring of the error
		fails     bool
		maxTime   time.Duration
	}{
		{name: "prints key", cmd: "echo " + authtest.Key(1), want: authtest.Key(1) + "\n"},
		{name: "fails with stderr", cmd: "echo 'vault: permission denied' >&2; exit 3", want: "exit code 3; stderr: vault: permission denied", fails: true},
		{name: "prints nothing", cmd: "true", want: "printed nothing", fails: true},
		{name: "only whitespace", cmd: "printf '\\n  \\n'", want: "printed nothing", fails: true},
		// The slow source of DESIGN: `sleep 2; echo key` under a 300 ms timeout. Its sleep child
		// must be killed with it, or the pipe would keep Fetch waiting for the full two seconds.
		{name: "slow", cmd: "sleep 2 & echo $! > " + pidFile + "; wait; echo key", timeout: 300 * time.Millisecond, want: "did not finish within 300ms", fails: true, maxTime: 1500 * time.Millisecond},
		{name: "10 MB", cmd: "head -c 10000000 /dev/zero | tr '\\0' a", want: "printed more than", fails: true, maxTime: 5 * time.Second},
		{name: "endless", cmd: "yes", want: "printed more than", fails: true, maxTime: 5 * time.Second},
		{name: "stderr holding the key is masked", cmd: "echo " + authtest.Key(2) + "; echo 'debug: got " + authtest.Key(2) + "' >&2; exit 1", want: "…0002", fails: true},
		{name: "missing program", cmd: "/nonexistent/vault kv get x", want: "exit code 127", fails: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &auth.CommandSource{Command: tc.cmd, Timeout: tc.timeout}
			start := time.Now()
			out, err := src.Fetch(context.Background())
			took := time.Since(start)
			if tc.maxTime > 0 && took > tc.maxTime {
				t.Fatalf("took %s, want under %s", took, tc.maxTime)
			}
			if !tc.fails {
				if err != nil || out != tc.want {
					t.Fatalf("got %q, %v", auth.Fingerprint(out), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), authtest.Key(2)) {
				t.Fatalf("the error holds the key: %v", err)
			}
		})
	}
	// The slow command's child was killed with it.
	if b, err := os.ReadFile(pidFile); err == nil {
		pid := strings.TrimSpace(string(b))
		time.Sleep(100 * time.Millisecond)
		if st, err := os.ReadFile("/proc/" + pid + "/stat"); err == nil && !strings.Contains(string(st), ") Z ") {
			t.Fatalf("the source command's child %s outlived its timeout", pid)
		}
	}
}
