// Package claude is Claude Code's side of claude-keytray: where Claude Code keeps its settings
// and how they are edited byte for byte (settings.json and its apiKeyHelper), the helper script
// it runs, what overrides that helper (environment, settings levels, providers), how Claude Code
// runs the helper and caches its answer, and the install plan with the record that lets
// uninstall undo exactly what install did. It knows nothing of the engine.
package claude
