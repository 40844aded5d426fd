package claude

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"unicode/utf8"

	"github.com/claude-keytray/claude-keytray/auth/internal/atomicfile"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// apiKeyHelperKey is the settings.json key Claude Code reads the helper command from.
const apiKeyHelperKey = "apiKeyHelper"

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// SyntaxError says where a settings file stops being JSON, so the user can fix it in an editor.
type SyntaxError struct {
	Path         string
	Line, Column int
	Msg          string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s is not valid JSON at line %d, column %d: %s; fix the file (or move it away) and run again", e.Path, e.Line, e.Column, e.Msg)
}

// settingsDoc is a settings file as read: its exact bytes and where apiKeyHelper stands.
type settingsDoc struct {
	path   string
	raw    []byte
	exists bool
	perm   fs.FileMode
	// helperRaw is apiKeyHelper's value as JSON text, exactly as in the file.
	helperRaw     string
	helperPresent bool
}

// helperValue is apiKeyHelper as a string: a JSON string unquoted, anything else as written.
func (d settingsDoc) helperValue() string {
	if !d.helperPresent {
		return ""
	}
	r := gjson.Parse(d.helperRaw)
	if r.Type == gjson.String {
		return r.Str
	}
	return d.helperRaw
}

// pointsSomewhere is true when apiKeyHelper names a command; "" and null name none.
func (d settingsDoc) pointsSomewhere() bool {
	if !d.helperPresent {
		return false
	}
	r := gjson.Parse(d.helperRaw)
	switch r.Type {
	case gjson.Null:
		return false
	case gjson.String:
		return strings.TrimSpace(r.Str) != ""
	}
	return true
}

// runsHelper reports whether apiKeyHelper is a string command that runs helperPath.
func (d settingsDoc) runsHelper(helperPath string) bool {
	return d.helperPresent && gjson.Parse(d.helperRaw).Type == gjson.String && commandRunsHelper(d.helperValue(), helperPath)
}

// readSettings reads and checks a settings file. A missing file is an empty document; a file
// that is not a JSON object is a *SyntaxError.
func readSettings(path string) (settingsDoc, error) {
	d := settingsDoc{path: path, perm: 0o600}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return d, fmt.Errorf("reading the Claude settings %s: %w", path, err)
	}
	d.raw, d.exists = b, true
	if fi, err := os.Stat(path); err == nil {
		d.perm = fi.Mode().Perm()
	}
	d.helperRaw, d.helperPresent, err = parseSettings(path, b)
	return d, err
}

// parseSettings checks that data is one JSON object and finds its top-level apiKeyHelper.
// An empty (or all-whitespace) file counts as an empty object, as a fresh `touch` leaves it.
func parseSettings(path string, data []byte) (helperRaw string, present bool, err error) {
	body := bytes.TrimPrefix(data, utf8BOM)
	if len(bytes.TrimSpace(body)) == 0 {
		return "", false, nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			// Offset counts the bytes read, the bad one included; at the end of the input
			// the position is just after the last character.
			off := int(se.Offset) - 1
			if strings.HasPrefix(se.Error(), "unexpected end") {
				off = len(body)
			}
			if off < 0 {
				off = 0
			}
			line, col := lineColumn(body, off)
			return "", false, &SyntaxError{Path: path, Line: line, Column: col, Msg: se.Error()}
		}
		return "", false, fmt.Errorf("reading the Claude settings %s: %w", path, err)
	}
	if _, ok := v.(map[string]any); !ok {
		start := len(body) - len(bytes.TrimLeft(body, " \t\r\n"))
		line, col := lineColumn(body, start)
		return "", false, &SyntaxError{Path: path, Line: line, Column: col, Msg: fmt.Sprintf("the settings must be a JSON object ({...}), not %s", jsonKind(v))}
	}
	n := 0
	gjson.ParseBytes(body).ForEach(func(k, val gjson.Result) bool {
		if k.Str == apiKeyHelperKey {
			n++
			helperRaw = val.Raw
		}
		return true
	})
	if n > 1 {
		return "", false, fmt.Errorf("the Claude settings %s set %q %d times; keep one and run again", path, apiKeyHelperKey, n)
	}
	return helperRaw, n == 1, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "another kind of value"
}

