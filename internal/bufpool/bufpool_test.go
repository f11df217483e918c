package bufpool

import "testing"

func TestGetPut(t *testing.T) {
	for _, size := range []int{1, 4096, 65536} {
		b := Get(size)
		if len(*b) != size || cap(*b) != size {
			t.Fatalf("Get(%d): len %d cap %d", size, len(*b), cap(*b))
		}
		Put(b)
		if c := Get(size); cap(*c) != size {
			t.Fatalf("Get(%d) after Put: cap %d", size, cap(*c))
		}
	}
	Put(nil) // ignored
}
