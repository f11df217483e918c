// Command patterns is a tour of the ZeroMQ messaging patterns with zmqkit,
// each over a different transport, in one process:
//
//   - REQ/REP over tcp: strict request/reply;
//   - PUSH/PULL over inproc: tasks fanned out round-robin to two workers;
//   - PUB/SUB over ipc: topic filtering (and the "slow joiner");
//   - DEALER/ROUTER over tcp: routing replies by peer identity.
//
// Run it with
//
//	go run ./examples/patterns
//
// It prints what each pattern did and exits within a second or two.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/all" // registers tcp, ipc and inproc
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "patterns:", err)
		os.Exit(1)
	}
}

// run runs every demo, writing what happens to w. Every wait is bounded.
func run(w io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	demos := []struct {
		title string
		fn    func(context.Context, io.Writer) error
	}{
		{"REQ/REP over tcp", reqRep},
		{"PUSH/PULL fan-out over inproc", pushPull},
		{"PUB/SUB with topic filtering over ipc", pubSub},
		{"DEALER/ROUTER with identities over tcp", dealerRouter},
	}
	for _, d := range demos {
		fmt.Fprintf(w, "== %s\n", d.title)
		if err := d.fn(ctx, w); err != nil {
			return fmt.Errorf("%s: %w", d.title, err)
		}
	}
	fmt.Fprintln(w, "== done")
	return nil
}

// closeAll terminates a context without waiting more than a second for
// queued messages to leave.
func closeAll(zctx *core.Context) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	zctx.TermContext(ctx)
}

// reqRep: a REP server answers three requests from a REQ client.
func reqRep(ctx context.Context, w io.Writer) error {
	zctx := core.NewContext()
	defer closeAll(zctx)

	rep, err := zctx.NewSocket(core.REP)
	if err != nil {
		return err
	}
	if err := rep.Bind("tcp://127.0.0.1:*"); err != nil { // any free port
		return err
	}
	req, err := zctx.NewSocket(core.REQ)
	if err != nil {
		return err
	}
	if err := req.Connect(rep.LastEndpoint()); err != nil {
		return err
	}

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the server
		defer wg.Done()
		for {
			m, err := rep.Recv(ctx)
			if err != nil {
				return // ErrTerminated once the client is done
			}
			if err := rep.SendString(ctx, strings.ToUpper(string(m.Frames[0]))); err != nil {
				return
			}
		}
	}()
	defer wg.Wait()
	defer zctx.Shutdown() // unblocks the server's Recv

	for _, word := range []string{"hello", "zero", "mq"} {
		if err := req.SendString(ctx, word); err != nil {
			return err
		}
		m, err := req.Recv(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "request %q -> reply %q\n", word, m.Frames[0])
	}
	return nil
}

// pushPull: a PUSH socket connected to two PULL workers deals tasks to
// them in turn.
func pushPull(ctx context.Context, w io.Writer) error {
	zctx := core.NewContext()
	defer closeAll(zctx)

	type result struct{ worker, task string }
	results := make(chan result, 16)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer zctx.Shutdown() // stops the workers

	var endpoints []string
	for _, name := range []string{"worker-1", "worker-2"} {
		pull, err := zctx.NewSocket(core.PULL)
		if err != nil {
			return err
		}
		ep := "inproc://" + name
		if err := pull.Bind(ep); err != nil {
			return err
		}
		endpoints = append(endpoints, ep)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				m, err := pull.Recv(ctx)
				if err != nil {
					return
				}
				results <- result{name, string(m.Frames[0])}
			}
		}()
	}

	push, err := zctx.NewSocket(core.PUSH)
	if err != nil {
		return err
	}
	for _, ep := range endpoints {
		if err := push.Connect(ep); err != nil {
			return err
		}
	}
	const tasks = 6
	for i := 1; i <= tasks; i++ {
		if err := push.SendString(ctx, fmt.Sprintf("task-%d", i)); err != nil {
			return err
		}
	}
	got := make([]result, 0, tasks)
	for len(got) < tasks {
		select {
		case r := <-results:
			got = append(got, r)
		case <-ctx.Done():
			return fmt.Errorf("got %d of %d tasks: %w", len(got), tasks, ctx.Err())
		}
	}
	sort.Slice(got, func(i, j int) bool { return got[i].task < got[j].task })
	perWorker := map[string]int{}
	for _, r := range got {
		fmt.Fprintf(w, "%s -> %s\n", r.task, r.worker)
		perWorker[r.worker]++
	}
	fmt.Fprintf(w, "worker-1 got %d tasks, worker-2 got %d tasks\n", perWorker["worker-1"], perWorker["worker-2"])
	return nil
}

