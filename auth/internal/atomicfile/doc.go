// Package atomicfile replaces a file in one rename, so that a reader (Claude Code, the engine)
// never sees a half-written helper, settings file or record.
package atomicfile
