package core_test

// RFC 28 (REQREP): REQ, REP, ROUTER, after libzmq's tests/test_spec_req.cpp,
// test_spec_rep.cpp, test_spec_router.cpp, test_req_correlate.cpp,
// test_req_relaxed.cpp, test_router_mandatory*.cpp, test_router_handover.cpp,
// test_router_notify.cpp and test_probe_router.cpp.

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

// A message sent on a connecting socket is queued at once, even before the
// connection exists (libzmq creates the pipe inside zmq_connect unless
// ZMQ_IMMEDIATE is set); it is delivered once the peer binds.
func TestConformanceConnectQueuesBeforeConnection(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		ep := e.unbound()
		push := e.connected(core.PUSH, ep, core.WithReconnectInterval(20*time.Millisecond))
		if err := push.TrySend(core.NewMsgString("early")); err != nil {
			t.Fatalf("TrySend right after Connect: %v (libzmq queues it on the connect-time pipe)", err)
		}
		pull := e.sock(core.PULL)
		if err := pull.Bind(ep); err != nil {
			t.Fatal(err)
		}
		cfExpectFrames(t, cfRecv(t, pull), "early")
	})
}

// REQ strict alternation: recv before send and a second send are EFSM.
func TestConformanceReqFSM(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		rep, ep := e.bound(core.REP)
		req := e.connected(core.REQ, ep)
		if _, err := req.TryRecv(); !errors.Is(err, core.ErrFSM) {
			t.Fatalf("REQ recv before send: %v, want ErrFSM", err)
		}
		if err := rep.TrySend(core.NewMsgString("x")); !errors.Is(err, core.ErrFSM) {
			t.Fatalf("REP send before recv: %v, want ErrFSM", err)
		}
		cfSend(t, req, "one")
		if err := req.TrySend(core.NewMsgString("two")); !errors.Is(err, core.ErrFSM) {
			t.Fatalf("REQ second send: %v, want ErrFSM", err)
		}
		cfExpectFrames(t, cfRecv(t, rep), "one")
		if _, err := rep.TryRecv(); !errors.Is(err, core.ErrFSM) {
			t.Fatalf("REP second recv: %v, want ErrFSM", err)
		}
		cfSend(t, rep, "r1")
		cfExpectFrames(t, cfRecv(t, req), "r1")
		if _, err := req.TryRecv(); !errors.Is(err, core.ErrFSM) {
			t.Fatalf("REQ second recv: %v, want ErrFSM", err)
		}
	})
}

// test_spec_req test_req_message_format: REQ puts an empty delimiter
// before the body; the reply's delimiter is stripped.
func TestConformanceReqMessageFormat(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		router, ep := e.bound(core.ROUTER)
		req := e.connected(core.REQ, ep, core.WithRoutingID([]byte("REQ1")))
		cfSend(t, req, "ABC", "DEF")
		cfExpectFrames(t, cfRecv(t, router), "REQ1", "", "ABC", "DEF")
		cfSend(t, router, "REQ1", "", "GHI")
		cfExpectFrames(t, cfRecv(t, req), "GHI")
	})
}

// test_spec_req test_round_robin_out: requests rotate over the REPs.
func TestConformanceReqRoundRobin(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		const n = 3
		req := e.sock(core.REQ)
		for i := 0; i < n; i++ {
			rep, ep := e.bound(core.REP)
			name := fmt.Sprint("rep", i)
			go func() {
				for {
					m, err := rep.Recv(t.Context())
					if err != nil {
						return
					}
					if rep.Send(t.Context(), core.NewMsgString(name, string(m.Frames[0]))) != nil {
						return
					}
				}
			}()
			if err := req.Connect(ep); err != nil {
				t.Fatal(err)
			}
		}
		var order []string
		for i := 0; i < 2*n; i++ {
			cfSend(t, req, fmt.Sprint(i))
			f := cfRecv(t, req)
			if len(f) != 2 || f[1] != fmt.Sprint(i) {
				t.Fatalf("reply %q to request %d", f, i)
			}
			order = append(order, f[0])
		}
		for i := 0; i < n; i++ {
			if order[i] == order[(i+1)%n] || order[i] != order[i+n] {
				t.Fatalf("requests not round-robin over %d REPs: %v", n, order)
			}
		}
	})
}

