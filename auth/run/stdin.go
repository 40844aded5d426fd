package run

import (
	"io"
	"sync"
)

// DefaultStdinCap is how much piped input is kept so the command can be run again with it.
const DefaultStdinCap = 8 << 20

// stdinChunk is one read of our stdin.
const stdinChunk = 32 << 10

// recorder reads our stdin only as fast as the command consumes it and keeps what it read, up
// to a cap, so a retry gets the same input from the start (and then whatever the first attempt
// did not read). Past the cap it stops keeping and the input cannot be replayed.
type recorder struct {
	src io.Reader
	cap int

	mu   sync.Mutex
	cond *sync.Cond
	// buf holds input bytes [base, base+len(buf)). base stays 0 until the cap is passed.
	buf      []byte
	base     int64
	eof      bool
	overflow bool
	reading  bool
}

func newRecorder(src io.Reader, capBytes int) *recorder {
	r := &recorder{src: src, cap: capBytes}
	r.cond = sync.NewCond(&r.mu)
	return r
}

// replayable reports whether everything read so far is still kept.
func (r *recorder) replayable() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.overflow
}

// reader returns a reader of the input from its start, for one attempt.
func (r *recorder) reader() *replayReader { return &replayReader{r: r} }

// fill reads one chunk of our stdin in the background; the lock is not held while it blocks, so
// an attempt that ends meanwhile is not held up, and what it reads is kept for the next.
func (r *recorder) fillLocked() {
	if r.reading || r.eof {
		return
	}
	r.reading = true
	go func() {
		b := make([]byte, stdinChunk)
		n, err := r.src.Read(b)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.reading = false
		if n > 0 {
			if !r.overflow && len(r.buf)+n > r.cap {
				r.overflow = true
			}
			r.buf = append(r.buf, b[:n]...)
		}
		if err != nil {
			r.eof = true
		}
		r.cond.Broadcast()
	}()
}

type replayReader struct {
	r      *recorder
	pos    int64
	closed bool
}

func (rr *replayReader) Read(p []byte) (int, error) {
	r := rr.r
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		if rr.closed {
			return 0, io.EOF
		}
		if end := r.base + int64(len(r.buf)); rr.pos < end {
			if rr.pos < r.base {
				// Only an attempt after an overflow could get here, and none is started.
				return 0, io.ErrUnexpectedEOF
			}
			n := copy(p, r.buf[rr.pos-r.base:])
			rr.pos += int64(n)
			if r.overflow {
				// Past the cap nothing is replayed, so what was read is dropped.
				drop := rr.pos - r.base
				r.buf = append(r.buf[:0], r.buf[drop:]...)
				r.base = rr.pos
			}
			return n, nil
		}
		if r.eof {
			return 0, io.EOF
		}
		r.fillLocked()
		r.cond.Wait()
	}
}

// close ends this attempt's reading; a Read waiting for input returns io.EOF.
func (rr *replayReader) close() {
	rr.r.mu.Lock()
	rr.closed = true
	rr.r.cond.Broadcast()
	rr.r.mu.Unlock()
}
