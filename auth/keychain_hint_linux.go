package auth

const keychainHint = "start a Secret Service (gnome-keyring, KeePassXC) on the session D-Bus and unlock it, or on a server use --store file or run under dbus-run-session with gnome-keyring-daemon --unlock"

// keychainSizeLimit says how large a key the keychain takes, for ErrKeyTooLarge.
const keychainSizeLimit = "the Secret Service refuses items this large"
