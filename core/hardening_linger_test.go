package core_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"

	"github.com/zmqkit/zmqkit/internal/freeport"
)

// freeTCPEndpoint returns a tcp endpoint nobody listens on (yet).
func freeTCPEndpoint(t *testing.T, _ *core.Context) string {
	t.Helper()
	return "tcp://" + freeport.MustTCP(t)
}

// lingerSender connects a PUSH to ep, queues n messages and closes it in
// the background; closed receives when Close returned.
func lingerSender(t *testing.T, zc *core.Context, ep string, n int, opts ...core.Option) (closed chan time.Duration) {
	t.Helper()
	push, err := zc.NewSocket(core.PUSH, append([]core.Option{core.WithReconnectInterval(20 * time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := push.Connect(ep); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := push.TrySend(core.NewMsgString(fmt.Sprint(i))); err != nil {
			t.Fatalf("queueing message %d: %v", i, err)
		}
	}
	closed = make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		push.Close()
		closed <- time.Since(start)
	}()
	return closed
}

func receiveAll(t *testing.T, zc *core.Context, ep string, n int) {
	t.Helper()
	pull, err := zc.NewSocket(core.PULL, core.WithLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	defer pull.Close()
	if err := pull.Bind(ep); err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := 0; i < n; i++ {
		m, err := pull.Recv(c)
		if err != nil {
			t.Fatalf("message %d of %d: %v", i, n, err)
		}
		if got := string(m.Frames[0]); got != fmt.Sprint(i) {
			t.Fatalf("message %d is %q", i, got)
		}
	}
}

// With the default linger (-1), Close waits for a peer that appears later
// and delivers everything queued, as libzmq's zmq_ctx_term does.
func TestLingerInfiniteWaitsForLatePeer(t *testing.T) {
	zc := core.NewContext()
	defer zc.Term()
	ep := freeTCPEndpoint(t, zc)
	const n = 200
	closed := lingerSender(t, zc, ep, n)
	select {
	case <-closed:
		t.Fatal("Close returned with messages queued and no peer yet")
	case <-time.After(500 * time.Millisecond):
	}
	receiveAll(t, zc, ep, n)
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return once everything was delivered")
	}
}

// Term waits the same way for a socket the application did not close.
func TestLingerInfiniteTermWaitsForLatePeer(t *testing.T) {
	zc := core.NewContext()
	ep := freeTCPEndpoint(t, zc)
	push, err := zc.NewSocket(core.PUSH, core.WithReconnectInterval(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := push.Connect(ep); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if err := push.TrySend(core.NewMsgString(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	termed := make(chan struct{})
	go func() { zc.Term(); close(termed) }()
	time.Sleep(300 * time.Millisecond)
	select {
	case <-termed:
		t.Fatal("Term returned with messages queued and no peer yet")
	default:
	}
	rc := core.NewContext()
	defer rc.Term()
	receiveAll(t, rc, ep, 10)
	select {
	case <-termed:
	case <-time.After(10 * time.Second):
		t.Fatal("Term did not return once everything was delivered")
	}
}

// A finite linger waits that long for a late peer: a peer that comes in
// time gets everything, and without one Close returns after the linger.
func TestLingerFiniteLatePeer(t *testing.T) {
	zc := core.NewContext()
	defer zc.Term()
	ep := freeTCPEndpoint(t, zc)
	closed := lingerSender(t, zc, ep, 50, core.WithLinger(5*time.Second))
	time.Sleep(300 * time.Millisecond)
	receiveAll(t, zc, ep, 50)
	select {
	case d := <-closed:
		if d > 4*time.Second {
			t.Fatalf("Close took %v although everything was delivered", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}

	ep2 := freeTCPEndpoint(t, zc)
	closed = lingerSender(t, zc, ep2, 5, core.WithLinger(300*time.Millisecond))
	select {
	case d := <-closed:
		if d < 250*time.Millisecond {
			t.Fatalf("Close returned after %v, before the linger of 300ms", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close with a finite linger and no peer did not return")
	}
}
