package logging

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testAPIKey has a Console key's shape.
const testAPIKey = "sk-ant-api03-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_-abcdefghijklmnopqrstuvwxyz0123456-a1b2"

// A key logged on purpose, in every way a careless line could, comes out masked.
func TestLogRedactsKeys(t *testing.T) {
	r := &Redactor{}
	gateway := "litellm-gateway-secret-token-9876"
	r.Add(gateway)
	file := filepath.Join(t.TempDir(), "state", "test.log")
	var stderr bytes.Buffer
	log, closer, err := NewLogger(LogOptions{File: file, Stderr: &stderr}, r)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("key is "+testAPIKey, "key", testAPIKey, "err", errors.New("bad "+testAPIKey))
	log.With("k", gateway).Warn("gateway", slog.Group("g", "inner", "token="+gateway))
	log.Info("unknown shape", "v", "sk-ant-api03-"+strings.Repeat("Z", 40))
	closer.Close()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"file": string(b), "stderr": stderr.String()} {
		if strings.Contains(out, testAPIKey) || strings.Contains(out, gateway) || strings.Contains(out, strings.Repeat("Z", 20)) {
			t.Fatalf("%s log holds a key:\n%s", name, out)
		}
		if strings.Count(out, "…a1b2") < 3 || !strings.Contains(out, "…9876") {
			t.Fatalf("%s log lacks the fingerprints:\n%s", name, out)
		}
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm()&0o077 != 0 {
		t.Fatalf("log file mode %v", fi.Mode())
	}
}
