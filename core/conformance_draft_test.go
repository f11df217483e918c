package core_test

// Conformance tests for libzmq's draft socket types: SERVER/CLIENT
// (RFC 41), RADIO/DISH (RFC 48), SCATTER/GATHER (RFC 49), PEER (RFC 51,
// zmq_connect_peer), CHANNEL (RFC 52) and DGRAM, after libzmq's
// tests/test_client_server.cpp, test_radio_dish.cpp,
// test_scatter_gather.cpp, test_peer.cpp, test_peer_disconnect.cpp,
// test_channel.cpp and test_dgram.cpp. Debian's libzmq is built without
// the draft API, so these types are checked against libzmq's documented
// behaviour and the RFCs (and wire_draft_test.go against recorded bytes),
// not against a live libzmq.

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/udp"
)

// dSendTo sends body to routing id id on a SERVER or PEER socket.
func dSendTo(t *testing.T, s *core.Socket, id uint32, body string) {
	t.Helper()
	m := core.NewMsgString(body)
	if err := m.SetRoutingID(id); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(cfCtx(t, 5*time.Second), m); err != nil {
		t.Fatalf("send %q to %d on %v: %v", body, id, s.Type(), err)
	}
}

// dRecv receives one message within 5 s.
func dRecv(t *testing.T, s *core.Socket) core.Msg {
	t.Helper()
	m, err := s.Recv(cfCtx(t, 5*time.Second))
	if err != nil {
		t.Fatalf("recv on %v: %v", s.Type(), err)
	}
	return m
}

// dPublishUntil sends body in group from radio until dish receives a
// message (joins travel asynchronously) and returns it. The probes still
// on their way are then drained (dFence): the next message dish receives
// is one sent after this returns.
func dPublishUntil(t *testing.T, radio, dish *core.Socket, group, body string) core.Msg {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		m := core.NewMsgString(body)
		if err := m.SetGroup(group); err != nil {
			t.Fatal(err)
		}
		if err := radio.TrySend(m); err != nil && !errors.Is(err, core.ErrWouldBlock) {
			t.Fatalf("radio send: %v", err)
		}
		c, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		got, err := dish.Recv(c)
		cancel()
		if err == nil {
			dFence(t, radio, group, dish)
			return got
		}
	}
	t.Fatalf("dish never received group %q", group)
	return core.Msg{}
}

var dFenceSeq atomic.Int64

// dFence sends a fence message in group (which every dish has joined,
// with the join known to have reached radio) and receives on each dish up
// to it, discarding what came before: a pipe keeps order, so nothing sent
// before the fence arrives after it, however slow the machine.
func dFence(t *testing.T, radio *core.Socket, group string, dishes ...*core.Socket) {
	t.Helper()
	fence := fmt.Sprintf("fence-%d", dFenceSeq.Add(1))
	m := core.NewMsgString(fence)
	m.SetGroup(group)
	if err := radio.Send(cfCtx(t, 5*time.Second), m); err != nil {
		t.Fatalf("radio fence send: %v", err)
	}
	for _, d := range dishes {
		for {
			got, err := d.Recv(cfCtx(t, 5*time.Second))
			if err != nil {
				t.Fatalf("dish waiting for the %s message in %q: %v", fence, group, err)
			}
			if got.Group() == group && string(got.Frames[0]) == fence {
				break
			}
		}
	}
}

func TestDraftClientServer(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		server, ep := e.bound(core.SERVER)
		c1 := e.connected(core.CLIENT, ep)
		c2 := e.connected(core.CLIENT, ep)

		cfSend(t, c1, "from c1")
		m1 := dRecv(t, server)
		cfSend(t, c2, "from c2")
		m2 := dRecv(t, server)
		if string(m1.Frames[0]) != "from c1" || string(m2.Frames[0]) != "from c2" {
			t.Fatalf("got %q, %q", m1.Frames, m2.Frames)
		}
		id1, id2 := m1.RoutingID(), m2.RoutingID()
		if id1 == 0 || id2 == 0 || id1 == id2 {
			t.Fatalf("routing ids %d, %d: want distinct, non-zero", id1, id2)
		}
		if m1.Properties() == nil {
			t.Fatal("no connection properties on a SERVER message")
		}
		if st, _ := m1.Property("Socket-Type"); st != "CLIENT" {
			t.Fatalf("Socket-Type %q", st)
		}
		// replies go to the right client, and the reply carries no id
		dSendTo(t, server, id2, "to c2")
		dSendTo(t, server, id1, "to c1")
		r1, r2 := dRecv(t, c1), dRecv(t, c2)
		cfExpectFrames(t, cfFrames(r1), "to c1")
		cfExpectFrames(t, cfFrames(r2), "to c2")
		if r1.RoutingID() != 0 {
			t.Fatalf("CLIENT message has routing id %d", r1.RoutingID())
		}
		// replying with the received message itself works (the id stays on it)
		cfSend(t, c1, "echo")
		m := dRecv(t, server)
		if err := server.Send(cfCtx(t, 5*time.Second), m); err != nil {
			t.Fatal(err)
		}
		cfExpectFrames(t, cfFrames(dRecv(t, c1)), "echo")
	})
}

