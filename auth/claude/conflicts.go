package claude

import (
	"bytes"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/claude-keytray/claude-keytray/auth/internal/keyshape"
	"github.com/tidwall/gjson"
)

// providerEnvVars switch Claude Code to a cloud provider, which never asks apiKeyHelper.
var providerEnvVars = []struct{ name, provider string }{
	{"CLAUDE_CODE_USE_BEDROCK", "Amazon Bedrock"},
	{"CLAUDE_CODE_USE_VERTEX", "Google Vertex AI"},
	{"CLAUDE_CODE_USE_FOUNDRY", "Microsoft Foundry"},
}

// Conflicts lists, for people to read, what makes Claude Code started in cwd ignore the helper:
// credentials or a cloud provider in environ or in the "env" of the user, project and local
// settings, and a project or local apiKeyHelper that replaces the user one. Messages name the
// variable and the file, never a value.
func Conflicts(p Files, cwd string, environ []string) []string {
	out := []string{}
	for _, name := range keyshape.ClaudeEnvVars {
		if v, ok := LookupEnv(environ, name); ok && v != "" {
			out = append(out, fmt.Sprintf("%s is set in the environment and overrides apiKeyHelper; unset it (look in your shell profile) so Claude Code asks the helper", name))
		}
	}
	for _, pv := range providerEnvVars {
		if v, ok := LookupEnv(environ, pv.name); ok && envTruthy(v) {
			out = append(out, fmt.Sprintf("%s is set in the environment, so Claude Code uses %s and never runs apiKeyHelper; unset it to use the helper", pv.name, pv.provider))
		}
	}

	out = append(out, configDirConflicts(p, environ)...)

	type file struct{ path, kind string }
	files := []file{{p.Settings, "user"}}
	if cwd != "" {
		for _, f := range []file{
			{filepath.Join(cwd, ".claude", "settings.json"), "project"},
			{filepath.Join(cwd, ".claude", "settings.local.json"), "local"},
		} {
			// Started in the home folder, the project settings are the user settings.
			if !samePath(f.path, p.Settings) {
				files = append(files, f)
			}
		}
	}
	// The local file wins over the project file, which wins over the user file.
	var overriding string
	for _, f := range files {
		d, err := readSettings(f.path)
		if err != nil {
			out = append(out, fmt.Sprintf("could not check the %s settings for conflicts: %v", f.kind, err))
			continue
		}
		if !d.exists {
			continue
		}
		out = append(out, settingsEnvConflicts(d)...)
		if f.kind != "user" && d.helperPresent {
			if d.runsHelper(p.Helper) {
				overriding = ""
			} else {
				overriding = f.path
			}
		}
	}
	if overriding != "" {
		out = append(out, fmt.Sprintf("apiKeyHelper in %s overrides the one in %s when Claude Code runs in %s; remove it from that file, or set it to %s", overriding, p.Settings, cwd, HelperSettingValue(p.Helper)))
	}
	return out
}

// configDirConflicts reports when Claude Code, started with environ, would read another
// settings file than the one claude-keytray wired. Claude Code takes CLAUDE_CONFIG_DIR even
// when it is empty, and then reads settings.json from the folder it runs in.
func configDirConflicts(p Files, environ []string) []string {
	v, set := LookupEnv(environ, "CLAUDE_CONFIG_DIR")
	if set && v == "" {
		return []string{fmt.Sprintf("CLAUDE_CONFIG_DIR is set but empty, so Claude Code reads settings.json from whatever folder it runs in instead of %s; unset it", p.Settings)}
	}
	dir, how := v, "CLAUDE_CONFIG_DIR is "+v
	if !set {
		if p.Home == "" {
			return nil
		}
		dir, how = filepath.Join(p.Home, ".claude"), "CLAUDE_CONFIG_DIR is not set"
	}
	if samePath(dir, p.Dir) {
		return nil
	}
	return []string{fmt.Sprintf("%s, so Claude Code reads %s, but claude-keytray wired %s; run claude-keytray install with the same CLAUDE_CONFIG_DIR as Claude Code", how, filepath.Join(dir, "settings.json"), p.Settings)}
}

// settingsEnvConflicts reports the variables above set in a settings file's "env" object.
func settingsEnvConflicts(d settingsDoc) []string {
	var out []string
	env := gjson.GetBytes(bytes.TrimPrefix(d.raw, utf8BOM), "env")
	if !env.IsObject() {
		return nil
	}
	set := map[string]string{}
	env.ForEach(func(k, v gjson.Result) bool {
		if v.Type != gjson.Null {
			set[k.Str] = v.String()
		}
		return true
	})
	for _, name := range keyshape.ClaudeEnvVars {
		if v, ok := set[name]; ok && v != "" {
			out = append(out, fmt.Sprintf("%s is set in the \"env\" of %s and overrides apiKeyHelper; remove it from that file", name, d.path))
		}
	}
	for _, pv := range providerEnvVars {
		if v, ok := set[pv.name]; ok && envTruthy(v) {
			out = append(out, fmt.Sprintf("%s is set in the \"env\" of %s, so Claude Code uses %s and never runs apiKeyHelper; remove it from that file to use the helper", pv.name, d.path, pv.provider))
		}
	}
	return out
}

// SettingsStatusFor is the claude_settings part of the status: whether the user settings run
// the helper, and the conflicts for cwd.
func SettingsStatusFor(p Files, cwd string, environ []string) SettingsStatus {
	// A settings file that cannot be read shows up among the conflicts.
	wired, _ := SettingsWired(p.Settings, p.Helper)
	return SettingsStatus{Path: p.Settings, Wired: wired, Conflicts: Conflicts(p, cwd, environ)}
}

// LookupEnv finds name in a KEY=value list the way getenv does: the first entry wins, and
// names ignore case on Windows.
func LookupEnv(environ []string, name string) (string, bool) {
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if k == name || runtime.GOOS == "windows" && strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// envTruthy reads a switch variable the way Claude Code does.
func envTruthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}
