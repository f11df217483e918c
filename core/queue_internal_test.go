package core

import (
	"sync"
	"testing"
	"time"
)

// The two-lock queue under a producer and a consumer that both batch, with
// the wake-up hooks the sockets use: nothing is lost, nothing hangs.
func TestQueueBatchesAndWakeups(t *testing.T) {
	for _, hwm := range []int{0, 1, 7, 100} {
		q := newQueue(hwm)
		readable := make(chan struct{}, 1)
		writable := make(chan struct{}, 1)
		q.mu.Lock()
		q.onReadable = func() {
			select {
			case readable <- struct{}{}:
			default:
			}
		}
		q.onWritable = func() {
			select {
			case writable <- struct{}{}:
			default:
			}
		}
		q.mu.Unlock()
		const n = 200000
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // producer
			defer wg.Done()
			batch := make([]Msg, 5)
			sent := 0
			for sent < n {
				k := len(batch)
				if n-sent < k {
					k = n - sent
				}
				for i := 0; i < k; i++ {
					batch[i].InitSize(8)
					batch[i].Frames[0][0] = byte(sent + i)
				}
				done := 0
				for done < k {
					done += q.pushBatch(batch[done:k], false)
					if done < k {
						select {
						case <-writable:
						case <-time.After(5 * time.Second):
							t.Errorf("hwm %d: producer stuck at %d (count %d)", hwm, sent+done, q.size())
							return
						}
					}
				}
				sent += k
			}
		}()
		dst := make([]Msg, 3)
		got := 0
		for got < n {
			k := q.popBatch(dst)
			for i := 0; i < k; i++ {
				if dst[i].Frames[0][0] != byte(got+i) {
					t.Fatalf("hwm %d: message %d out of order", hwm, got+i)
				}
			}
			got += k
			if k == 0 {
				select {
				case <-readable:
				case <-time.After(5 * time.Second):
					t.Fatalf("hwm %d: consumer stuck at %d (count %d)", hwm, got, q.size())
				}
			}
		}
		wg.Wait()
	}
}
