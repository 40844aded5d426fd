package procchain

import (
	"bytes"
	"encoding/binary"
	"math"
	"path/filepath"
	"strings"

	"github.com/shirou/gopsutil/v4/process"
	"golang.org/x/sys/unix"
)

// On macOS the chain is read with sysctl: kern.proc.pid gives the parent and the start
// time, kern.procargs2 the executable path, the arguments and the environment. The working
// folder comes from libproc's proc_pidinfo (PROC_PIDVNODEPATHINFO), which gopsutil calls
// without cgo.

func lookup(pid int) (entry, bool) {
	kp, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	if err != nil || kp.Proc.P_pid != int32(pid) {
		return entry{}, false
	}
	exe, argv, _ := procArgs2(pid)
	if exe == "" {
		exe = unix.ByteSliceToString(kp.Proc.P_comm[:])
	}
	return entry{ppid: int(kp.Eproc.Ppid), start: startOf(kp), exe: exe, argv: argv}, true
}

func startOf(p *unix.KinfoProc) uint64 {
	return uint64(p.Proc.P_starttime.Sec)*1_000_000 + uint64(p.Proc.P_starttime.Usec)
}

// StartTime is the process's start time.
func StartTime(pid int) (uint64, bool) {
	p, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	if err != nil || p.Proc.P_pid != int32(pid) {
		return 0, false
	}
	return startOf(p), true
}

// procArgs2 decodes kern.procargs2: argc (int32), the executable path, NUL padding, argc
// arguments, then the environment.
func procArgs2(pid int) (exe string, argv, env []string) {
	b, err := unix.SysctlRaw("kern.procargs2", pid)
	if err != nil || len(b) < 4 {
		return "", nil, nil
	}
	argc := int(binary.LittleEndian.Uint32(b[:4]))
	b = b[4:]
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return "", nil, nil
	}
	exe = string(b[:i])
	b = b[i:]
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	parts := strings.Split(string(b), "\x00")
	for j, s := range parts {
		if j < argc {
			argv = append(argv, s)
			continue
		}
		if s == "" {
			break
		}
		env = append(env, s)
	}
	return exe, argv, env
}

// ExeArgs is the executable path and the arguments of pid.
func ExeArgs(pid int) (string, []string) {
	exe, argv, _ := procArgs2(pid)
	return exe, argv
}

// EnvCwd is the environment pid started with and its working folder; both are readable for
// our own user's processes only.
func EnvCwd(pid int) ([]string, string) {
	_, _, env := procArgs2(pid)
	return env, Cwd(pid)
}

// Cwd is pid's working folder as the kernel knows it (links resolved: /tmp is /private/tmp);
// "" when it cannot be read (another user's process, one that has ended).
func Cwd(pid int) string {
	if pid <= 0 || pid > math.MaxInt32 {
		return ""
	}
	cwd, err := (&process.Process{Pid: int32(pid)}).Cwd()
	if err != nil || !filepath.IsAbs(cwd) {
		return ""
	}
	return cwd
}
