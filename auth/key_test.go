package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const testAPIKey = "sk-ant-api03-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_-abcdefghijklmnopqrstuvwxyz0123456-a1b2"

func TestParseKeyAccepts(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		kind           KeyKind
	}{
		{"plain", testAPIKey, testAPIKey, KindAPI},
		{"trailing newline", testAPIKey + "\n", testAPIKey, KindAPI},
		{"crlf", testAPIKey + "\r\n", testAPIKey, KindAPI},
		{"surrounding spaces", "  " + testAPIKey + " \t", testAPIKey, KindAPI},
		{"gateway token", "litellm-proxy-token-0123456789", "litellm-proxy-token-0123456789", KindGateway},
		{"max length", strings.Repeat("a", MaxKeyLen), strings.Repeat("a", MaxKeyLen), KindGateway},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParseKey(tc.in)
			if err != nil {
				t.Fatalf("ParseKey: %v", err)
			}
			if k.Secret() != tc.want || k.Kind != tc.kind {
				t.Fatalf("got %q kind %s, want kind %s", k.Fingerprint(), k.Kind, tc.kind)
			}
			if tc.kind == KindGateway && k.Note == "" {
				t.Fatal("a gateway token should carry a note for status")
			}
		})
	}
}

func TestParseKeyRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, in, reason string
	}{
		{"empty", "", "empty"},
		{"only newline", "\n", "empty"},
		{"spaces", "   ", "empty"},
		{"inner space", "sk-ant-api03-abc def", "whitespace"},
		{"two lines", testAPIKey + "\n" + testAPIKey, "whitespace"},
		{"two trailing newlines", testAPIKey + "\n\n", "whitespace"},
		{"control char", "sk-ant-api03-abc\x07def", "control character"},
		{"delete char", "sk-ant-api03-abc\x7fdef", "control character"},
		{"non-ascii", "sk-ant-api03-abcé", "non-ASCII"},
		{"too long", strings.Repeat("a", MaxKeyLen+1), "at most 16384"},
		{"cut short", "sk-ant-api03-" + strings.Repeat("x", 20), "cut short"},
		{"admin key", "sk-ant-admin01-" + strings.Repeat("x", 40), "Admin API key"},
		{"oauth token", "sk-ant-oat01-" + strings.Repeat("x", 40), "CLAUDE_CODE_OAUTH_TOKEN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseKey(tc.in)
			var ke *KeyError
			if !errors.As(err, &ke) {
				t.Fatalf("want a *KeyError, got %v", err)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("error %q does not say %q", err, tc.reason)
			}
			if len(tc.in) > 12 && strings.Contains(err.Error(), strings.TrimSpace(tc.in)) {
				t.Fatal("the error repeats the key")
			}
		})
	}
}

func TestFingerprint(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{testAPIKey, "sk-ant-api03-…a1b2"},
		{"sk-ant-admin01-" + strings.Repeat("x", 30) + "wxyz", "sk-ant-admin01-…wxyz"},
		{"litellm-proxy-token-0123456789", "…6789"},
		{"short-token", "…"},
		{"", ""},
	} {
		if got := Fingerprint(tc.in); got != tc.want {
			t.Errorf("Fingerprint(%.12q…) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// A Key that slips into fmt, JSON or slog shows its fingerprint only.
func TestKeyNeverPrintsItself(t *testing.T) {
	k, err := ParseKey(testAPIKey)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("oops", "key", k)
	j, _ := json.Marshal(map[string]any{"k": k})
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %s %+v %#v", k, k, k, k), string(j), logged.String()} {
		if strings.Contains(s, k.Secret()) {
			t.Fatalf("key leaked: %s", s)
		}
		if !strings.Contains(s, "…a1b2") {
			t.Fatalf("fingerprint missing: %s", s)
		}
	}
}

func TestRedact(t *testing.T) {
	got := Redact("error: bad key "+testAPIKey+" rejected", testAPIKey)
	if strings.Contains(got, testAPIKey) || !strings.Contains(got, "sk-ant-api03-…a1b2") {
		t.Fatalf("Redact = %q", got)
	}
}
