package claude

func managedDir() string { return `C:\Program Files\ClaudeCode` }
