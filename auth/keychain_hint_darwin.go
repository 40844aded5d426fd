package auth

const keychainHint = "is the login keychain unlocked? Open Keychain Access and unlock it, then try again"
