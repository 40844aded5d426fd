package auth

const keychainHint = "is the login keychain unlocked? Open Keychain Access and unlock it, then try again"

// keychainSizeLimit says how large a key the keychain takes, for ErrKeyTooLarge.
const keychainSizeLimit = "the macOS Keychain refuses items this large"
