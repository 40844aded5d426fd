//go:build !windows && !darwin

package tray

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
)

// NewPrompter picks the key dialog: zenity (GTK), else kdialog (KDE), else the clipboard.
func NewPrompter() KeyPrompter {
	if p, err := exec.LookPath("zenity"); err == nil {
		return &zenityPrompter{path: p}
	}
	if p, err := exec.LookPath("kdialog"); err == nil {
		return &kdialogPrompter{path: p}
	}
	return clipboardPrompter{}
}

type zenityPrompter struct{ path string }

func (z *zenityPrompter) Label() string { return LabelUpdateKey }

func (z *zenityPrompter) PromptKey(ctx context.Context) (string, error) {
	res, err := runDialog(ctx, "", nil, z.path, z.args("--entry", "--hide-text", "--no-markup",
		"--title="+dialogTitle, "--text="+dialogPrompt, "--width="+strconv.Itoa(dialogWidth))...)
	if err != nil {
		return "", err
	}
	// zenity exits 1 for Cancel, Escape and closing the window, 5 on its own timeout.
	return res.answer("zenity", 1, 5)
}

func (z *zenityPrompter) ShowError(ctx context.Context, title, text string) error {
	// --no-markup: the reason is plain text and may hold "<" or "&".
	res, err := runDialog(ctx, "", nil, z.path, z.args("--error", "--no-markup",
		"--title="+title, "--text="+text, "--width=420")...)
	if err != nil {
		return err
	}
	return res.shown("zenity", 1)
}

func (z *zenityPrompter) ShowText(ctx context.Context, title, text, action string) (bool, error) {
	// A message window with one Close button (and the action) for what fits on a screen; a
	// scrolling text view, which comes with a Cancel button too, for anything longer.
	args := z.args("--info", "--no-markup", "--title="+title, "--text="+text, "--width=560", "--ok-label=Close")
	stdin := ""
	if strings.Count(text, "\n") > 30 {
		args = z.args("--text-info", "--title="+title, "--width=640", "--height=480", "--ok-label=Close")
		stdin = text
	}
	if action != "" {
		args = append(args, "--extra-button="+action)
	}
	// An extra button prints its label and exits 1.
	res, err := runDialog(ctx, stdin, nil, z.path, args...)
	if err != nil {
		return false, err
	}
	if action != "" && res.code == 1 && strings.TrimSpace(res.stdout) == action {
		return true, nil
	}
	return false, res.shown("zenity", 1, 5)
}

// args adds our icon to a zenity command line.
func (z *zenityPrompter) args(args ...string) []string {
	if icon := appIconFile(); icon != "" {
		args = append(args, "--window-icon="+icon)
	}
	return args
}

type kdialogPrompter struct{ path string }

func (k *kdialogPrompter) Label() string { return LabelUpdateKey }

func (k *kdialogPrompter) PromptKey(ctx context.Context) (string, error) {
	res, err := runDialog(ctx, "", nil, k.path, k.args("--title", dialogTitle, "--password", dialogPrompt)...)
	if err != nil {
		return "", err
	}
	return res.answer("kdialog", 1)
}

func (k *kdialogPrompter) ShowError(ctx context.Context, title, text string) error {
	res, err := runDialog(ctx, "", nil, k.path, k.args("--title", title, "--error", text)...)
	if err != nil {
		return err
	}
	return res.shown("kdialog", 1)
}

func (k *kdialogPrompter) ShowText(ctx context.Context, title, text, action string) (bool, error) {
	args := k.args("--title", title, "--msgbox", text)
	if action != "" {
		args = k.args("--title", title, "--yes-label", action, "--no-label", "Close", "--yesno", text)
	}
	res, err := runDialog(ctx, "", nil, k.path, args...)
	if err != nil {
		return false, err
	}
	if action != "" && res.code == 0 {
		return true, nil
	}
	return false, res.shown("kdialog", 1)
}

// args adds our icon to a kdialog command line.
func (k *kdialogPrompter) args(args ...string) []string {
	if icon := appIconFile(); icon != "" {
		args = append(args, "--icon", icon)
	}
	return args
}

func prepareCommand(*exec.Cmd) {}
