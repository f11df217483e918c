package core_test

// RFC 29 (PUBSUB), after libzmq's tests/test_spec_pubsub-like checks,
// test_xpub_*.cpp, test_sub_forward.cpp, test_pub_invert_matching.cpp and
// test_hwm_pubsub.cpp.

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

// pubsub makes a bound PUB (or XPUB) and a connected SUB.
func cfPubSub(t *testing.T, e *cfEnv, pubT core.SocketType, popts, sopts []core.Option) (*core.Socket, *core.Socket, string) {
	t.Helper()
	pub, ep := e.bound(pubT, popts...)
	sub := e.connected(core.SUB, ep, sopts...)
	return pub, sub, ep
}

func cfPublish(t *testing.T, pub *core.Socket, topics ...string) {
	t.Helper()
	for _, tp := range topics {
		if err := pub.TrySend(core.NewMsgString(tp, "body")); err != nil {
			t.Fatalf("publish %q: %v", tp, err)
		}
	}
}

func TestConformanceSubPrefixMatching(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		pub, sub, _ := cfPubSub(t, e, core.PUB, nil, nil)
		for _, tp := range []string{"A", "BC", "BC"} {
			if err := sub.Subscribe(tp); err != nil {
				t.Fatal(err)
			}
		}
		cfProbeSub(t, pub, []*core.Socket{sub}, "BC")
		cfPublish(t, pub, "A", "AB", "B", "BC", "BCD", "C", "", "xA", "Ab")
		got := cfFenced(t, pub, sub, "BC")
		want := []string{"A", "AB", "BC", "BCD", "Ab"}
		if !cfEq(got, want...) {
			t.Fatalf("SUB{A,BC} got %q, want %q", got, want)
		}
		// BC was subscribed twice: one unsubscribe leaves it in place
		sub.Unsubscribe("BC")
		sub.Unsubscribe("A")
		sub.Subscribe("sentinel")
		cfProbeSub(t, pub, []*core.Socket{sub}, "sentinel")
		cfPublish(t, pub, "A", "BC", "AB")
		got = cfFenced(t, pub, sub, "sentinel")
		if !cfEq(got, "BC") {
			t.Fatalf("after unsubscribing A and one of two BC: got %q, want [BC]", got)
		}
		// a message's later frames are never matched
		cfPublish(t, pub, "zzz")
		if err := pub.TrySend(core.NewMsgString("q", "BC")); err != nil {
			t.Fatal(err)
		}
		cfExpectNothing(t, sub, 50*time.Millisecond)
	})
}

func TestConformanceSubEmptySubscriptionGetsAll(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		pub, sub, _ := cfPubSub(t, e, core.PUB, nil, []core.Option{core.WithSubscribe("")})
		cfProbeSub(t, pub, []*core.Socket{sub}, "")
		cfPublish(t, pub, "a", "", "zz")
		if got := cfFenced(t, pub, sub, ""); !cfEq(got, "a", "", "zz") {
			t.Fatalf("got %q", got)
		}
	})
}

func TestConformanceSubNoSubscriptionGetsNothing(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		pub, sub, _ := cfPubSub(t, e, core.PUB, nil, nil)
		time.Sleep(100 * time.Millisecond)
		for i := 0; i < 10; i++ {
			cfPublish(t, pub, "x")
		}
		cfExpectNothing(t, sub, 100*time.Millisecond)
	})
}

// Several subscribers: each gets what it subscribed to (fan-out, not
// round-robin).
func TestConformancePubFanOut(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		pub, ep := e.bound(core.PUB)
		a := e.connected(core.SUB, ep, core.WithSubscribe("A"))
		b := e.connected(core.SUB, ep, core.WithSubscribe("B"))
		all := e.connected(core.SUB, ep, core.WithSubscribe(""))
		cfProbeSub(t, pub, []*core.Socket{a}, "A")
		cfProbeSub(t, pub, []*core.Socket{b}, "B")
		cfProbeSub(t, pub, []*core.Socket{all}, "")
		cfFenced(t, pub, all, "") // the probes a and b had
		cfPublish(t, pub, "A1", "B1", "C1", "A2")
		cfFence(t, pub, "A")
		cfFence(t, pub, "B")
		if got := cfUntilFence(t, a, "A"); !cfEq(got, "A1", "A2") {
			t.Fatalf("SUB A got %q", got)
		}
		if got := cfUntilFence(t, b, "B"); !cfEq(got, "B1") {
			t.Fatalf("SUB B got %q", got)
		}
		if got := cfUntilFence(t, all, "B"); !cfEq(got, "A1", "B1", "C1", "A2") {
			t.Fatalf("SUB '' got %q", got)
		}
	})
}

