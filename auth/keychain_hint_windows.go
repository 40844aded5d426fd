package auth

const keychainHint = "is Windows Credential Manager available for this user? Try again from an interactive login"
