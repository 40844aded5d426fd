package auth

const keychainHint = "is Windows Credential Manager available for this user? Try again from an interactive login"

// keychainSizeLimit says how large a key the keychain takes, for ErrKeyTooLarge.
const keychainSizeLimit = "Windows Credential Manager holds at most 2,560 bytes per item"
