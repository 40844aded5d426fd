//go:build !linux && !darwin

package auth

// Elsewhere (Windows above all) the control socket does not tell who connected and there is no
// cheap, reliable way to read another process's environment, so the helper's caller is not
// tracked: Claude Code's 401 retries are not seen here, and `claude-keytray run` is the way to
// get a refresh after a 401.

func helperCaller(keyPID int) (callerID, bool) { return callerID{}, false }
func procStart(pid int) (uint64, bool)         { return 0, false }
func procExeArgs(pid int) (string, []string)   { return "", nil }
func procEnvCwd(pid int) ([]string, string)    { return nil, "" }
func managedSettingsPath() string              { return "" }
