package main

import "fmt"

// restartInto cannot replace a process on Windows; the installer that replaced the program
// starts the new one at sign-in, and the user can start it from the Start menu.
func restartInto(path string) error {
	return fmt.Errorf("%s was replaced; start Claude Keytray again to use the new version", path)
}
