package core_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

// Terminating the context makes every call blocked on its sockets return
// ErrTerminated (ETERM), every time: Recv, Send and Poll alike, never
// ErrClosed, although Term closes the sockets right after shutting the
// context down.
func TestTermUnblocksWithETERM(t *testing.T) {
	for round := 0; round < 30; round++ {
		zc := core.NewContext()
		pull, err := zc.NewSocket(core.PULL)
		if err != nil {
			t.Fatal(err)
		}
		if err := pull.Bind("inproc://eterm"); err != nil {
			t.Fatal(err)
		}
		push, err := zc.NewSocket(core.PUSH, core.WithLinger(0))
		if err != nil {
			t.Fatal(err)
		}
		if err := push.Bind("tcp://127.0.0.1:*"); err != nil { // no peer: Send blocks
			t.Fatal(err)
		}
		poller := core.NewPoller()
		poller.Add(pull, core.PollIn)

		errs := make(chan error, 3)
		started := make(chan struct{}, 3)
		go func() {
			started <- struct{}{}
			_, err := pull.Recv(context.Background())
			errs <- err
		}()
		go func() {
			started <- struct{}{}
			errs <- push.SendString(context.Background(), "x")
		}()
		go func() {
			started <- struct{}{}
			_, err := poller.Wait(context.Background())
			errs <- err
		}()
		for i := 0; i < 3; i++ {
			<-started
		}
		time.Sleep(5 * time.Millisecond) // let them block
		if err := zc.Term(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			select {
			case err := <-errs:
				if !errors.Is(err, core.ErrTerminated) {
					t.Fatalf("round %d: blocked call returned %v, want ErrTerminated", round, err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("round %d: blocked call did not return", round)
			}
		}
	}
}

// A socket the application closed itself keeps reporting ErrClosed, also
// after the context is terminated.
func TestClosedSocketStaysClosedAfterTerm(t *testing.T) {
	zc := core.NewContext()
	s, err := zc.NewSocket(core.PULL)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	zc.Term()
	if _, err := s.TryRecv(); !errors.Is(err, core.ErrClosed) {
		t.Fatalf("recv on a closed socket after Term: %v, want ErrClosed", err)
	}
}
