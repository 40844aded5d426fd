//go:build !linux

package watch

import (
	"context"
	"errors"
)

// SecretService is Linux's; elsewhere the keychain gives no change signals and refreshes find
// changes instead.
func SecretService(ctx context.Context, onChange func()) error {
	return errors.New("no keychain change signals on this system")
}
