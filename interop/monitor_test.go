//go:build cgo && !nolibzmq

package interop

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"

	"github.com/zmqkit/zmqkit/core"
)

// Socket monitoring compared with libzmq: each scenario runs once with a
// libzmq socket monitored (pebbe/zmq4's Monitor) talking to a zmqkit peer,
// and once with a zmqkit socket monitored talking to a libzmq peer; both
// must report the same event sequence, which must be the expected one.

type monScenario struct {
	name    string
	subject core.SocketType // the monitored socket
	peer    core.SocketType
	bind    bool // the subject binds (else it connects to the peer)
	// peerLeaves closes the peer once the connection is up.
	peerLeaves bool
	// handshake sets HANDSHAKE_IVL on the subject.
	handshake time.Duration
	// mismatch: the side that sees the incompatible READY first drops the
	// connection, so the other may see it end before the peer's READY (a
	// connection error: HANDSHAKE_FAILED_NO_DETAIL, and a reconnect) — in
	// libzmq as in zmqkit. Only the events up to the first DISCONNECTED,
	// without a HANDSHAKE_FAILED_NO_DETAIL, are compared.
	mismatch bool
	want     []core.Event
}

var monScenarios = []monScenario{
	{
		name: "connect, peer leaves", subject: core.SUB, peer: core.PUB, peerLeaves: true,
		want: []core.Event{core.EventConnectDelayed, core.EventConnected, core.EventHandshakeSucceeded,
			core.EventDisconnected, core.EventConnectRetried},
	},
	{
		name: "bind, peer leaves", subject: core.PUB, peer: core.SUB, bind: true, peerLeaves: true,
		want: []core.Event{core.EventListening, core.EventAccepted, core.EventHandshakeSucceeded,
			core.EventDisconnected},
	},
	{
		name: "connect, socket-type mismatch", subject: core.REQ, peer: core.PUB, mismatch: true,
		want: []core.Event{core.EventConnectDelayed, core.EventConnected, core.EventDisconnected},
	},
	{
		name: "bind, socket-type mismatch", subject: core.PUB, peer: core.REQ, bind: true, mismatch: true,
		want: []core.Event{core.EventListening, core.EventAccepted, core.EventDisconnected},
	},
	{
		// a STREAM connection has no mechanism: libzmq reports its end as
		// a failed handshake too
		name: "STREAM bind, peer leaves", subject: core.STREAM, peer: core.STREAM, bind: true, peerLeaves: true,
		want: []core.Event{core.EventListening, core.EventAccepted,
			core.EventHandshakeFailedNoDetail, core.EventDisconnected},
	},
	{
		name: "connect to a non-ZMTP peer, handshake timeout", subject: core.DEALER, peer: core.STREAM,
		handshake: 200 * time.Millisecond,
		want: []core.Event{core.EventConnectDelayed, core.EventConnected,
			core.EventHandshakeFailedNoDetail, core.EventDisconnected, core.EventConnectRetried},
	},
}

func TestMonitorSequences(t *testing.T) {
	for _, tr := range []string{"tcp", "ipc"} {
		for _, sc := range monScenarios {
			if tr == "ipc" { // ipc connects synchronously: no CONNECT_DELAYED
				sc.want = slices.DeleteFunc(slices.Clone(sc.want), func(e core.Event) bool { return e == core.EventConnectDelayed })
			}
			t.Run(tr+"/"+sc.name, func(t *testing.T) { testMonScenario(t, sc, tr) })
		}
	}
}

func testMonScenario(t *testing.T, sc monScenario, tr string) {
	{
		{
			lib := runMonScenario(t, sc, tr, true)
			kit := runMonScenario(t, sc, tr, false)
			if !slices.Equal(lib, kit) {
				t.Errorf("libzmq %v\nzmqkit %v", lib, kit)
			}
			if !slices.Equal(kit, sc.want) {
				t.Errorf("zmqkit %v, want %v", kit, sc.want)
			}
			if !slices.Equal(lib, sc.want) {
				t.Logf("note: libzmq %v differs from the expected %v", lib, sc.want)
			}
		}
	}
}

// runMonScenario runs sc with the monitored socket from libzmq (libSubject)
// or from zmqkit, the peer from the other one, and returns the events.
func runMonScenario(t *testing.T, sc monScenario, tr string, libSubject bool) []core.Event {
	t.Helper()
	kctx := newKitContext(t)
	var subject, peer sock
	var events func() []core.Event
	if libSubject {
		l := newLib(t, sc.subject, func(s *zmq.Socket) error { return s.SetReconnectIvl(10 * time.Second) },
			func(s *zmq.Socket) error { return s.SetHandshakeIvl(sc.handshake) })
		if sc.subject == core.SUB {
			l.subscribe("")
		}
		mon := startMonitor(t, l)
		events = func() []core.Event {
			var out []core.Event
			for _, e := range mon.snapshot() {
				out = append(out, core.Event(e))
			}
			return out
		}
		subject = l
		peer = newKit(t, kctx, sc.peer)
	} else {
		k := newKit(t, kctx, sc.subject, core.WithReconnectInterval(10*time.Second),
			core.WithHandshakeInterval(sc.handshake))
		if sc.subject == core.SUB {
			k.subscribe("")
		}
		var mu sync.Mutex
		var got []core.Event
		remove, err := k.s.AddMonitorHooks(core.EventAll&^core.EventMonitorStopped, core.MonitorHooks{
			OnEvent: func(ev core.MonitorEvent) {
				mu.Lock()
				got = append(got, ev.Event)
				mu.Unlock()
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(remove)
		events = func() []core.Event {
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(got)
		}
		subject = k
		p := newLib(t, sc.peer)
		if sc.peer == core.SUB {
			p.subscribe("")
		}
		peer = p
	}
	bindEP := "tcp://127.0.0.1:*"
	if tr == "ipc" {
		bindEP = "ipc://*"
	}
	var err error
	if sc.bind {
		var ep string
		if ep, err = subject.bind(bindEP); err == nil {
			err = peer.connect(ep)
		}
	} else {
		var ep string
		if ep, err = peer.bind(bindEP); err == nil {
			err = subject.connect(ep)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	wait := func(n int) {
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		for len(events()) < n && ctx.Err() == nil {
			peer.pump()
			subject.pump()
			time.Sleep(5 * time.Millisecond)
		}
	}
	if sc.peerLeaves {
		up := slices.Index(sc.want, core.EventHandshakeSucceeded)
		if up < 0 {
			up = slices.Index(sc.want, core.EventAccepted)
		}
		wait(up + 1)
		time.Sleep(50 * time.Millisecond) // the peer's side is up too
		peer.close()
	}
	wait(len(sc.want))
	time.Sleep(200 * time.Millisecond) // nothing more may come
	got := events()
	if sc.mismatch {
		got = slices.DeleteFunc(got, func(e core.Event) bool { return e == core.EventHandshakeFailedNoDetail })
		if i := slices.Index(got, core.EventDisconnected); i >= 0 {
			got = got[:i+1]
		}
	}
	t.Logf("%s subject: %v", map[bool]string{true: "libzmq", false: "zmqkit"}[libSubject], fmt.Sprint(got))
	return got
}
