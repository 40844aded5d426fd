package auth

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/claude-keytray/claude-keytray/auth/internal/keyshape"
)

// MaxKeyLen is the longest key Claude Code accepts from an apiKeyHelper.
const MaxKeyLen = 16384

// KeyKind says what shape of credential a key has.
type KeyKind string

const (
	// KindAPI is an Anthropic Console API key (sk-ant-api03-…).
	KindAPI KeyKind = "api"
	// KindGateway is any other token shape, e.g. a LiteLLM or proxy token.
	KindGateway KeyKind = "gateway"
)

// KeyEnvVars are every environment variable that may hold a key: claude-keytray's own
// CLAUDE_API_KEY and the two Claude Code reads before apiKeyHelper.
var KeyEnvVars = keyshape.EnvVars

// ImportEnvVars are the variables `import` and the engine's first start read a key from, in order.
var ImportEnvVars = []string{keyshape.EnvImport, keyshape.EnvAPIKey}

// minAPIKeyBody is well under what follows sk-ant-api03- in a real key (about 95 characters).
const minAPIKeyBody = 40

const (
	prefixAPI   = keyshape.PrefixAPI
	prefixAdmin = keyshape.PrefixAdmin
	prefixOAuth = keyshape.PrefixOAuth
)

// Key is a parsed, well-formed key. Its String, LogValue and MarshalJSON methods show only the
// fingerprint, so a Key that ends up in a log line, an error or a JSON document by mistake
// still does not reveal the secret.
type Key struct {
	secret string
	Kind   KeyKind
	// Note explains an accepted but unusual shape (shown in status and doctor).
	Note string
}

// KeyError says why a string is not an acceptable key. It never holds the string itself.
type KeyError struct {
	Reason string
}

func (e *KeyError) Error() string { return "invalid key: " + e.Reason }

// ParseKey checks a key as typed, pasted or printed by a source: one trailing newline and the
// surrounding spaces are dropped, anything else unusual is refused with the reason.
func ParseKey(raw string) (Key, error) {
	s := strings.TrimSuffix(raw, "\n")
	s = strings.TrimSuffix(s, "\r")
	s = strings.Trim(s, " \t")
	if s == "" {
		return Key{}, &KeyError{"the key is empty"}
	}
	if len(s) > MaxKeyLen {
		return Key{}, &KeyError{fmt.Sprintf("the key is %d characters long; Claude Code accepts at most %d", len(s), MaxKeyLen)}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80:
			return Key{}, &KeyError{fmt.Sprintf("the key has a non-ASCII character at position %d; keys are plain ASCII", i+1)}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			return Key{}, &KeyError{fmt.Sprintf("the key has whitespace inside it at position %d; was more than one line pasted?", i+1)}
		case c < 0x20 || c == 0x7f:
			return Key{}, &KeyError{fmt.Sprintf("the key has a control character at position %d", i+1)}
		}
	}
	switch {
	case strings.HasPrefix(s, prefixAdmin):
		return Key{}, &KeyError{"this is an Admin API key (sk-ant-admin01-…); admin keys cannot call the Messages API, so Claude Code cannot use it. Create a normal API key in the Anthropic Console"}
	case strings.HasPrefix(s, prefixOAuth):
		return Key{}, &KeyError{"this is a Claude subscription OAuth token (sk-ant-oat01-…), not an API key; Claude Code takes it in the CLAUDE_CODE_OAUTH_TOKEN environment variable, not through apiKeyHelper"}
	case strings.HasPrefix(s, prefixAPI) && len(s)-len(prefixAPI) < minAPIKeyBody:
		// A paste that lost its end would only fail later, at the API, with a vaguer message.
		return Key{}, &KeyError{fmt.Sprintf("the key looks cut short: %d characters, where Console API keys have about 108; copy it again", len(s))}
	case strings.HasPrefix(s, prefixAPI):
		return Key{secret: s, Kind: KindAPI}, nil
	}
	return Key{secret: s, Kind: KindGateway, Note: "not an Anthropic Console key shape (sk-ant-api03-…); kept as a gateway or proxy token"}, nil
}

// Secret returns the key itself. Only the helper's stdout, the keychain and the API check use it.
func (k Key) Secret() string { return k.secret }

// IsZero reports whether k holds no key.
func (k Key) IsZero() bool { return k.secret == "" }

// Fingerprint is the only form of the key ever shown: see Fingerprint.
func (k Key) Fingerprint() string { return Fingerprint(k.secret) }

func (k Key) String() string               { return k.Fingerprint() }
func (k Key) GoString() string             { return "auth.Key(" + k.Fingerprint() + ")" }
func (k Key) LogValue() slog.Value         { return slog.StringValue(k.Fingerprint()) }
func (k Key) MarshalJSON() ([]byte, error) { return json.Marshal(k.Fingerprint()) }

// Fingerprint shows a known prefix, an ellipsis and the last four characters: enough to tell
// keys apart, never enough to use one. Short tokens show no characters at all.
func Fingerprint(secret string) string { return keyshape.Fingerprint(secret) }

// MaskKeys replaces everything shaped like an Anthropic key in s by its fingerprint, for text
// that may hold a key nobody registered (an argument typed by mistake, a command's output).
func MaskKeys(s string) string { return keyshape.Mask(s) }

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
