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

	"github.com/claude-keytray/claude-keytray/auth/internal/atomicfile"
	"github.com/claude-keytray/claude-keytray/auth/internal/secretservice"
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

// InteractiveKeychainTimeout bounds a keychain call a person waits for (update-key, the
// tray's Update key…, setup): long enough to answer a confirm or unlock dialog.
const InteractiveKeychainTimeout = 60 * time.Second

// ConfirmHint is what a person waiting on the keychain is told.
const ConfirmHint = "confirm in your keychain (or unlock it) if it asks"

// keychainLockedError is ErrKeychainLocked: a kind of ErrKeychainUnavailable.
type keychainLockedError struct{}

func (keychainLockedError) Error() string        { return "keychain locked" }
func (keychainLockedError) Is(target error) bool { return target == ErrKeychainUnavailable }

// ErrKeychainLocked means the keychain would ask a person (unlock or confirm access) and the
// caller is background work, which never opens a dialog. errors.Is ErrKeychainUnavailable.
var ErrKeychainLocked error = keychainLockedError{}

// errDismissed is a keychain call whose confirm or unlock dialog was dismissed. go-keyring does
// not say so: a dismissed CreateItem returns no error and stores nothing.
var errDismissed = errors.New("dismissed")

// keychainSlot lets one keychain request of this process run at a time: a keychain that asks
// shows one dialog, not one per waiting caller. A call abandoned at its timeout keeps the slot
// until go-keyring returns.
var keychainSlot = make(chan struct{}, 1)

type interactiveKey struct{}

// Interactive marks ctx as a person waiting for the result: keychain calls under it may wait
// InteractiveKeychainTimeout for a confirmation or an unlock, and say (through announce, which
// may be nil) that the keychain asks. Without it a call never makes the keychain ask.
func Interactive(ctx context.Context, announce func(msg string)) context.Context {
	if announce == nil {
		announce = func(string) {}
	}
	return context.WithValue(ctx, interactiveKey{}, announce)
}

// IsInteractive reports whether ctx was marked by Interactive.
func IsInteractive(ctx context.Context) bool {
	_, ok := interactiveFrom(ctx)
	return ok
}

func interactiveFrom(ctx context.Context) (func(string), bool) {
	f, ok := ctx.Value(interactiveKey{}).(func(string))
	return f, ok
}

// call runs one go-keyring call under the timeout. go-keyring has no cancellation, so a call
// that hangs is abandoned in its goroutine; the result channel is buffered so it can finish.
func (s *KeyringStore) call(ctx context.Context, op string, fn func() (string, error)) (string, error) {
	announce, person := interactiveFrom(ctx)
	timeout := s.Timeout
	if person && timeout < InteractiveKeychainTimeout {
		timeout = InteractiveKeychainTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	select {
	case keychainSlot <- struct{}{}:
	case <-ctx.Done():
		return "", fmt.Errorf("%w: %s %s: an earlier keychain request of this process is still waiting (for a confirmation or an unlock?) after %s; answer it and try again", ErrKeychainUnavailable, op, s.Where(), timeout)
	}
	wasLocked := false
	if err := s.ready(ctx, op); err != nil {
		if !person || !errors.Is(err, ErrKeychainLocked) {
			<-keychainSlot
			return "", err
		}
		wasLocked = true
		announce("The keychain is locked: " + ConfirmHint + ".")
	}
	type result struct {
		v   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		dismissed := secretservice.WatchDismissed()
		v, err := fn()
		if dismissed() {
			v, err = "", errDismissed
		}
		<-keychainSlot
		ch <- result{v, err}
	}()
	var slow <-chan time.Time
	if person {
		t := time.NewTimer(1500 * time.Millisecond)
		defer t.Stop()
		slow = t.C
	}
	for {
		select {
		case r := <-ch:
			if r.err == nil {
				return r.v, nil
			}
			if errors.Is(r.err, errDismissed) {
				return "", fmt.Errorf("%w: %s %s: the keychain's request to confirm was dismissed, so nothing was done; %s and try again", ErrKeychainLocked, op, s.Where(), ConfirmHint)
			}
			if errors.Is(r.err, keyring.ErrNotFound) {
				return "", fmt.Errorf("%w in %s; store one with claude-keytray update-key", ErrNoKey, s.Where())
			}
			if errors.Is(r.err, keyring.ErrSetDataTooBig) {
				return "", ErrKeyTooLarge
			}
			if wasLocked {
				return "", fmt.Errorf("%w: %s %s: the keychain stayed locked (%v): the unlock dialog was dismissed or could not be shown; unlock it and try again", ErrKeychainLocked, op, s.Where(), r.err)
			}
			return "", fmt.Errorf("%w: %s %s: %v; %s", ErrKeychainUnavailable, op, s.Where(), r.err, keychainHint)
		case <-slow:
			announce("Waiting for the keychain: " + ConfirmHint + ".")
		case <-ctx.Done():
			if person {
				return "", fmt.Errorf("%w: %s %s: nobody confirmed within %s; %s and try again", ErrKeychainUnavailable, op, s.Where(), timeout, ConfirmHint)
			}
			return "", fmt.Errorf("%w: %s %s: no answer within %s; %s", ErrKeychainUnavailable, op, s.Where(), s.Timeout, keychainHint)
		}
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
		return "", fmt.Errorf("%w in %s; store one with claude-keytray update-key --store file", ErrNoKey, s.Path)
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
	if err := atomicfile.WriteFile(s.Path, []byte(secret+"\n"), 0o600); err != nil {
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

// readStored reads the key in s and parses it. The error wraps the store's (ErrNoKey,
// ErrKeychainUnavailable) or, for a stored value that is not a usable key, the *KeyError, with
// where it is and what to do.
func readStored(ctx context.Context, s Store) (Key, error) {
	secret, err := s.Get(ctx)
	if err != nil {
		return Key{}, err
	}
	k, err := ParseKey(secret)
	if err != nil {
		return Key{}, fmt.Errorf("the key in %s is not usable: %w; store a new one with claude-keytray update-key", s.Where(), err)
	}
	return k, nil
}
