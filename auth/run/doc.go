// Package run is `claude-keytray run -- CMD`: it runs a command with its input, output and
// signals passed through, recognises an auth failure (a 401) from the command's exit and
// output, asks the engine for a forced refresh, and runs the command again when its input can
// be replayed.
//
// The output is scanned as it passes, through a small window per stream, so nothing is held in
// memory and what reaches the terminal or the next program is byte for byte what the command
// wrote. When our stdout or stderr is a terminal the command gets a pseudo-terminal of its own
// (Linux and macOS), so it still sees a terminal while its output is scanned.
//
// The engine is reached through Refresher, which main wires to the daemon's control client or,
// with no daemon, to an in-process engine. The engine sends the one notification of each 401.
package run
