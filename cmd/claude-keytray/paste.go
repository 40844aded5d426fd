package main

import (
	"fmt"
	"io"

	"github.com/claude-keytray/claude-keytray/auth"
)

// cleanKeyInput takes the key out of raw as auth.CleanPaste does and tells w, in one line, what
// it left out (a variable name, quotes, a second copy), so nobody wonders which key was stored.
// where says where raw came from: "as pasted", "in CLAUDE_API_KEY".
func cleanKeyInput(w io.Writer, raw, where string) (string, error) {
	clean, notes, err := auth.CleanPaste(raw)
	if err != nil {
		return "", err
	}
	if s := auth.PasteSummary(where, notes); s != "" {
		fmt.Fprintln(w, s)
	}
	return clean, nil
}