// test_pub_invert_matching: PUB and SUB with INVERT_MATCHING deliver what
// does not match.
func TestConformanceInvertMatching(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		inv := []core.Option{core.WithInvertMatching(true)}
		pub, sub, _ := cfPubSub(t, e, core.PUB, inv, append(inv, core.WithSubscribe("prefix1")))
		cfProbeSub(t, pub, []*core.Socket{sub}, "Z")
		cfPublish(t, pub, "prefix1-a", "prefix2-b", "prefix1", "other")
		if got := cfFenced(t, pub, sub, "Z"); !cfEq(got, "prefix2-b", "other") {
			t.Fatalf("inverted SUB got %q, want [prefix2-b other]", got)
		}
	})
}

func TestConformancePubSubNotSupported(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		pub, sub, _ := cfPubSub(t, e, core.PUB, nil, nil)
		if _, err := pub.TryRecv(); !errors.Is(err, core.ErrNotSupported) {
			t.Fatalf("PUB recv: %v", err)
		}
		if err := sub.TrySend(core.NewMsgString("x")); !errors.Is(err, core.ErrNotSupported) {
			t.Fatalf("SUB send: %v", err)
		}
	})
}

// XPUB hands subscriptions to the application as \x01topic / \x00topic;
// duplicates are filtered unless XPUB_VERBOSE (subscribes) or
// XPUB_VERBOSER (subscribes and unsubscribes); the last subscriber leaving
// produces an unsubscribe.
func TestConformanceXPubSubscriptionMessages(t *testing.T) {
	for _, mode := range []string{"plain", "verbose", "verboser"} {
		t.Run(mode, func(t *testing.T) {
			cfForEach(t, func(t *testing.T, e *cfEnv) {
				var opts []core.Option
				switch mode {
				case "verbose":
					opts = append(opts, core.WithXPubVerbose(true))
				case "verboser":
					opts = append(opts, core.WithXPubVerboser(true))
				}
				xpub, ep := e.bound(core.XPUB, opts...)
				s1 := e.connected(core.SUB, ep, core.WithSubscribe("T"))
				cfExpectFrames(t, cfRecv(t, xpub), "\x01T")
				s2 := e.connected(core.SUB, ep, core.WithSubscribe("T"))
				if mode == "plain" {
					// wait for s2's subscription by probing it
					cfProbeSub(t, xpub, []*core.Socket{s2}, "T")
					cfExpectNothing(t, xpub, 50*time.Millisecond)
				} else {
					cfExpectFrames(t, cfRecv(t, xpub), "\x01T")
				}
				s1.Unsubscribe("T")
				if mode == "verboser" {
					cfExpectFrames(t, cfRecv(t, xpub), "\x00T")
				} else {
					// make sure the unsubscribe arrived: s1 subscribes a sentinel
					s1.Subscribe("S")
					cfExpectFrames(t, cfRecv(t, xpub), "\x01S")
				}
				s2.Unsubscribe("T")
				cfExpectFrames(t, cfRecv(t, xpub), "\x00T") // the last one is always passed
				// the subscriber going away unsubscribes what it had
				if mode != "verboser" {
					s1.Close()
					cfExpectFrames(t, cfRecv(t, xpub), "\x00S")
				}
				_ = s2
			})
		})
	}
}

