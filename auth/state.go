package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/claude-keytray/claude-keytray/auth/internal/atomicfile"
)

// keyState is what is remembered about the stored key between runs (state.json): enough to show
// the last check in `status` without calling the API again. It holds no secret: KeyID is a
// truncated SHA-256 of the key, useless to an attacker, that tells whether the key changed.
type keyState struct {
	KeyID       string     `json:"key_id"`
	Fingerprint string     `json:"fingerprint"`
	Source      string     `json:"source"`
	UpdatedAt   *time.Time `json:"updated_at,omitempty"`
	Validation  Validation `json:"validation"`
}

func keyID(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:8])
}

func loadKeyState(p Paths) keyState {
	var s keyState
	b, err := os.ReadFile(p.StateFile)
	if err == nil {
		_ = json.Unmarshal(b, &s)
	}
	return s
}

func saveKeyState(p Paths, s keyState) error {
	if err := os.MkdirAll(p.StateDir, 0o700); err != nil {
		return fmt.Errorf("creating the state folder %s: %w", p.StateDir, err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(p.StateFile, append(b, '\n'), 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("writing %s: %w", p.StateFile, err)
	}
	return nil
}
