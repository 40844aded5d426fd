package auth

const keychainHint = "sign in to Windows interactively so Credential Manager is available, then try again"
