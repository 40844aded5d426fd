package claude

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/claude-keytray/claude-keytray/auth/internal/keyshape"
	"github.com/tidwall/gjson"
)

// Credential is what Claude Code, started now in a folder, authenticates with, in the words of
// `claude auth status` where it has them.
type Credential struct {
	// APIKeySource is `claude auth status`'s apiKeySource: "apiKeyHelper", "ANTHROPIC_API_KEY",
	// or "" when Claude Code has no API key at all.
	APIKeySource string `json:"api_key_source"`
	// AuthMethod is its authMethod: "api_key_helper", "oauth_token" (ANTHROPIC_AUTH_TOKEN wins),
	// "api_key", "claude.ai" (a subscription login) or "none".
	AuthMethod string `json:"auth_method"`
	// APIProvider is "firstParty", or the cloud provider a CLAUDE_CODE_USE_* variable selects.
	APIProvider string `json:"api_provider"`
	// Where says where the credential that wins is set: the environment, a file and line.
	Where string `json:"where,omitempty"`
	// Helper is the apiKeyHelper command Claude Code would run, if any.
	Helper string `json:"helper,omitempty"`
	// Subscription names a claude.ai login that exists besides ("max", "pro", "claude.ai").
	Subscription string `json:"subscription,omitempty"`
	// ForcedLoginMethod is forceLoginMethod from the settings ("claudeai" blocks API keys).
	ForcedLoginMethod string `json:"forced_login_method,omitempty"`
	// From says who answered: "claude auth status", or "settings and environment" when the
	// CLI is not installed (or could not see what the files say).
	From string `json:"from"`
	// CLIError is why `claude auth status` gave no answer, when it was asked.
	CLIError string `json:"cli_error,omitempty"`
}

// FromDerived and FromCLI are Credential.From's values.
const (
	FromDerived = "settings and environment"
	FromCLI     = "claude auth status"
)

// UsesHelper reports whether Claude Code's API key comes from helperPath, and nothing wins over it.
func (c Credential) UsesHelper(helperPath string) bool {
	return c.APIKeySource == "apiKeyHelper" && c.AuthMethod == "api_key_helper" && c.APIProvider == "firstParty" &&
		(c.Helper == "" || commandRunsHelper(c.Helper, helperPath))
}

// settingsLevel is one settings file Claude Code reads, in the order they win (first wins).
type settingsLevel struct{ path, kind string }

// SettingsLevels are the settings files Claude Code started in cwd reads, the winner first:
// managed (managed-settings.d on top of managed-settings.json), local, project, user. Started
// in the home folder, the project files are the user's own folder and are not read twice.
func SettingsLevels(p Files, cwd string) []string {
	var out []string
	for _, l := range settingsLevels(p, cwd) {
		out = append(out, l.path)
	}
	return out
}

func settingsLevels(p Files, cwd string) []settingsLevel {
	var out []settingsLevel
	managed := ManagedSettingsFiles()
	for i := len(managed) - 1; i >= 0; i-- {
		out = append(out, settingsLevel{managed[i], "managed"})
	}
	if cwd != "" && !samePath(cwd, p.Home) {
		local := filepath.Join(cwd, ".claude", "settings.local.json")
		project := filepath.Join(cwd, ".claude", "settings.json")
		if !samePath(project, p.Settings) {
			out = append(out, settingsLevel{local, "local"}, settingsLevel{project, "project"})
		}
	}
	return append(out, settingsLevel{p.Settings, "user"})
}

