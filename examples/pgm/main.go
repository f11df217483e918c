// Command pgm shows reliable multicast over epgm (PGM in UDP), libzmq's
// pgm/epgm transport in pure Go: one publisher, two subscribers on
// another host, each subscriber filtering its own topic. The publisher
// sends each message once, to a multicast group; subscribers that miss a
// packet ask for it again (NAK) and get it repaired from the publisher's
// window.
//
// libzmq, and zmqkit likewise, turn multicast loopback off, so publisher
// and subscribers must be on different hosts. -demo makes two "hosts" on
// one machine, two network namespaces joined by a veth pair (root and
// iproute2 needed), runs the publisher in one and the subscribers in the
// other, and removes them at the end:
//
//	sudo go run ./examples/pgm -demo
//
// On real hosts (or namespaces you made, see README.md), one process per
// role, with the interface's address (or name) before the ';':
//
//	go run ./examples/pgm -sub 'epgm://192.0.2.2;239.192.0.1:5555' -name alice -topic stocks.
//	go run ./examples/pgm -sub 'epgm://192.0.2.2;239.192.0.1:5555' -name bob -topic weather.
//	go run ./examples/pgm -pub 'epgm://192.0.2.1;239.192.0.1:5555'
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/pgm" // registers pgm:// and epgm://
	"github.com/zmqkit/zmqkit/plugins/pgm/pgmtest"
)

// Options every socket of the example uses. RATE (kbit/s) bounds the
// publisher's sending, repairs included; RECOVERY_IVL is how long it keeps
// data for repairs. Subscribers size their receive windows from the same
// two options, as in libzmq.
func pgmOptions() []core.Option {
	return []core.Option{core.WithRate(10000), core.WithRecoveryInterval(5 * time.Second)}
}

var topics = []string{"stocks.", "weather."}

func main() {
	pubEP := flag.String("pub", "", "publish to this epgm:// or pgm:// endpoint")
	subEP := flag.String("sub", "", "subscribe at this endpoint")
	name := flag.String("name", "sub", "the subscriber's name, for its output")
	topic := flag.String("topic", "", "the subscriber's topic prefix (\"\": everything)")
	n := flag.Int("n", 10, "messages per topic")
	demo := flag.Bool("demo", false, "run a publisher and two subscribers in two network namespaces (root)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	switch {
	case *demo:
		err = runDemo(ctx, os.Stdout, *n)
	case *pubEP != "":
		zctx := core.NewContext()
		defer zctx.Term()
		err = publish(ctx, zctx, nil, *pubEP, *n, os.Stdout)
	case *subEP != "":
		zctx := core.NewContext()
		defer zctx.Term()
		want := *n
		if *topic == "" {
			want *= len(topics)
		}
		err = subscribe(ctx, zctx, nil, *subEP, *name, *topic, want, os.Stdout, nil)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		log.Fatal(err)
	}
}

// bindIn binds s to ep; with a rig, in its namespace i (pgm opens its
// sockets in Bind, on the calling thread: they stay in that namespace).
func bindIn(rig *pgmtest.Rig, i int, s *core.Socket, ep string) error {
	if rig == nil {
		return s.Bind(ep)
	}
	return rig.Do(i, func() error { return s.Bind(ep) })
}

// publish sends n messages on each topic, [topic, text], 50 ms apart.
func publish(ctx context.Context, zctx *core.Context, rig *pgmtest.Rig, ep string, n int, out io.Writer) error {
	// LINGER: Close waits until what was sent has left (up to 2 s)
	pub, err := zctx.NewSocket(core.PUB, append(pgmOptions(), core.WithLinger(2*time.Second))...)
	if err != nil {
		return err
	}
	defer pub.Close()
	if err := bindIn(rig, 0, pub, ep); err != nil {
		return err
	}
	fmt.Fprintf(out, "publisher: sending to %s\n", pub.LastEndpoint())
	for i := range n {
		for _, t := range topics {
			text := fmt.Sprintf("%s update %d", strings.TrimSuffix(t, "."), i)
			if err := pub.Send(ctx, core.NewMsg([]byte(t), []byte(text))); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	for _, st := range pgm.Stats() {
		if st.Sender != nil {
			fmt.Fprintf(out, "publisher: %d data packets, %d repairs\n", st.Sender.ODATA, st.Sender.RDATA)
		}
	}
	return nil
}

// subscribe prints the messages of topic until it has n of them. Data
// lost for good (it left the publisher's window before it could be
// repaired) is reported by the EventDataLost monitor event.
func subscribe(ctx context.Context, zctx *core.Context, rig *pgmtest.Rig, ep, name, topic string, n int, out io.Writer, ready func()) error {
	sub, err := zctx.NewSocket(core.SUB, append(pgmOptions(), core.WithSubscribe(topic))...)
	if err != nil {
		return err
	}
	defer sub.Close()
	lost, err := sub.WatchEvents(ctx, core.EventDataLost)
	if err != nil {
		return err
	}
	if err := bindIn(rig, 1, sub, ep); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: listening on %s for %q\n", name, sub.LastEndpoint(), topic)
	if ready != nil {
		ready()
	}
	for got := 0; got < n; {
		select {
		case ev := <-lost:
			fmt.Fprintf(out, "%s: %d packets lost from %s\n", name, ev.Value, ev.Remote)
		default:
		}
		m, err := sub.Recv(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(out, "%s: %s\n", name, m.Frames[1])
		got++
	}
	return nil
}

// runDemo builds two namespaces joined by a veth pair, 192.0.2.1 and
// 192.0.2.2, starts two subscribers in the second and a publisher in the
// first, and removes the namespaces at the end.
func runDemo(ctx context.Context, out io.Writer, n int) error {
	rig, err := pgmtest.Build()
	if err != nil {
		return fmt.Errorf("-demo: %w", err)
	}
	defer rig.Remove()
	fmt.Fprintf(out, "namespaces %s (%s) and %s (%s), group %s\n", rig.NS[0], rig.Addr[0], rig.NS[1], rig.Addr[1], rig.Group)
	return demo(ctx, rig, out, n)
}

// demo runs the publisher and the subscribers in the rig's namespaces.
func demo(ctx context.Context, rig *pgmtest.Rig, out io.Writer, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	zctx := core.NewContext()
	defer zctx.Term()
	w := &lockedWriter{w: out}
	var wg sync.WaitGroup
	errs := make([]error, len(topics))
	ready := make(chan struct{}, len(topics))
	for i, name := range []string{"alice", "bob"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = subscribe(ctx, zctx, rig, rig.Endpoint(1, "epgm", 5555), name, topics[i], n, w, func() { ready <- struct{}{} })
		}()
	}
	for range topics { // both subscribers are listening
		select {
		case <-ready:
		case <-ctx.Done():
			wg.Wait()
			return errors.Join(append(errs, ctx.Err())...)
		}
	}
	err := publish(ctx, zctx, rig, rig.Endpoint(0, "epgm", 5555), n, w)
	wg.Wait()
	return errors.Join(append(errs, err)...)
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
