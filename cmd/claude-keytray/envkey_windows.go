package main

// reexecWithout has nothing to do on Windows: os.Unsetenv changes the process's environment
// block itself, and no copy of the starting one is kept.
func reexecWithout(raw string) {}

func readHandedKey(fd string) string { return "" }
