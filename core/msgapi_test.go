package core_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/auth"
	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/plain"
)

// TestMsgAPI walks the Go forms of zmq_msg_*: init_size, init_data
// (zero-copy send), copy, move, more, gets, routing id and group.
func TestMsgAPI(t *testing.T) {
	// zmq_msg_init_size: frames of given sizes in one buffer
	var m core.Msg
	m.InitSize(3, 0, 5)
	if len(m.Frames) != 3 || len(m.Frames[0]) != 3 || len(m.Frames[1]) != 0 || m.Len() != 8 {
		t.Fatalf("InitSize: %d frames, len %d", len(m.Frames), m.Len())
	}
	copy(m.Frames[0], "abc")
	copy(m.Frames[2], "defgh")
	// zmq_msg_copy: Clone shares no memory
	c := m.Clone()
	c.Frames[0][0] = 'X'
	if m.Frames[0][0] != 'a' {
		t.Error("Clone shares memory with the original")
	}
	// zmq_msg_move: the destination takes everything, the source is empty
	var dst core.Msg
	dst.Move(&c)
	if len(c.Frames) != 0 || c.Len() != 0 || string(dst.Frames[0]) != "Xbc" {
		t.Errorf("Move: src %v, dst %q", c.Frames, dst.Frames)
	}
	dst.Move(&dst) // moving onto itself keeps it
	if string(dst.Frames[2]) != "defgh" {
		t.Error("Move onto itself lost the message")
	}
	// zmq_msg_set_routing_id / zmq_msg_set_group
	if err := dst.SetRoutingID(0); err == nil {
		t.Error("SetRoutingID(0) accepted")
	}
	if err := dst.SetGroup(string(make([]byte, core.MaxGroupLen+1))); err == nil {
		t.Error("group longer than MaxGroupLen accepted")
	}
	dst.SetRoutingID(7)
	dst.SetGroup("g")
	if dst.RoutingID() != 7 || dst.Group() != "g" {
		t.Errorf("routing id %d group %q", dst.RoutingID(), dst.Group())
	}
}

// TestMsgGetsOverTCP checks zmq_msg_gets's properties on a message from a
// PLAIN-authenticated tcp connection, and the zero-copy send (init_data).
func TestMsgGetsOverTCP(t *testing.T) {
	zctx := core.NewContext()
	defer zctx.Term()
	a, err := auth.New(zctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.SetUsers(auth.AnyDomain, map[string]string{"admin": "secret"})
	router, err := zctx.NewSocket(core.ROUTER, core.WithLinger(0), core.WithMechanism(plain.Server()))
	if err != nil {
		t.Fatal(err)
	}
	if err := router.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	dealer, err := zctx.NewSocket(core.DEALER, core.WithLinger(0), core.WithRoutingID([]byte("w7")),
		core.WithMetadata("X-Color", "blue"), core.WithMechanism(plain.Client("admin", "secret")))
	if err != nil {
		t.Fatal(err)
	}
	if err := dealer.Connect(router.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// zmq_msg_init_data + zmq_msg_send: SendMsg hands the buffer over
	payload := bytes.Repeat([]byte("z"), 4096)
	out := core.NewMsg(payload)
	if err := dealer.SendMsg(ctx, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Frames) != 0 {
		t.Error("SendMsg did not reset the sent message")
	}
	got, err := router.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Frames) != 2 || string(got.Frames[0]) != "w7" || !bytes.Equal(got.Frames[1], payload) {
		t.Fatalf("received %d frames", len(got.Frames))
	}
	for name, want := range map[string]string{
		core.PropertySocketType:  "DEALER",
		core.PropertyRoutingID:   "w7",
		"Identity":               "w7",
		core.PropertyUserID:      "admin",
		core.PropertyPeerAddress: "127.0.0.1",
		"X-Color":                "blue",
	} {
		if v, ok := got.Property(name); !ok || v != want {
			t.Errorf("Property(%q) = %q, %v; want %q", name, v, ok, want)
		}
	}
	if _, ok := got.Property("socket-type"); ok {
		t.Error("property names must be case-sensitive, as in libzmq")
	}
}

// TestMsgMoreAndSendConst checks the frame-at-a-time forms: zmq_send with
// ZMQ_SNDMORE (SendFrame), zmq_recv with zmq_msg_more / ZMQ_RCVMORE
// (RecvFrame, RecvMore), and zmq_send_const's guarantee (Send copies: the
// caller's memory is neither kept nor written).
func TestMsgMoreAndSendConst(t *testing.T) {
	zctx := core.NewContext()
	defer zctx.Term()
	pull, err := zctx.NewSocket(core.PULL, core.WithLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := pull.Bind("inproc://msgapi-more"); err != nil {
		t.Fatal(err)
	}
	push, err := zctx.NewSocket(core.PUSH, core.WithLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := push.Connect("inproc://msgapi-more"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i, f := range []string{"a", "b", "c"} {
		if err := push.SendFrame(ctx, []byte(f), i < 2); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []string{"a", "b", "c"} {
		f, more, err := pull.RecvFrame(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if string(f) != want || more != (i < 2) || pull.RecvMore() != more {
			t.Errorf("frame %d: %q more=%v RecvMore=%v", i, f, more, pull.RecvMore())
		}
	}
	// send_const: the frame is read-only to zmqkit and not retained
	constant := []byte("constant payload")
	if err := push.Send(ctx, core.NewMsg(constant)); err != nil {
		t.Fatal(err)
	}
	copy(constant, "CHANGED AT ONCE!")
	got, err := pull.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Frames[0]) != "constant payload" {
		t.Errorf("received %q: Send kept the caller's memory", got.Frames[0])
	}
	if string(constant) != "CHANGED AT ONCE!" {
		t.Errorf("Send wrote to the caller's frame: %q", constant)
	}
}
