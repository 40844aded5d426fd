//go:build !linux && !darwin

package procchain

// Elsewhere (Windows above all) the control socket does not tell who connected and there is no
// cheap, reliable way to read another process's environment, so the helper's caller is not
// tracked: Claude Code's 401 retries are not seen here, and `claude-keytray run` is the way to
// get a refresh after a 401.

func lookup(pid int) (entry, bool)       { return entry{}, false }
func StartTime(pid int) (uint64, bool)   { return 0, false }
func ExeArgs(pid int) (string, []string) { return "", nil }
func EnvCwd(pid int) ([]string, string)  { return nil, "" }
func Cwd(pid int) string                 { return "" }
