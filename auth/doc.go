// Package auth is the engine of claude-keytray: it parses and fingerprints keys, keeps them in
// the OS keychain, checks them against the Anthropic API, writes the apiKeyHelper script and wires
// it into Claude Code's settings, and (in the daemon) refreshes the key on a timer and publishes
// status and events. It knows no screen: the tray and the CLI are built on what it reports.
package auth
