//go:build cgo && !nolibzmq

package interop

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

// TestRestart restarts the libzmq side mid-stream: its socket is closed
// and a new one is created on the same endpoint. zmqkit must carry on by
// itself: reconnect when it is the connecting side (re-sending its routing
// id and subscriptions), accept the new connection when it is the bound
// side, and never return an error from Recv/Send because a peer went away.
func TestRestart(t *testing.T) {
	t.Parallel()
	for _, pat := range []string{"PUSH-PULL", "DEALER-ROUTER", "PUB-SUB"} {
		for _, tr := range []string{"tcp", "ipc"} {
			for _, kitBinds := range []bool{false, true} {
				var name string
				if kitBinds {
					name = fmt.Sprintf("%s/%s/zmqkit-binds/libzmq-connecter-restarts", pat, tr)
				} else {
					name = fmt.Sprintf("%s/%s/libzmq-binds/libzmq-binder-restarts", pat, tr)
				}
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					runRestart(t, pat, tr, kitBinds)
				})
			}
		}
	}
}

const (
	restartDealerID = "dealer-restart"
	restartGap      = 250 * time.Millisecond // between closing the old libzmq socket and connecting the new one
)

func runRestart(t *testing.T, pat, tr string, kitBinds bool) {
	kctx := newKitContext(t)

	// The libzmq side's type and options, and zmqkit's.
	var libType, kitType core.SocketType
	var libOpts []libOption
	var kitOpts []core.Option
	switch pat {
	case "PUSH-PULL":
		libType, kitType = PULL, PUSH // libzmq binds: zmqkit pushes into it
		if kitBinds {
			libType, kitType = PUSH, PULL // zmqkit binds: libzmq pushes into it
		}
	case "DEALER-ROUTER":
		libType, kitType = ROUTER, DEALER
		kitOpts = append(kitOpts, core.WithRoutingID([]byte(restartDealerID)))
		if kitBinds {
			libType, kitType = DEALER, ROUTER
			libOpts = append(libOpts, libRoutingID(restartDealerID))
			kitOpts = nil
		}
	case "PUB-SUB":
		libType, kitType = PUB, SUB // zmqkit always subscribes: its subscriptions must reach the new PUB
		kitOpts = append(kitOpts, core.WithSubscribe("news."))
	}

	kit := newKit(t, kctx, kitType, kitOpts...)
	lib := newLib(t, libType, libOpts...)
	var ep string
	if kitBinds {
		ep = link(t, tr, kit, lib)
	} else {
		ep = link(t, tr, lib, kit)
	}

	// restart closes the libzmq socket and makes a fresh one on the same
	// endpoint.
	restart := func() *libSock {
		t.Helper()
		lib.close()
		if kitBinds {
			// A restarting process takes a moment; reconnecting at once
			// with the same routing id would race the old connection's
			// teardown, and a ROUTER (libzmq's too) ignores a peer whose
			// id is still in use.
			time.Sleep(restartGap)
			l := newLib(t, libType, libOpts...)
			if err := l.connect(connectable(ep)); err != nil {
				t.Fatalf("libzmq reconnect: %v", err)
			}
			return l
		}
		return rebindLib(t, libType, ep, libOpts...)
	}

	switch pat {
	case "PUSH-PULL":
		var pusher, puller sock = kit, lib
		if kitBinds {
			pusher, puller = lib, kit
		}
		for i := 0; i < 5; i++ {
			mustSend(t, pusher, []byte(fmt.Sprintf("before-%d", i)))
		}
		for i := 0; i < 5; i++ {
			expect(t, puller, frames(fmt.Sprintf("before-%d", i)), nil)
		}
		lib = restart()
		if kitBinds {
			pusher = lib
		} else {
			puller = lib
		}
		isProbe := func(m [][]byte) bool { return len(m) == 1 && strings.HasPrefix(string(m[0]), "probe-") }
		if !kitBinds {
			// zmqkit must notice the restart and reconnect; what it sent
			// into the dead connection may be lost, so probe until the
			// new PULL hears from it.
			n := 0
			retryUntil(t, "zmqkit PUSH reconnect", func() error {
				n++
				return pusher.sendWithin(pollStep, []byte(fmt.Sprintf("probe-%d", n)))
			}, puller, func(m [][]byte) bool {
				if !isProbe(m) {
					t.Fatalf("new libzmq PULL received %s, want a probe", show(m))
				}
				return true
			})
		}
		for i := 0; i < 5; i++ {
			mustSend(t, pusher, []byte(fmt.Sprintf("after-%d", i)), pattern(70000, byte(i)))
		}
		for i := 0; i < 5; i++ {
			expect(t, puller, [][]byte{[]byte(fmt.Sprintf("after-%d", i)), pattern(70000, byte(i))}, isProbe)
		}
		expectQuiet(t, puller, isProbe)

	case "DEALER-ROUTER":
		var dealer, router sock = kit, lib
		if kitBinds {
			dealer, router = lib, kit
		}
		id := []byte(restartDealerID)
		mustSend(t, dealer, []byte("req-0"))
		expect(t, router, [][]byte{id, []byte("req-0")}, nil)
		mustSend(t, router, id, []byte("rep-0"))
		expect(t, dealer, frames("rep-0"), nil)

		lib = restart()
		if kitBinds {
			dealer = lib
		} else {
			router = lib
		}
		isProbe := func(m [][]byte) bool { return len(m) == 2 && strings.HasPrefix(string(m[1]), "probe-") }
		n := 0
		retryUntil(t, "DEALER reaches the restarted side", func() error {
			n++
			return dealer.sendWithin(pollStep, []byte(fmt.Sprintf("probe-%d", n)))
		}, router, func(m [][]byte) bool {
			if !isProbe(m) {
				t.Fatalf("%s received %s, want [%q, probe-N]", label(router), show(m), restartDealerID)
			}
			if string(m[0]) != restartDealerID {
				t.Fatalf("%s: after the restart the DEALER's routing id is %q, want %q", label(router), m[0], restartDealerID)
			}
			return true
		})
		mustSend(t, router, id, []byte("rep-after"))
		expect(t, dealer, frames("rep-after"), nil)
		mustSend(t, dealer, []byte("req-after"))
		expect(t, router, [][]byte{id, []byte("req-after")}, isProbe)
		expectQuiet(t, dealer, nil)

	case "PUB-SUB":
		pub, sub := sock(lib), sock(kit)
		sync := func(what string) {
			t.Helper()
			retryUntil(t, what, func() error {
				if err := pub.send([]byte("other.probe")); err != nil {
					return err
				}
				return pub.send([]byte("news.probe"))
			}, sub, func(m [][]byte) bool {
				if len(m) != 1 || string(m[0]) != "news.probe" {
					t.Fatalf("zmqkit SUB(news.) received %s, want news.probe only", show(m))
				}
				return true
			})
		}
		skip := skipFirst("news.probe")
		sync("subscription reaches the first PUB")
		mustSend(t, pub, []byte("other.1"))
		mustSend(t, pub, []byte("news.1"))
		expect(t, sub, frames("news.1"), skip)

		lib = restart()
		pub = lib
		sync("subscription re-sent to the restarted PUB")
		mustSend(t, pub, []byte("other.2"))
		mustSend(t, pub, []byte("news.2"), []byte("tail"))
		expect(t, sub, frames("news.2", "tail"), skip)
		expectQuiet(t, sub, skip)
	}
}

// rebindLib makes a new libzmq socket bound to ep, the endpoint a closed
// libzmq socket had. libzmq closes sockets asynchronously (reaper thread),
// so retry until the old listener is gone and the address can be bound
// again. (libzmq 4.3.4 leaves the ipc socket file behind on close; a new
// bind replaces it.)
func rebindLib(t testing.TB, st core.SocketType, ep string, opts ...libOption) *libSock {
	t.Helper()
	deadline := time.Now().Add(opTimeout)
	for {
		l := newLib(t, st, opts...)
		_, err := l.bind(ep)
		if err == nil {
			return l
		}
		l.close()
		if time.Now().After(deadline) {
			t.Fatalf("libzmq re-bind %s: %v", ep, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