// test_xpub_manual: the application decides what a subscriber gets.
func TestConformanceXPubManual(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		xpub, ep := e.bound(core.XPUB, core.WithXPubManual(true))
		sub := e.connected(core.SUB, ep, core.WithSubscribe("A"))
		cfExpectFrames(t, cfRecv(t, xpub), "\x01A")
		// instead of A, subscribe that pipe to B
		if err := xpub.Subscribe("B"); err != nil {
			t.Fatal(err)
		}
		cfPublish(t, xpub, "A")
		cfExpectNothing(t, sub, 50*time.Millisecond)
		// SUB filters locally too: it must want B to see it
		sub.Subscribe("B")
		cfExpectFrames(t, cfRecv(t, xpub), "\x01B")
		cfPublish(t, xpub, "B")
		cfExpectFrames(t, cfRecv(t, sub), "B", "body")
		// duplicate subscriptions reach the application in manual mode
		sub2 := e.connected(core.SUB, ep, core.WithSubscribe("A"))
		cfExpectFrames(t, cfRecv(t, xpub), "\x01A")
		_ = sub2
		// unsubscribes are passed too
		sub.Unsubscribe("A")
		cfExpectFrames(t, cfRecv(t, xpub), "\x00A")
	})
}

// test_xpub_welcome_msg: each new subscriber gets the welcome message.
func TestConformanceXPubWelcomeMsg(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		xpub, ep := e.bound(core.XPUB, core.WithXPubWelcomeMsg([]byte("W")))
		sub := e.sock(core.SUB, core.WithSubscribe("W"))
		if err := sub.Connect(ep); err != nil {
			t.Fatal(err)
		}
		cfExpectFrames(t, cfRecv(t, xpub), "\x01W")
		cfExpectFrames(t, cfRecv(t, sub), "W")
	})
}

// test_xpub_nodrop: with XPUB_NODROP a full subscriber blocks the sender
// (EAGAIN) instead of losing messages.
func TestConformanceXPubNoDrop(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		xpub, ep := e.bound(core.XPUB, core.WithXPubNoDrop(true), core.WithSendHWM(1))
		sub := e.connected(core.SUB, ep, core.WithSubscribe(""), core.WithRecvHWM(1))
		cfExpectFrames(t, cfRecv(t, xpub), "\x01")
		body := string(make([]byte, 32<<10))
		sent := 0
		var err error
		for sent < 5000 {
			if err = xpub.TrySend(core.NewMsgString(fmt.Sprint(sent), body)); err != nil {
				break
			}
			sent++
		}
		cfExpectErr(t, err, core.ErrWouldBlock)
		if e.tr == "inproc" && sent != 2 {
			t.Fatalf("inproc: %d sent before EAGAIN, want SNDHWM+RCVHWM = 2", sent)
		}
		for i := 0; i < sent; i++ {
			f, ok := cfTryRecv(sub, 3*time.Second)
			if !ok || f[0] != fmt.Sprint(i) {
				t.Fatalf("message %d of %d: got %q (%v): NODROP lost messages", i, sent, f, ok)
			}
		}
	})
}

// PUB never blocks: past the HWM messages are dropped for that
// subscriber, never reordered.
func TestConformancePubDropsAtHWM(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		const hwm = 10
		pub, sub, _ := cfPubSub(t, e, core.PUB, []core.Option{core.WithSendHWM(hwm)},
			[]core.Option{core.WithSubscribe(""), core.WithRecvHWM(hwm)})
		cfProbeSub(t, pub, []*core.Socket{sub}, "")
		cfFenced(t, pub, sub, "") // no probe left to count
		total := 100
		body := ""
		if e.tr != "inproc" {
			total, body = 4000, string(make([]byte, 8<<10)) // 32 MB: beyond kernel buffers
		}
		for i := 0; i < total; i++ {
			if err := pub.TrySend(core.NewMsgString(fmt.Sprint(i), body)); err != nil {
				t.Fatalf("PUB send %d: %v (PUB must drop, not block)", i, err)
			}
		}
		n, last := 0, -1
		for {
			f, ok := cfTryRecv(sub, 200*time.Millisecond)
			if !ok {
				break
			}
			var v int
			fmt.Sscan(f[0], &v)
			if v <= last {
				t.Fatalf("message %d after %d", v, last)
			}
			last = v
			n++
		}
		if e.tr == "inproc" && n != 2*hwm {
			t.Fatalf("inproc: received %d, want SNDHWM+RCVHWM = %d", n, 2*hwm)
		}
		if n == 0 || n >= total {
			t.Fatalf("received %d of %d: expected drops past the HWM", n, total)
		}
	})
}

