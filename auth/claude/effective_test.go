package claude

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Effective follows Claude Code's order: the environment and shell exports, the settings' env
// (managed on top), apiKeyHelper, then a claude.ai login; forceLoginMethod and the
// subscription are reported besides.
func TestEffective(t *testing.T) {
	const key = "sk-ant-api03-shadowing0000000000000000"
	cases := []struct {
		name       string
		environ    []string
		files      map[string]string // relative to home; "@managed/" is the managed folder
		wantSource string
		wantMethod string
		wantWhere  string
		check      func(t *testing.T, c Credential)
	}{
		{name: "helper only", files: map[string]string{".claude/settings.json": `{"apiKeyHelper": "~/.claude/auth_helper.sh"}`},
			wantSource: "apiKeyHelper", wantMethod: "api_key_helper", wantWhere: ".claude/settings.json"},
		{name: "environment wins", environ: []string{"ANTHROPIC_API_KEY=" + key}, files: map[string]string{".claude/settings.json": `{"apiKeyHelper": "h"}`},
			wantSource: "ANTHROPIC_API_KEY", wantMethod: "api_key_helper", wantWhere: "the environment"},
		{name: "zshrc export", files: map[string]string{".claude/settings.json": `{"apiKeyHelper": "h"}`, ".zshrc": "export ANTHROPIC_API_KEY='" + key + "'\n"},
			wantSource: "ANTHROPIC_API_KEY", wantMethod: "api_key_helper", wantWhere: ".zshrc line 1"},
		{name: "export then unset", files: map[string]string{".claude/settings.json": `{"apiKeyHelper": "h"}`, ".bashrc": "export ANTHROPIC_API_KEY=" + key + "\nunset ANTHROPIC_API_KEY\n# export ANTHROPIC_API_KEY=x\n"},
			wantSource: "apiKeyHelper", wantMethod: "api_key_helper"},
		{name: "fish", files: map[string]string{".claude/settings.json": `{"apiKeyHelper": "h"}`, ".config/fish/config.fish": "set -gx ANTHROPIC_AUTH_TOKEN tok\n"},
			wantSource: "apiKeyHelper", wantMethod: "oauth_token", wantWhere: "config.fish line 1"},
		{name: "managed drop-in env", files: map[string]string{".claude/settings.json": `{"apiKeyHelper": "h"}`, "@managed/managed-settings.d/10-x.json": `{"env": {"ANTHROPIC_API_KEY": "` + key + `"}}`},
			wantSource: "ANTHROPIC_API_KEY", wantMethod: "api_key_helper", wantWhere: "managed-settings.d/10-x.json"},
		{name: "managed helper wins", files: map[string]string{".claude/settings.json": `{"apiKeyHelper": "h"}`, "@managed/managed-settings.json": `{"apiKeyHelper": "/opt/corp/key"}`},
			wantSource: "apiKeyHelper", wantMethod: "api_key_helper", wantWhere: "managed-settings.json",
			check: func(t *testing.T, c Credential) {
				if c.Helper != "/opt/corp/key" {
					t.Errorf("helper %q, want the managed one", c.Helper)
				}
			}},
		{name: "forced login", files: map[string]string{".claude/settings.json": `{"apiKeyHelper": "h"}`, "@managed/managed-settings.json": `{"forceLoginMethod": "claudeai"}`},
			wantSource: "apiKeyHelper", wantMethod: "api_key_helper",
			check: func(t *testing.T, c Credential) {
				if c.ForcedLoginMethod != "claudeai" {
					t.Errorf("forced login %q", c.ForcedLoginMethod)
				}
			}},
		{name: "subscription overridden", files: map[string]string{".claude/settings.json": `{"apiKeyHelper": "h"}`, ".claude/.credentials.json": `{"claudeAiOauth": {"accessToken": "sk-ant-oat01-x", "subscriptionType": "max"}}`},
			wantSource: "apiKeyHelper", wantMethod: "api_key_helper",
			check: func(t *testing.T, c Credential) {
				if c.Subscription != "max" {
					t.Errorf("subscription %q", c.Subscription)
				}
			}},
		{name: "subscription only", files: map[string]string{".claude/.credentials.json": `{"claudeAiOauth": {"accessToken": "sk-ant-oat01-x"}}`},
			wantSource: "", wantMethod: "claude.ai"},
		{name: "bedrock", environ: []string{"CLAUDE_CODE_USE_BEDROCK=1"}, files: map[string]string{".claude/settings.json": `{"apiKeyHelper": "h"}`},
			wantSource: "apiKeyHelper", wantMethod: "api_key_helper",
			check: func(t *testing.T, c Credential) {
				if c.APIProvider != "bedrock" {
					t.Errorf("provider %q", c.APIProvider)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			managed := filepath.Join(home, "etc-claude-code")
			t.Setenv(ManagedDirTestEnv, managed)
			for rel, data := range tc.files {
				path := filepath.Join(home, rel)
				if after, ok := strings.CutPrefix(rel, "@managed/"); ok {
					path = filepath.Join(managed, after)
				}
				writeFile(t, path, data)
			}
			c := Effective(FilesIn(home, filepath.Join(home, ".claude"), home), home, tc.environ)
			if c.APIKeySource != tc.wantSource || c.AuthMethod != tc.wantMethod || !strings.Contains(c.Where, tc.wantWhere) {
				t.Fatalf("got %+v; want source %q, method %q, where containing %q", c, tc.wantSource, tc.wantMethod, tc.wantWhere)
			}
			if strings.Contains(c.Where, key) {
				t.Fatal("Where holds the key")
			}
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

func TestParseAuthStatus(t *testing.T) {
	s, err := ParseAuthStatus([]byte("{\n  \"loggedIn\": false,\n  \"authMethod\": \"none\",\n  \"apiProvider\": \"firstParty\"\n}\n"))
	if err != nil || s.AuthMethod != "none" || s.LoggedIn {
		t.Fatalf("%+v %v", s, err)
	}
	if _, err := ParseAuthStatus([]byte("Error: not a tty")); err == nil {
		t.Fatal("garbage parsed")
	}
}

// Combine never lets one view's "all is well" hide a credential the other found.
func TestCombine(t *testing.T) {
	derived := Credential{APIKeySource: "ANTHROPIC_API_KEY", AuthMethod: "api_key_helper", APIProvider: "firstParty", Where: "/etc/claude-code/managed-settings.json", From: FromDerived}
	c := Combine(derived, &CLIAuthStatus{AuthMethod: "api_key_helper", APIKeySource: "apiKeyHelper", APIProvider: "firstParty"}, nil)
	if c.APIKeySource != "ANTHROPIC_API_KEY" || c.From != FromDerived {
		t.Fatalf("%+v", c)
	}
	derived = Credential{APIKeySource: "apiKeyHelper", AuthMethod: "api_key_helper", APIProvider: "firstParty", From: FromDerived}
	c = Combine(derived, &CLIAuthStatus{AuthMethod: "api_key_helper", APIKeySource: "ANTHROPIC_API_KEY", APIProvider: "firstParty"}, nil)
	if c.APIKeySource != "ANTHROPIC_API_KEY" || c.From != FromCLI {
		t.Fatalf("%+v", c)
	}
}
