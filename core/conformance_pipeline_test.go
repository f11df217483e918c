package core_test

// RFC 30 (PIPELINE) and the DEALER half of RFC 28, after libzmq's
// tests/test_spec_pushpull.cpp and tests/test_spec_dealer.cpp.

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

// outboundRoundRobin: a sender connected to n bound receivers sends n*k
// messages; every receiver gets exactly k (round-robin, not broadcast), and
// consecutive messages go to different peers in a fixed cycle.
func outboundRoundRobin(t *testing.T, e *cfEnv, sendT, recvT core.SocketType) {
	const n, k = 3, 6
	sender := e.sock(sendT)
	var recvs []*core.Socket
	for i := 0; i < n; i++ {
		r, ep := e.bound(recvT)
		recvs = append(recvs, r)
		if err := sender.Connect(ep); err != nil {
			t.Fatal(err)
		}
	}
	// pipes to connected endpoints exist at once (libzmq: no IMMEDIATE),
	// so the split is exact even before the connections complete.
	for i := 0; i < n*k; i++ {
		cfSend(t, sender, fmt.Sprint(i))
	}
	owner := map[int]int{}
	for ri, r := range recvs {
		for j := 0; j < k; j++ {
			f, ok := cfTryRecv(r, 3*time.Second)
			if !ok {
				t.Fatalf("receiver %d got only %d of %d messages", ri, j, k)
			}
			var v int
			fmt.Sscan(f[0], &v)
			if prev, dup := owner[v]; dup {
				t.Fatalf("message %d delivered twice (receivers %d and %d)", v, prev, ri)
			}
			owner[v] = ri
		}
		cfExpectNothing(t, r, 50*time.Millisecond)
	}
	// strict rotation: message i and i+n go to the same peer, i and i+1 do not
	for i := 0; i+1 < n*k; i++ {
		if owner[i] == owner[i+1] {
			t.Fatalf("messages %d and %d both went to receiver %d: not round-robin", i, i+1, owner[i])
		}
		if i+n < n*k && owner[i] != owner[i+n] {
			t.Fatalf("messages %d and %d went to receivers %d and %d: rotation not fixed", i, i+n, owner[i], owner[i+n])
		}
	}
}

// inboundFairQueue: n senders connected to one bound receiver each queue k
// messages; the receiver takes them fairly: every window of n consecutive
// messages holds one from each sender, and each sender's messages keep
// their order.
func inboundFairQueue(t *testing.T, e *cfEnv, recvT, sendT core.SocketType) {
	const n, k = 3, 4
	r, ep := e.bound(recvT)
	var senders []*core.Socket
	for i := 0; i < n; i++ {
		senders = append(senders, e.connected(sendT, ep))
	}
	// make sure every connection is up before queuing
	for i, s := range senders {
		cfSend(t, s, fmt.Sprintf("hello-%d", i))
	}
	seen := map[string]bool{}
	for range senders {
		seen[cfRecv(t, r)[0]] = true
	}
	if len(seen) != n {
		t.Fatalf("hello messages: %v", seen)
	}
	for j := 0; j < k; j++ {
		for i, s := range senders {
			cfSend(t, s, fmt.Sprintf("%d", i), fmt.Sprint(j))
		}
	}
	// every message waits at the receiver before the first is taken
	cfWaitFor(t, 10*time.Second, "all messages queued at the receiver", func() bool { return core.QueuedIn(r) >= n*k })
	last := map[string]int{}
	for w := 0; w < k; w++ {
		window := map[string]bool{}
		for i := 0; i < n; i++ {
			f := cfRecv(t, r)
			if len(f) != 2 {
				t.Fatalf("got %q", f)
			}
			if window[f[0]] {
				t.Fatalf("window %d: sender %s served twice before the others: not fair-queued", w, f[0])
			}
			window[f[0]] = true
			var seq int
			fmt.Sscan(f[1], &seq)
			if p, ok := last[f[0]]; ok && seq != p+1 {
				t.Fatalf("sender %s: message %d after %d", f[0], seq, p)
			}
			last[f[0]] = seq
		}
	}
	cfExpectNothing(t, r, 50*time.Millisecond)
}

func TestConformancePushRoundRobin(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) { outboundRoundRobin(t, e, core.PUSH, core.PULL) })
}

