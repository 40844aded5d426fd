package tray

import (
	"context"
	"encoding/base64"
	"os/exec"
	"syscall"
	"unicode/utf16"
)

// The scripts read their texts from environment variables, so nothing needs quoting, and print
// the key on stdout.
const (
	psPrompt = `Add-Type -AssemblyName System.Windows.Forms
$f = New-Object System.Windows.Forms.Form
$f.Text = $env:CLAUDE_KEYTRAY_TITLE
$f.Width = 500; $f.Height = 190; $f.StartPosition = 'CenterScreen'; $f.TopMost = $true
$f.FormBorderStyle = 'FixedDialog'; $f.MaximizeBox = $false; $f.MinimizeBox = $false
$l = New-Object System.Windows.Forms.Label
$l.Text = $env:CLAUDE_KEYTRAY_TEXT; $l.Left = 12; $l.Top = 10; $l.Width = 460; $l.Height = 44
$t = New-Object System.Windows.Forms.TextBox
$t.UseSystemPasswordChar = $true; $t.Left = 12; $t.Top = 60; $t.Width = 460
$ok = New-Object System.Windows.Forms.Button
$ok.Text = 'Save'; $ok.Left = 316; $ok.Top = 100; $ok.DialogResult = 'OK'
$c = New-Object System.Windows.Forms.Button
$c.Text = 'Cancel'; $c.Left = 397; $c.Top = 100; $c.DialogResult = 'Cancel'
$f.Controls.AddRange(@($l, $t, $ok, $c)); $f.AcceptButton = $ok; $f.CancelButton = $c
if ($f.ShowDialog() -eq 'OK') { [Console]::Out.Write($t.Text); exit 0 } else { exit 1 }`
	psText = `Add-Type -AssemblyName System.Windows.Forms
$f = New-Object System.Windows.Forms.Form
$f.Text = $env:CLAUDE_KEYTRAY_TITLE
$f.Width = 620; $f.Height = 460; $f.StartPosition = 'CenterScreen'; $f.TopMost = $true
$t = New-Object System.Windows.Forms.TextBox
$t.Multiline = $true; $t.ReadOnly = $true; $t.ScrollBars = 'Vertical'
$t.Text = $env:CLAUDE_KEYTRAY_TEXT -replace "\r?\n", [Environment]::NewLine
$t.Left = 12; $t.Top = 12; $t.Width = 580; $t.Height = 360
$c = New-Object System.Windows.Forms.Button
$c.Text = 'Close'; $c.Left = 517; $c.Top = 382; $c.DialogResult = 'Cancel'
$f.Controls.AddRange(@($t, $c)); $f.CancelButton = $c
if ($env:CLAUDE_KEYTRAY_ACTION) {
	$a = New-Object System.Windows.Forms.Button
	$a.Text = $env:CLAUDE_KEYTRAY_ACTION; $a.Left = 12; $a.Top = 382; $a.Width = 140; $a.DialogResult = 'OK'
	$f.Controls.Add($a)
}
if ($f.ShowDialog() -eq 'OK') { exit 10 } else { exit 0 }`
	psError = `Add-Type -AssemblyName System.Windows.Forms
[void][System.Windows.Forms.MessageBox]::Show($env:CLAUDE_KEYTRAY_TEXT, $env:CLAUDE_KEYTRAY_TITLE, 'OK', 'Error')`
)

// NewPrompter returns a small WinForms dialog with a masked text box, run by PowerShell.
func NewPrompter() KeyPrompter {
	if p, err := exec.LookPath("powershell.exe"); err == nil {
		return &psPrompter{path: p}
	}
	return clipboardPrompter{}
}

type psPrompter struct{ path string }

func (p *psPrompter) Label() string { return LabelUpdateKey }

func (p *psPrompter) PromptKey(ctx context.Context) (string, error) {
	res, err := runDialog(ctx, "", []string{"CLAUDE_KEYTRAY_TITLE=" + dialogTitle, "CLAUDE_KEYTRAY_TEXT=" + dialogPrompt}, p.path, psArgs(psPrompt)...)
	if err != nil {
		return "", err
	}
	return res.answer("PowerShell", 1)
}

func (p *psPrompter) ShowError(ctx context.Context, title, text string) error {
	res, err := runDialog(ctx, "", []string{"CLAUDE_KEYTRAY_TITLE=" + title, "CLAUDE_KEYTRAY_TEXT=" + text}, p.path, psArgs(psError)...)
	if err != nil {
		return err
	}
	return res.shown("PowerShell")
}

func (p *psPrompter) ShowText(ctx context.Context, title, text, action string) (bool, error) {
	env := []string{"CLAUDE_KEYTRAY_TITLE=" + title, "CLAUDE_KEYTRAY_TEXT=" + text, "CLAUDE_KEYTRAY_ACTION=" + action}
	res, err := runDialog(ctx, "", env, p.path, psArgs(psText)...)
	if err != nil {
		return false, err
	}
	if res.code == 10 {
		return true, nil
	}
	return false, res.shown("PowerShell")
}

// psArgs runs a script given as -EncodedCommand (base64 of UTF-16LE), which needs no quoting.
func psArgs(script string) []string {
	u := utf16.Encode([]rune(script))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i], b[2*i+1] = byte(c), byte(c>>8)
	}
	return []string{"-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-EncodedCommand", base64.StdEncoding.EncodeToString(b)}
}

// prepareCommand keeps helper programs from flashing a console window over the desktop.
func prepareCommand(cmd *exec.Cmd) {
	const createNoWindow = 0x08000000
	cmd.SysProcAttr = &syscall.SysProcAttr{HideWindow: true, CreationFlags: createNoWindow}
}
