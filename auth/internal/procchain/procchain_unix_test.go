//go:build linux || darwin

package procchain

import (
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
	cmd := exec.Command("sleep", "30")
	cmd.Dir = filepath.Join(link, "app")
	cmd.Env = []string{"PROCCHAIN_TEST=marker", "PATH=" + os.Getenv("PATH")}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
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
