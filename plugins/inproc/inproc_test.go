package inproc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/registry/transport/transporttest"
)

var names atomic.Int64

func freshName(testing.TB) string { return fmt.Sprintf("name-%d", names.Add(1)) }

func TestConformance(t *testing.T) {
	tr := New()
	transporttest.Run(t, transporttest.Factory{
		Transport: tr,
		Kind:      transport.KindPipe,
		Addr:      freshName,
	})
	checkEmpty(t, tr)
}

// checkEmpty checks that the namespace holds nothing (no leaked slots).
func checkEmpty(t *testing.T, tr transport.Transport) {
	t.Helper()
	it := tr.(*inprocTransport)
	it.mu.Lock()
	defer it.mu.Unlock()
	if len(it.scopes) != 0 {
		t.Errorf("namespace not empty after the tests: %d scopes", len(it.scopes))
		for s, m := range it.scopes {
			for n, sl := range m {
				t.Logf("scope %q name %q: bound %v, %d pending", s, n, sl.l != nil, len(sl.pending))
			}
		}
	}
}

func TestRegistered(t *testing.T) {
	tr, err := registry.Default.Transport("inproc")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Kind() != transport.KindPipe {
		t.Errorf("Kind = %d", tr.Kind())
	}
}

func cfg(scope string, offer any) *transport.Config {
	return &transport.Config{Scope: scope, Offer: offer}
}

