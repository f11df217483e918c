// Command pipeline is the ZeroMQ divide-and-conquer pattern: a ventilator
// PUSHes tasks to a pool of workers, which PUSH their results to a sink
// that PULLs them all in (fan-out, then fan-in).
//
//	go run ./examples/pipeline            # 3 workers, 30 tasks
//	go run ./examples/pipeline -workers 4 -tasks 100
//
// Everything runs in one process; the workers listen on inproc and the
// sink on ipc, to show that a socket does not care which transport its
// peers use.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/all" // tcp, ipc and inproc
)

func main() {
	nWorkers := flag.Int("workers", 3, "number of workers")
	nTasks := flag.Int("tasks", 30, "number of tasks")
	flag.Parse()
	if *nWorkers < 1 || *nTasks < 1 {
		log.Fatal("need at least one worker and one task")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	zctx := core.NewContext()
	defer zctx.Term()

	// The sink collects results.
	sink, err := zctx.NewSocket(core.PULL)
	if err != nil {
		log.Fatal(err)
	}
	if err := sink.Bind("ipc://*"); err != nil { // a fresh socket file in a temporary directory
		log.Fatal(err)
	}

	// Each worker listens for tasks on its own inproc endpoint and
	// connects to the sink.
	var workers sync.WaitGroup
	var workerEndpoints []string
	for i := 1; i <= *nWorkers; i++ {
		name := fmt.Sprintf("worker-%d", i)
		tasks, err := zctx.NewSocket(core.PULL)
		if err != nil {
			log.Fatal(err)
		}
		if err := tasks.Bind("inproc://" + name); err != nil {
			log.Fatal(err)
		}
		workerEndpoints = append(workerEndpoints, tasks.LastEndpoint())
		results, err := zctx.NewSocket(core.PUSH)
		if err != nil {
			log.Fatal(err)
		}
		if err := results.Connect(sink.LastEndpoint()); err != nil {
			log.Fatal(err)
		}
		workers.Add(1)
		go func() {
			defer workers.Done()
			worker(ctx, name, tasks, results)
		}()
	}

	// The ventilator connects to the workers. PUSH deals round-robin to
	// the peers it has when it sends: an inproc Connect to a bound
	// endpoint gives it the peer at once, so tasks are dealt evenly from
	// the first one. (Had the workers connected to a bound ventilator,
	// the first worker to connect could take every task queued before the
	// others arrived: the pipeline's "slow joiner".)
	vent, err := zctx.NewSocket(core.PUSH)
	if err != nil {
		log.Fatal(err)
	}
	for _, ep := range workerEndpoints {
		if err := vent.Connect(ep); err != nil {
			log.Fatal(err)
		}
	}

	start := time.Now()
	total := 0
	for i := 1; i <= *nTasks; i++ {
		ms := 1 + rand.IntN(10) // the "work": sleep 1-10 ms
		total += ms
		if err := vent.SendString(ctx, strconv.Itoa(ms)); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("ventilator: sent %d tasks, %d ms of work in all\n", *nTasks, total)

	perWorker := map[string]int{}
	for i := 0; i < *nTasks; i++ {
		m, err := sink.Recv(ctx)
		if err != nil {
			log.Fatal("sink: ", err)
		}
		perWorker[string(m.Frames[0])]++
	}
	elapsed := time.Since(start)
	for i := 1; i <= *nWorkers; i++ {
		name := fmt.Sprintf("worker-%d", i)
		fmt.Printf("sink: %s did %d tasks\n", name, perWorker[name])
	}
	fmt.Printf("sink: %d results in %v (%d workers in parallel)\n", *nTasks, elapsed.Round(time.Millisecond), *nWorkers)

	zctx.Shutdown() // workers blocked in Recv get ErrTerminated
	workers.Wait()
}

// worker does tasks until the context is shut down.
func worker(ctx context.Context, name string, tasks, results *core.Socket) {
	var task core.Msg // reused: RecvMsg does not allocate in steady state
	for {
		err := tasks.RecvMsg(ctx, &task)
		if errors.Is(err, core.ErrTerminated) {
			return
		}
		if err != nil {
			log.Fatal(name, ": ", err)
		}
		ms, _ := strconv.Atoi(string(task.Frames[0]))
		time.Sleep(time.Duration(ms) * time.Millisecond)
		if err := results.SendString(ctx, name, "done"); err != nil {
			if errors.Is(err, core.ErrTerminated) {
				return
			}
			log.Fatal(name, ": ", err)
		}
	}
}
