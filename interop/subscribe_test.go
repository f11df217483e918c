//go:build cgo && !nolibzmq

package interop

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"

	"github.com/zmqkit/zmqkit/core"
)

// TestSubscriptions checks subscription forwarding and publisher-side
// prefix filtering between zmqkit and libzmq, in both wire forms:
//
//   - libzmq SUB sends ZMTP 3.1 SUBSCRIBE / CANCEL commands;
//   - libzmq XSUB forwards an application message "\x01topic" /
//     "\x00topic" unchanged as a data frame (it is sent only after the
//     libzmq monitor reports the handshake, so the pipe exists and the
//     message cannot be turned into a command by XSUB's resend-on-attach).
//
// A zmqkit XPUB must hand both forms to the application as
// "\x01topic" / "\x00topic"; a libzmq XPUB must see zmqkit SUB/XSUB
// subscriptions the same way. Filtering happens at the publisher, so the
// XSUB subscriber cases (which do no local filtering) check that the
// publisher filters by prefix.
func TestSubscriptions(t *testing.T) {
	t.Parallel()
	for _, subKit := range []bool{true, false} {
		for _, subType := range []core.SocketType{SUB, XSUB} {
			for _, pubType := range []core.SocketType{PUB, XPUB} {
				for _, tr := range []string{"tcp", "ipc"} {
					for _, subBinds := range []bool{true, false} {
						subImpl, pubImpl := "libzmq", "zmqkit"
						if subKit {
							subImpl, pubImpl = pubImpl, subImpl
						}
						binder := "pub"
						if subBinds {
							binder = "sub"
						}
						name := fmt.Sprintf("%s-%v<-%s-%v/%s/%s-binds", subImpl, subType, pubImpl, pubType, tr, binder)
						t.Run(name, func(t *testing.T) {
							t.Parallel()
							runSubscriptions(t, subKit, subType, pubType, tr, subBinds)
						})
					}
				}
			}
		}
	}
}

func runSubscriptions(t *testing.T, subKit bool, subType, pubType core.SocketType, tr string, subBinds bool) {
	kctx := newKitContext(t)
	var sub, pub sock
	var libMon *monitor
	if subKit {
		sub = newKit(t, kctx, subType)
		pub = newLib(t, pubType)
	} else {
		l := newLib(t, subType)
		libMon = startMonitor(t, l)
		sub = l
		pub = newKit(t, kctx, pubType)
	}
	if subBinds {
		link(t, tr, sub, pub)
	} else {
		link(t, tr, pub, sub)
	}
	if libMon != nil && subType == XSUB {
		libMon.waitFor(t, zmq.EVENT_HANDSHAKE_SUCCEEDED, 1)
	}

	// expectSub checks what an XPUB publisher receives.
	expectSub := func(want string) {
		t.Helper()
		if pubType != XPUB {
			return
		}
		var got [][]byte
		deadline := time.Now().Add(opTimeout)
		for {
			m, err := pub.recv(pollStep)
			if err == nil {
				got = m
				break
			}
			if !errors.Is(err, errTimeout) {
				t.Fatalf("%s recv: %v", label(pub), err)
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no subscription message %q within %v", label(pub), want, opTimeout)
			}
			sub.pump() // a bound libzmq SUB sends subscriptions to a new peer only when used
		}
		if !equalFrames(got, [][]byte{[]byte(want)}) {
			t.Fatalf("%s received %s, want the subscription message %q", label(pub), show(got), want)
		}
	}
	publish := func(ms ...[][]byte) {
		t.Helper()
		for _, m := range ms {
			mustSend(t, pub, m...)
		}
	}
	syncOn := func(probe string, skip ...string) {
		t.Helper()
		ignore := skipFirst(skip...)
		retryUntil(t, "sync on "+probe, func() error { return pub.send([]byte(probe)) }, sub,
			func(m [][]byte) bool {
				if ignore(m) {
					return false
				}
				if len(m) != 1 || string(m[0]) != probe {
					t.Fatalf("%s: received %s while waiting for %q", label(sub), show(m), probe)
				}
				return true
			})
	}

	// Phase 1: subscribe to "news.".
	if err := sub.subscribe("news."); err != nil {
		t.Fatalf("%s subscribe: %v", label(sub), err)
	}
	expectSub("\x01news.")
	syncOn("news.sync")
	publish(frames("sports.1"), frames("news.1"), frames("newsless"), frames("news.2"),
		frames("new"), [][]byte{{}}, frames("news.3", "body"), frames("sports.x", "news.y"))
	skip := skipFirst("news.sync")
	expect(t, sub, frames("news.1"), skip)
	expect(t, sub, frames("news.2"), skip)
	expect(t, sub, frames("news.3", "body"), skip)
	expectQuiet(t, sub, skip)

	// Phase 2: cancel "news.", subscribe to "sports.".
	if err := sub.unsubscribe("news."); err != nil {
		t.Fatalf("%s unsubscribe: %v", label(sub), err)
	}
	if err := sub.subscribe("sports."); err != nil {
		t.Fatalf("%s subscribe: %v", label(sub), err)
	}
	expectSub("\x00news.")
	expectSub("\x01sports.")
	syncOn("sports.sync", "news.sync")
	publish(frames("news.4"), frames("sports.2"), frames("news.5", "x"), frames("sports.3", ""))
	skip = skipFirst("news.sync", "sports.sync")
	expect(t, sub, frames("sports.2"), skip)
	expect(t, sub, [][]byte{[]byte("sports.3"), {}}, skip)
	expectQuiet(t, sub, skip)
	if pubType == XPUB {
		expectQuiet(t, pub, nil) // no duplicate or stray subscription messages
	}

	if libMon != nil {
		if n := libMon.count(zmq.EVENT_DISCONNECTED); n != 0 {
			t.Errorf("libzmq %v saw %d disconnects (events %v)", subType, n, libMon.snapshot())
		}
	}
}

// TestGreetingAdvertisesZMTP31 checks that a zmqkit socket greets as ZMTP
// 3.1, so that libzmq sends it SUBSCRIBE/CANCEL commands (and PINGs)
// rather than the 3.0 data-frame forms: without this, the libzmq-SUB cases
// of TestSubscriptions would not exercise the command form at all.
func TestGreetingAdvertisesZMTP31(t *testing.T) {
	t.Parallel()
	kctx := newKitContext(t)
	pub := newKit(t, kctx, XPUB)
	ep, err := pub.bind("tcp://127.0.0.1:*")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(ep, "tcp://"), opTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(opTimeout)); err != nil {
		t.Fatal(err)
	}
	// Our side: a full ZMTP 3.1 NULL greeting, as libzmq sends it.
	g := make([]byte, 64)
	g[0], g[9], g[10], g[11] = 0xFF, 0x7F, 3, 1
	copy(g[12:], "NULL")
	if _, err := conn.Write(g); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 64)
	if _, err := io.ReadFull(conn, got); err != nil {
		t.Fatalf("reading zmqkit's greeting: %v", err)
	}
	if got[0] != 0xFF || got[9]&1 != 1 {
		t.Fatalf("zmqkit greeting signature % x, want ff .. 7f", got[:10])
	}
	if got[10] != 3 || got[11] < 1 {
		t.Fatalf("zmqkit greets as ZMTP %d.%d, want 3.1", got[10], got[11])
	}
	if mech := strings.TrimRight(string(got[12:32]), "\x00"); mech != "NULL" {
		t.Fatalf("zmqkit greeting mechanism %q, want NULL", mech)
	}
}
