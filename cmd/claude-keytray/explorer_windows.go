package main

import (
	"os"
	"unsafe"

	"github.com/inconshreveable/mousetrap"
	"github.com/spf13/cobra"
	"golang.org/x/sys/windows"
)

// Explorer starts the tray at sign-in (the Run key) and on a double-click. cobra's mousetrap
// would then print "This is a command line tool" and quit; the tray is what such a start means.
// The Run key names claude-keytrayw.exe, which has no console at all; the console program
// double-clicked gets a console window of its own, which it gives back.
func init() {
	cobra.MousetrapHelpText = ""
	if len(os.Args) == 1 && mousetrap.StartedByExplorer() {
		leaveOwnConsole()
	}
}

// leaveOwnConsole detaches from a console window that only this process uses, so it closes.
func leaveOwnConsole() {
	k32 := windows.NewLazySystemDLL("kernel32.dll")
	var pids [2]uint32
	n, _, _ := k32.NewProc("GetConsoleProcessList").Call(uintptr(unsafe.Pointer(&pids[0])), uintptr(len(pids)))
	if n != 1 {
		return // no console, or a console someone else also uses
	}
	if r, _, _ := k32.NewProc("FreeConsole").Call(); r == 0 {
		return
	}
	if null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0); err == nil {
		os.Stdin, os.Stdout, os.Stderr = null, null, null
	}
}
