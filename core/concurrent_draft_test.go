package core_test

// The draft types are libzmq's thread-safe sockets; every zmqkit socket is
// safe for concurrent use. These tests run many senders and receivers on
// one socket at once (run them with -race) and check that below the HWM
// no message is lost or duplicated.

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

const (
	ccWorkers = 8
	ccPerWork = 300
)

// ccCollect receives want messages on s with ccWorkers goroutines and
// returns how often each body arrived; each received message goes through
// onRecv (if not nil) too.
func ccCollect(t *testing.T, s *core.Socket, want int, onRecv func(core.Msg)) map[string]int {
	t.Helper()
	var mu sync.Mutex
	seen := map[string]int{}
	total := 0
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for w := 0; w < ccWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				done := total >= want
				mu.Unlock()
				if done {
					return
				}
				c, cc := context.WithTimeout(ctx, 200*time.Millisecond)
				m, err := s.Recv(c)
				cc()
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					continue
				}
				if onRecv != nil {
					onRecv(m)
				}
				mu.Lock()
				seen[string(m.Frames[0])]++
				total++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return seen
}

// ccSend sends ccWorkers×ccPerWork distinct bodies from ccWorkers
// goroutines; prep may set a routing id or group.
func ccSend(t *testing.T, s *core.Socket, prefix string, prep func(*core.Msg)) {
	var wg sync.WaitGroup
	for w := 0; w < ccWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			for i := 0; i < ccPerWork; i++ {
				m := core.NewMsgString(fmt.Sprintf("%s-%d-%d", prefix, w, i))
				if prep != nil {
					prep(&m)
				}
				if err := s.Send(ctx, m); err != nil {
					t.Errorf("send: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func ccCheck(t *testing.T, seen map[string]int, prefix string) {
	t.Helper()
	n := ccWorkers * ccPerWork
	if len(seen) != n {
		t.Fatalf("%d distinct messages, want %d", len(seen), n)
	}
	for w := 0; w < ccWorkers; w++ {
		for i := 0; i < ccPerWork; i++ {
			k := fmt.Sprintf("%s-%d-%d", prefix, w, i)
			if seen[k] != 1 {
				t.Fatalf("%s arrived %d times", k, seen[k])
			}
		}
	}
}

// TestDraftConcurrentClientServer: many goroutines send on one CLIENT; many
// goroutines on one SERVER receive and echo each message to its routing
// id; many goroutines on the CLIENT receive the echoes.
func TestDraftConcurrentClientServer(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		server, ep := e.bound(core.SERVER)
		client := e.connected(core.CLIENT, ep)
		n := ccWorkers * ccPerWork
		var echoed map[string]int
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			ccCollect(t, server, n, func(m core.Msg) {
				if m.RoutingID() == 0 {
					t.Errorf("no routing id")
				}
				if err := server.Send(context.Background(), m); err != nil {
					t.Errorf("echo: %v", err)
				}
			})
		}()
		go func() {
			defer wg.Done()
			echoed = ccCollect(t, client, n, nil)
		}()
		ccSend(t, client, "c", nil)
		wg.Wait()
		ccCheck(t, echoed, "c")
	})
}

// TestDraftConcurrentPeer: two PEERs, each with concurrent senders and
// receivers, both ways at once.
func TestDraftConcurrentPeer(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		p1, ep := e.bound(core.PEER)
		p2 := e.sock(core.PEER)
		id1, err := p2.ConnectPeer(ep)
		if err != nil {
			t.Fatal(err)
		}
		dSendTo(t, p2, id1, "hello")
		id2 := dRecv(t, p1).RoutingID()
		n := ccWorkers * ccPerWork
		var at1, at2 map[string]int
		var wg sync.WaitGroup
		wg.Add(4)
		go func() { defer wg.Done(); at1 = ccCollect(t, p1, n, nil) }()
		go func() { defer wg.Done(); at2 = ccCollect(t, p2, n, nil) }()
		go func() { defer wg.Done(); ccSend(t, p2, "to1", func(m *core.Msg) { m.SetRoutingID(id1) }) }()
		go func() { defer wg.Done(); ccSend(t, p1, "to2", func(m *core.Msg) { m.SetRoutingID(id2) }) }()
		wg.Wait()
		ccCheck(t, at1, "to1")
		ccCheck(t, at2, "to2")
	})
}

func TestDraftConcurrentScatterGather(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		gather, ep := e.bound(core.GATHER)
		scatter := e.connected(core.SCATTER, ep)
		var seen map[string]int
		done := make(chan struct{})
		go func() { defer close(done); seen = ccCollect(t, gather, ccWorkers*ccPerWork, nil) }()
		ccSend(t, scatter, "s", nil)
		<-done
		ccCheck(t, seen, "s")
	})
}

func TestDraftConcurrentChannel(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		a, ep := e.bound(core.CHANNEL)
		b := e.connected(core.CHANNEL, ep)
		n := ccWorkers * ccPerWork
		var atA, atB map[string]int
		var wg sync.WaitGroup
		wg.Add(4)
		go func() { defer wg.Done(); atA = ccCollect(t, a, n, nil) }()
		go func() { defer wg.Done(); atB = ccCollect(t, b, n, nil) }()
		go func() { defer wg.Done(); ccSend(t, b, "toA", nil) }()
		go func() { defer wg.Done(); ccSend(t, a, "toB", nil) }()
		wg.Wait()
		ccCheck(t, atA, "toA")
		ccCheck(t, atB, "toB")
	})
}

// TestDraftConcurrentRadioDish: below the HWM a RADIO loses nothing, with
// concurrent publishers and concurrent receivers on the DISH.
func TestDraftConcurrentRadioDish(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		n := ccWorkers * ccPerWork
		radio, ep := e.bound(core.RADIO, core.WithSendHWM(2*n))
		dish := e.connected(core.DISH, ep, core.WithRecvHWM(2*n))
		dish.Join("g")
		dPublishUntil(t, radio, dish, "g", "probe") // drains its probes
		var seen map[string]int
		done := make(chan struct{})
		go func() {
			defer close(done)
			seen = ccCollect(t, dish, n, func(m core.Msg) {
				if m.Group() != "g" {
					t.Errorf("group %q", m.Group())
				}
			})
		}()
		ccSend(t, radio, "r", func(m *core.Msg) { m.SetGroup("g") })
		<-done
		ccCheck(t, seen, "r")
	})
}
