// Package authtest holds the stand-ins that the unit tests of the engine (auth) and of the
// control API (auth/control) share: MemStore for the keychain, FakeChecker for the Anthropic
// API, RecNotifier for the desktop notifier, FuncSource for a key source, and the test keys
// they pass around. The engine between them is always the real one.
//
// It is a client of auth, imported by tests only. The end-to-end tests (cmd/claude-keytray,
// internal/securitytest) use the real components instead: the Secret Service, the real checker
// against a loopback API, a notification daemon and real source commands.
package authtest
