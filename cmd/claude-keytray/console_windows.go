package main

import (
	"os"

	"golang.org/x/sys/windows"
)

// claude-keytrayw.exe, the tray's program, is linked with -H=windowsgui so that the tray,
// started at sign-in or from Explorer, opens no console window. Such a program starts with no
// standard handles, so CLI commands run through it would print nothing; attaching to the console of the terminal that ran the
// command gives them their output back. Handles that already work (output redirected to a
// file or a pipe, as the apiKeyHelper's caller does) are kept as they are.
func init() { attachParentConsole() }

// attachParentProcess is ATTACH_PARENT_PROCESS, (DWORD)-1.
const attachParentProcess = ^uint32(0)

func attachParentConsole() {
	in, out, errOut := usable(windows.STD_INPUT_HANDLE), usable(windows.STD_OUTPUT_HANDLE), usable(windows.STD_ERROR_HANDLE)
	if in && out && errOut {
		return
	}
	attach := windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")
	if r, _, _ := attach.Call(uintptr(attachParentProcess)); r == 0 {
		return // started from Explorer or at sign-in: there is no console, and none is wanted
	}
	reopen := func(name string, flag int, std uint32, f **os.File) {
		c, err := os.OpenFile(name, flag, 0)
		if err != nil {
			return
		}
		*f = c
		_ = windows.SetStdHandle(std, windows.Handle(c.Fd()))
	}
	if !out {
		reopen("CONOUT$", os.O_WRONLY, windows.STD_OUTPUT_HANDLE, &os.Stdout)
	}
	if !errOut {
		reopen("CONOUT$", os.O_WRONLY, windows.STD_ERROR_HANDLE, &os.Stderr)
	}
	if !in {
		// update-key's hidden prompt reads the console.
		reopen("CONIN$", os.O_RDWR, windows.STD_INPUT_HANDLE, &os.Stdin)
	}
}

// usable reports whether a standard handle leads somewhere.
func usable(std uint32) bool {
	h, err := windows.GetStdHandle(std)
	if err != nil || h == 0 || h == windows.InvalidHandle {
		return false
	}
	_, err = windows.GetFileType(h)
	return err == nil
}
