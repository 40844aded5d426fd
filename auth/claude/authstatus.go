package claude

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// AuthStatusTimeout bounds one `claude auth status`: the CLI starts in about a second here.
const AuthStatusTimeout = 20 * time.Second

// CLIAuthStatus is what `claude auth status` prints (JSON by default).
type CLIAuthStatus struct {
	LoggedIn         bool   `json:"loggedIn"`
	AuthMethod       string `json:"authMethod"`
	APIProvider      string `json:"apiProvider"`
	APIKeySource     string `json:"apiKeySource"`
	SubscriptionType string `json:"subscriptionType"`
}

// ParseAuthStatus reads `claude auth status` output. The CLI exits 1 when nobody is logged in
// but still prints the object, so the output, not the exit code, is the answer.
func ParseAuthStatus(out []byte) (CLIAuthStatus, error) {
	var s CLIAuthStatus
	out = bytes.TrimSpace(out)
	if i := bytes.IndexByte(out, '{'); i > 0 {
		out = out[i:]
	}
	if err := json.Unmarshal(out, &s); err != nil {
		return s, fmt.Errorf("claude auth status printed something that is not its JSON: %v", err)
	}
	if s.AuthMethod == "" {
		return s, errors.New("claude auth status printed no authMethod")
	}
	return s, nil
}

// AskCLI runs `claude auth status` (bin is the claude executable) with environ plus the
// credential variables the user's shell start-up files export, as a terminal opened now would
// have them. The exported values are never read: a placeholder stands in, since only whether
// a variable is set matters to the answer.
//
// The CLI rewrites the settings it reads (it migrates and reformats them) and keeps its own
// state next to them, so it never runs on the user's folder: it gets a scratch Claude folder
// under scratchParent holding a copy of the user settings, every "env" value replaced by a
// placeholder so no secret is copied, and runs there. Managed settings it reads where they are.
func AskCLI(ctx context.Context, bin string, p Files, environ []string, scratchParent string) (CLIAuthStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, AuthStatusTimeout)
	defer cancel()
	if err := os.MkdirAll(scratchParent, 0o700); err != nil {
		return CLIAuthStatus{}, fmt.Errorf("creating %s for claude auth status: %w", scratchParent, err)
	}
	scratch, err := os.MkdirTemp(scratchParent, "claude-auth-status-")
	if err != nil {
		return CLIAuthStatus{}, fmt.Errorf("creating a scratch folder for claude auth status: %w", err)
	}
	defer os.RemoveAll(scratch)
	if b, err := os.ReadFile(p.Settings); err == nil {
		if err := os.WriteFile(filepath.Join(scratch, "settings.json"), placeholderEnv(b), 0o600); err != nil {
			return CLIAuthStatus{}, err
		}
	}
	env := withoutVar(append([]string{}, environ...), "CLAUDE_CONFIG_DIR")
	env = append(env, "CLAUDE_CONFIG_DIR="+scratch)
	for _, x := range ShellExports(p.Home) {
		env = append(withoutVar(env, x.Name), x.Name+"=set-in-"+strings.TrimPrefix(x.File, p.Home+"/"))
	}
	// Through sh for umask 077: the CLI creates folders of its own (backups) in the scratch
	// folder, which must be as private as everything else of ours while they exist.
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", `umask 077 && exec "$0" auth status`, bin)
	if runtime.GOOS == "windows" {
		cmd = exec.CommandContext(ctx, bin, "auth", "status")
	}
	cmd.Dir, cmd.Env = scratch, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ctx.Err() != nil {
		return CLIAuthStatus{}, fmt.Errorf("%s auth status did not answer within %s", bin, AuthStatusTimeout)
	}
	s, perr := ParseAuthStatus(stdout.Bytes())
	if perr != nil {
		if err != nil {
			return s, fmt.Errorf("%s auth status failed: %v: %s", bin, err, strings.TrimSpace(stderr.String()))
		}
		return s, perr
	}
	return s, nil
}

// placeholderEnv is a settings file with each "env" value replaced by a placeholder: what is
// set matters to Claude Code's answer, not the value.
func placeholderEnv(b []byte) []byte {
	b = bytes.TrimPrefix(b, utf8BOM)
	env := gjson.GetBytes(b, "env")
	if !env.IsObject() {
		return b
	}
	out := b
	env.ForEach(func(k, v gjson.Result) bool {
		if v.Type == gjson.String && v.Str != "" {
			if nb, err := sjson.SetBytes(out, "env."+gjsonEscape(k.Str), "set"); err == nil {
				out = nb
			}
		}
		return true
	})
	return out
}

func withoutVar(env []string, name string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != name {
			out = append(out, kv)
		}
	}
	return out
}

// Combine takes the CLI's answer where it has one, and the derived view where that finds a
// credential the CLI did not report (managed settings it could not see, say): a credential
// that may win over the helper is never hidden by the other view saying all is well.
func Combine(derived Credential, cli *CLIAuthStatus, cliErr error) Credential {
	if cliErr != nil {
		derived.CLIError = cliErr.Error()
	}
	if cli == nil {
		return derived
	}
	c := derived
	c.From = FromCLI
	c.APIKeySource = cli.APIKeySource
	c.AuthMethod = cli.AuthMethod
	if cli.APIProvider != "" {
		c.APIProvider = cli.APIProvider
	}
	if cli.AuthMethod == "claude.ai" && c.Subscription == "" {
		c.Subscription = cli.SubscriptionType
		if c.Subscription == "" {
			c.Subscription = "claude.ai"
		}
	}
	if derived.APIKeySource != "" && derived.APIKeySource != "apiKeyHelper" && c.APIKeySource == "apiKeyHelper" {
		c.APIKeySource, c.From = derived.APIKeySource, FromDerived
	}
	if derived.AuthMethod == "oauth_token" && c.AuthMethod != "oauth_token" {
		c.AuthMethod, c.From = derived.AuthMethod, FromDerived
	}
	if derived.APIProvider != "firstParty" && c.APIProvider == "firstParty" {
		c.APIProvider, c.From = derived.APIProvider, FromDerived
	}
	if c.APIKeySource != derived.APIKeySource || c.AuthMethod != derived.AuthMethod {
		// The CLI saw something the files do not say (a variable in this process's environment
		// or its own rules): the place the derived view found no longer names the winner.
		if c.From == FromCLI && c.APIKeySource != derived.APIKeySource {
			c.Where = ""
		}
	}
	return c
}
