// Package bench measures claude-keytray where its users feel it: the apiKeyHelper's latency next
// to the alternatives (a plaintext file, secret-tool, no daemon), with a slow key source, under
// bursts of helpers started at once, the daemon's start-up and its idle footprint.
//
// It runs only with the bench build tag, in a private world like the integration tests (its
// own HOME, XDG dirs, D-Bus session, unlocked gnome-keyring and a loopback API):
//
//	scripts/bench.sh                      # or: make bench
//	scripts/bench.sh -rounds 50 -idle 10s # a quicker, rougher run
//
// Absolute times drift on a shared machine, so every comparison is measured side by side in
// one run, the contenders interleaved round-robin, and reported as ratios.
package bench