// pubSub: a subscriber to "weather." sees only weather updates.
func pubSub(ctx context.Context, w io.Writer) error {
	zctx := core.NewContext()
	defer closeAll(zctx)

	pub, err := zctx.NewSocket(core.PUB)
	if err != nil {
		return err
	}
	if err := pub.Bind("ipc://*"); err != nil { // a fresh socket file in a temporary directory
		return err
	}
	sub, err := zctx.NewSocket(core.SUB, core.WithSubscribe("weather."))
	if err != nil {
		return err
	}
	if err := sub.Connect(pub.LastEndpoint()); err != nil {
		return err
	}

	// The slow joiner: a PUB drops what it publishes before the
	// subscription reaches it. Publish a hello until the subscriber sees
	// one; from then on nothing on the topic is lost.
	for {
		if err := pub.SendString(ctx, "weather.hello"); err != nil {
			return err
		}
		wctx, wcancel := context.WithTimeout(ctx, 20*time.Millisecond)
		_, err := sub.Recv(wctx)
		wcancel()
		if err == nil {
			break
		}
		if !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return fmt.Errorf("waiting for the subscription: %w", err)
		}
	}
	fmt.Fprintln(w, "subscriber connected (subscribed to \"weather.\")")

	updates := [][2]string{
		{"sports.tennis", "6-4 6-3"},
		{"weather.paris", "18C, cloudy"},
		{"news.tech", "zmqkit speaks ZMTP 3.1"},
		{"weather.oslo", "9C, rain"},
		{"weather.done", ""},
	}
	for _, u := range updates {
		if err := pub.SendString(ctx, u[0], u[1]); err != nil {
			return err
		}
	}
	for {
		m, err := sub.Recv(ctx)
		if err != nil {
			return err
		}
		topic := string(m.Frames[0])
		switch topic {
		case "weather.hello":
			continue // a hello still in flight
		case "weather.done":
			return nil
		}
		fmt.Fprintf(w, "received %s: %s\n", topic, m.Frames[1])
	}
}

// dealerRouter: two DEALERs with routing ids talk to one ROUTER, which
// answers each by its id.
func dealerRouter(ctx context.Context, w io.Writer) error {
	zctx := core.NewContext()
	defer closeAll(zctx)

	router, err := zctx.NewSocket(core.ROUTER, core.WithRouterMandatory(true))
	if err != nil {
		return err
	}
	if err := router.Bind("tcp://127.0.0.1:*"); err != nil {
		return err
	}
	for _, name := range []string{"alice", "bob"} {
		dealer, err := zctx.NewSocket(core.DEALER, core.WithRoutingID([]byte(name)))
		if err != nil {
			return err
		}
		if err := dealer.Connect(router.LastEndpoint()); err != nil {
			return err
		}
		if err := dealer.SendString(ctx, "hello from "+name); err != nil {
			return err
		}
		// A ROUTER gets [routing id][body...].
		m, err := router.Recv(ctx)
		if err != nil {
			return err
		}
		id, body := m.Frames[0], m.Frames[1]
		fmt.Fprintf(w, "router got %q from id %q\n", body, id)
		// And sends to a peer by putting its id first.
		if err := router.Send(ctx, core.NewMsg(id, []byte("welcome, "+string(id)))); err != nil {
			return err
		}
		reply, err := dealer.Recv(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s got %q\n", name, reply.Frames[0])
	}
	// With ROUTER_MANDATORY, an unknown id is an error, not a silent drop.
	err = router.SendString(ctx, "carol", "anyone there?")
	fmt.Fprintf(w, "send to unknown id \"carol\": host unreachable = %v\n", errors.Is(err, core.ErrHostUnreachable))
	return nil
}
