package control_test

import (
	"context"
	"testing"

	"github.com/claude-keytray/claude-keytray/auth/authtest"
)

// BenchmarkClientKey is the apiKeyHelper's round trip through a real engine: dial, request,
// answer, close.
func BenchmarkClientKey(b *testing.B) {
	testEnv(b)
	eng := newEngine(b, authtest.NewMemStore(keyA), &authtest.FakeChecker{})
	_, c := startServer(b, eng, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		k, err := c.Key(ctx)
		if err != nil || k != keyA {
			b.Fatalf("Key: %v", err)
		}
	}
}

// BenchmarkClientStatus is a net/http round trip for comparison.
func BenchmarkClientStatus(b *testing.B) {
	testEnv(b)
	eng := newEngine(b, authtest.NewMemStore(keyA), &authtest.FakeChecker{})
	_, c := startServer(b, eng, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Status(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
