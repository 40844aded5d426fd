//go:build linux

package control_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/claude-keytray/claude-keytray/auth/control"
)

// TestPeerCheckRefusesOtherUser opens the folder and socket to everyone and connects as uid
// 65534 in a real process: SO_PEERCRED must still refuse it.
func TestPeerCheckRefusesOtherUser(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("curl is missing (Debian package curl)")
		}
		t.Skip("curl is missing; install the Debian package curl")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("setpriv is missing (Debian package util-linux)")
		}
		t.Skip("setpriv is missing; install the Debian package util-linux")
	}
	if os.Getuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("this test switches to uid 65534 and must run as root")
		}
		t.Skip("switching to another uid needs root")
	}

	root := testEnv(t)
	var logs logBuffer
	sock, _ := startServer(t, &fakeEngine{key: keyA}, &logs)
	// Loosen everything on the way to the socket, as a careless chmod would.
	for d := filepath.Dir(sock); strings.HasPrefix(d, filepath.Dir(root)) && d != filepath.Dir(root); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(sock, 0o666); err != nil {
		t.Fatal(err)
	}

	get := func(asOther bool, path string) (int, string) {
		t.Helper()
		args := []string{"-q", "-s", "-S", "-o", "-", "-w", "\n%{http_code}", "--unix-socket", sock, "http://claude-keytray" + path}
		var cmd *exec.Cmd
		if asOther {
			cmd = exec.Command(setpriv, append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", curl}, args...)...)
		} else {
			cmd = exec.Command(curl, args...)
		}
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent"}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("curl (other user %v): %v: %s", asOther, err, out)
		}
		s := strings.TrimSpace(string(out))
		i := strings.LastIndexByte(s, '\n')
		code, _ := strconv.Atoi(s[i+1:])
		return code, s[:max(i, 0)]
	}

	// The same curl as the owner works, so the refusal below is about the uid alone.
	if code, body := get(false, control.PathKey); code != 200 || body != keyA {
		t.Fatalf("owner's curl: %d, body is the key: %v", code, body == keyA)
	}
	for _, p := range []string{control.PathKey, control.PathStatus} {
		code, body := get(true, p)
		if code != 403 {
			t.Fatalf("uid 65534 GET %s: %d %s", p, code, masked(body))
		}
		var eb control.ErrorBody
		if err := json.Unmarshal([]byte(body), &eb); err != nil || eb.Code != control.CodeForbidden || strings.Contains(body, keyA) {
			t.Fatalf("uid 65534 GET %s: body %s", p, masked(body))
		}
		t.Logf("uid 65534 GET %s: %d %s", p, code, body)
	}
	out := logs.String()
	if !strings.Contains(out, `"peer_uid":65534`) || !strings.Contains(out, "another user") || strings.Contains(out, keyA) {
		t.Fatalf("the refusal was not logged (or the log shows the key):\n%s", masked(out))
	}
}