// test_spec_req test_req_only_listens_to_current_peer: replies from peers
// other than the one the request went to are discarded.
func TestConformanceReqOnlyListensToCurrentPeer(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		const n = 3
		req := e.sock(core.REQ, core.WithRoutingID([]byte("A")))
		var routers []*core.Socket
		for i := 0; i < n; i++ {
			r, ep := e.bound(core.ROUTER, core.WithRouterMandatory(true))
			routers = append(routers, r)
			if err := req.Connect(ep); err != nil {
				t.Fatal(err)
			}
		}
		for i, r := range routers {
			if !cfRoutable(r, "A", 5*time.Second) {
				t.Fatalf("router %d never learned peer A", i)
			}
		}
		for round := 0; round < n; round++ {
			cfSend(t, req, "ABC")
			got := -1
			for got < 0 {
				for i, r := range routers {
					if f, ok := cfTryRecv(r, 10*time.Millisecond); ok {
						if f[len(f)-1] == "__probe__" {
							continue
						}
						cfExpectFrames(t, f, "A", "", "ABC")
						got = i
					}
				}
			}
			// every router answers; only the addressed one must come through
			for i, r := range routers {
				if i == got {
					continue
				}
				cfSend(t, r, "A", "", fmt.Sprint("wrong", i))
			}
			time.Sleep(30 * time.Millisecond)
			cfSend(t, routers[got], "A", "", "right")
			cfExpectFrames(t, cfRecv(t, req), "right")
		}
	})
}

// test_req_relaxed: with REQ_RELAXED a REQ may send again without waiting;
// the previous request's reply is then dropped and only the latest is
// received. (REQ_CORRELATE makes this robust when one peer answers both.)
func TestConformanceReqRelaxed(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		router, ep := e.bound(core.ROUTER)
		req := e.connected(core.REQ, ep, core.WithRoutingID([]byte("R")),
			core.WithReqRelaxed(true), core.WithReqCorrelate(true))
		cfSend(t, req, "q1")
		f1 := cfRecv(t, router) // [R][id][][q1]
		cfSend(t, req, "q2")    // no ErrFSM in relaxed mode
		f2 := cfRecv(t, router)
		if len(f1) != 4 || len(f2) != 4 || f1[2] != "" || f1[3] != "q1" || f2[3] != "q2" || len(f1[1]) != 4 {
			t.Fatalf("router got %q and %q, want [R][4-byte id][][q]", f1, f2)
		}
		if f1[1] == f2[1] {
			t.Fatalf("REQ_CORRELATE request ids not distinct: %x", f1[1])
		}
		// reply to the stale request first: dropped
		cfSend(t, router, "R", f1[1], "", "stale")
		cfSend(t, router, "R", f2[1], "", "fresh")
		cfExpectFrames(t, cfRecv(t, req), "fresh")
		// after a reply, strict alternation on recv still applies
		if _, err := req.TryRecv(); !errors.Is(err, core.ErrFSM) {
			t.Fatalf("recv after reply: %v, want ErrFSM", err)
		}
	})
}

