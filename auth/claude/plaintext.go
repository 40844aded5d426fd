package claude

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/claude-keytray/claude-keytray/auth/internal/keyshape"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// PlaintextKey is a key found in plain text in a settings file: in its "env" or in an
// apiKeyHelper command such as `echo sk-ant-…`. Secret is for moving it into the keychain and
// nothing else; Where never holds it.
type PlaintextKey struct {
	Path string
	// Where names the place in the file: `env.ANTHROPIC_API_KEY` or `apiKeyHelper`.
	Where  string
	Secret string
}

func (k PlaintextKey) String() string {
	return fmt.Sprintf("%s in %s (%s)", k.Where, k.Path, keyshape.Fingerprint(k.Secret))
}

// FindPlaintextKeys lists the keys a settings file holds in plain text: every "env" value that
// is one of the key variables or shaped like an Anthropic key, and key-shaped text in
// apiKeyHelper. A missing file holds none.
func FindPlaintextKeys(path string) ([]PlaintextKey, error) {
	d, err := readSettings(path)
	if err != nil || !d.exists {
		return nil, err
	}
	return plaintextIn(path, d.raw), nil
}

func plaintextIn(path string, raw []byte) []PlaintextKey {
	var out []PlaintextKey
	body := bytes.TrimPrefix(raw, utf8BOM)
	env := gjson.GetBytes(body, "env")
	if env.IsObject() {
		env.ForEach(func(k, v gjson.Result) bool {
			// A fingerprint (what a scrubbed backup holds) is no key.
			if v.Type != gjson.String || strings.TrimSpace(v.Str) == "" || strings.Contains(v.Str, "…") {
				return true
			}
			if isKeyVar(k.Str) || keyshape.Pattern.MatchString(v.Str) {
				out = append(out, PlaintextKey{Path: path, Where: "env." + k.Str, Secret: v.Str})
			}
			return true
		})
	}
	if h := gjson.GetBytes(body, apiKeyHelperKey); h.Type == gjson.String {
		for _, m := range keyshape.Pattern.FindAllString(h.Str, -1) {
			out = append(out, PlaintextKey{Path: path, Where: apiKeyHelperKey, Secret: m})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Where < out[j].Where })
	return out
}

func isKeyVar(name string) bool {
	for _, v := range keyshape.EnvVars {
		if v == name {
			return true
		}
	}
	return false
}

// scrubbed is raw with every plaintext key replaced by its fingerprint: what a backup keeps.
// It reports whether anything was replaced.
func scrubbed(path string, raw []byte) ([]byte, bool) {
	out := raw
	for _, k := range plaintextIn(path, raw) {
		out = bytes.ReplaceAll(out, []byte(k.Secret), []byte(keyshape.Fingerprint(k.Secret)))
	}
	out = []byte(keyshape.Mask(string(out)))
	return out, !bytes.Equal(out, raw)
}

// withoutEnvKeys removes from the settings' "env" the entries that hold one of secrets,
// keeping every other byte as far as the JSON editor allows.
func withoutEnvKeys(path string, raw []byte, secrets map[string]bool) ([]byte, []string, error) {
	var removed []string
	out := raw
	for _, k := range plaintextIn(path, raw) {
		if k.Where == apiKeyHelperKey || !secrets[k.Secret] {
			continue
		}
		name := k.Where[len("env."):]
		next, err := sjson.DeleteBytes(bytes.TrimPrefix(out, utf8BOM), "env."+gjsonEscape(name))
		if err != nil {
			return nil, nil, fmt.Errorf("removing %s from %s: %w", k.Where, path, err)
		}
		if bytes.HasPrefix(out, utf8BOM) {
			next = append(append([]byte{}, utf8BOM...), next...)
		}
		out = next
		removed = append(removed, k.Where)
	}
	return out, removed, nil
}

// gjsonEscape escapes the characters a gjson path treats as syntax.
func gjsonEscape(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '.', '*', '?', '|', '#', '@', '!', '=', '<', '>', '%', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// BackupsWithKeys lists backups of the settings (ours, next to settingsPath) that hold a key in
// plain text, as older versions kept them.
func BackupsWithKeys(settingsPath string) []string {
	matches, _ := filepath.Glob(settingsPath + BackupSuffix + "*")
	var out []string
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			continue
		}
		if _, dirty := scrubbed(m, b); dirty {
			out = append(out, m)
		}
	}
	return out
}
