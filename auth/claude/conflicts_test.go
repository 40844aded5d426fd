package claude

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestConflicts(t *testing.T) {
	const secret = "sk-ant-api03-CONFLICTCONFLICTCONFLICTCONFLICT7777"
	const token = "gateway-token-SHOULD-NOT-SHOW"
	type files map[string]string // path relative to the project (or "user") -> content
	tests := []struct {
		name    string
		environ []string
		files   files
		// want lists, per expected message, words it must contain ("<user>", "<project>",
		// "<local>" stand for the paths).
		want [][]string
	}{
		{name: "nothing set"},
		{
			name:    "API key in the environment",
			environ: []string{"PATH=/bin", "ANTHROPIC_API_KEY=" + secret},
			want:    [][]string{{"ANTHROPIC_API_KEY", "environment", "overrides apiKeyHelper"}},
		},
		{
			name:    "auth token in the environment",
			environ: []string{"ANTHROPIC_AUTH_TOKEN=" + token},
			want:    [][]string{{"ANTHROPIC_AUTH_TOKEN", "environment"}},
		},
		{
			name:    "empty variables do not count",
			environ: []string{"ANTHROPIC_API_KEY=", "ANTHROPIC_AUTH_TOKEN="},
		},
		{
			name:    "first entry wins, like getenv",
			environ: []string{"ANTHROPIC_API_KEY=", "ANTHROPIC_API_KEY=" + secret},
		},
		{
			name:    "Bedrock switched on",
			environ: []string{"CLAUDE_CODE_USE_BEDROCK=1", "CLAUDE_CODE_USE_VERTEX=0"},
			want:    [][]string{{"CLAUDE_CODE_USE_BEDROCK", "Amazon Bedrock"}},
		},
		{
			name:  "API key in the user settings env",
			files: files{"user": `{"env": {"ANTHROPIC_API_KEY": "` + secret + `", "OTHER": "x"}}`},
			want:  [][]string{{"ANTHROPIC_API_KEY", `"env"`, "<user>"}},
		},
		{
			name:  "token in the project settings env, Vertex in local",
			files: files{".claude/settings.json": `{"env": {"ANTHROPIC_AUTH_TOKEN": "` + token + `"}}`, ".claude/settings.local.json": `{"env": {"CLAUDE_CODE_USE_VERTEX": "true"}}`},
			want:  [][]string{{"ANTHROPIC_AUTH_TOKEN", "<project>"}, {"CLAUDE_CODE_USE_VERTEX", "<local>"}},
		},
		{
			name:  "empty or null values in settings env do not count",
			files: files{"user": `{"env": {"ANTHROPIC_API_KEY": "", "ANTHROPIC_AUTH_TOKEN": null}}`},
		},
		{
			name:  "project apiKeyHelper overrides the user one",
			files: files{".claude/settings.json": `{"apiKeyHelper": "echo ` + secret + `"}`},
			want:  [][]string{{"apiKeyHelper", "<project>", "overrides", "<user>"}},
		},
		{
			name:  "local apiKeyHelper overrides",
			files: files{".claude/settings.local.json": `{"apiKeyHelper": "/other/helper"}`},
			want:  [][]string{{"apiKeyHelper", "<local>", "overrides"}},
		},
		{
			name:  "project helper is ours",
			files: files{".claude/settings.json": `{"apiKeyHelper": "<helper>"}`},
		},
		{
			name:  "local points back at ours over a foreign project helper",
			files: files{".claude/settings.json": `{"apiKeyHelper": "/other"}`, ".claude/settings.local.json": `{"apiKeyHelper": "<helper>"}`},
		},
		{
			name:  "project settings not JSON",
			files: files{".claude/settings.json": "{\n  \"a\": 1,\n}"},
			want:  [][]string{{"could not check the project settings", "<project>", "line 3, column 1"}},
		},
		{
			name:    "everything at once",
			environ: []string{"ANTHROPIC_API_KEY=" + secret, "ANTHROPIC_AUTH_TOKEN=" + token},
			files: files{
				"user":                        `{"env": {"ANTHROPIC_API_KEY": "` + secret + `"}}`,
				".claude/settings.local.json": `{"env": {"ANTHROPIC_AUTH_TOKEN": "` + token + `"}, "apiKeyHelper": "cat /tmp/key"}`,
			},
			want: [][]string{
				{"ANTHROPIC_API_KEY", "environment"},
				{"ANTHROPIC_AUTH_TOKEN", "environment"},
				{"ANTHROPIC_API_KEY", "<user>"},
				{"ANTHROPIC_AUTH_TOKEN", "<local>"},
				{"apiKeyHelper", "<local>", "overrides"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newInstEnv(t, "")
			if _, err := Install(e.p, InstallOptions{Exe: e.exe}); err != nil {
				t.Fatal(err)
			}
			project := filepath.Join(e.root, "work", "my project")
			names := map[string]string{
				"<user>":    e.p.Settings,
				"<project>": filepath.Join(project, ".claude", "settings.json"),
				"<local>":   filepath.Join(project, ".claude", "settings.local.json"),
			}
			for rel, content := range tc.files {
				content = strings.ReplaceAll(content, "<helper>", e.p.Helper)
				if rel == "user" {
					// Replace the user settings, then wire them again.
					writeFileT(t, e.p.Settings, content, 0o600)
					if err := setAPIKeyHelper(e.p.Settings, HelperSettingValue(e.p.Helper)); err != nil {
						t.Fatal(err)
					}
					continue
				}
				writeFileT(t, filepath.Join(project, rel), content, 0o644)
			}
			got := Conflicts(e.p, project, tc.environ)
			if got == nil {
				t.Fatal("Conflicts returned nil; want an empty list for JSON")
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d conflicts, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i, words := range tc.want {
				for _, w := range words {
					if p, ok := names[w]; ok {
						w = p
					}
					if !strings.Contains(got[i], w) {
						t.Errorf("conflict %d %q does not mention %q", i, got[i], w)
					}
				}
			}
			for _, c := range got {
				if strings.Contains(c, secret) || strings.Contains(c, token) || strings.Contains(c, "CONFLICTCONFLICT") {
					t.Errorf("conflict shows a secret: %q", c)
				}
			}
		})
	}
}

func TestConflictsConfigDir(t *testing.T) {
	e := newInstEnv(t, "custom claude")
	if _, err := Install(e.p, InstallOptions{Exe: e.exe}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		environ []string
		want    []string
	}{
		{"same folder", []string{"CLAUDE_CONFIG_DIR=" + e.p.Dir}, nil},
		{"same folder, unclean", []string{"CLAUDE_CONFIG_DIR=" + e.p.Dir + "/./"}, nil},
		{"empty", []string{"CLAUDE_CONFIG_DIR="}, []string{"CLAUDE_CONFIG_DIR is set but empty", e.p.Settings}},
		{"not set", []string{"PATH=/bin"}, []string{"CLAUDE_CONFIG_DIR is not set", filepath.Join(e.home, ".claude", "settings.json"), e.p.Settings}},
		{"another folder", []string{"CLAUDE_CONFIG_DIR=/elsewhere"}, []string{"CLAUDE_CONFIG_DIR is /elsewhere", "/elsewhere/settings.json", e.p.Settings}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Conflicts(e.p, "", tc.environ)
			if len(tc.want) == 0 {
				if len(got) != 0 {
					t.Errorf("conflicts = %q, want none", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("conflicts = %q, want one", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got[0], w) {
					t.Errorf("%q does not mention %q", got[0], w)
				}
			}
		})
	}
}

func TestConflictsInHomeFolder(t *testing.T) {
	// Started in the home folder, ~/.claude/settings.json is both the user and the project
	// file; its env must be reported once and its apiKeyHelper is not an override.
	e := newInstEnv(t, "")
	writeFileT(t, e.p.Settings, `{"env": {"ANTHROPIC_API_KEY": "x"}}`, 0o600)
	if _, err := Install(e.p, InstallOptions{Exe: e.exe}); err != nil {
		t.Fatal(err)
	}
	got := Conflicts(e.p, e.home, nil)
	if len(got) != 1 || !strings.Contains(got[0], e.p.Settings) {
		t.Errorf("conflicts = %q, want one about %s", got, e.p.Settings)
	}
}

func TestSettingsStatusFor(t *testing.T) {
	e := newInstEnv(t, "")
	st := SettingsStatusFor(e.p, e.root, nil)
	if st.Wired || st.Path != e.p.Settings || st.Conflicts == nil || len(st.Conflicts) != 0 {
		t.Errorf("before install: %+v", st)
	}
	if _, err := Install(e.p, InstallOptions{Exe: e.exe}); err != nil {
		t.Fatal(err)
	}
	st = SettingsStatusFor(e.p, e.root, []string{"ANTHROPIC_API_KEY=sk-ant-api03-zzzzzzzzzzzzzzzzzzzzzzzz"})
	want := SettingsStatus{Path: e.p.Settings, Wired: true, Conflicts: []string{
		"ANTHROPIC_API_KEY is set in the environment and overrides apiKeyHelper; unset it (look in your shell profile) so Claude Code asks the helper",
	}}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("after install: %+v\nwant %+v", st, want)
	}
	writeFileT(t, e.p.Settings, "{\"apiKeyHelper\": ", 0o600)
	st = SettingsStatusFor(e.p, e.root, nil)
	if st.Wired || len(st.Conflicts) != 1 || !strings.Contains(st.Conflicts[0], "line 1, column 18") {
		t.Errorf("broken settings: %+v", st)
	}
}
