package core

import "sync"

// Buffers of connections that are busy now and idle later (the writer's
// batch buffer) come from pools, one per size, and go back when idle.
var bytePools sync.Map // int → *sync.Pool of *[]byte

func bytePool(size int) *sync.Pool {
	if p, ok := bytePools.Load(size); ok {
		return p.(*sync.Pool)
	}
	p, _ := bytePools.LoadOrStore(size, &sync.Pool{New: func() any {
		b := make([]byte, size)
		return &b
	}})
	return p.(*sync.Pool)
}

// getBytes returns a pooled buffer of size octets.
func getBytes(size int) *[]byte { return bytePool(size).Get().(*[]byte) }

// putBytes gives back a buffer from getBytes.
func putBytes(b *[]byte) {
	if b != nil {
		bytePool(cap(*b)).Put(b)
	}
}
