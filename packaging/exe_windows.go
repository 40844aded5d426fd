package packaging

import (
	"os"
	"path/filepath"
	"strings"
)

// Windows gets two programs built from the same source (scripts/dist.sh): claude-keytray.exe, a
// console program for the prompt and the helper (cmd waits for it, it prints, returns exit codes
// and hides the key prompt), and claude-keytrayw.exe, linked as a GUI program, which the Run key
// and the Start menu start so that no console window opens for the tray.

// TrayExe is the GUI companion of the console program exe (claude-keytrayw.exe next to
// claude-keytray.exe) when it exists, else exe itself.
func TrayExe(exe string) string {
	dir, base := filepath.Split(exe)
	name, ok := strings.CutSuffix(strings.ToLower(base), ".exe")
	if !ok || strings.HasSuffix(name, "w") {
		return exe
	}
	w := filepath.Join(dir, base[:len(name)]+"w.exe")
	if isFile(w) {
		return w
	}
	return exe
}

// ConsoleExe is the console program next to the GUI companion exe (claude-keytray.exe next to
// claude-keytrayw.exe) when it exists, else exe itself: the helper and the prompt need it.
func ConsoleExe(exe string) string {
	dir, base := filepath.Split(exe)
	name, ok := strings.CutSuffix(strings.ToLower(base), "w.exe")
	if !ok {
		return exe
	}
	c := filepath.Join(dir, base[:len(name)]+".exe")
	if isFile(c) {
		return c
	}
	return exe
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}
