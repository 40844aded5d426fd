package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/claude"
	"golang.org/x/term"
)

// plaintextChoice decides whether keys found in the settings move into the keychain: yes with
// --move-key, else asked at a terminal, else no (install then says how).
func plaintextChoice(in io.Reader, out io.Writer, move bool) func(question string) bool {
	return func(question string) bool {
		if move {
			return true
		}
		f, ok := in.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return false
		}
		q := &asker{in: bufio.NewReader(in), raw: in, out: out}
		return q.confirm(question, true)
	}
}

// movePlaintextKeys finds keys in plain text in the user's Claude settings and, when the user
// agrees, stores them in the keychain, returning the keys install may then remove from the
// settings. A key is moved only into an empty keychain (or one holding the same key): it never
// replaces another stored key. With force about to replace an apiKeyHelper that prints a key
// nothing else holds, install stops rather than drop the only copy.
func movePlaintextKeys(ctx context.Context, a *app, out io.Writer, agree func(string) bool, force, dryRun bool) ([]string, error) {
	found, err := claude.FindPlaintextKeys(a.paths.Claude.Settings)
	if err != nil || len(found) == 0 {
		return nil, nil // a settings file install cannot read is install's error to report
	}
	for _, k := range found {
		fmt.Fprintf(out, "A key sits in plain text in your Claude settings: %s.\n", k)
	}
	stored, storeErr := a.store.Get(ctx)
	if storeErr != nil && !errors.Is(storeErr, auth.ErrNoKey) {
		return nil, withCode(storeErr)
	}
	if dryRun || !agree("Move it into the keychain and remove it from the settings?") {
		if stored == "" && force && heldByHelper(found) {
			return nil, fmt.Errorf("the apiKeyHelper that --force would replace prints a key that no keychain holds; run claude-keytray install --force --move-key to keep it in the keychain, or store it first with claude-keytray update-key")
		}
		if !dryRun {
			fmt.Fprintln(out, "Left where it is: claude-keytray doctor fails while it is there. claude-keytray install --move-key moves it into the keychain.")
		}
		return nil, nil
	}
	var moved []string
	for _, k := range found {
		switch {
		case stored == k.Secret:
			moved = append(moved, k.Secret)
		case stored != "":
			fmt.Fprintf(out, "Not moved: the keychain already holds another key (%s). Keep one with claude-keytray update-key, then remove the other from %s.\n", auth.Fingerprint(stored), k.Path)
		default:
			if _, err := updateKey(ctx, a, k.Secret, true, "import"); err != nil {
				fmt.Fprintf(out, "Not moved: %v\n", auth.MaskKeys(err.Error()))
				continue
			}
			stored = k.Secret
			moved = append(moved, k.Secret)
			fmt.Fprintf(out, "Stored %s in %s.\n", auth.Fingerprint(k.Secret), a.store.Where())
		}
	}
	return moved, nil
}

func heldByHelper(found []claude.PlaintextKey) bool {
	for _, k := range found {
		if k.Where == "apiKeyHelper" {
			return true
		}
	}
	return false
}
