//go:build windows

package control

import "golang.org/x/sys/windows"

// stillActive is what GetExitCodeProcess reports for a running process.
const stillActive = 259

// ProcessAlive reports whether pid names a running process.
func ProcessAlive(pid int) bool {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return false
	}
	defer windows.CloseHandle(h)
	var code uint32
	if err := windows.GetExitCodeProcess(h, &code); err != nil {
		return false
	}
	return code == stillActive
}
