//go:build cgo && !nolibzmq

package interop

import (
	"fmt"
	"testing"

	"github.com/zmqkit/zmqkit/core"
)

// patternKind says how the two ends of a pair exchange messages.
type patternKind int

const (
	oneWay       patternKind = iota // a sends, b receives (PUSH-PULL)
	pubSub                          // a publishes, b subscribes to everything
	reqRep                          // a requests, b echoes the request back as the reply
	peerEcho                        // symmetric: a sends, b receives and sends it all back
	routerRouter                    // symmetric ROUTERs with explicit routing ids
)

// pairSpec is one compatible pair of classic socket types. a is the
// sending / publishing / requesting end; symmetric pairs have a == b.
type pairSpec struct {
	a, b core.SocketType
	kind patternKind
}

func (p pairSpec) symmetric() bool { return p.a == p.b }

var pairSpecs = []pairSpec{
	{PAIR, PAIR, peerEcho},
	{PUB, SUB, pubSub},
	{PUB, XSUB, pubSub},
	{XPUB, SUB, pubSub},
	{XPUB, XSUB, pubSub},
	{REQ, REP, reqRep},
	{REQ, ROUTER, reqRep},
	{DEALER, REP, reqRep},
	{DEALER, ROUTER, reqRep},
	{DEALER, DEALER, peerEcho},
	{ROUTER, ROUTER, routerRouter},
	{PUSH, PULL, oneWay},
}

// messageCase is one message every pair carries, in both directions where
// the pattern allows.
type messageCase struct {
	name   string
	frames [][]byte
}

var messageCases = []messageCase{
	{"single", frames("hello")},
	{"multipart-3", frames("one", "two", "three")},
	{"0-byte", [][]byte{{}}},
	{"255-byte", [][]byte{pattern(255, 1)}},     // largest short frame
	{"256-byte", [][]byte{pattern(256, 2)}},     // smallest long (8-byte size) frame
	{"70000-byte", [][]byte{pattern(70000, 3)}}, // > 64 KiB
	{"multipart-mixed", [][]byte{{}, pattern(255, 4), pattern(256, 5), pattern(70000, 6), {}}},
}

const syncProbe = "interop-sync"

// Routing ids used where the pattern carries identities.
const (
	dealerID  = "dealer-id"
	routerAID = "router-a"
	routerBID = "router-b"
)

// TestPairs runs every compatible pair of classic socket types
// x {tcp, ipc} x {zmqkit binds, libzmq binds} x {zmqkit is a, zmqkit is b}
// (the last dimension collapses for symmetric pairs), carrying every
// messageCase.
func TestPairs(t *testing.T) {
	t.Parallel()
	for _, p := range pairSpecs {
		for _, tr := range []string{"tcp", "ipc"} {
			for _, kitBinds := range []bool{true, false} {
				kitIsA := []bool{true, false}
				if p.symmetric() {
					kitIsA = []bool{true}
				}
				for _, ka := range kitIsA {
					kitType, binder := p.b, "libzmq"
					if ka {
						kitType = p.a
					}
					if kitBinds {
						binder = "zmqkit"
					}
					name := fmt.Sprintf("%v-%v/%s/zmqkit=%v/%s-binds", p.a, p.b, tr, kitType, binder)
					if p.symmetric() {
						name = fmt.Sprintf("%v-%v/%s/%s-binds", p.a, p.b, tr, binder)
					}
					t.Run(name, func(t *testing.T) {
						t.Parallel()
						runPair(t, p, tr, kitBinds, ka)
					})
				}
			}
		}
	}
}

