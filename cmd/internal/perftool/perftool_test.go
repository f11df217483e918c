package perftool

import (
	"context"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/all"
)

// The tools' CURVE keys pair up: a CurveClient socket talks to a
// CurveServer socket, and a NULL client can not.
func TestCurveKeysPairUp(t *testing.T) {
	zc := core.NewContext()
	defer zc.Term()
	pull, err := zc.NewSocket(core.PULL, append(CurveServer(true), core.WithLinger(0))...)
	if err != nil {
		t.Fatal(err)
	}
	if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	push, err := zc.NewSocket(core.PUSH, append(CurveClient(true), core.WithLinger(0))...)
	if err != nil {
		t.Fatal(err)
	}
	if err := push.Connect(pull.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := push.SendString(c, "x"); err != nil {
		t.Fatal(err)
	}
	m, err := pull.Recv(c)
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Frames[0]) != "x" {
		t.Fatalf("got %q", m.Frames)
	}
	plain, err := zc.NewSocket(core.PUSH, core.WithLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.Connect(pull.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	plain.SendString(c, "y")
	short, stop := context.WithTimeout(c, 300*time.Millisecond)
	defer stop()
	if m, err := pull.Recv(short); err == nil {
		t.Fatalf("a NULL client got %q through to a CURVE server", m.Frames)
	}
	if CurveServer(false) != nil || CurveClient(false) != nil || Atoi("x") != 0 || Atoi("42") != 42 {
		t.Fatal("helpers without CURVE")
	}
}