// lineColumn turns a byte offset into a 1-based line and a 1-based column counted in
// characters, as editors show them.
func lineColumn(b []byte, off int) (line, col int) {
	if off > len(b) {
		off = len(b)
	}
	before := b[:off]
	line = 1 + bytes.Count(before, []byte{'\n'})
	lastNL := bytes.LastIndexByte(before, '\n')
	col = 1 + utf8.RuneCount(before[lastNL+1:])
	return line, col
}

// jsonString encodes s as a JSON string without HTML escaping, so paths stay readable.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// setHelperBytes returns data with apiKeyHelper set to rawValue (JSON text). Every byte outside
// the edit is kept; a new key is added after the last one, indented like the first.
func setHelperBytes(path string, data []byte, rawValue string) ([]byte, error) {
	if _, _, err := parseSettings(path, data); err != nil {
		return nil, err
	}
	bom := bytes.HasPrefix(data, utf8BOM)
	body := bytes.TrimPrefix(data, utf8BOM)
	var out []byte
	var err error
	switch {
	case len(bytes.TrimSpace(body)) == 0:
		out = []byte("{\n  " + jsonString(apiKeyHelperKey) + ": " + rawValue + "\n}\n")
	case gjson.GetBytes(body, apiKeyHelperKey).Exists():
		// sjson swaps the value's bytes in place and leaves everything around them alone.
		out, err = sjson.SetRawBytes(append([]byte(nil), body...), apiKeyHelperKey, []byte(rawValue))
	default:
		out, err = insertMember(body, apiKeyHelperKey, rawValue)
	}
	if err != nil {
		return nil, fmt.Errorf("editing %s in %s: %w", apiKeyHelperKey, path, err)
	}
	if bom {
		out = append(append([]byte(nil), utf8BOM...), out...)
	}
	got, present, err := parseSettings(path, out)
	if err != nil || !present || got != rawValue {
		return nil, fmt.Errorf("editing %s in %s did not give the expected document; the file was left as it was", apiKeyHelperKey, path)
	}
	return out, nil
}

// removeHelperBytes returns data without the top-level apiKeyHelper (data itself when absent).
func removeHelperBytes(path string, data []byte) ([]byte, error) {
	_, present, err := parseSettings(path, data)
	if err != nil || !present {
		return data, err
	}
	bom := bytes.HasPrefix(data, utf8BOM)
	body := bytes.TrimPrefix(data, utf8BOM)
	out, err := deleteMember(body, apiKeyHelperKey)
	if err != nil {
		return nil, fmt.Errorf("removing %s from %s: %w", apiKeyHelperKey, path, err)
	}
	if bom {
		out = append(append([]byte(nil), utf8BOM...), out...)
	}
	if _, present, err := parseSettings(path, out); err != nil || present {
		return nil, fmt.Errorf("removing %s from %s did not give the expected document; the file was left as it was", apiKeyHelperKey, path)
	}
	return out, nil
}

// member is where one top-level key and its value sit in the document.
type member struct {
	key                                string
	keyStart, keyEnd, valStart, valEnd int
}

// topMembers locates the top-level object's braces and members in body.
func topMembers(body []byte) (open, closeAt int, members []member, err error) {
	open = len(body) - len(bytes.TrimLeft(body, " \t\r\n"))
	closeAt = len(bytes.TrimRight(body, " \t\r\n")) - 1
	if open >= len(body) || body[open] != '{' || closeAt < open || body[closeAt] != '}' {
		return 0, 0, nil, errors.New("the settings are not a JSON object")
	}
	bad := false
	// gjson's indexes count from the start of body.
	gjson.ParseBytes(body).ForEach(func(k, v gjson.Result) bool {
		m := member{k.Str, k.Index, k.Index + len(k.Raw), v.Index, v.Index + len(v.Raw)}
		if m.valEnd > len(body) || string(body[m.keyStart:m.keyEnd]) != k.Raw || string(body[m.valStart:m.valEnd]) != v.Raw {
			bad = true
			return false
		}
		members = append(members, m)
		return true
	})
	if bad {
		return 0, 0, nil, errors.New("could not locate the existing keys")
	}
	return open, closeAt, members, nil
}

