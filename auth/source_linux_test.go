package auth

import (
	"context"
	"testing"
)

// A source command leads a session of its own (so it has no controlling terminal to take over)
// and reads /dev/null on stdin.
func TestSourceRunsWithoutTerminal(t *testing.T) {
	const k = "sk-ant-api03-NOTTYNOTTYNOTTYNOTTYNOTTYNOTTYNOTTYNOTTY0001"
	// Field 6 of /proc/PID/stat is the session id; a session leader's is its own pid.
	src := &CommandSource{Command: `sid=$(cut -d' ' -f6 /proc/$$/stat); in=$(readlink /proc/$$/fd/0);
if [ "$sid" = "$$" ] && [ "$in" = /dev/null ] && ! (exec </dev/tty) 2>/dev/null; then echo ` + k + `; else echo "sid=$sid pid=$$ stdin=$in"; fi`}
	out, err := src.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if out != k && out != k+"\n" {
		t.Fatalf("the source ran attached: %q", out)
	}
}