func TestConformancePullFairQueue(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) { inboundFairQueue(t, e, core.PULL, core.PUSH) })
}

func TestConformanceDealerRoundRobin(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) { outboundRoundRobin(t, e, core.DEALER, core.DEALER) })
}

func TestConformanceDealerFairQueue(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) { inboundFairQueue(t, e, core.DEALER, core.DEALER) })
}

// test_spec_pushpull test_push_round_robin_out with the PUSH bound and the
// PULLs connecting (the libzmq layout): once all are connected the split
// is exact.
func TestConformancePushBoundRoundRobin(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		const n, k = 3, 5
		push, ep := e.bound(core.PUSH)
		var pulls []*core.Socket
		for i := 0; i < n; i++ {
			pulls = append(pulls, e.connected(core.PULL, ep))
		}
		// wait until every PULL is attached: PUSH is writable only with a peer,
		// so probe one message per PULL until each got one.
		got := make([]bool, n)
		deadline := time.Now().Add(5 * time.Second)
		for {
			all := true
			for i, p := range pulls {
				if !got[i] {
					if _, ok := cfTryRecv(p, 5*time.Millisecond); ok {
						got[i] = true
					} else {
						all = false
					}
				}
			}
			if all {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("not every PULL connected: %v", got)
			}
			push.TrySend(core.NewMsgString("warmup"))
		}
		// drain warm-ups
		for _, p := range pulls {
			for {
				if _, ok := cfTryRecv(p, 30*time.Millisecond); !ok {
					break
				}
			}
		}
		for i := 0; i < n*k; i++ {
			cfSend(t, push, "m")
		}
		for i, p := range pulls {
			for j := 0; j < k; j++ {
				if _, ok := cfTryRecv(p, 3*time.Second); !ok {
					t.Fatalf("PULL %d got %d of %d", i, j, k)
				}
			}
			cfExpectNothing(t, p, 50*time.Millisecond)
		}
	})
}

// test_spec_pushpull / test_spec_dealer test_block_on_send_no_peers: a
// bound PUSH or DEALER without peers blocks; non-blocking and timed sends
// fail with EAGAIN.
func TestConformanceBlockOnSendNoPeers(t *testing.T) {
	for _, typ := range []core.SocketType{core.PUSH, core.DEALER, core.REQ} {
		t.Run(typ.String(), func(t *testing.T) {
			cfForEach(t, func(t *testing.T, e *cfEnv) {
				s, _ := e.bound(typ, core.WithSendTimeout(50*time.Millisecond))
				cfExpectErr(t, s.TrySend(core.NewMsgString("x")), core.ErrWouldBlock)
				start := time.Now()
				err := s.Send(cfCtx(t, 0), core.NewMsgString("x"))
				if err == nil {
					t.Fatal("send with expired context succeeded")
				}
				err = s.Send(t.Context(), core.NewMsgString("x"))
				cfExpectErr(t, err, core.ErrWouldBlock)
				if el := time.Since(start); el < 40*time.Millisecond {
					t.Fatalf("SNDTIMEO 50ms returned after %v", el)
				}
			})
		})
	}
}

// PULL cannot send and PUSH cannot receive (ENOTSUP).
func TestConformancePipelineNotSupported(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		pull, ep := e.bound(core.PULL)
		push := e.connected(core.PUSH, ep)
		if err := pull.TrySend(core.NewMsgString("x")); !errors.Is(err, core.ErrNotSupported) {
			t.Fatalf("PULL send: %v, want ErrNotSupported", err)
		}
		if _, err := push.TryRecv(); !errors.Is(err, core.ErrNotSupported) {
			t.Fatalf("PUSH recv: %v, want ErrNotSupported", err)
		}
	})
}

// Multipart messages stay whole and in order across the pipeline.
func TestConformancePushPullMultipart(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		pull, ep := e.bound(core.PULL)
		push := e.connected(core.PUSH, ep)
		cfSend(t, push, "a", "", "c")
		cfSend(t, push, "")
		big := string(make([]byte, 300))
		cfSend(t, push, big, "tail")
		cfExpectFrames(t, cfRecv(t, pull), "a", "", "c")
		cfExpectFrames(t, cfRecv(t, pull), "")
		cfExpectFrames(t, cfRecv(t, pull), big, "tail")
	})
}