// deleteMember removes the top-level key from body with its comma and the line it sat on,
// so that deleting what insertMember added gives back the same bytes.
func deleteMember(body []byte, key string) ([]byte, error) {
	open, _, members, err := topMembers(body)
	if err != nil {
		return nil, err
	}
	for i, m := range members {
		if m.key != key {
			continue
		}
		var from, to int
		switch {
		case len(members) == 1:
			from, to = open+1, m.valEnd // keep the space before the closing brace
		case i == 0:
			from, to = m.keyStart, members[1].keyStart // through the comma and the next key's indent
		default:
			from, to = members[i-1].valEnd, m.valEnd // from the previous value's end, comma included
		}
		out := append([]byte(nil), body[:from]...)
		return append(out, body[to:]...), nil
	}
	return body, nil
}

// insertMember adds "key": rawValue to the top-level object in body (which has no such key),
// copying the layout of the existing members: their line break and indentation and the spacing
// around their colon.
func insertMember(body []byte, key, rawValue string) ([]byte, error) {
	lead, closeAt, members, err := topMembers(body)
	if err != nil {
		return nil, err
	}
	nl := "\n"
	if bytes.Contains(body, []byte("\r\n")) {
		nl = "\r\n"
	}
	var out []byte
	if len(members) == 0 {
		// An empty object: give it the usual two-space layout.
		out = append(out, body[:lead+1]...)
		out = append(out, nl+"  "+jsonString(key)+": "+rawValue+nl...)
		out = append(out, body[closeAt:]...)
		return out, nil
	}
	first, last := members[0], members[len(members)-1]
	sep := string(body[first.keyEnd:first.valStart])
	// The gap before a key: what follows the first comma when there are two keys, else
	// what follows the opening brace; one space on a single line written "key": value.
	gap := string(body[lead+1 : first.keyStart])
	if len(members) > 1 {
		between := body[first.valEnd:members[1].keyStart]
		gap = string(between[bytes.IndexByte(between, ',')+1:])
	}
	if i := strings.LastIndexByte(gap, '\n'); i >= 0 {
		gap = nl + gap[i+1:]
	} else if gap == "" && len(members) == 1 && strings.HasSuffix(sep, " ") {
		gap = " "
	}
	out = append(out, body[:last.valEnd]...)
	out = append(out, ","+gap+jsonString(key)+sep+rawValue...)
	out = append(out, body[last.valEnd:]...)
	return out, nil
}

// writeSettings replaces a settings file atomically. A symbolic link (dotfiles managers use
// them) is followed so the link stays and its target gets the new content.
func writeSettings(path string, data []byte, perm fs.FileMode) error {
	target := linkTarget(path)
	if err := atomicfile.WriteFile(target, data, perm); err != nil {
		return fmt.Errorf("writing the Claude settings %s: %w", path, err)
	}
	return nil
}

// readAPIKeyHelper returns the apiKeyHelper command in a settings file. A missing file or key
// is not an error; a file that is not JSON is a *SyntaxError. A value that is not a string is
// returned as its JSON text.
func readAPIKeyHelper(settingsPath string) (value string, present bool, err error) {
	d, err := readSettings(settingsPath)
	if err != nil {
		return "", false, err
	}
	return d.helperValue(), d.helperPresent, nil
}

// setAPIKeyHelper sets apiKeyHelper to value (a command, used as given) and keeps every other
// byte of the file. A missing file is created (0600, folder 0700).
func setAPIKeyHelper(settingsPath, value string) error {
	d, err := readSettings(settingsPath)
	if err != nil {
		return err
	}
	out, err := setHelperBytes(settingsPath, d.raw, jsonString(value))
	if err != nil {
		return err
	}
	if bytes.Equal(out, d.raw) {
		return nil
	}
	if !d.exists {
		if err := os.MkdirAll(filepath.Dir(settingsPath), 0o700); err != nil {
			return fmt.Errorf("creating the Claude folder %s: %w", filepath.Dir(settingsPath), err)
		}
	}
	return writeSettings(settingsPath, out, d.perm)
}

// removeAPIKeyHelper removes apiKeyHelper from a settings file, keeping every other byte.
// Nothing is written when the file or the key is missing.
func removeAPIKeyHelper(settingsPath string) error {
	d, err := readSettings(settingsPath)
	if err != nil || !d.helperPresent {
		return err
	}
	out, err := removeHelperBytes(settingsPath, d.raw)
	if err != nil {
		return err
	}
	return writeSettings(settingsPath, out, d.perm)
}

// SettingsWired reports whether the settings' apiKeyHelper runs the helper at helperPath,
// written plain or quoted for the shell.
func SettingsWired(settingsPath, helperPath string) (bool, error) {
	d, err := readSettings(settingsPath)
	if err != nil {
		return false, err
	}
	return d.runsHelper(helperPath), nil
}

