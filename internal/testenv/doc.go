// Package testenv runs integration tests against the real desktop components claude-keytray
// talks to: a private D-Bus session, gnome-keyring's Secret Service, dunst for notifications,
// Xvfb, pass with a throwaway GPG key, the real claude CLI, and a loopback stand-in for the
// Anthropic API.
//
// Every Env has its own HOME, XDG directories and D-Bus session under the test's temporary
// directory, so tests never touch the real user's keychain or files and can run in parallel.
// The claude-keytray binary runs as a subprocess: godbus caches the session bus per process,
// so one process cannot be pointed at a fresh bus per test.
//
// A component that is not installed fails the test when CI=true and skips it otherwise, with
// the Debian (or npm) package to install; scripts/install-test-deps.sh installs them all.
package testenv
