//go:build linux || darwin

package procchain

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// realDir is dir with every link resolved, as the kernel reports a working folder (on macOS
// /var is /private/var).
func realDir(t *testing.T, dir string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A child started in a folder whose name has spaces and a link on its way is reported in its
// real folder, by Cwd and by EnvCwd, along with the environment it started with.
func TestCwdOfAChild(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "my projects", "app")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "link to projects")
	if err := os.Symlink(filepath.Join(base, "my projects"), link); err != nil {
		t.Fatal(err)
	}
	// The shell says it is running before it waits on its input: until the child has
	// finished exec, the kernel may still show the forked copy's (or no) environment.
	cmd := exec.Command("sh", "-c", "echo ready; read line")
	cmd.Dir = filepath.Join(link, "app")
	cmd.Env = []string{"PROCCHAIN_TEST=marker", "PATH=" + os.Getenv("PATH")}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	}()
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("child said %q, %v; want ready", line, err)
	}
	want := realDir(t, dir)
	if got := Cwd(cmd.Process.Pid); got != want {
		t.Fatalf("Cwd(child) = %q, want %q", got, want)
	}
	env, cwd := EnvCwd(cmd.Process.Pid)
	if cwd != want {
		t.Fatalf("EnvCwd(child) folder = %q, want %q", cwd, want)
	}
	found := false
	for _, kv := range env {
		found = found || kv == "PROCCHAIN_TEST=marker"
	}
	if !found {
		t.Fatalf("EnvCwd(child) environment %q lacks PROCCHAIN_TEST=marker", env)
	}
}

func TestCwdOfThisProcess(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Cwd(os.Getpid()), realDir(t, wd); got != want {
		t.Fatalf("Cwd(self) = %q, want %q", got, want)
	}
}

// A process that does not exist, or no pid at all, has no folder.
func TestCwdUnknown(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range []int{0, -1, cmd.Process.Pid} {
		if got := Cwd(pid); got != "" {
			t.Errorf("Cwd(%d) = %q, want \"\"", pid, got)
		}
	}
}
