package procchain

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
)

// On Linux the chain is read from /proc: the parent in /proc/<pid>/stat, the executable and
// arguments beside it. Each hop is one or two small reads, well under a millisecond.

func lookup(pid int) (entry, bool) {
	st, err := readProcStat(pid)
	if err != nil {
		return entry{}, false
	}
	exe := procExe(pid)
	if exe == "" {
		exe = st.comm
	}
	return entry{ppid: st.ppid, start: st.start, exe: exe, argv: procArgs(pid)}, true
}

type procStat struct {
	comm  string
	ppid  int
	start uint64
}

// readProcStat parses /proc/<pid>/stat. The command name sits in parentheses and may itself hold
// spaces and parentheses, so the fields are counted from the last ')'.
func readProcStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	open, closing := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || closing < open {
		return procStat{}, errors.New("unexpected /proc stat format")
	}
	f := strings.Fields(string(b[closing+1:]))
	// After the name: state(3) ppid(4) … starttime(22).
	if len(f) < 20 {
		return procStat{}, errors.New("unexpected /proc stat format")
	}
	ppid, err1 := strconv.Atoi(f[1])
	start, err2 := strconv.ParseUint(f[19], 10, 64)
	if err1 != nil || err2 != nil {
		return procStat{}, errors.New("unexpected /proc stat format")
	}
	return procStat{comm: string(b[open+1 : closing]), ppid: ppid, start: start}, nil
}

// StartTime is the process's start time in clock ticks after boot.
func StartTime(pid int) (uint64, bool) {
	st, err := readProcStat(pid)
	if err != nil {
		return 0, false
	}
	return st.start, true
}

func procExe(pid int) string {
	exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(exe, " (deleted)")
}

// procArgs reads the first 8 KiB of the command line: enough for argv[0..2] of a shell.
func procArgs(pid int) []string {
	return splitNul(readCapped("/proc/"+strconv.Itoa(pid)+"/cmdline", 8<<10))
}

// ExeArgs is the executable path and the arguments of pid.
func ExeArgs(pid int) (string, []string) {
	return procExe(pid), procArgs(pid)
}

// EnvCwd reads the environment the process started with and its working folder; both are
// readable for our own user's processes only.
func EnvCwd(pid int) ([]string, string) {
	dir := "/proc/" + strconv.Itoa(pid)
	env := splitNul(readCapped(dir+"/environ", 1<<20))
	cwd, _ := os.Readlink(dir + "/cwd")
	return env, cwd
}

func readCapped(path string, max int64) []byte {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, max))
	return b
}

func splitNul(b []byte) []string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b), "\x00")
}

// Cwd is pid's working folder, with every link resolved (the kernel's own path); "" when it
// cannot be read.
func Cwd(pid int) string {
	cwd, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd")
	return cwd
}
