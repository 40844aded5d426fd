package authtest

import (
	"fmt"
	"strings"
)

// Key is the n-th test API key: well formed, distinct for each n, its fingerprint ending in n
// as four digits (Key(2) shows as "sk-ant-api03-…0002").
func Key(n int) string { return fmt.Sprintf("sk-ant-api03-%s%04d", strings.Repeat("k", 90), n) }

// AdminKey is an Admin API key, which has the shape of a key but is refused for Claude Code.
func AdminKey() string { return "sk-ant-admin01-" + strings.Repeat("C", 80) }
