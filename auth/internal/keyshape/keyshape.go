// Package keyshape is the one place that knows what an Anthropic credential looks like and
// where one hides: its prefixes, the pattern that finds one inside other text, the fingerprint
// that is the only form ever shown, and the environment variables that hold keys.
package keyshape

import (
	"regexp"
	"strings"
)

// Prefixes of the credential shapes Anthropic issues.
const (
	PrefixAnthropic = "sk-ant-" // what every one of them starts with

	PrefixAPI   = "sk-ant-api03-"   // Console API keys (about 108 characters)
	PrefixAdmin = "sk-ant-admin01-" // Admin API keys: cannot call the Messages API
	PrefixOAuth = "sk-ant-oat01-"   // Claude subscription OAuth tokens
)

// Prefixes lists the known prefixes, for fingerprints.
var Prefixes = []string{PrefixAPI, PrefixAdmin, PrefixOAuth}

// Pattern matches an Anthropic-shaped secret inside other text (a source's error, a helper
// command, an argument typed by mistake). It needs eight characters after the prefix, so a
// fingerprint (sk-ant-api03-…a1b2) is not taken for a key.
var Pattern = regexp.MustCompile(`sk-ant-[a-z]+[0-9]*-[A-Za-z0-9_\-]{8,}`)

// consoleKey is a whole Console API key: the prefix, then a body of key characters at least as
// long as a key cut short by a bad paste would still have (real bodies are about 95).
var consoleKey = regexp.MustCompile(`^` + PrefixAPI + `[A-Za-z0-9_\-]{40,}$`)

// IsConsoleKey reports whether s as a whole looks like a Console API key.
func IsConsoleKey(s string) bool { return consoleKey.MatchString(s) }

// Environment variables that may hold a key.
const (
	// EnvImport is claude-keytray's own: a key to import when the keychain holds none.
	EnvImport = "CLAUDE_API_KEY"
	// EnvAPIKey and EnvAuthToken hand Claude Code a credential directly; either one wins over
	// apiKeyHelper.
	EnvAPIKey    = "ANTHROPIC_API_KEY"
	EnvAuthToken = "ANTHROPIC_AUTH_TOKEN"
)

// ClaudeEnvVars are the variables Claude Code reads before it asks apiKeyHelper.
var ClaudeEnvVars = []string{EnvAPIKey, EnvAuthToken}

// EnvVars are every variable that may hold a key.
var EnvVars = []string{EnvImport, EnvAPIKey, EnvAuthToken}

// Fingerprint shows a known prefix, an ellipsis and the last four characters: enough to tell
// keys apart, never enough to use one. Short tokens show no characters at all.
func Fingerprint(secret string) string {
	if secret == "" {
		return ""
	}
	prefix := ""
	for _, p := range Prefixes {
		if strings.HasPrefix(secret, p) {
			prefix = p
			break
		}
	}
	if len(secret)-len(prefix) < 16 {
		return prefix + "…"
	}
	return prefix + "…" + secret[len(secret)-4:]
}

// Mask replaces everything shaped like an Anthropic key in s by its fingerprint.
func Mask(s string) string {
	return Pattern.ReplaceAllStringFunc(s, Fingerprint)
}

// Redact replaces every occurrence of secret in s by its fingerprint; errors and output that
// come from elsewhere (a source's stderr, an API body) pass through it before anyone sees them.
func Redact(s, secret string) string {
	if secret == "" || len(secret) < 4 {
		return s
	}
	mask := Fingerprint(secret)
	if len(mask) >= len(secret) || strings.Contains(mask, secret) {
		// A secret no longer than its fingerprint (a bare prefix, a short token) gets no tail.
		mask = "…"
	}
	// A mask's last characters and the text after it can form a new copy of a repetitive
	// secret, so replacing repeats until none is left; every pass shortens s.
	for strings.Contains(s, secret) {
		s = strings.ReplaceAll(s, secret, mask)
	}
	return s
}
