// Package secretservice looks at the Secret Service (gnome-keyring, KeePassXC) without asking
// it for anything: whether a session bus exists at all, and whether the collection or the item
// the keychain store uses is locked. Neither check ever starts a bus or opens a dialog, so
// background work can find out that a keychain call would ask the person first.
package secretservice