func TestDraftServerRoutingErrors(t *testing.T) {
	ctx := core.NewContext()
	defer ctx.Term()
	server, _ := ctx.NewSocket(core.SERVER)
	defer server.Close()
	if err := server.Bind("inproc://draft-server-errors"); err != nil {
		t.Fatal(err)
	}
	// no routing id, or one nobody has: EHOSTUNREACH, at once
	cfExpectErr(t, server.TrySend(core.NewMsgString("x")), core.ErrHostUnreachable)
	cfExpectErr(t, server.Send(context.Background(), core.NewMsgString("x")), core.ErrHostUnreachable)
	m := core.NewMsgString("x")
	m.SetRoutingID(12345)
	cfExpectErr(t, server.TrySend(m), core.ErrHostUnreachable)
	// routing id 0 is not valid
	var z core.Msg
	cfExpectErr(t, z.SetRoutingID(0), core.ErrInvalid)
	// DisconnectPeer of an unknown id
	cfExpectErr(t, server.DisconnectPeer(777), core.ErrHostUnreachable)
	// SERVER never gets the libzmq-only ENOTSUP of DisconnectPeer
	client, _ := ctx.NewSocket(core.CLIENT)
	defer client.Close()
	cfExpectErr(t, client.DisconnectPeer(1), core.ErrNotSupported)
}

// TestDraftRoutingIDsNeverZero: ids are uint32, start at a random value
// and increase, never 0 (libzmq's server_t).
func TestDraftRoutingIDsSequence(t *testing.T) {
	ctx := core.NewContext()
	defer ctx.Term()
	p, _ := ctx.NewSocket(core.PEER)
	defer p.Close()
	var prev uint32
	for i := 0; i < 20; i++ {
		id, err := p.ConnectPeer(fmt.Sprintf("inproc://nobody-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		if id == 0 {
			t.Fatal("routing id 0")
		}
		if i > 0 && id != prev+1 && !(prev == ^uint32(0) && id == 1) {
			t.Fatalf("ids %d then %d: want consecutive", prev, id)
		}
		prev = id
	}
}

func TestDraftMultipartSendFails(t *testing.T) {
	ctx := core.NewContext()
	defer ctx.Term()
	for _, typ := range []core.SocketType{core.SERVER, core.CLIENT, core.RADIO, core.SCATTER, core.PEER, core.CHANNEL} {
		s, err := ctx.NewSocket(typ)
		if err != nil {
			t.Fatal(err)
		}
		m := core.NewMsgString("a", "b")
		m.SetRoutingID(1)
		cfExpectErr(t, s.TrySend(m), core.ErrInvalid)
		// libzmq refuses ZMQ_SNDMORE on the first frame already
		cfExpectErr(t, s.SendFrame(context.Background(), []byte("a"), true), core.ErrInvalid)
		s.Close()
	}
	// receive-only and send-only types
	for _, c := range []struct {
		typ  core.SocketType
		send bool
	}{{core.GATHER, true}, {core.DISH, true}, {core.SCATTER, false}, {core.RADIO, false}} {
		s, _ := ctx.NewSocket(c.typ)
		var err error
		if c.send {
			err = s.TrySend(core.NewMsgString("x"))
		} else {
			_, err = s.TryRecv()
		}
		cfExpectErr(t, err, core.ErrNotSupported)
		s.Close()
	}
}

// TestDraftMultipartReceiveDropped: a multipart message arriving on the
// wire is discarded whole by the single-frame types.
func TestDraftMultipartReceiveDropped(t *testing.T) {
	ctx := wCtx(t)
	server, ep := wBound(t, ctx, core.SERVER)
	defer server.Close()
	c := wDial(t, ep)
	wHandshake(t, c, 1, "CLIENT")
	wWrite(t, c, append(wFrame(0x01, []byte("part1")), wFrame(0x00, []byte("part2"))...))
	wWrite(t, c, wFrame(0x00, []byte("single")))
	m := dRecv(t, server)
	cfExpectFrames(t, cfFrames(m), "single")
}

func TestDraftScatterGather(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		scatter, ep := e.bound(core.SCATTER)
		g1 := e.connected(core.GATHER, ep)
		g2 := e.connected(core.GATHER, ep)
		cfWaitFor(t, 10*time.Second, "two gathers", func() bool { return core.Peers(scatter) == 2 })
		for i := 0; i < 4; i++ {
			cfSend(t, scatter, fmt.Sprint(i))
		}
		got := map[string]int{}
		for _, g := range []*core.Socket{g1, g2} {
			for i := 0; i < 2; i++ {
				got[cfRecv(t, g)[0]]++
			}
		}
		if len(got) != 4 {
			t.Fatalf("round robin: got %v", got)
		}
		// GATHER fair-queues from many SCATTERs
		gather, gep := e.bound(core.GATHER)
		s1 := e.connected(core.SCATTER, gep)
		s2 := e.connected(core.SCATTER, gep)
		cfSend(t, s1, "s1")
		cfSend(t, s2, "s2")
		a, b := cfRecv(t, gather)[0], cfRecv(t, gather)[0]
		if a+b != "s1s2" && a+b != "s2s1" {
			t.Fatalf("gather got %q %q", a, b)
		}
	})
}

func TestDraftChannel(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		a, ep := e.bound(core.CHANNEL)
		b := e.connected(core.CHANNEL, ep)
		cfSend(t, b, "ping")
		cfExpectFrames(t, cfRecv(t, a), "ping")
		cfSend(t, a, "pong")
		cfExpectFrames(t, cfRecv(t, b), "pong")
		// a second peer is refused: what it sends never arrives
		c := e.connected(core.CHANNEL, ep, core.WithSendTimeout(200*time.Millisecond))
		c.TrySend(core.NewMsgString("intruder"))
		cfExpectNothing(t, a, 300*time.Millisecond)
		cfSend(t, b, "still")
		cfExpectFrames(t, cfRecv(t, a), "still")
	})
}
