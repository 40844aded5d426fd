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
	// AuthFailures is kept with the key's state but written on its own (recordEpisode).
	AuthFailures failureState `json:"auth_failures"`
}

// failureState is auth_failures as state.json keeps it: the count of 401 episodes and the
// latest episodes, so a process that sees the same one again (Claude Code retrying ten times
// on a dead key, a `key` run without a daemon after the daemon's) does not count it twice.
type failureState struct {
	Count           int        `json:"count"`
	Last            *time.Time `json:"last"`
	LastFingerprint string     `json:"last_fingerprint,omitempty"`
	Episodes        []episode  `json:"episodes,omitempty"`
}

// episode is one process refused one key: Who names the process (pid and start time, or the
// reporter), KeyID the key's truncated hash.
type episode struct {
	Who   string    `json:"who"`
	KeyID string    `json:"key_id"`
	At    time.Time `json:"at"`
}

// maxEpisodes bounds the episodes kept to tell repeats; older ones are long over.
const maxEpisodes = 64

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

// saveKeyState writes the key's part of state.json, keeping the auth failures another
// process may have added meanwhile.
func saveKeyState(p Paths, s keyState) error {
	return updateState(p, func(st *keyState) {
		failures := st.AuthFailures
		*st = s
		st.AuthFailures = failures
	})
}

// updateState changes state.json under its lock: the daemon and `key` runs without one share it.
func updateState(p Paths, fn func(st *keyState)) error {
	if err := os.MkdirAll(p.StateDir, 0o700); err != nil {
		return fmt.Errorf("creating the state folder %s: %w", p.StateDir, err)
	}
	var werr error
	err := lockedUpdate(p.StateFile, func() {
		st := loadKeyState(p)
		fn(&st)
		b, err := json.MarshalIndent(st, "", "  ")
		if err != nil {
			werr = err
			return
		}
		if err := atomicfile.WriteFile(p.StateFile, append(b, '\n'), 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			werr = fmt.Errorf("writing %s: %w", p.StateFile, err)
		}
	})
	if err != nil {
		return fmt.Errorf("locking %s: %w", p.StateFile, err)
	}
	return werr
}

// recordEpisode counts ep in state.json unless it is already there, and returns the count.
func recordEpisode(p Paths, ep episode, fp string) (failureState, bool, error) {
	var out failureState
	added := false
	err := updateState(p, func(st *keyState) {
		f := &st.AuthFailures
		for _, old := range f.Episodes {
			if old.Who == ep.Who && old.KeyID == ep.KeyID {
				out = *f
				return
			}
		}
		added = true
		f.Count++
		at := ep.At
		f.Last, f.LastFingerprint = &at, fp
		f.Episodes = append(f.Episodes, ep)
		if over := len(f.Episodes) - maxEpisodes; over > 0 {
			f.Episodes = append([]episode(nil), f.Episodes[over:]...)
		}
		out = *f
	})
	return out, added, err
}
