//go:build linux

package claude

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claude-keytray/claude-keytray/auth/internal/keyshape"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// TestInstallWorksWithRealClaude installs into a private Claude folder and runs the real
// `claude -p` against a loopback stand-in for the API: the key the helper prints must arrive
// as x-api-key, and an ANTHROPIC_API_KEY in the environment must win, as Conflicts says.
func TestInstallWorksWithRealClaude(t *testing.T) {
	testenv.Require(t, "claude")
	claude, err := exec.LookPath("claude")
	if err != nil {
		t.Fatal(err)
	}
	const helperKey = "sk-ant-api03-FROMTHEHELPERFROMTHEHELPERFROMTHEHELPER01"
	const envKey = "sk-ant-api03-FROMTHEENVIRONMENTFROMTHEENVIRONMENT0002"
	api := testenv.NewFakeAPI(t, helperKey, envKey)

	for _, tc := range []struct{ name, claudeDir string }{
		{"CLAUDE_CONFIG_DIR with spaces and quotes", `Claude's "config" dir`},
		{"default ~/.claude", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newInstEnv(t, tc.claudeDir)
			exe := filepath.Join(e.root, "it's the bin", "claude-keytray")
			writeFileT(t, exe, "#!/bin/sh\n[ \"$1\" = key ] || exit 1\necho "+helperKey+"\n", 0o755)
			if _, err := Install(e.p, InstallOptions{Exe: exe}); err != nil {
				t.Fatal(err)
			}
			project := filepath.Join(e.root, "project")
			if err := os.MkdirAll(project, 0o755); err != nil {
				t.Fatal(err)
			}
			env := []string{
				"PATH=" + os.Getenv("PATH"),
				"HOME=" + e.home,
				"ANTHROPIC_BASE_URL=" + api.URL(),
				"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
				"DISABLE_AUTOUPDATER=1",
			}
			for _, v := range []string{"XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR", "XDG_DATA_HOME", "XDG_CACHE_HOME", "CLAUDE_CONFIG_DIR"} {
				if val := os.Getenv(v); val != "" {
					env = append(env, v+"="+val)
				}
			}

			if got := Conflicts(e.p, project, env); len(got) != 0 {
				t.Errorf("conflicts before the run: %q", got)
			}
			msgs, out := runClaude(t, api, claude, project, env)
			if len(msgs) == 0 || msgs[len(msgs)-1].Key != helperKey || !msgs[len(msgs)-1].BothHeaders {
				t.Errorf("the API saw %s, want the helper's key in x-api-key and Authorization; claude printed %s", describeRequests(msgs), out)
			}
			if !strings.Contains(string(out), testenv.FakeReply) {
				t.Errorf("claude output does not carry the reply: %s", out)
			}

			shadowed := append(append([]string(nil), env...), "ANTHROPIC_API_KEY="+envKey)
			msgs, out = runClaude(t, api, claude, project, shadowed)
			if len(msgs) == 0 || msgs[len(msgs)-1].Key != envKey {
				t.Errorf("with ANTHROPIC_API_KEY set the API saw %s, want the variable's key; claude printed %s", describeRequests(msgs), out)
			}
			if got := Conflicts(e.p, project, shadowed); len(got) != 1 || !strings.Contains(got[0], "ANTHROPIC_API_KEY") {
				t.Errorf("Conflicts = %q, want the ANTHROPIC_API_KEY one", got)
			}
		})
	}
}

// describeRequests shows the keys the API saw by fingerprint only.
func describeRequests(rs []testenv.Request) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%s %s key %s (both headers %v)", r.Method, r.Path, keyshape.Fingerprint(r.Key), r.BothHeaders))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// runClaude runs `claude -p` in dir with exactly env and returns the requests api saw.
func runClaude(t *testing.T, api *testenv.FakeAPI, claude, dir string, env []string) ([]testenv.Request, []byte) {
	t.Helper()
	api.Reset()
	ctx, cancel := context.WithTimeout(context.Background(), testenv.ClaudeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, claude, "-p", "say hello", "--output-format", "json")
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("claude -p: %v\n%s", err, out)
	}
	var msgs []testenv.Request
	for _, r := range api.Requests() {
		if r.Path == "/v1/messages" {
			msgs = append(msgs, r)
		}
	}
	return msgs, out
}