// HelperSettingValue is the apiKeyHelper value for a helper path. Claude Code runs the value
// through /bin/sh (cmd on Windows), so a path with spaces or shell characters is quoted.
func HelperSettingValue(helperPath string) string {
	if runtime.GOOS == "windows" {
		return cmdQuote(helperPath)
	}
	return shQuoteIfNeeded(helperPath)
}

// cmdQuote quotes a path for cmd /s /c when it holds spaces or cmd's special characters. cmd
// expands %VAR% even inside quotes, and has no escape for % on its command line; so each % is
// left outside the quotes, right before a quote: the text between two % then holds a quote,
// which names no variable, and cmd leaves it as it is. C:\a\%OS%\h.cmd becomes
// "C:\a\"%"OS"%"\h.cmd".
func cmdQuote(path string) string {
	if !strings.ContainsAny(path, " \t&()[]{}^=;!'+,`~%") {
		return path
	}
	return `"` + strings.ReplaceAll(path, "%", `"%"`) + `"`
}

// shQuoteIfNeeded leaves a word of plain characters alone and single-quotes anything else.
func shQuoteIfNeeded(s string) string {
	if s == "" {
		return "''"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		plain := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_-./,:+=@%", c) >= 0
		if !plain {
			return shSingleQuote(s)
		}
	}
	return s
}

// commandRunsHelper reports whether the command value, run by the shell, runs exactly the
// file at helperPath with no arguments.
func commandRunsHelper(value, helperPath string) bool {
	v := strings.TrimSpace(value)
	if v == "" {
		return false
	}
	var word string
	var ok bool
	if runtime.GOOS == "windows" {
		word, ok = cmdWord(v)
	} else {
		word, ok = shWord(v)
	}
	return ok && samePath(word, helperPath)
}

// shWord reads s as exactly one sh word made of plain characters, quotes and backslash escapes,
// with an optional leading ~/. Anything the shell would expand or split is refused, since
// what it means depends on the environment.
func shWord(s string) (string, bool) {
	var b strings.Builder
	i := 0
	if strings.HasPrefix(s, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", false
		}
		b.WriteString(home)
		i = 1
	}
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return "", false
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 2
		case c == '"':
			i++
			for {
				if i >= len(s) {
					return "", false
				}
				c := s[i]
				if c == '"' {
					i++
					break
				}
				if c == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
					if s[i+1] != '\n' {
						b.WriteByte(s[i+1])
					}
					i += 2
					continue
				}
				if c == '$' || c == '`' {
					return "", false
				}
				b.WriteByte(c)
				i++
			}
		case c == '\\':
			if i+1 >= len(s) {
				return "", false
			}
			if s[i+1] != '\n' {
				b.WriteByte(s[i+1])
			}
			i += 2
		case strings.IndexByte(" \t\n|&;<>()$`*?[", c) >= 0, i == 0 && (c == '#' || c == '~'):
			return "", false
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), b.Len() > 0
}

// cmdWord reads s as one cmd word: plain characters and quoted runs (in which spaces and
// & | < > ^ are literal), the quotes dropped. Anything cmd would expand or split is refused.
func cmdWord(s string) (string, bool) {
	var b strings.Builder
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			quoted = !quoted
		case c == '%':
			// Only where cmd cannot expand it (see cmdQuote).
			if quoted || i+1 < len(s) && s[i+1] != '"' {
				return "", false
			}
			b.WriteByte(c)
		case quoted:
			b.WriteByte(c)
		case strings.IndexByte("&|<>^ \t", c) >= 0:
			return "", false
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), !quoted && b.Len() > 0
}

// samePath compares paths after cleaning them, then as files (a symlinked folder, say).
func samePath(a, b string) bool {
	a, b = filepath.Clean(a), filepath.Clean(b)
	if a == b || runtime.GOOS == "windows" && strings.EqualFold(a, b) {
		return true
	}
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// linkTarget follows symbolic links from path to the file they end at, which need not exist
// yet (a dotfiles link before the checkout). A path that is no link is its own target.
func linkTarget(path string) string {
	for range 40 {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return path
		}
		t, err := os.Readlink(path)
		if err != nil {
			return path
		}
		if !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(path), t)
		}
		path = t
	}
	return path
}
