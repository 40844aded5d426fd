package auth

const keychainHint = "is a Secret Service (gnome-keyring, KeePassXC) running and unlocked on the session D-Bus? On a server use --store file or run dbus-run-session with gnome-keyring-daemon --unlock"
