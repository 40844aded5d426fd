package tray

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/capbuf"
)

// ErrCancelled means the user closed the key dialog without entering a key.
var ErrCancelled = errors.New("cancelled")

// ErrNoDialog means no dialog program can show a message; the caller falls back to a notification.
var ErrNoDialog = errors.New("no dialog program")

// KeyPrompter asks the user for a key. A dialog program prints the key on its stdout, which is
// read here: the key is never put on a command line, where any user could read it in /proc.
type KeyPrompter interface {
	// Label is the menu item's text: "Update key…" for a dialog, "Paste key from clipboard"
	// when there is none.
	Label() string
	// PromptKey returns what the user entered, or ErrCancelled.
	PromptKey(ctx context.Context) (string, error)
	// ShowError tells the user why a key was refused; ErrNoDialog when it cannot.
	ShowError(ctx context.Context, title, text string) error
	// ShowText shows a read-only text in a window (Details, doctor's report, About). With an
	// action it has a button of that label besides Close, and reports whether it was pressed.
	// ErrNoDialog when it cannot.
	ShowText(ctx context.Context, title, text, action string) (bool, error)
}

// Texts of the dialogs. The prompt is two short lines, so the dialog stays narrow: the entry
// dialogs size themselves to their longest line.
const (
	dialogTitle  = DisplayName + " — Update key"
	dialogPrompt = "Paste your Anthropic API key. It is checked with the API,\n" +
		"then kept in your keychain. Get one at console.anthropic.com/settings/keys"
	// dialogWidth is the key dialog's width in pixels where the program takes one.
	dialogWidth = 480
)

// Titles of the other windows.
const (
	titleNotChanged = DisplayName + " — Key not changed"
	titleDetails    = DisplayName + " — Details"
	titleDoctor     = DisplayName + " — Doctor"
	titleAbout      = "About " + DisplayName
	// actionCopy is the Details window's extra button.
	actionCopy = "Copy diagnostics"
)

// maxDialogOutput bounds what is read from a dialog or clipboard: a key and a newline.
const maxDialogOutput = auth.MaxKeyLen + 2

// dialogResult is how a dialog program ended.
type dialogResult struct {
	stdout string
	stderr string
	code   int
}

// answer reads a key dialog's result: exit 0 gives the key, an exit in cancel means the person
// cancelled, anything else is a failure of program.
func (r dialogResult) answer(program string, cancel ...int) (string, error) {
	if r.code == 0 {
		return r.stdout, nil
	}
	if slices.Contains(cancel, r.code) {
		return "", ErrCancelled
	}
	return "", fmt.Errorf("%s failed (exit %d): %s", program, r.code, r.stderr)
}

// shown checks a dialog that only shows a message: any exit in ok (0 is always fine) is success.
func (r dialogResult) shown(program string, ok ...int) error {
	if r.code == 0 || slices.Contains(ok, r.code) {
		return nil
	}
	return fmt.Errorf("%s failed (exit %d): %s", program, r.code, r.stderr)
}

// runDialog runs a dialog program and collects its output, bounded. stdin, when set, feeds the
// program (a script, never a key); env entries are added to the environment.
func runDialog(ctx context.Context, stdin string, env []string, name string, args ...string) (dialogResult, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	prepareCommand(cmd)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	if len(env) > 0 {
		cmd.Env = append(cmd.Environ(), env...)
	}
	out, errb := capbuf.Buffer{Max: maxDialogOutput + 1}, capbuf.Buffer{Max: 4096}
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := dialogResult{stdout: out.String(), stderr: strings.TrimSpace(errb.String())}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		return res, fmt.Errorf("running %s: %w", name, err)
	}
	if out.Overflowed() {
		return dialogResult{code: res.code}, fmt.Errorf("%s printed more than %d characters; a key is at most %d", name, maxDialogOutput, auth.MaxKeyLen)
	}
	return res, nil
}

// clipboardPrompter takes the key from the clipboard: the fallback when no dialog program exists.
type clipboardPrompter struct{}

func (clipboardPrompter) Label() string { return LabelPasteKey }

func (clipboardPrompter) PromptKey(ctx context.Context) (string, error) {
	s, err := readClipboard(ctx)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(s) == "" {
		return "", errors.New("the clipboard is empty: copy your key, then choose “" + LabelPasteKey + "” again")
	}
	return s, nil
}

func (clipboardPrompter) ShowError(context.Context, string, string) error { return ErrNoDialog }

func (clipboardPrompter) ShowText(context.Context, string, string, string) (bool, error) {
	return false, ErrNoDialog
}

// HideConsole keeps a child program (a dialog, the doctor run behind "Run doctor") from
// flashing a console window over the desktop on Windows; elsewhere it does nothing.
func HideConsole(cmd *exec.Cmd) { prepareCommand(cmd) }