func runPair(t *testing.T, p pairSpec, tr string, kitBinds, kitIsA bool) {
	kctx := newKitContext(t)

	idFor := func(end string, st core.SocketType) string {
		switch {
		case p.kind == routerRouter && end == "a":
			return routerAID
		case p.kind == routerRouter && end == "b":
			return routerBID
		case p.kind == reqRep && st == DEALER:
			return dealerID
		}
		return "" // REQ and the rest: let the ROUTER/peer generate one
	}
	mk := func(end string, st core.SocketType, kit bool) sock {
		id := idFor(end, st)
		if kit {
			var opts []core.Option
			if id != "" {
				opts = append(opts, core.WithRoutingID([]byte(id)))
			}
			return newKit(t, kctx, st, opts...)
		}
		var opts []libOption
		if id != "" {
			opts = append(opts, libRoutingID(id))
		}
		return newLib(t, st, opts...)
	}
	a := mk("a", p.a, kitIsA)
	b := mk("b", p.b, !kitIsA)

	binder, connector := a, b
	if a.impl() == "zmqkit" != kitBinds {
		binder, connector = b, a
	}
	link(t, tr, binder, connector)

	switch p.kind {
	case oneWay:
		for _, mc := range messageCases {
			mustSend(t, a, mc.frames...)
		}
		for _, mc := range messageCases {
			expectNamed(t, b, mc, mc.frames, nil)
		}
		expectQuiet(t, b, nil)

	case pubSub:
		if err := b.subscribe(""); err != nil {
			t.Fatalf("%s subscribe all: %v", label(b), err)
		}
		retryUntil(t, "first publish after subscribing",
			func() error { return a.send([]byte(syncProbe)) }, b,
			func(m [][]byte) bool { return len(m) == 1 && string(m[0]) == syncProbe })
		for _, mc := range messageCases {
			mustSend(t, a, mc.frames...)
		}
		skip := skipFirst(syncProbe)
		for _, mc := range messageCases {
			expectNamed(t, b, mc, mc.frames, skip)
		}
		expectQuiet(t, b, skip)

	case reqRep:
		for _, mc := range messageCases {
			wire := mc.frames // what the requester's app sends and gets back
			if a.typ() == DEALER && b.typ() == REP {
				wire = join([][]byte{{}}, mc.frames...) // the DEALER adds the delimiter itself
			}
			mustSend(t, a, wire...)
			got := mustRecv(t, b, nil)
			switch b.typ() {
			case REP:
				if !equalFrames(got, mc.frames) {
					t.Fatalf("%s: %s received request %s, want %s", mc.name, label(b), show(got), show(mc.frames))
				}
			case ROUTER:
				if len(got) < 2 {
					t.Fatalf("%s: %s received %s, want [routing-id, ...]", mc.name, label(b), show(got))
				}
				if a.typ() == DEALER && string(got[0]) != dealerID {
					t.Fatalf("%s: %s received routing id %q, want the DEALER's %q", mc.name, label(b), got[0], dealerID)
				}
				if len(got[0]) == 0 {
					t.Fatalf("%s: %s received an empty routing id", mc.name, label(b))
				}
				want := wire
				if a.typ() == REQ {
					want = join([][]byte{{}}, mc.frames...) // REQ adds the empty delimiter
				}
				if !equalFrames(got[1:], want) {
					t.Fatalf("%s: %s received %s after the routing id, want %s", mc.name, label(b), show(got[1:]), show(want))
				}
			}
			mustSend(t, b, got...) // echo (ROUTER: with the envelope)
			expectNamed(t, a, mc, wire, nil)
		}
		expectQuiet(t, b, nil) // (a REQ may not recv now: EFSM)

	case peerEcho:
		for _, mc := range messageCases {
			mustSend(t, a, mc.frames...)
		}
		for _, mc := range messageCases {
			expectNamed(t, b, mc, mc.frames, nil)
		}
		for _, mc := range messageCases {
			mustSend(t, b, mc.frames...)
		}
		for _, mc := range messageCases {
			expectNamed(t, a, mc, mc.frames, nil)
		}
		expectQuiet(t, b, nil)

	case routerRouter:
		// The connecting ROUTER knows the bound one's id only once the
		// handshake is done; until then its messages are dropped, so probe.
		cID, dID := routerAID, routerBID
		if connector == b {
			cID, dID = routerBID, routerAID
		}
		isSync := func(m [][]byte) bool { return len(m) == 2 && string(m[1]) == syncProbe }
		retryUntil(t, "ROUTER-ROUTER handshake",
			func() error { return connector.sendWithin(pollStep, []byte(dID), []byte(syncProbe)) }, binder,
			func(m [][]byte) bool {
				if !isSync(m) {
					t.Fatalf("%s: unexpected %s while waiting for the sync probe", label(binder), show(m))
				}
				if string(m[0]) != cID {
					t.Fatalf("%s: probe came with routing id %q, want %q", label(binder), m[0], cID)
				}
				return true
			})
		for _, mc := range messageCases {
			mustSend(t, connector, join([][]byte{[]byte(dID)}, mc.frames...)...)
		}
		for _, mc := range messageCases {
			expectNamed(t, binder, mc, join([][]byte{[]byte(cID)}, mc.frames...), isSync)
		}
		for _, mc := range messageCases {
			mustSend(t, binder, join([][]byte{[]byte(cID)}, mc.frames...)...)
		}
		for _, mc := range messageCases {
			expectNamed(t, connector, mc, join([][]byte{[]byte(dID)}, mc.frames...), nil)
		}
		expectQuiet(t, binder, isSync)
	}

	// zmqkit must expose the libzmq peer's READY metadata.
	for _, s := range []sock{a, b} {
		k, ok := s.(*kitSock)
		if !ok || k.received == 0 {
			continue
		}
		peer := p.b
		if s == b {
			peer = p.a
		}
		if k.peerType != peer.String() {
			t.Errorf("%s: received messages carry Socket-Type %q, want the libzmq peer's %q", label(s), k.peerType, peer)
		}
	}
}

// expectNamed is expect with the message case's name in the failure.
func expectNamed(t testing.TB, s sock, mc messageCase, want [][]byte, skip func([][]byte) bool) {
	t.Helper()
	got := mustRecv(t, s, skip)
	if !equalFrames(got, want) {
		t.Fatalf("message %q: %s received %s, want %s", mc.name, label(s), show(got), show(want))
	}
}
