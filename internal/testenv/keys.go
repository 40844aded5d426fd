//go:build linux

package testenv

import (
	"crypto/rand"
	"testing"
)

// NewKey returns a fresh random key of the Console shape (sk-ant-api03- and 95 characters), so
// no two tests or runs share one and a hit in a leak search can only come from its own test.
func NewKey(t testing.TB) string {
	t.Helper()
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 95)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "sk-ant-api03-" + string(b)
}
