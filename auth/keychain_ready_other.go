//go:build !linux

package auth

import "context"

// ready has nothing to check off Linux: Keychain and Credential Manager are not on D-Bus.
func (s *KeyringStore) ready(ctx context.Context, op string) error { return nil }
