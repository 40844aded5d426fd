//go:build !windows

package claude

// HelperFileName is the apiKeyHelper script's name in the Claude folder.
const HelperFileName = "auth_helper.sh"

// cmdHelperBytes is the Windows helper as written outside Windows (tests): UTF-8, since there
// is no console code page to write it in.
func cmdHelperBytes(exe string) ([]byte, error) { return helperScriptCmd(exe), nil }
