package capbuf

import (
	"io"
	"strings"
	"testing"
)

func TestBufferKeepsTheFirstBytes(t *testing.T) {
	calls := 0
	b := &Buffer{Max: 5, OnOverflow: func() { calls++ }}
	n, err := io.Copy(b, strings.NewReader("abcdefgh"))
	if err != nil || n != 8 {
		t.Fatalf("copy: %d %v, want every byte taken", n, err)
	}
	b.Write([]byte("more"))
	if b.String() != "abcde" || !b.Overflowed() || calls != 1 {
		t.Fatalf("kept %q, overflowed %v, OnOverflow ran %d times", b.String(), b.Overflowed(), calls)
	}
	var small Buffer
	small.Max = 10
	small.Write([]byte("ok"))
	if small.String() != "ok" || small.Overflowed() {
		t.Fatalf("under the limit: %q %v", small.String(), small.Overflowed())
	}
}
