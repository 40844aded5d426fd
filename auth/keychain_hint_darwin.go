package auth

const keychainHint = "unlock the login keychain in Keychain Access, then try again"

// keychainSizeLimit says how large a key the keychain takes, for ErrKeyTooLarge.
const keychainSizeLimit = "the macOS Keychain refuses items this large"
