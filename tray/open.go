package tray

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"runtime"
	"time"
)

// openURL opens a web page in the default browser.
func openURL(url string) error {
	return openWith(url)
}

// openPath opens a file in the desktop's default application: xdg-open, open or start. It does
// not wait for the application; a failure to start it is returned.
func openPath(path string) error {
	if path == "" {
		return errors.New("no log file is configured")
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("there is no log yet at %s", path)
	}
	return openWith(path)
}

// openWith hands a path or URL to xdg-open, open or start.
func openWith(path string) error {
	var name string
	var args []string
	switch runtime.GOOS {
	case "darwin":
		name, args = "open", []string{path}
	case "windows":
		// The empty argument is start's window title; without it a quoted path would be taken as one.
		name, args = "cmd", []string{"/c", "start", "", path}
	default:
		name, args = "xdg-open", []string{path}
	}
	exe, err := exec.LookPath(name)
	if err != nil {
		return fmt.Errorf("cannot open %s: %s was not found (Debian/Ubuntu: install xdg-utils)", path, name)
	}
	cmd := exec.Command(exe, args...)
	prepareCommand(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("opening %s with %s: %w", path, name, err)
	}
	// xdg-open fails fast when nothing can open the file, but may also wait for the viewer it
	// starts: give it a moment to fail, then leave it running.
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%s could not open %s: %w", name, path, err)
		}
	case <-time.After(2 * time.Second):
	}
	return nil
}
