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
//
// A typical test:
//
//	e := testenv.New(t)
//	e.StartKeyring(t)
//	api := testenv.NewFakeAPI(t, key)
//	e.UseFakeAPI(api)
//	r := e.RunInput(t, key+"\n", "update-key")
//	if r.ExitCode != 0 { t.Fatalf("update-key: %s", r.Stderr) }
//	if got, ok := e.SecretToolLookup(t); !ok || got != key { ... }
//
// What the claude CLI (2.1.197) does against FakeAPI, as the tests here show:
//   - `claude -p PROMPT` sends HEAD / (a reachability probe, no key), then
//     POST /v1/messages?beta=true with "stream": true; nothing else when
//     CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 and DISABLE_AUTOUPDATER=1 (UseFakeAPI sets both).
//     It takes about a second on an idle machine, three to six under load.
//   - ANTHROPIC_API_KEY is sent as x-api-key, ANTHROPIC_AUTH_TOKEN as Authorization: Bearer, an
//     apiKeyHelper's key as both.
//   - A stream that breaks is retried, then asked again without streaming.
//   - A 401 is retried up to CLAUDE_CODE_MAX_RETRIES times (default 10, exponential backoff of
//     minutes in all), running the apiKeyHelper again before each retry, unless the response
//     has x-should-retry: false (FakeAPI.SetShouldRetry). Then it exits 1 printing
//     "Invalid API key · Fix external API key"; with --output-format json the result has
//     "is_error":true and "api_error_status":401.
//   - With no key at all it exits 1 with "Not logged in · Please run /login".
package testenv
