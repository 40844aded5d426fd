package claude

import (
	"strings"
	"testing"
)

// The settings copy the CLI reads keeps what is set and drops every value.
func TestPlaceholderEnv(t *testing.T) {
	in := []byte(`{"apiKeyHelper": "h", "env": {"ANTHROPIC_API_KEY": "sk-ant-api03-secret", "a.b": "x", "N": 1}}`)
	out := string(placeholderEnv(in))
	if strings.Contains(out, "secret") || !strings.Contains(out, `"ANTHROPIC_API_KEY": "set"`) && !strings.Contains(out, `"ANTHROPIC_API_KEY":"set"`) || !strings.Contains(out, `"apiKeyHelper": "h"`) {
		t.Fatalf("%s", out)
	}
}
