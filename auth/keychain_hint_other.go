//go:build !linux && !darwin && !windows

package auth

const keychainHint = "this platform's keychain is reached through the Secret Service on D-Bus: start one (gnome-keyring, KeePassXC) and unlock it"

// keychainSizeLimit says how large a key the keychain takes, for ErrKeyTooLarge.
const keychainSizeLimit = "the keychain refuses items this large"