// test_req_correlate: the request id frame is 4 bytes and a reply with a
// wrong id is discarded.
func TestConformanceReqCorrelate(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		router, ep := e.bound(core.ROUTER)
		req := e.connected(core.REQ, ep, core.WithRoutingID([]byte("C")), core.WithReqCorrelate(true))
		cfSend(t, req, "hi")
		f := cfRecv(t, router)
		if len(f) != 4 || f[0] != "C" || len(f[1]) != 4 || f[2] != "" || f[3] != "hi" {
			t.Fatalf("router got %q, want [C][4-byte id][][hi]", f)
		}
		bad := []byte(f[1])
		bad[0] ^= 0xFF
		cfSend(t, router, "C", string(bad), "", "bad")
		cfSend(t, router, "C", f[1], "", "good")
		cfExpectFrames(t, cfRecv(t, req), "good")
		// the next request gets a different id
		cfSend(t, req, "again")
		g := cfRecv(t, router)
		if len(g) != 4 || g[1] == f[1] {
			t.Fatalf("second request %q reuses id %x", g, f[1])
		}
	})
}

// test_spec_rep test_envelope: REP saves the whole envelope (all frames up
// to the delimiter, any number of hops) and puts it back on the reply.
func TestConformanceRepEnvelope(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		rep, ep := e.bound(core.REP)
		dealer := e.connected(core.DEALER, ep)
		cfSend(t, dealer, "X", "Y", "", "BODY", "MORE")
		cfExpectFrames(t, cfRecv(t, rep), "BODY", "MORE")
		cfSend(t, rep, "REPLY")
		cfExpectFrames(t, cfRecv(t, dealer), "X", "Y", "", "REPLY")
		// a message with no delimiter is malformed and discarded
		cfSend(t, dealer, "no-delimiter")
		cfSend(t, dealer, "", "ok")
		cfExpectFrames(t, cfRecv(t, rep), "ok")
		cfSend(t, rep, "done")
		cfExpectFrames(t, cfRecv(t, dealer), "", "done")
	})
}

// ROUTER -> REP with a multi-hop envelope via a ROUTER/DEALER chain:
// REQ -> ROUTER(front) ... DEALER(back) -> REP and back.
func TestConformanceRouterToRepMultiHop(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		front, fep := e.bound(core.ROUTER)
		back, bep := e.bound(core.DEALER)
		req := e.connected(core.REQ, fep, core.WithRoutingID([]byte("client")))
		rep := e.connected(core.REP, bep)
		cfSend(t, req, "question")
		f := cfRecv(t, front)
		cfExpectFrames(t, f, "client", "", "question")
		cfSend(t, back, f...)
		cfExpectFrames(t, cfRecv(t, rep), "question")
		cfSend(t, rep, "answer")
		g := cfRecv(t, back)
		cfExpectFrames(t, g, "client", "", "answer")
		cfSend(t, front, g...)
		cfExpectFrames(t, cfRecv(t, req), "answer")
	})
}

// test_spec_rep test_fair_queue_in: a REP serves several REQs fairly and
// each reply goes back to its requester.
func TestConformanceRepFairQueueAndReplyRouting(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		const n = 3
		rep, ep := e.bound(core.REP)
		var reqs []*core.Socket
		for i := 0; i < n; i++ {
			reqs = append(reqs, e.connected(core.REQ, ep))
		}
		for i, r := range reqs {
			cfSend(t, r, fmt.Sprint(i))
		}
		seen := map[string]bool{}
		for i := 0; i < n; i++ {
			f := cfRecv(t, rep)
			seen[f[0]] = true
			cfSend(t, rep, "re:"+f[0])
		}
		if len(seen) != n {
			t.Fatalf("REP saw %v", seen)
		}
		for i, r := range reqs {
			cfExpectFrames(t, cfRecv(t, r), fmt.Sprint("re:", i))
		}
	})
}

