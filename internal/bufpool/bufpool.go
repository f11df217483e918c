// Package bufpool lends byte buffers by size: the buffers of connections
// that are busy now and idle later (a reader's read buffer, a writer's
// batch buffer) come from here while data flows and go back when the
// connection goes idle, so that an idle connection holds none.
package bufpool

import "sync"

var pools sync.Map // int → *sync.Pool of *[]byte

func pool(size int) *sync.Pool {
	if p, ok := pools.Load(size); ok {
		return p.(*sync.Pool)
	}
	p, _ := pools.LoadOrStore(size, &sync.Pool{New: func() any {
		b := make([]byte, size)
		return &b
	}})
	return p.(*sync.Pool)
}

// Get returns a buffer of size octets (len and cap), pooled or new.
func Get(size int) *[]byte { return pool(size).Get().(*[]byte) }

// Put gives back a buffer from Get; nil is ignored.
func Put(b *[]byte) {
	if b != nil {
		pool(cap(*b)).Put(b)
	}
}
