// Package capbuf holds what a child process prints, up to a limit: the first bytes are kept,
// the rest is drained and dropped, so the child never blocks on a full pipe and a runaway one
// cannot fill memory.
package capbuf

import (
	"bytes"
	"io"
)

// Buffer keeps the first Max bytes written to it and remembers that more came.
type Buffer struct {
	Max int
	// OnOverflow, when set, runs once, at the first byte past Max (e.g. to stop the child).
	OnOverflow func()

	// buf is a field, not embedded: an embedded bytes.Buffer would lend its ReadFrom to
	// io.Copy, which would then bypass Write and the limit.
	buf      bytes.Buffer
	overflow bool
}

var _ io.Writer = (*Buffer)(nil)

// Write keeps what fits and reports every byte as written.
func (b *Buffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := b.Max - b.buf.Len(); len(p) > room {
		p = p[:max(room, 0)]
		if !b.overflow && b.OnOverflow != nil {
			b.OnOverflow()
		}
		b.overflow = true
	}
	b.buf.Write(p)
	return n, nil
}

// String is what was kept.
func (b *Buffer) String() string { return b.buf.String() }

// Overflowed reports whether more than Max bytes came.
func (b *Buffer) Overflowed() bool { return b.overflow }
