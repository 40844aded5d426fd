package auth

const keychainHint = "sign in to Windows interactively so Credential Manager is available, then try again"

// keychainSizeLimit says how large a key the keychain takes, for ErrKeyTooLarge.
const keychainSizeLimit = "Windows Credential Manager holds at most 2,560 bytes per item"