// Effective derives, from the environment, the shell start-up files, every settings level and
// the subscription login, what Claude Code started now in cwd will use: what `claude auth
// status` says, for when the CLI is not there to ask. environ is the environment a new
// terminal starts from; exports in home's shell start-up files are added to it.
func Effective(p Files, cwd string, environ []string) Credential {
	c := Credential{APIProvider: "firstParty", From: FromDerived}
	type setting struct{ value, where string }
	env := map[string]setting{}
	for _, name := range append(append([]string{}, keyshape.ClaudeEnvVars...), providerNames()...) {
		if v, ok := LookupEnv(environ, name); ok && v != "" {
			env[name] = setting{v, "the environment"}
		}
	}
	for _, x := range ShellExports(p.Home) {
		env[x.Name] = setting{"set", fmt.Sprintf("%s line %d", x.File, x.Line)}
	}
	// Settings' "env" is applied over the process environment; the winning level first.
	var helper, helperWhere, forced string
	levels := settingsLevels(p, cwd)
	for i := len(levels) - 1; i >= 0; i-- {
		l := levels[i]
		b, err := os.ReadFile(l.path)
		if err != nil {
			continue
		}
		b = bytes.TrimPrefix(b, utf8BOM)
		if !gjson.ValidBytes(b) {
			continue
		}
		doc := gjson.ParseBytes(b)
		doc.Get("env").ForEach(func(k, v gjson.Result) bool {
			if v.Type != gjson.Null && v.String() != "" {
				env[k.Str] = setting{v.String(), fmt.Sprintf("the \"env\" of %s", l.path)}
			} else if v.Type != gjson.Null {
				delete(env, k.Str)
			}
			return true
		})
		if h := doc.Get(apiKeyHelperKey); h.Exists() {
			helper, helperWhere = "", ""
			if h.Type == gjson.String && strings.TrimSpace(h.Str) != "" {
				helper, helperWhere = h.Str, l.path
			}
		}
		if f := doc.Get("forceLoginMethod"); f.Type == gjson.String {
			forced = f.Str
		}
	}
	c.Helper, c.ForcedLoginMethod = helper, forced
	for _, pv := range providerEnvVars {
		if s, ok := env[pv.name]; ok && envTruthy(s.value) {
			c.APIProvider, c.Where = providerID(pv.name), s.where
			break
		}
	}
	c.Subscription = SubscriptionLogin(p.Dir)
	apiKey, hasKey := env[keyshape.EnvAPIKey]
	token, hasToken := env[keyshape.EnvAuthToken]
	switch {
	case hasKey:
		c.APIKeySource = keyshape.EnvAPIKey
	case helper != "":
		c.APIKeySource = "apiKeyHelper"
	}
	switch {
	case hasToken:
		c.AuthMethod = "oauth_token"
	case helper != "":
		c.AuthMethod = "api_key_helper"
	case hasKey:
		c.AuthMethod = "api_key"
	case c.Subscription != "":
		c.AuthMethod = "claude.ai"
	default:
		c.AuthMethod = "none"
	}
	if c.Where == "" {
		switch {
		case hasToken:
			c.Where = token.where
		case hasKey:
			c.Where = apiKey.where
		case helper != "":
			c.Where = helperWhere
		case c.Subscription != "":
			c.Where = CredentialsFile(p.Dir)
		}
	}
	return c
}

func providerNames() []string {
	var out []string
	for _, pv := range providerEnvVars {
		out = append(out, pv.name)
	}
	return out
}

// providerID is `claude auth status`'s apiProvider for a CLAUDE_CODE_USE_* variable.
func providerID(name string) string {
	return strings.ToLower(strings.TrimPrefix(name, "CLAUDE_CODE_USE_"))
}

// CredentialsFile is where Claude Code keeps a claude.ai login on Linux and Windows.
func CredentialsFile(dir string) string { return filepath.Join(dir, ".credentials.json") }

// SubscriptionLogin reports a claude.ai login in the Claude folder: its subscription type
// ("max", "pro"), "claude.ai" when the file does not say, "" when there is none. Only whether
// a token is there is looked at, never the token.
func SubscriptionLogin(dir string) string {
	b, err := os.ReadFile(CredentialsFile(dir))
	if err != nil {
		return ""
	}
	var f struct {
		OAuth *struct {
			AccessToken      string `json:"accessToken"`
			RefreshToken     string `json:"refreshToken"`
			SubscriptionType string `json:"subscriptionType"`
		} `json:"claudeAiOauth"`
	}
	if json.Unmarshal(b, &f) != nil || f.OAuth == nil || f.OAuth.AccessToken == "" && f.OAuth.RefreshToken == "" {
		return ""
	}
	if f.OAuth.SubscriptionType != "" {
		return f.OAuth.SubscriptionType
	}
	return "claude.ai"
}
