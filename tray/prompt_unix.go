//go:build !windows && !darwin

package tray

import (
	"context"
	"os/exec"
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
	res, err := runDialog(ctx, "", nil, z.path, "--entry", "--hide-text",
		"--title="+dialogTitle, "--text="+dialogPrompt, "--width=460")
	if err != nil {
		return "", err
	}
	// zenity exits 1 for Cancel, Escape and closing the window, 5 on its own timeout.
	return res.answer("zenity", 1, 5)
}

func (z *zenityPrompter) ShowError(ctx context.Context, title, text string) error {
	// --no-markup: the reason is plain text and may hold "<" or "&".
	res, err := runDialog(ctx, "", nil, z.path, "--error", "--no-markup",
		"--title="+title, "--text="+text, "--width=460")
	if err != nil {
		return err
	}
	return res.shown("zenity", 1)
}

type kdialogPrompter struct{ path string }

func (k *kdialogPrompter) Label() string { return LabelUpdateKey }

func (k *kdialogPrompter) PromptKey(ctx context.Context) (string, error) {
	res, err := runDialog(ctx, "", nil, k.path, "--title", dialogTitle, "--password", dialogPrompt)
	if err != nil {
		return "", err
	}
	return res.answer("kdialog", 1)
}

func (k *kdialogPrompter) ShowError(ctx context.Context, title, text string) error {
	res, err := runDialog(ctx, "", nil, k.path, "--title", title, "--error", text)
	if err != nil {
		return err
	}
	return res.shown("kdialog", 1)
}

func prepareCommand(*exec.Cmd) {}
