package zmtp

import (
	"bytes"
	"io"
	"testing"
)

// idleConn is an io.Reader with ReadIdle: it counts how often the reader
// waited without its buffer, and, like a real one, takes the buffer only
// when data came.
type idleConn struct {
	r     *bytes.Reader
	idles int
}

func (c *idleConn) Read(b []byte) (int, error) { return c.r.Read(b) }

func (c *idleConn) ReadIdle(get func() []byte, put func()) (int, error) {
	put()
	c.idles++
	if c.r.Len() == 0 {
		return 0, io.EOF
	}
	return c.r.Read(get())
}

// Prefilled bytes come before the connection's, frames may span both,
// and once they are consumed the reader waits without its buffer again.
func TestReaderPrefill(t *testing.T) {
	var wire []byte
	wire = AppendFrameHeader(wire, 5, 0)
	wire = append(wire, "hello"...)
	wire = AppendFrameHeader(wire, 5, 0)
	wire = append(wire, "world"...)
	for split := 0; split <= len(wire); split++ {
		for _, idle := range []bool{false, true} {
			br := bytes.NewReader(wire[split:])
			var src io.Reader = br
			ic := &idleConn{r: br}
			if idle {
				src = ic
			}
			r := NewReader(src, 512)
			if !r.Prefill(wire[:split]) {
				t.Fatalf("split %d: %d octets do not fit 512", split, split)
			}
			for _, want := range []string{"hello", "world"} {
				_, size, err := r.ReadHeader(-1, true)
				if err != nil {
					t.Fatalf("split %d idle %v: header: %v", split, idle, err)
				}
				body, err := r.ReadBody(nil, size)
				if err != nil || string(body) != want {
					t.Fatalf("split %d idle %v: body %q, %v; want %q", split, idle, body, err, want)
				}
			}
			// all consumed: the next wait is without the buffer
			ic.idles = 0
			if _, _, err := r.ReadHeader(-1, true); err != io.EOF {
				t.Fatalf("split %d idle %v: after the frames: %v, want EOF", split, idle, err)
			}
			if idle && (ic.idles == 0 || r.buf != nil) {
				t.Errorf("split %d: the reader waited holding its buffer (%d idle reads)", split, ic.idles)
			}
		}
	}
	if r := NewReader(bytes.NewReader(nil), 512); r.Prefill(make([]byte, 513)) || r.Buffered() != 0 {
		t.Error("Prefill of more than the buffer took it")
	}
}
