package claude

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/claude-keytray/claude-keytray/auth/helperexe"
	"github.com/claude-keytray/claude-keytray/auth/internal/atomicfile"
)

// helperMarker is in the comment line of every helper script this program writes, so a
// script can be recognised as ours without running it.
const helperMarker = Program + " apiKeyHelper"

// HelperScript is the apiKeyHelper script for this OS. It holds no secret: it only runs
// `<exe> key`, which prints the key from the keychain. exe must be an absolute path, since
// Claude Code runs the helper from any folder with any PATH. On Unix it runs the small
// claude-keytray-key next to exe when that is there (the same answer, a fraction of the start-up
// time), else exe itself.
func HelperScript(exe string) []byte {
	if runtime.GOOS == "windows" {
		b, _ := cmdHelperBytes(exe) // WriteHelper reports a path that cannot be written
		return b
	}
	return helperScriptSh(exe)
}

func helperScriptSh(exe string) []byte {
	var b bytes.Buffer
	b.WriteString("#!/bin/sh\n")
	b.WriteString("# " + helperMarker + ": prints the key from the OS keychain; holds no secret. Rewritten by `claude-keytray install`.\n")
	lean := shSingleQuote(helperexe.Lean(exe))
	b.WriteString("[ -x " + lean + " ] && exec " + lean + "\n")
	b.WriteString("exec " + shSingleQuote(exe) + " key\n")
	return b.Bytes()
}

func helperScriptCmd(exe string) []byte {
	// cmd expands %VAR% even inside quotes in a batch file; %% is a literal percent sign.
	q := strings.ReplaceAll(exe, "%", "%%")
	return []byte("@rem " + helperMarker + ": prints the key from the OS keychain; holds no secret. Rewritten by \"claude-keytray install\".\r\n" +
		"@\"" + q + "\" key\r\n")
}

// shSingleQuote quotes s as one sh word: everything is literal inside single quotes, and a
// single quote itself ends the quoting, is written escaped (\') and the quoting reopens.
func shSingleQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// WriteHelper writes the helper script atomically with mode 0700, creating its folder (0700)
// when missing.
func WriteHelper(path, exe string) error {
	if !filepath.IsAbs(exe) {
		return fmt.Errorf("writing the helper %s: the program path %q is not absolute; pass the full path of claude-keytray", path, exe)
	}
	if runtime.GOOS == "windows" {
		if _, err := cmdHelperBytes(exe); err != nil {
			return fmt.Errorf("writing the helper %s: %w", path, err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating the folder for the helper %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, HelperScript(exe), 0o700); err != nil {
		return fmt.Errorf("writing the helper %s: %w (check the folder's owner and permissions)", path, err)
	}
	return nil
}

// CheckHelper reports whether the helper at path is the script WriteHelper(path, exe) would
// write: present, a regular file, executable, not writable by others, same content. An empty
// exe skips the content comparison. Problem says what is wrong and how to fix it.
func CheckHelper(path, exe string) HelperStatus {
	st := HelperStatus{Path: path}
	fix := "run claude-keytray install to rewrite it"
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		st.Problem = fmt.Sprintf("the helper script %s is missing; %s", path, fix)
		return st
	case err != nil:
		st.Problem = fmt.Sprintf("cannot read the helper script %s: %v", path, err)
		return st
	case fi.Mode()&fs.ModeSymlink != 0:
		st.Problem = fmt.Sprintf("the helper script %s is a symbolic link, so whoever controls its target controls your key; %s as a plain file", path, fix)
		return st
	case !fi.Mode().IsRegular():
		st.Problem = fmt.Sprintf("the helper script %s is not a regular file (%s); remove it and run claude-keytray install", path, fi.Mode().Type())
		return st
	}
	if runtime.GOOS != "windows" {
		perm := fi.Mode().Perm()
		if perm&0o022 != 0 {
			st.Problem = fmt.Sprintf("the helper script %s is writable by group or others (mode %04o), so another user could make it print anything; run chmod 700 %s or claude-keytray install", path, perm, shQuoteIfNeeded(path))
			return st
		}
		if perm&0o100 == 0 {
			st.Problem = fmt.Sprintf("the helper script %s is not executable (mode %04o); run chmod 700 %s or claude-keytray install", path, perm, shQuoteIfNeeded(path))
			return st
		}
	}
	if exe != "" {
		got, err := os.ReadFile(path)
		if err != nil {
			st.Problem = fmt.Sprintf("cannot read the helper script %s: %v", path, err)
			return st
		}
		if !bytes.Equal(got, HelperScript(exe)) {
			if bytes.Contains(got, []byte(helperMarker)) {
				st.Problem = fmt.Sprintf("the helper script %s runs another copy of claude-keytray than %s (was the program moved or updated?); %s", path, exe, fix)
			} else {
				st.Problem = fmt.Sprintf("the helper script %s was not written by claude-keytray or was changed since; %s", path, fix)
			}
			return st
		}
	}
	st.OK = true
	return st
}

// HelperRuns reads which claude-keytray a helper script of ours runs: the program of its
// `exec '<exe>' key` line (`@"<exe>" key` on Windows). ok is false for a missing file or a
// script we did not write.
func HelperRuns(path string) (exe string, ok bool) {
	b, err := os.ReadFile(path)
	if err != nil || !bytes.Contains(b, []byte(helperMarker)) {
		return "", false
	}
	for _, line := range strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "exec ") && strings.HasSuffix(line, " key"):
			return shWord(strings.TrimSuffix(strings.TrimPrefix(line, "exec "), " key"))
		case strings.HasPrefix(line, `@"`) && strings.HasSuffix(line, `" key`):
			return strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(line, `@"`), `" key`), "%%", "%"), true
		}
	}
	return "", false
}

// Runnable reports whether exe is a program that can run: a regular file, executable on Unix.
func Runnable(exe string) bool {
	fi, err := os.Stat(exe)
	return err == nil && fi.Mode().IsRegular() && (runtime.GOOS == "windows" || fi.Mode()&0o111 != 0)
}
