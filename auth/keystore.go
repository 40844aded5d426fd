package auth

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zalando/go-keyring"
)

// The keychain item that holds the key.
const (
	KeyringService = "claude-keytray"
	KeyringAccount = "default"
)

// DefaultKeychainTimeout bounds every keychain call: a locked keychain that waits for a
// password prompt, or a Secret Service that never answers, must not hang the helper.
const DefaultKeychainTimeout = 3 * time.Second

var (
	// ErrNoKey means the store is reachable but holds no key.
	ErrNoKey = errors.New("no key stored")
	// ErrKeychainUnavailable means the keychain could not be reached, is locked or timed out.
	ErrKeychainUnavailable = errors.New("keychain unavailable or locked")
	// ErrKeyTooLarge means the keychain works but refuses an item the size of this key.
	ErrKeyTooLarge = errors.New("the key is too large for the keychain")
)

// Store keeps the one key claude-keytray serves.
type Store interface {
	// Get returns the stored key, or an error wrapping ErrNoKey or ErrKeychainUnavailable.
	Get(ctx context.Context) (string, error)
	// Set replaces the stored key in one step: the store is never left empty in between.
	Set(ctx context.Context, secret string) error
	// Delete removes the key; deleting a missing key is not an error.
	Delete(ctx context.Context) error
	// Kind is "keychain" or "file", as shown in status.
	Kind() string
	// Where says where the key lives, for messages.
	Where() string
}

// KeyringStore is the OS keychain through go-keyring: the Secret Service on Linux, Keychain on
// macOS, Credential Manager on Windows.
type KeyringStore struct {
	Service, Account string
	Timeout          time.Duration
}

// NewKeyringStore returns the store for DESIGN's keychain item with the default timeout.
func NewKeyringStore(timeout time.Duration) *KeyringStore {
	if timeout <= 0 {
		timeout = DefaultKeychainTimeout
	}
	return &KeyringStore{Service: KeyringService, Account: KeyringAccount, Timeout: timeout}
}

func (s *KeyringStore) Kind() string { return "keychain" }
func (s *KeyringStore) Where() string {
	return fmt.Sprintf("the keychain (service %q, account %q)", s.Service, s.Account)
}

// call runs one go-keyring call under the timeout. go-keyring has no cancellation, so a call
// that hangs is abandoned in its goroutine; the result channel is buffered so it can finish.
func (s *KeyringStore) call(ctx context.Context, op string, fn func() (string, error)) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	type result struct {
		v   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := fn()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		if r.err == nil {
			return r.v, nil
		}
		if errors.Is(r.err, keyring.ErrNotFound) {
			return "", fmt.Errorf("%w in %s; store one with `claude-keytray update-key`", ErrNoKey, s.Where())
		}
		if errors.Is(r.err, keyring.ErrSetDataTooBig) {
			return "", ErrKeyTooLarge
		}
		return "", fmt.Errorf("%w: %s %s: %v; %s", ErrKeychainUnavailable, op, s.Where(), r.err, keychainHint)
	case <-ctx.Done():
		return "", fmt.Errorf("%w: %s %s: no answer within %s; %s", ErrKeychainUnavailable, op, s.Where(), s.Timeout, keychainHint)
	}
}

func (s *KeyringStore) Get(ctx context.Context) (string, error) {
	return s.call(ctx, "reading from", func() (string, error) { return keyring.Get(s.Service, s.Account) })
}

// Set relies on the backends replacing an existing item in place (the Secret Service's
// CreateItem with replace, Keychain's update, CredWrite): there is no delete-then-set window.
func (s *KeyringStore) Set(ctx context.Context, secret string) error {
	_, err := s.call(ctx, "writing to", func() (string, error) { return "", keyring.Set(s.Service, s.Account, secret) })
	if errors.Is(err, ErrKeyTooLarge) {
		return fmt.Errorf("%w: this key is %d bytes and %s; keep a key this long in a source command (CLAUDE_KEYTRAY_SOURCE) or use --store file", err, len(secret), keychainSizeLimit)
	}
	return err
}

func (s *KeyringStore) Delete(ctx context.Context) error {
	_, err := s.call(ctx, "deleting from", func() (string, error) { return "", keyring.Delete(s.Service, s.Account) })
	if errors.Is(err, ErrNoKey) {
		return nil
	}
	return err
}

// FileStore keeps the key in a plaintext file of mode 0600. It exists only for machines without
// any keychain, and only when asked for; status and doctor say plainly that the key is on disk.
type FileStore struct {
	Path string
}

func (s *FileStore) Kind() string  { return "file" }
func (s *FileStore) Where() string { return "the plaintext file " + s.Path }

func (s *FileStore) Get(ctx context.Context) (string, error) {
	b, err := os.ReadFile(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w in %s; store one with `claude-keytray update-key --store file`", ErrNoKey, s.Path)
	}
	if err != nil {
		return "", fmt.Errorf("%w: reading %s: %v", ErrKeychainUnavailable, s.Path, err)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("%w: %s is empty", ErrNoKey, s.Path)
	}
	return v, nil
}

func (s *FileStore) Set(ctx context.Context, secret string) error {
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o700); err != nil {
		return fmt.Errorf("creating the folder for %s: %w", s.Path, err)
	}
	if err := writeFileAtomic(s.Path, []byte(secret+"\n"), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", s.Path, err)
	}
	return nil
}

func (s *FileStore) Delete(ctx context.Context) error {
	if err := os.Remove(s.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing %s: %w", s.Path, err)
	}
	return nil
}
