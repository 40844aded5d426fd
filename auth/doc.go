// Package auth is the engine of claude-keytray: the key and its store in the OS keychain, the
// source it is refreshed from, the refresh loop, the check against the Anthropic API, the status
// and events it publishes, the notification policy and the bookkeeping of Claude Code's 401
// retries. It knows no screen: the tray and the CLI are built on what it reports.
//
// What is not the engine's own state lives in leaf packages below it, which import nothing of
// ours but other leaves: Claude Code's side (settings, helper script, install) in auth/claude,
// the log and its redaction in auth/logging, capped child output in auth/capbuf, and in
// auth/internal the key shapes, atomic file writes and the process chain. auth/control (the
// control API) and auth/run (the `run` wrapper) are clients built over the engine, as is
// auth/authtest, the stand-ins the unit tests of the engine and of the control API share.
package auth
