package auth

const keychainHint = "unlock the login keychain in Keychain Access, then try again"
