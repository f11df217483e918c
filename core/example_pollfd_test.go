//go:build aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris

package core_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

// A Poller waits on sockets and standard sockets or files together
// (zmq_poller_add_fd): here a PULL socket and a pipe.
func ExamplePoller_AddConn() {
	zctx := core.NewContext()
	defer zctx.Term()
	pull, _ := zctx.NewSocket(core.PULL)
	pull.Bind("inproc://example-addconn")
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()

	p := core.NewPoller()
	p.Add(pull, core.PollIn)
	p.AddConn(r, core.PollIn)

	w.Write([]byte("from the pipe\n"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ready, err := p.Wait(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, it := range ready {
		if it.Conn == r {
			buf := make([]byte, 64)
			n, _ := r.Read(buf) // polling read nothing: the data is all there
			fmt.Printf("pipe: %s", buf[:n])
		}
	}
	// Output:
	// pipe: from the pipe
}