func TestScopes(t *testing.T) {
	tr := New()
	ctx := context.Background()
	tests := []struct {
		name          string
		scope1, name1 string
		scope2, name2 string
		wantInUse     bool
	}{
		{"same scope same name", "ctx1", "a", "ctx1", "a", true},
		{"other scope same name", "ctx1", "a", "ctx2", "a", false},
		{"same scope other name", "ctx1", "a", "ctx1", "b", false},
		{"empty scope", "", "a", "", "a", true},
		{"names are exact", "ctx1", "a", "ctx1", "A", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l1, err := tr.Listen(ctx, "inproc", tc.name1, cfg(tc.scope1, nil))
			if err != nil {
				t.Fatal(err)
			}
			defer l1.Close()
			l2, err := tr.Listen(ctx, "inproc", tc.name2, cfg(tc.scope2, nil))
			if tc.wantInUse {
				if !errors.Is(err, transport.ErrAddrInUse) {
					t.Fatalf("second Listen = %v, want ErrAddrInUse", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("second Listen: %v", err)
			}
			defer l2.Close()
			// A dial in scope2 reaches l2, not l1.
			d, err := tr.Dial(ctx, "inproc", tc.name2, cfg(tc.scope2, "for l2"))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			a, err := l2.Accept(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if v := a.(transport.PipeConn).Value(); v != "for l2" {
				t.Errorf("Value = %v", v)
			}
			short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
			defer cancel()
			if _, err := l1.Accept(short); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("l1.Accept = %v, want nothing to accept", err)
			}
		})
	}
	checkEmpty(t, tr)
}

func TestInvalid(t *testing.T) {
	tr := New()
	ctx := context.Background()
	for _, tc := range []struct{ scheme, name string }{{"inproc", ""}, {"tcp", "x"}} {
		if _, err := tr.Listen(ctx, tc.scheme, tc.name, nil); !errors.Is(err, transport.ErrInvalidEndpoint) {
			t.Errorf("Listen(%s, %q) = %v", tc.scheme, tc.name, err)
		}
		if _, err := tr.Dial(ctx, tc.scheme, tc.name, nil); !errors.Is(err, transport.ErrInvalidEndpoint) {
			t.Errorf("Dial(%s, %q) = %v", tc.scheme, tc.name, err)
		}
		if err := tr.(transport.DialChecker).CheckDial(tc.scheme, tc.name); !errors.Is(err, transport.ErrInvalidEndpoint) {
			t.Errorf("CheckDial(%s, %q) = %v", tc.scheme, tc.name, err)
		}
	}
	// Odd but valid names.
	for _, name := range []string{"@", "*", "a:b", "with space", "x\x00y", "ünïcødé"} {
		l, err := tr.Listen(ctx, "inproc", name, nil)
		if err != nil {
			t.Errorf("Listen(%q): %v", name, err)
			continue
		}
		if l.Endpoint() != "inproc://"+name {
			t.Errorf("Endpoint() = %q", l.Endpoint())
		}
		l.Close()
	}
	checkEmpty(t, tr)
}

func TestNilConfig(t *testing.T) {
	tr := New()
	ctx := context.Background()
	// nil configs must not panic.
	l, err := tr.Listen(ctx, "inproc", "n", nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := tr.Dial(ctx, "inproc", "n", nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := l.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a.(transport.PipeConn).Value() != nil || a.FD() != -1 || a.PeerAddress() != "" {
		t.Errorf("unexpected accepted conn %+v", a)
	}
	if d.RemoteAddress() != "inproc://n" || a.LocalAddress() != "inproc://n" {
		t.Errorf("addresses: dialer remote %q, acceptor local %q", d.RemoteAddress(), a.LocalAddress())
	}
	d.Close()
	a.Close()
	l.Close()
	checkEmpty(t, tr)
}

func TestPendingOffers(t *testing.T) {
	tr := New()
	ctx := context.Background()
	// Three dials before any bind; the middle one is withdrawn.
	var ds []transport.Conn
	for i := range 3 {
		d, err := tr.Dial(ctx, "inproc", "p", cfg("s", i))
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	ds[1].Close()
	ds[1].Close() // idempotent
	// A bind and close without accepting keeps the offers queued.
	l, err := tr.Listen(ctx, "inproc", "p", cfg("s", nil))
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if err := l.Close(); !errors.Is(err, transport.ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
	l, err = tr.Listen(ctx, "inproc", "p", cfg("s", nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []int{0, 2} {
		a, err := l.Accept(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v := a.(transport.PipeConn).Value(); v != want {
			t.Errorf("Value = %v, want %d", v, want)
		}
		a.Close()
	}
	// Closing an accepted dialer does not disturb anything.
	ds[0].Close()
	ds[2].Close()
	l.Close()
	checkEmpty(t, tr)
}

func TestCloseWakesAllAccepts(t *testing.T) {
	tr := New()
	l, err := tr.Listen(context.Background(), "inproc", "w", nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = 4
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := l.Accept(context.Background())
			errs <- err
		}()
	}
	time.Sleep(10 * time.Millisecond)
	l.Close()
	for range n {
		select {
		case err := <-errs:
			if !errors.Is(err, transport.ErrClosed) {
				t.Errorf("Accept = %v, want ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Accept not woken by Close")
		}
	}
	checkEmpty(t, tr)
}

// TestStress races dials, withdrawals, accepts and rebinds, and checks
// that every offer is accepted exactly once or withdrawn.
func TestStress(t *testing.T) {
	tr := New()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const dialers, perDialer = 8, 200
	var (
		mu       sync.Mutex
		accepted = map[int]int{}
		kept     = map[int]bool{}
		wg       sync.WaitGroup
	)
	for g := range dialers {
		wg.Go(func() {
			for i := range perDialer {
				id := g*perDialer + i
				d, err := tr.Dial(ctx, "inproc", "stress", cfg("s", id))
				if err != nil {
					t.Error(err)
					return
				}
				if i%3 == 0 {
					d.Close() // withdraw, or close after acceptance
				} else {
					mu.Lock()
					kept[id] = true
					mu.Unlock()
				}
			}
		})
	}
	stop := make(chan struct{})
	var acc sync.WaitGroup
	acc.Go(func() {
		for {
			l, err := tr.Listen(ctx, "inproc", "stress", cfg("s", nil))
			if err != nil {
				t.Error(err)
				return
			}
			for range 50 {
				short, c := context.WithTimeout(ctx, 5*time.Millisecond)
				a, err := l.Accept(short)
				c()
				if err != nil {
					break
				}
				mu.Lock()
				accepted[a.(transport.PipeConn).Value().(int)]++
				mu.Unlock()
			}
			l.Close()
			select {
			case <-stop:
				return
			default:
			}
		}
	})
	wg.Wait()
	// Drain everything still pending.
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		missing := 0
		for id := range kept {
			if accepted[id] == 0 {
				missing++
			}
		}
		mu.Unlock()
		if missing == 0 || time.Now().After(deadline) {
			if missing != 0 {
				t.Errorf("%d kept offers never accepted", missing)
			}
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	acc.Wait()
	for id, n := range accepted {
		if n != 1 {
			t.Errorf("offer %d accepted %d times", id, n)
		}
	}
	checkEmpty(t, tr)
}