// test_sub_forward: XSUB/XPUB forwarding a subscription upstream and data
// downstream (a hand-written proxy).
func TestConformanceXSubForwarding(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		xpub, bep := e.bound(core.XPUB)
		xsub, fep := e.bound(core.XSUB)
		pub := e.connected(core.PUB, fep)
		sub := e.connected(core.SUB, bep, core.WithSubscribe("A"))
		sm := cfRecv(t, xpub)
		cfExpectFrames(t, sm, "\x01A")
		cfSend(t, xsub, sm...)
		// the subscription travels upstream: publish until it gets through
		deadline := time.Now().Add(5 * time.Second)
		for {
			cfPublish(t, pub, "B", "A")
			if f, ok := cfTryRecv(xsub, 20*time.Millisecond); ok {
				cfExpectFrames(t, f, "A", "body") // B is filtered at the PUB
				cfSend(t, xpub, f...)
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("subscription never forwarded through XSUB")
			}
		}
		cfExpectFrames(t, cfRecv(t, sub), "A", "body")
		// XSUB passes non-subscription messages upstream unchanged; a PUB
		// ignores them, an XPUB hands them to its application
		xpub2, ep2 := e.bound(core.XPUB)
		xsub2 := e.connected(core.XSUB, ep2)
		cfSend(t, xsub2, "\x01Q")
		cfExpectFrames(t, cfRecv(t, xpub2), "\x01Q")
		cfSend(t, xsub2, "plain-upstream")
		cfExpectFrames(t, cfRecv(t, xpub2), "plain-upstream")
		// XSUB does no local filtering
		cfSend(t, xpub2, "Q1")
		cfExpectFrames(t, cfRecv(t, xsub2), "Q1")
	})
}

// Subscriptions are re-sent when the SUB reconnects to a restarted PUB.
func TestConformanceResubscribeOnReconnect(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		if e.tr == "inproc" {
			t.Skip("libzmq: inproc connections never reconnect (libzmq.md §2.3)")
		}
		pub, ep := e.bound(core.PUB)
		sub := e.connected(core.SUB, ep, core.WithSubscribe("A"), core.WithReconnectInterval(20*time.Millisecond))
		cfProbeSub(t, pub, []*core.Socket{sub}, "A")
		pub.Close()
		var pub2 *core.Socket
		cfWaitFor(t, 3*time.Second, "rebinding "+ep, func() bool {
			s := e.sock(core.PUB)
			if s.Bind(ep) != nil {
				s.Close()
				return false
			}
			pub2 = s
			return true
		})
		cfProbeSub(t, pub2, []*core.Socket{sub}, "A")
		cfPublish(t, pub2, "B", "A2")
		if got := cfFenced(t, pub2, sub, "A"); !cfEq(got, "A2") {
			t.Fatalf("after reconnect got %q", got)
		}
	})
}

// XSUB re-sends its subscriptions (made by sending \x01topic) on reconnect.
func TestConformanceXSubResubscribeOnReconnect(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		if e.tr == "inproc" {
			t.Skip("libzmq: inproc connections never reconnect")
		}
		xpub, ep := e.bound(core.XPUB)
		xsub := e.connected(core.XSUB, ep, core.WithReconnectInterval(20*time.Millisecond))
		cfSend(t, xsub, "\x01K")
		cfExpectFrames(t, cfRecv(t, xpub), "\x01K")
		xpub.Close()
		var x2 *core.Socket
		cfWaitFor(t, 3*time.Second, "rebinding", func() bool {
			s := e.sock(core.XPUB)
			if s.Bind(ep) != nil {
				s.Close()
				return false
			}
			x2 = s
			return true
		})
		f := cfRecv(t, x2)
		if !strings.HasPrefix(f[0], "\x01K") {
			t.Fatalf("restarted XPUB got %q, want the re-sent subscription", f)
		}
	})
}
