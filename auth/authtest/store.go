package authtest

import (
	"context"
	"fmt"
	"sync"

	"github.com/claude-keytray/claude-keytray/auth"
)

// MemStore stands in for the keychain: one key in memory, or an error every call but Delete
// answers with (SetErr). The zero value holds no key.
type MemStore struct {
	mu     sync.Mutex
	secret string
	err    error
}

// NewMemStore returns a store holding secret.
func NewMemStore(secret string) *MemStore { return &MemStore{secret: secret} }

func (m *MemStore) Get(ctx context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return "", m.err
	}
	if m.secret == "" {
		return "", fmt.Errorf("%w in the test store", auth.ErrNoKey)
	}
	return m.secret, nil
}

func (m *MemStore) Set(ctx context.Context, secret string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	m.secret = secret
	return nil
}

func (m *MemStore) Delete(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.secret = ""
	return nil
}

func (m *MemStore) Kind() string  { return "keychain" }
func (m *MemStore) Where() string { return "the test store" }

// Secret is the key the store holds now ("" for none), for the test to compare.
func (m *MemStore) Secret() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.secret
}

// SetErr makes Get and Set fail with err (a keychain that is locked or gone); nil heals it.
func (m *MemStore) SetErr(err error) {
	m.mu.Lock()
	m.err = err
	m.mu.Unlock()
}