// test_spec_router: explicit ROUTING_ID is used as the peer's id; without
// one the ROUTER makes a 5-byte id starting with 0x00, distinct per peer.
func TestConformanceRouterIdentities(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		router, ep := e.bound(core.ROUTER)
		named := e.connected(core.DEALER, ep, core.WithRoutingID([]byte("named")))
		anon1 := e.connected(core.DEALER, ep)
		anon2 := e.connected(core.DEALER, ep)
		cfSend(t, named, "n")
		cfSend(t, anon1, "a1")
		cfSend(t, anon2, "a2")
		ids := map[string]string{}
		for i := 0; i < 3; i++ {
			f := cfRecv(t, router)
			if len(f) != 2 {
				t.Fatalf("router got %q", f)
			}
			ids[f[1]] = f[0]
		}
		if ids["n"] != "named" {
			t.Fatalf("explicit id: got %q", ids["n"])
		}
		for _, k := range []string{"a1", "a2"} {
			id := ids[k]
			if len(id) != 5 || id[0] != 0 {
				t.Fatalf("generated id for %s = %x, want 5 bytes starting 0x00", k, id)
			}
		}
		if ids["a1"] == ids["a2"] {
			t.Fatalf("generated ids equal: %x", ids["a1"])
		}
		// replies are routed by id
		cfSend(t, router, ids["a2"], "to-a2")
		cfSend(t, router, "named", "to-named")
		cfExpectFrames(t, cfRecv(t, anon2), "to-a2")
		cfExpectFrames(t, cfRecv(t, named), "to-named")
		cfExpectNothing(t, anon1, 30*time.Millisecond)
	})
}

// test_spec_router / test_router_mandatory: an unknown id is dropped
// silently, or EHOSTUNREACH with ROUTER_MANDATORY.
func TestConformanceRouterMandatoryUnreachable(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		plain, _ := e.bound(core.ROUTER)
		if err := plain.TrySend(core.NewMsgString("nobody", "x")); err != nil {
			t.Fatalf("ROUTER to unknown id without MANDATORY: %v, want silent drop", err)
		}
		r, ep := e.bound(core.ROUTER, core.WithRouterMandatory(true))
		err := r.TrySend(core.NewMsgString("nobody", "x"))
		cfExpectErr(t, err, core.ErrHostUnreachable)
		d := e.connected(core.DEALER, ep, core.WithRoutingID([]byte("X")))
		cfSend(t, d, "hello")
		cfExpectFrames(t, cfRecv(t, r), "X", "hello")
		cfSend(t, r, "X", "back")
		cfExpectFrames(t, cfRecv(t, d), "back")
		// the option can be switched at run time
		if err := r.SetOption(core.WithRouterMandatory(false)); err != nil {
			t.Fatal(err)
		}
		if err := r.TrySend(core.NewMsgString("nobody", "x")); err != nil {
			t.Fatalf("after MANDATORY off: %v", err)
		}
		// after the peer leaves, it is unreachable again
		if err := r.SetOption(core.WithRouterMandatory(true)); err != nil {
			t.Fatal(err)
		}
		d.Close()
		cfWaitFor(t, 3*time.Second, "peer X to be gone", func() bool {
			return errors.Is(r.TrySend(core.NewMsgString("X", "x")), core.ErrHostUnreachable)
		})
	})
}

// test_router_mandatory_hwm: with ROUTER_MANDATORY a full peer blocks
// (EAGAIN non-blocking) instead of dropping.
func TestConformanceRouterMandatoryHWM(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		r, ep := e.bound(core.ROUTER, core.WithRouterMandatory(true), core.WithSendHWM(1))
		d := e.connected(core.DEALER, ep, core.WithRoutingID([]byte("X")), core.WithRecvHWM(1))
		cfSend(t, d, "hello")
		cfRecv(t, r)
		big := string(make([]byte, 64<<10))
		sent := 0
		var err error
		for sent < 2000 {
			if err = r.TrySend(core.NewMsgString("X", big)); err != nil {
				break
			}
			sent++
		}
		cfExpectErr(t, err, core.ErrWouldBlock)
		if e.tr == "inproc" && sent != 2 {
			t.Fatalf("inproc: %d messages before EAGAIN, want SNDHWM+RCVHWM = 2", sent)
		}
		// a timed send blocks, then fails with EAGAIN
		// (over tcp/ipc the kernel may take a little more meanwhile)
		r.SetOption(core.WithSendTimeout(30 * time.Millisecond))
		for i := 0; ; i++ {
			err = r.Send(t.Context(), core.NewMsgString("X", big))
			if err != nil || i > 200 {
				break
			}
			sent++
		}
		cfExpectErr(t, err, core.ErrWouldBlock)
		// the dealer drains: everything sent arrives
		for i := 0; i < sent; i++ {
			cfRecv(t, d)
		}
		cfSend(t, r, "X", "after")
		cfExpectFrames(t, cfRecv(t, d), "after")
	})
}

