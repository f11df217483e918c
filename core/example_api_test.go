package core_test

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

// Errno and ErrnoError translate between zmqkit's errors and libzmq's
// errno values (zmq_errno), StrError gives libzmq's text (zmq_strerror).
func ExampleErrno() {
	zctx := core.NewContext()
	defer zctx.Term()
	req, _ := zctx.NewSocket(core.REQ, core.WithLinger(0))
	req.Connect("inproc://example-errno")
	req.TrySend(core.NewMsgString("first"))
	err := req.TrySend(core.NewMsgString("second")) // REQ must receive first

	errno := core.Errno(err)
	fmt.Println(errno == core.EFSM, int(errno))
	fmt.Println(core.StrError(errno))
	fmt.Println(errors.Is(err, core.ErrnoError(errno)), core.ErrnoError(syscall.EAGAIN) == core.ErrWouldBlock)
	// Output:
	// true 156384763
	// Operation cannot be accomplished in current state
	// true true
}

// Has answers zmq_has from the transports and mechanisms registered.
func ExampleHas() {
	// this program imports plugins/all
	fmt.Println(core.Has("ipc"), core.Has("curve"), core.Has("draft"), core.Has("gssapi"), core.Has("norm"))
	// Output:
	// true true true false false
}

// ZMQVersion is zmq_version: the libzmq API level zmqkit implements;
// Version is zmqkit's own.
func ExampleZMQVersion() {
	major, minor, patch := core.ZMQVersion()
	fmt.Printf("libzmq API %d.%d.%d\n", major, minor, patch)
	fmt.Println(core.VersionString() == core.BuildVersion().String())
	// Output:
	// libzmq API 4.3.5
	// true
}

// Move is zmq_msg_move; InitSize zmq_msg_init_size; SendMsg sends without
// copying (zmq_msg_init_data + zmq_msg_send).
func ExampleMsg_Move() {
	zctx := core.NewContext()
	defer zctx.Term()
	pull, _ := zctx.NewSocket(core.PULL)
	pull.Bind("inproc://example-move")
	push, _ := zctx.NewSocket(core.PUSH)
	push.Connect("inproc://example-move")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	var m core.Msg
	m.InitSize(5)
	copy(m.Frames[0], "hello")
	var out core.Msg
	out.Move(&m)
	fmt.Println(len(m.Frames), string(out.Frames[0]))
	push.SendMsg(ctx, &out) // out's buffer now belongs to the socket
	got, _ := pull.Recv(ctx)
	fmt.Println(string(got.Frames[0]))
	// Output:
	// 0 hello
	// hello
}
