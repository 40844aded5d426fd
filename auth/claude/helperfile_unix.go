//go:build !windows

package claude

// HelperFileName is the apiKeyHelper script's name in the Claude folder.
const HelperFileName = "auth_helper.sh"
