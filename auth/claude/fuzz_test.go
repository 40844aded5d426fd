package claude

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// FuzzSetAPIKeyHelper edits a settings file the way install does. Whenever the file was a JSON
// object the result is one too, with apiKeyHelper set to the value and every other top-level
// key's value unchanged; when the edit is refused the file keeps its bytes; removing the key
// again keeps every other key, and gives back the original bytes when the original had other
// keys but no apiKeyHelper (an empty {} comes back as "{\n}").
func FuzzSetAPIKeyHelper(f *testing.F) {
	for _, s := range []string{
		"", "{}", "  \n", "{\n  \"model\": \"opus\"\n}\n", "{\"apiKeyHelper\": \"old\"}",
		"{\"apiKeyHelper\": null, \"x\": 1}", "{\"env\": {\"apiKeyHelper\": \"nested\"}}",
		"{\"api\\u004beyHelper\": \"escaped\"}", "{\"a\":1,\"a\":2}", "\ufeff{\"model\":\"x\"}",
		"{\r\n\t\"model\": \"opus\",\r\n\t\"hooks\": {}\r\n}\r\n", "[1,2]", "{\"model\": \"opus\",}", "{\"k\":\"v\"} {}",
		"{\"apiKeyHelper\":1,\"apiKeyHelper\":2}", "{\"a\": [1, {\"b\": \"c\"}], \"d\": 1e3}", "{\"a\":\"\\ud800\"}",
	} {
		f.Add([]byte(s), "/home/u/.claude/auth_helper.sh")
		f.Add([]byte(s), "'/path with space/auth_helper.sh'")
	}
	f.Fuzz(func(t *testing.T, data []byte, value string) {
		if !utf8.ValidString(value) {
			return // a command is text; JSON cannot carry other bytes unchanged
		}
		dir := t.TempDir()
		path := filepath.Join(dir, "settings.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		before, beforeOK := decodeObject(data)
		err := setAPIKeyHelper(path, value)
		after, _ := os.ReadFile(path)
		if err != nil {
			if !bytes.Equal(after, data) {
				t.Fatalf("setAPIKeyHelper failed (%v) but changed the file:\n%q\nto\n%q", err, data, after)
			}
			if beforeOK && helperCount(data) <= 1 {
				t.Fatalf("setAPIKeyHelper refused a valid JSON object %q: %v", data, err)
			}
			return
		}
		got, ok := decodeObject(after)
		if !ok {
			t.Fatalf("setAPIKeyHelper turned %q into something that is not a JSON object:\n%q", data, after)
		}
		if got[apiKeyHelperKey] != value {
			t.Fatalf("apiKeyHelper is %#v, want %q, in\n%q", got[apiKeyHelperKey], value, after)
		}
		if v, present, err := readAPIKeyHelper(path); err != nil || !present || v != value {
			t.Fatalf("readAPIKeyHelper after the edit: %q %v %v", v, present, err)
		}
		delete(got, apiKeyHelperKey)
		delete(before, apiKeyHelperKey)
		if !reflect.DeepEqual(got, before) {
			t.Fatalf("the edit changed other keys:\n%q\nbecame\n%q", data, after)
		}

		if err := removeAPIKeyHelper(path); err != nil {
			t.Fatalf("removeAPIKeyHelper after a good edit: %v\n%q", err, after)
		}
		removed, _ := os.ReadFile(path)
		left, ok := decodeObject(removed)
		if !ok || !reflect.DeepEqual(left, before) {
			t.Fatalf("removing apiKeyHelper from\n%q\ngave\n%q", after, removed)
		}
		if _, had := decodeObjectHas(data, apiKeyHelperKey); !had && len(before) > 0 && !bytes.Equal(removed, data) {
			t.Fatalf("set then remove did not give back the original bytes:\n%q\ngave\n%q", data, removed)
		}
	})
}

// decodeObject decodes a settings file as Claude Code would read it: an optional BOM, then one
// JSON object; an empty file is an empty object.
func decodeObject(b []byte) (map[string]any, bool) {
	b = bytes.TrimPrefix(b, utf8BOM)
	if len(bytes.TrimSpace(b)) == 0 {
		return map[string]any{}, true
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

func decodeObjectHas(b []byte, key string) (any, bool) {
	m, ok := decodeObject(b)
	if !ok {
		return nil, false
	}
	v, had := m[key]
	return v, had
}

// helperCount counts top-level members whose name decodes to apiKeyHelper.
func helperCount(b []byte) int {
	n := 0
	gjson.ParseBytes(bytes.TrimPrefix(b, utf8BOM)).ForEach(func(k, _ gjson.Result) bool {
		if k.String() == apiKeyHelperKey {
			n++
		}
		return true
	})
	return n
}