// test_router_handover: without ROUTER_HANDOVER a second peer with a
// taken id is ignored; with it the newcomer takes the id over.
func TestConformanceRouterHandover(t *testing.T) {
	for _, handover := range []bool{false, true} {
		t.Run(fmt.Sprint("handover=", handover), func(t *testing.T) {
			cfForEach(t, func(t *testing.T, e *cfEnv) {
				r, ep := e.bound(core.ROUTER, core.WithRouterHandover(handover))
				d1 := e.connected(core.DEALER, ep, core.WithRoutingID([]byte("X")))
				cfSend(t, d1, "from1")
				cfExpectFrames(t, cfRecv(t, r), "X", "from1")
				d2 := e.connected(core.DEALER, ep, core.WithRoutingID([]byte("X")))
				cfSend(t, d2, "from2")
				if handover {
					cfExpectFrames(t, cfRecv(t, r), "X", "from2")
					cfSend(t, r, "X", "reply")
					cfExpectFrames(t, cfRecv(t, d2), "reply")
					cfExpectNothing(t, d1, 50*time.Millisecond)
				} else {
					cfExpectNothing(t, r, 100*time.Millisecond)
					cfSend(t, r, "X", "reply")
					cfExpectFrames(t, cfRecv(t, d1), "reply")
					cfExpectNothing(t, d2, 50*time.Millisecond)
				}
			})
		})
	}
}

// test_router_notify: ROUTER_NOTIFY delivers [id][empty] when a peer
// connects and when it disconnects.
func TestConformanceRouterNotify(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		r, ep := e.bound(core.ROUTER, core.WithRouterNotify(core.NotifyConnect|core.NotifyDisconnect))
		d := e.connected(core.DEALER, ep, core.WithRoutingID([]byte("N")))
		cfExpectFrames(t, cfRecv(t, r), "N", "")
		cfSend(t, d, "data")
		cfExpectFrames(t, cfRecv(t, r), "N", "data")
		d.Close()
		cfExpectFrames(t, cfRecv(t, r), "N", "")
	})
}

// test_probe_router: a DEALER with PROBE_ROUTER sends an empty message on
// connect, which the ROUTER receives as [id][empty].
func TestConformanceProbeRouter(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		r, ep := e.bound(core.ROUTER)
		d := e.connected(core.DEALER, ep, core.WithRoutingID([]byte("P")), core.WithProbeRouter(true))
		cfExpectFrames(t, cfRecv(t, r), "P", "")
		cfSend(t, d, "hello")
		cfExpectFrames(t, cfRecv(t, r), "P", "hello")
		cfSend(t, r, "P", "world")
		cfExpectFrames(t, cfRecv(t, d), "world")
	})
}

// A ROUTER sending a lone routing-id frame (no MORE) is ignored.
func TestConformanceRouterLoneIDFrame(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		r, ep := e.bound(core.ROUTER, core.WithRouterMandatory(true))
		d := e.connected(core.DEALER, ep, core.WithRoutingID([]byte("L")))
		cfSend(t, d, "hi")
		cfRecv(t, r)
		if err := r.TrySend(core.NewMsgString("L")); err != nil {
			t.Fatalf("lone id frame: %v", err)
		}
		cfSend(t, r, "L", "real")
		cfExpectFrames(t, cfRecv(t, d), "real")
	})
}
