package claude

func managedDir() string { return "/Library/Application Support/ClaudeCode" }
