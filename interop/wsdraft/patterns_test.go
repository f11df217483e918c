//go:build cgo && zmqdraft

package wsdraft

import (
	"fmt"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

// pair makes a zmqkit socket and a libzmq socket over tr, zmqkit binding
// when zbinds, and returns them connected.
func pair(t *testing.T, tr transport, zbinds bool, ztyp core.SocketType, zopts []core.Option,
	ltyp int, lsetup func(*Sock)) (*core.Socket, *Sock) {
	t.Helper()
	c := zctx(t)
	z := zsock(t, c, ztyp, tr.zopts(zbinds, zopts...)...)
	l := lsock(t, ltyp)
	if lsetup != nil {
		lsetup(l)
	}
	if zbinds {
		tr.lconnect(t, l, tr.zbind(t, z))
	} else {
		must(t, z.Connect(tr.lbind(t, l)))
	}
	return z, l
}

// forEach runs fn for each transport and both bind directions.
func forEach(t *testing.T, fn func(t *testing.T, tr transport, zbinds bool)) {
	for _, tr := range transports(t) {
		for _, zb := range []bool{true, false} {
			name := tr.scheme + "/libzmq-binds"
			if zb {
				name = tr.scheme + "/zmqkit-binds"
			}
			t.Run(name, func(t *testing.T) { fn(t, tr, zb) })
		}
	}
}

func TestReqRep(t *testing.T) {
	forEach(t, func(t *testing.T, tr transport, zb bool) {
		t.Run("zmqkit REQ", func(t *testing.T) {
			z, l := pair(t, tr, zb, core.REQ, nil, REP, nil)
			for i := 0; i < 5; i++ {
				zsend(t, z, "question", bigBody)
				if got := lrecv(t, l); !eq(got, "question", bigBody) {
					t.Fatalf("libzmq REP got %d frames", len(got))
				}
				must(t, l.Send([]byte("answer")))
				if got := frames(zrecv(t, z)); !eq(got, "answer") {
					t.Fatalf("zmqkit REQ got %q", got)
				}
			}
		})
		t.Run("zmqkit REP", func(t *testing.T) {
			z, l := pair(t, tr, zb, core.REP, nil, REQ, nil)
			for i := 0; i < 5; i++ {
				must(t, l.Send([]byte("q"), []byte("")))
				if got := frames(zrecv(t, z)); !eq(got, "q", "") {
					t.Fatalf("zmqkit REP got %q", got)
				}
				zsend(t, z, "a")
				if got := lrecv(t, l); !eq(got, "a") {
					t.Fatalf("libzmq REQ got %q", got)
				}
			}
		})
	})
}

func TestDealerRouter(t *testing.T) {
	forEach(t, func(t *testing.T, tr transport, zb bool) {
		t.Run("zmqkit DEALER", func(t *testing.T) {
			z, l := pair(t, tr, zb, core.DEALER, []core.Option{core.WithRoutingID([]byte("zdealer"))}, ROUTER, nil)
			zsend(t, z, "hello", "")
			if got := lrecv(t, l); !eq(got, "zdealer", "hello", "") {
				t.Fatalf("libzmq ROUTER got %q", got)
			}
			must(t, l.Send([]byte("zdealer"), []byte("back")))
			if got := frames(zrecv(t, z)); !eq(got, "back") {
				t.Fatalf("zmqkit DEALER got %q", got)
			}
		})
		t.Run("zmqkit ROUTER", func(t *testing.T) {
			z, l := pair(t, tr, zb, core.ROUTER, nil, DEALER, func(s *Sock) {
				must(t, s.SetBytes(OptRoutingID, []byte("ldealer")))
			})
			must(t, l.Send([]byte("hi"), []byte(bigBody)))
			if got := frames(zrecv(t, z)); !eq(got, "ldealer", "hi", bigBody) {
				t.Fatalf("zmqkit ROUTER got %d frames", len(got))
			}
			zsend(t, z, "ldealer", "reply")
			if got := lrecv(t, l); !eq(got, "reply") {
				t.Fatalf("libzmq DEALER got %q", got)
			}
		})
	})
}

func TestPushPull(t *testing.T) {
	forEach(t, func(t *testing.T, tr transport, zb bool) {
		t.Run("zmqkit PUSH", func(t *testing.T) {
			z, l := pair(t, tr, zb, core.PUSH, nil, PULL, nil)
			for i := 0; i < 200; i++ {
				zsend(t, z, fmt.Sprint(i), "x")
			}
			zsend(t, z, bigBody)
			zsend(t, z, "")
			for i := 0; i < 200; i++ {
				if got := lrecv(t, l); !eq(got, fmt.Sprint(i), "x") {
					t.Fatalf("libzmq PULL got %q, want %d", got, i)
				}
			}
			if got := lrecv(t, l); !eq(got, bigBody) {
				t.Fatal("large message corrupted")
			}
			if got := lrecv(t, l); !eq(got, "") {
				t.Fatalf("empty message: %q", got)
			}
		})
		t.Run("zmqkit PULL", func(t *testing.T) {
			z, l := pair(t, tr, zb, core.PULL, nil, PUSH, nil)
			for i := 0; i < 200; i++ {
				must(t, l.Send([]byte(fmt.Sprint(i)), []byte("y")))
			}
			must(t, l.Send([]byte(bigBody)))
			for i := 0; i < 200; i++ {
				if got := frames(zrecv(t, z)); !eq(got, fmt.Sprint(i), "y") {
					t.Fatalf("zmqkit PULL got %q, want %d", got, i)
				}
			}
			if got := frames(zrecv(t, z)); !eq(got, bigBody) {
				t.Fatal("large message corrupted")
			}
		})
	})
}

// PUB/SUB both ways with subscribe and unsubscribe: zmqkit sends its
// subscriptions as messages (libzmq drops SUBSCRIBE commands over ws).
func TestPubSub(t *testing.T) {
	forEach(t, func(t *testing.T, tr transport, zb bool) {
		t.Run("zmqkit SUB", func(t *testing.T) {
			z, l := pair(t, tr, zb, core.SUB, []core.Option{core.WithSubscribe("a"), core.WithSubscribe("m")}, PUB, nil)
			// publish until the subscription has arrived
			waitTopic(t, func(s string) { must(t, l.Send([]byte(s))) }, z, "a")
			must(t, l.Send([]byte("b-filtered")))
			must(t, l.Send([]byte("a-2")))
			if got := frames(zrecv(t, z)); !eq(got, "a-2") {
				t.Fatalf("zmqkit SUB got %q", got)
			}
			must(t, z.Unsubscribe("a"))
			waitUnsubscribed(t, func(s string) { must(t, l.Send([]byte(s))) }, z, "a")
		})
		t.Run("zmqkit PUB", func(t *testing.T) {
			z, l := pair(t, tr, zb, core.PUB, nil, SUB, func(s *Sock) {
				must(t, s.SetBytes(OptSubscribe, []byte("a")))
				must(t, s.SetBytes(OptSubscribe, []byte("m")))
				must(t, s.SetInt(OptRcvTimeo, 50))
			})
			deadline := time.Now().Add(wait)
			for {
				zsend(t, z, "b-filtered")
				zsend(t, z, "a-1")
				if got, err := l.Recv(); err == nil {
					if !eq(got, "a-1") {
						t.Fatalf("libzmq SUB got %q", got)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the libzmq SUB's subscription never arrived")
				}
			}
			must(t, l.SetBytes(OptUnsubscribe, []byte("a")))
			// after the marker gets through, "a" must no longer come
			for round := 0; ; round++ {
				zsend(t, z, "a-after")
				zsend(t, z, "m-marker")
				got, err := l.Recv()
				for err == nil && eq(got, "a-after") && round == 0 {
					got, err = l.Recv()
				}
				if err == nil && eq(got, "m-marker") {
					if round > 0 {
						break
					}
					continue
				}
				if err == nil {
					t.Fatalf("libzmq SUB got %q after unsubscribing", got)
				}
				if round > 100 {
					t.Fatal("no marker")
				}
			}
		})
	})
}

// waitTopic publishes topic messages until sub receives one.
func waitTopic(t *testing.T, pub func(string), sub *core.Socket, topic string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		pub(topic + "-probe")
		if m, ok := ztryRecv(sub, 50*time.Millisecond); ok {
			if got := frames(m); !eq(got, topic+"-probe") {
				t.Fatalf("SUB got %q", got)
			}
			// drain probes still in flight
			for {
				if _, ok := ztryRecv(sub, 50*time.Millisecond); !ok {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the subscription never arrived")
		}
	}
}

// waitUnsubscribed checks that once a marker (topic "m") gets through,
// topic no longer does.
func waitUnsubscribed(t *testing.T, pub func(string), sub *core.Socket, topic string) {
	t.Helper()
	for round := 0; round < 2; round++ {
		pub(topic + "-after")
		pub("m-marker")
		for {
			m, ok := ztryRecv(sub, wait)
			if !ok {
				t.Fatal("no marker")
			}
			got := frames(m)
			if eq(got, "m-marker") {
				break
			}
			if round > 0 {
				t.Fatalf("SUB got %q after unsubscribing", got)
			}
		}
	}
}

func TestServerClient(t *testing.T) {
	forEach(t, func(t *testing.T, tr transport, zb bool) {
		t.Run("zmqkit SERVER", func(t *testing.T) {
			z, l := pair(t, tr, zb, core.SERVER, nil, CLIENT, nil)
			for i := 0; i < 3; i++ {
				must(t, l.Send([]byte("ping")))
				m := zrecv(t, z)
				if !eq(frames(m), "ping") || m.RoutingID() == 0 {
					t.Fatalf("zmqkit SERVER got %q from %d", frames(m), m.RoutingID())
				}
				r := core.NewMsgString("pong")
				r.SetRoutingID(m.RoutingID())
				zsendMsg(t, z, r)
				if got := lrecv(t, l); !eq(got, "pong") {
					t.Fatalf("libzmq CLIENT got %q", got)
				}
			}
		})
		t.Run("zmqkit CLIENT", func(t *testing.T) {
			z, l := pair(t, tr, zb, core.CLIENT, nil, SERVER, nil)
			for i := 0; i < 3; i++ {
				zsend(t, z, "ping")
				f, err := l.RecvDraft()
				must(t, err)
				if string(f.Body) != "ping" || f.RoutingID == 0 {
					t.Fatalf("libzmq SERVER got %q from %d", f.Body, f.RoutingID)
				}
				must(t, l.SendDraft([]byte("pong"), f.RoutingID, ""))
				if got := frames(zrecv(t, z)); !eq(got, "pong") {
					t.Fatalf("zmqkit CLIENT got %q", got)
				}
			}
		})
	})
}

func zsendMsg(t *testing.T, s *core.Socket, m core.Msg) {
	t.Helper()
	c, cancel := ctxWait()
	defer cancel()
	if err := s.Send(c, m); err != nil {
		t.Fatalf("zmqkit %v send: %v", s.Type(), err)
	}
}

// RADIO/DISH: groups travel as JOIN/LEAVE commands and a group frame.
func TestRadioDish(t *testing.T) {
	forEach(t, func(t *testing.T, tr transport, zb bool) {
		t.Run("zmqkit RADIO", func(t *testing.T) {
			z, l := pair(t, tr, zb, core.RADIO, nil, DISH, func(s *Sock) {
				must(t, s.Join("weather"))
				must(t, s.SetInt(OptRcvTimeo, 50))
			})
			deadline := time.Now().Add(wait)
			for {
				for _, g := range []string{"sports", "weather"} {
					m := core.NewMsgString(g + " report")
					m.SetGroup(g)
					zsendMsg(t, z, m)
				}
				if f, err := l.RecvDraft(); err == nil {
					if string(f.Body) != "weather report" || f.Group != "weather" {
						t.Fatalf("libzmq DISH got %q in %q", f.Body, f.Group)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the JOIN never arrived")
				}
			}
		})
		t.Run("zmqkit DISH", func(t *testing.T) {
			z, l := pair(t, tr, zb, core.DISH, nil, RADIO, nil)
			must(t, z.Join("weather"))
			deadline := time.Now().Add(wait)
			for {
				must(t, l.SendDraft([]byte("sports report"), 0, "sports"))
				must(t, l.SendDraft([]byte("weather report"), 0, "weather"))
				if m, ok := ztryRecv(z, 50*time.Millisecond); ok {
					if !eq(frames(m), "weather report") || m.Group() != "weather" {
						t.Fatalf("zmqkit DISH got %q in %q", frames(m), m.Group())
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the JOIN never arrived")
				}
			}
		})
	})
}

func TestScatterGather(t *testing.T) {
	forEach(t, func(t *testing.T, tr transport, zb bool) {
		t.Run("zmqkit SCATTER", func(t *testing.T) {
			z, l := pair(t, tr, zb, core.SCATTER, nil, GATHER, nil)
			for i := 0; i < 20; i++ {
				zsend(t, z, fmt.Sprint(i))
				if got := lrecv(t, l); !eq(got, fmt.Sprint(i)) {
					t.Fatalf("libzmq GATHER got %q", got)
				}
			}
		})
		t.Run("zmqkit GATHER", func(t *testing.T) {
			z, l := pair(t, tr, zb, core.GATHER, nil, SCATTER, nil)
			for i := 0; i < 20; i++ {
				must(t, l.Send([]byte(fmt.Sprint(i))))
				if got := frames(zrecv(t, z)); !eq(got, fmt.Sprint(i)) {
					t.Fatalf("zmqkit GATHER got %q", got)
				}
			}
		})
	})
}

// PEER/PEER: the connecting side addresses the peer by the id
// ConnectPeer gave; the bound side answers to the id it received.
func TestPeer(t *testing.T) {
	for _, tr := range transports(t) {
		t.Run(tr.scheme+"/zmqkit-connects", func(t *testing.T) {
			l := lsock(t, PEER)
			ep := tr.lbind(t, l)
			z := zsock(t, zctx(t), core.PEER, tr.zopts(false)...)
			id, err := z.ConnectPeer(ep)
			must(t, err)
			m := core.NewMsgString("hello peer")
			m.SetRoutingID(id)
			zsendMsg(t, z, m)
			f, err := l.RecvDraft()
			must(t, err)
			if string(f.Body) != "hello peer" {
				t.Fatalf("libzmq PEER got %q", f.Body)
			}
			must(t, l.SendDraft([]byte("hello back"), f.RoutingID, ""))
			r := zrecv(t, z)
			if !eq(frames(r), "hello back") || r.RoutingID() != id {
				t.Fatalf("zmqkit PEER got %q from %d, want from %d", frames(r), r.RoutingID(), id)
			}
		})
		t.Run(tr.scheme+"/libzmq-connects", func(t *testing.T) {
			z := zsock(t, zctx(t), core.PEER, tr.zopts(true)...)
			ep := tr.zbind(t, z)
			l := lsock(t, PEER)
			tr.lcli(t, l)
			id, err := l.ConnectPeer(ep)
			must(t, err)
			must(t, l.SendDraft([]byte("hello peer"), id, ""))
			m := zrecv(t, z)
			if !eq(frames(m), "hello peer") {
				t.Fatalf("zmqkit PEER got %q", frames(m))
			}
			r := core.NewMsgString("hello back")
			r.SetRoutingID(m.RoutingID())
			zsendMsg(t, z, r)
			f, err := l.RecvDraft()
			must(t, err)
			if string(f.Body) != "hello back" || f.RoutingID != id {
				t.Fatalf("libzmq PEER got %q from %d, want from %d", f.Body, f.RoutingID, id)
			}
		})
	}
}
