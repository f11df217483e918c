package core_test

// Tests of the STREAM socket type (raw TCP/IPC, libzmq's ZMQ_STREAM):
// a STREAM server talking to plain net.Conn clients, a STREAM client
// talking to a plain net.Listener, notifications, closing connections,
// CONNECT_ROUTING_ID and large transfers. Run: go test -race ./core/ -run Stream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/all"
)

// stTransport is one transport the STREAM tests run over: how to bind a
// zmq endpoint, and how a plain Go program reaches or offers it.
type stTransport struct {
	name string
	// bindEP returns an endpoint for Bind.
	bindEP func(t *testing.T) string
	// dial connects a plain client to a bound STREAM socket's LastEndpoint.
	dial func(ep string) (net.Conn, error)
	// listen opens a plain listener and returns it with the zmq endpoint
	// a STREAM socket connects to.
	listen func(t *testing.T) (net.Listener, string)
}

func stTransports() []stTransport {
	return []stTransport{
		{
			name:   "tcp",
			bindEP: func(*testing.T) string { return "tcp://127.0.0.1:*" },
			dial: func(ep string) (net.Conn, error) {
				return net.Dial("tcp", strings.TrimPrefix(ep, "tcp://"))
			},
			listen: func(t *testing.T) (net.Listener, string) {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				return ln, "tcp://" + ln.Addr().String()
			},
		},
		{
			name:   "ipc",
			bindEP: func(t *testing.T) string { return "ipc://" + stShortPath(t) },
			dial: func(ep string) (net.Conn, error) {
				return net.Dial("unix", strings.TrimPrefix(ep, "ipc://"))
			},
			listen: func(t *testing.T) (net.Listener, string) {
				p := stShortPath(t)
				ln, err := net.Listen("unix", p)
				if err != nil {
					t.Fatal(err)
				}
				return ln, "ipc://" + p
			},
		},
	}
}

// stShortPath returns a socket path short enough for sun_path.
func stShortPath(t *testing.T) string {
	d, err := os.MkdirTemp("", "zst")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return filepath.Join(d, "s")
}

// stCtx is a per-test deadline for blocking calls.
func stCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// stSetup makes a context whose sockets are closed, and whose goroutines
// are checked for leaks, when the test ends.
func stSetup(t *testing.T) *core.Context {
	t.Helper()
	ign := goleak.IgnoreCurrent()
	zctx := core.NewContext()
	t.Cleanup(func() {
		zctx.Term()
		goleak.VerifyNone(t, ign)
	})
	return zctx
}

func stSocket(t *testing.T, zctx *core.Context, opts ...core.Option) *core.Socket {
	t.Helper()
	s, err := zctx.NewSocket(core.STREAM, append([]core.Option{core.WithLinger(0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// stRecv receives one STREAM message and checks its shape.
func stRecv(t *testing.T, s *core.Socket) (id, data []byte) {
	t.Helper()
	m, err := s.Recv(stCtx(t))
	if err != nil {
		t.Fatalf("recv: %v", err)
	}
	if len(m.Frames) != 2 {
		t.Fatalf("recv: %d frames %q, want [id][data]", len(m.Frames), m.Frames)
	}
	return m.Frames[0], m.Frames[1]
}

// stRecvNotify expects a notification ([id][empty]) and returns the id.
func stRecvNotify(t *testing.T, s *core.Socket) []byte {
	t.Helper()
	id, data := stRecv(t, s)
	if len(data) != 0 {
		t.Fatalf("got data %q, want a notification", data)
	}
	if len(id) == 0 {
		t.Fatal("empty routing id")
	}
	return id
}

// stRecvN receives chunks from id until n bytes arrived.
func stRecvN(t *testing.T, s *core.Socket, id []byte, n int) []byte {
	t.Helper()
	var got []byte
	for len(got) < n {
		rid, data := stRecv(t, s)
		if !bytes.Equal(rid, id) {
			t.Fatalf("chunk from %x, want %x", rid, id)
		}
		if len(data) == 0 {
			t.Fatalf("disconnected after %d of %d bytes", len(got), n)
		}
		if max := s.Options().InBatchSize; len(data) > max {
			t.Fatalf("chunk of %d bytes, want at most IN_BATCH_SIZE %d (one read)", len(data), max)
		}
		got = append(got, data...)
	}
	return got
}

// stNothing checks that nothing arrives within d.
func stNothing(t *testing.T, s *core.Socket, d time.Duration) {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	m, err := s.Recv(c)
	if err == nil {
		t.Fatalf("unexpected message %q", m.Frames)
	}
	if !errors.Is(err, core.ErrWouldBlock) {
		t.Fatalf("recv: %v, want a timeout", err)
	}
}

// stPattern returns n bytes of a recognisable pattern.
func stPattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// TestStreamServer: a STREAM server and plain clients — an HTTP-like
// exchange, notifications, closing with [id][empty], unknown ids.
func TestStreamServer(t *testing.T) {
	for _, tr := range stTransports() {
		t.Run(tr.name, func(t *testing.T) {
			t.Run("request-response", func(t *testing.T) {
				zctx := stSetup(t)
				srv := stSocket(t, zctx)
				if err := srv.Bind(tr.bindEP(t)); err != nil {
					t.Fatal(err)
				}
				conn, err := tr.dial(srv.LastEndpoint())
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()

				id := stRecvNotify(t, srv)
				if len(id) != 5 || id[0] != 0 {
					t.Errorf("generated id %x, want 0x00 + 4 bytes", id)
				}
				req := "GET /hello HTTP/1.0\r\nHost: x\r\n\r\n"
				if _, err := conn.Write([]byte(req)); err != nil {
					t.Fatal(err)
				}
				m, err := srv.Recv(stCtx(t))
				if err != nil {
					t.Fatal(err)
				}
				got := string(m.Frames[1])
				for !strings.HasSuffix(got, "\r\n\r\n") {
					_, more := stRecv(t, srv)
					got += string(more)
				}
				if got != req {
					t.Fatalf("request %q, want %q", got, req)
				}
				if tr.name == "tcp" {
					if pa, ok := m.Property("Peer-Address"); !ok || pa != "127.0.0.1" {
						t.Errorf("Peer-Address = %q, %v; want 127.0.0.1", pa, ok)
					}
				}
				if _, ok := m.Property("Socket-Type"); ok {
					t.Error("a raw connection has no Socket-Type property")
				}

				// Reply in two messages, then close: everything queued
				// before [id][empty] is written first.
				c := stCtx(t)
				resp := "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello"
				if err := srv.Send(c, core.NewMsg(id, []byte(resp[:10]))); err != nil {
					t.Fatal(err)
				}
				if err := srv.Send(c, core.NewMsg(id, []byte(resp[10:]))); err != nil {
					t.Fatal(err)
				}
				if err := srv.Send(c, core.NewMsg(id, nil)); err != nil {
					t.Fatal(err)
				}
				conn.SetReadDeadline(time.Now().Add(10 * time.Second))
				all, err := io.ReadAll(conn)
				if err != nil {
					t.Fatal(err)
				}
				if string(all) != resp {
					t.Fatalf("response %q, want %q", all, resp)
				}
				// The connection is gone at once: no disconnect
				// notification for a close the application asked for.
				err = srv.TrySend(core.NewMsg(id, []byte("late")))
				if !errors.Is(err, core.ErrHostUnreachable) {
					t.Errorf("send to a closed id: %v, want ErrHostUnreachable", err)
				}
				stNothing(t, srv, 100*time.Millisecond)
			})

			t.Run("peer-disconnect", func(t *testing.T) {
				zctx := stSetup(t)
				srv := stSocket(t, zctx)
				if err := srv.Bind(tr.bindEP(t)); err != nil {
					t.Fatal(err)
				}
				conn, err := tr.dial(srv.LastEndpoint())
				if err != nil {
					t.Fatal(err)
				}
				id := stRecvNotify(t, srv)
				conn.Write([]byte("bye"))
				got := stRecvN(t, srv, id, 3)
				if string(got) != "bye" {
					t.Fatalf("got %q", got)
				}
				conn.Close()
				gone := stRecvNotify(t, srv)
				if !bytes.Equal(gone, id) {
					t.Fatalf("disconnect notification for %x, want %x", gone, id)
				}
				// Once the notification was read, the id is unknown.
				err = srv.TrySend(core.NewMsg(id, []byte("x")))
				if !errors.Is(err, core.ErrHostUnreachable) {
					t.Fatalf("send after disconnect: %v, want ErrHostUnreachable", err)
				}
			})

			t.Run("many-clients", func(t *testing.T) {
				zctx := stSetup(t)
				srv := stSocket(t, zctx)
				if err := srv.Bind(tr.bindEP(t)); err != nil {
					t.Fatal(err)
				}
				const n = 5
				conns := make([]net.Conn, n)
				ids := map[string]bool{}
				for i := range conns {
					c, err := tr.dial(srv.LastEndpoint())
					if err != nil {
						t.Fatal(err)
					}
					defer c.Close()
					conns[i] = c
					ids[string(stRecvNotify(t, srv))] = true
				}
				if len(ids) != n {
					t.Fatalf("%d distinct ids for %d connections", len(ids), n)
				}
				// Each client says its index; the server echoes it back
				// to the sender only.
				for i, c := range conns {
					fmt.Fprintf(c, "%d", i)
				}
				for range conns {
					id, data := stRecv(t, srv)
					if err := srv.Send(stCtx(t), core.NewMsg(id, append([]byte("echo "), data...))); err != nil {
						t.Fatal(err)
					}
				}
				for i, c := range conns {
					want := fmt.Sprintf("echo %d", i)
					buf := make([]byte, len(want))
					c.SetReadDeadline(time.Now().Add(10 * time.Second))
					if _, err := io.ReadFull(c, buf); err != nil || string(buf) != want {
						t.Fatalf("client %d got %q, %v; want %q", i, buf, err, want)
					}
				}
			})
		})
	}
}

// TestStreamSendRules covers libzmq's xsend rules.
func TestStreamSendRules(t *testing.T) {
	zctx := stSetup(t)
	srv := stSocket(t, zctx)
	if err := srv.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		msg  core.Msg
		want error
	}{
		{"unknown id", core.NewMsg([]byte{0, 1, 2, 3, 4}, []byte("x")), core.ErrHostUnreachable},
		{"unknown id, close", core.NewMsg([]byte("nobody"), nil), core.ErrHostUnreachable},
		{"id only (ignored)", core.NewMsg([]byte("nobody")), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := srv.TrySend(tc.msg)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("send: %v, want %v", err, tc.want)
			}
		})
	}
	if ev := srv.Events(); ev&core.PollOut == 0 {
		t.Error("a STREAM socket always polls writable (libzmq xhas_out)")
	}
}

// TestStreamMultiFrameData: frames after the id are all written, in order.
func TestStreamMultiFrameData(t *testing.T) {
	zctx := stSetup(t)
	srv := stSocket(t, zctx)
	if err := srv.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	conn, err := stTransports()[0].dial(srv.LastEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	id := stRecvNotify(t, srv)
	big := stPattern(40 << 10) // written in place, between coalesced small frames
	if err := srv.Send(stCtx(t), core.NewMsg(id, []byte("head:"), big, []byte(":tail"))); err != nil {
		t.Fatal(err)
	}
	want := append(append([]byte("head:"), big...), ":tail"...)
	got := make([]byte, len(want))
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(conn, got); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, %v; data equal: %v", len(got), err, bytes.Equal(got, want))
	}
}

// TestStreamClient: a STREAM socket connecting to a plain listener.
func TestStreamClient(t *testing.T) {
	for _, tr := range stTransports() {
		t.Run(tr.name, func(t *testing.T) {
			zctx := stSetup(t)
			ln, ep := tr.listen(t)
			defer ln.Close()
			cli := stSocket(t, zctx, core.WithReconnectInterval(20*time.Millisecond))
			if err := cli.Connect(ep); err != nil {
				t.Fatal(err)
			}
			conn, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			id := stRecvNotify(t, cli)
			if rid := cli.Options().RoutingID; !bytes.Equal(rid, id) {
				t.Errorf("ROUTING_ID option %x, want the last generated id %x (libzmq)", rid, id)
			}
			if err := cli.Send(stCtx(t), core.NewMsg(id, []byte("ping"))); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 4)
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "ping" {
				t.Fatalf("listener got %q, %v", buf, err)
			}
			conn.Write([]byte("pong"))
			if got := stRecvN(t, cli, id, 4); string(got) != "pong" {
				t.Fatalf("client got %q", got)
			}

			// The listener drops the connection: the client is told, and
			// reconnects as other socket types do, keeping its routing id
			// (libzmq keeps the connect-side pipe across reconnects).
			conn.Close()
			if gone := stRecvNotify(t, cli); !bytes.Equal(gone, id) {
				t.Fatalf("disconnect notification for %x, want %x", gone, id)
			}
			conn2, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer conn2.Close()
			id2 := stRecvNotify(t, cli)
			if !bytes.Equal(id2, id) {
				t.Fatalf("routing id after reconnect %x, want %x", id2, id)
			}
			if err := cli.Send(stCtx(t), core.NewMsg(id2, []byte("again"))); err != nil {
				t.Fatal(err)
			}
			buf = make([]byte, 5)
			conn2.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.ReadFull(conn2, buf); err != nil || string(buf) != "again" {
				t.Fatalf("listener got %q, %v after reconnect", buf, err)
			}

			// Closing it from the STREAM side ends it for good: libzmq's
			// raw session terminates instead of reconnecting.
			if err := cli.Send(stCtx(t), core.NewMsg(id2, nil)); err != nil {
				t.Fatal(err)
			}
			conn2.SetReadDeadline(time.Now().Add(10 * time.Second))
			if n, err := conn2.Read(buf); err != io.EOF {
				t.Fatalf("listener read %d, %v; want EOF", n, err)
			}
			accepted := make(chan net.Conn, 1)
			go func() {
				if c, err := ln.Accept(); err == nil {
					accepted <- c
				}
			}()
			select {
			case c := <-accepted:
				c.Close()
				t.Fatal("the STREAM socket reconnected after closing the connection itself")
			case <-time.After(200 * time.Millisecond):
			}
			ln.Close()
		})
	}
}

// TestStreamNotifyOff: with STREAM_NOTIFY=0 only data arrives.
func TestStreamNotifyOff(t *testing.T) {
	for _, tr := range stTransports() {
		t.Run(tr.name, func(t *testing.T) {
			zctx := stSetup(t)
			srv := stSocket(t, zctx, core.WithStreamNotify(false))
			if err := srv.Bind(tr.bindEP(t)); err != nil {
				t.Fatal(err)
			}
			conn, err := tr.dial(srv.LastEndpoint())
			if err != nil {
				t.Fatal(err)
			}
			conn.Write([]byte("data"))
			id, data := stRecv(t, srv)
			if string(data) != "data" {
				t.Fatalf("first message %q, want the data (no connect notification)", data)
			}
			if err := srv.Send(stCtx(t), core.NewMsg(id, []byte("ok"))); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 2)
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "ok" {
				t.Fatalf("client got %q, %v", buf, err)
			}
			conn.Close()
			stNothing(t, srv, 200*time.Millisecond)
		})
	}
}

// TestStreamConnectRoutingID: CONNECT_ROUTING_ID names the next connect's
// peer, and only that one.
func TestStreamConnectRoutingID(t *testing.T) {
	zctx := stSetup(t)
	tr := stTransports()[0]
	lnA, epA := tr.listen(t)
	defer lnA.Close()
	lnB, epB := tr.listen(t)
	defer lnB.Close()
	cli := stSocket(t, zctx)
	if err := cli.SetOption(core.WithConnectRoutingID([]byte("peer-A"))); err != nil {
		t.Fatal(err)
	}
	if err := cli.Connect(epA); err != nil {
		t.Fatal(err)
	}
	a, err := lnA.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if id := stRecvNotify(t, cli); string(id) != "peer-A" {
		t.Fatalf("id %q, want peer-A", id)
	}
	if err := cli.Connect(epB); err != nil {
		t.Fatal(err)
	}
	b, err := lnB.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	idB := stRecvNotify(t, cli)
	if len(idB) != 5 || idB[0] != 0 {
		t.Fatalf("second connect got id %q, want a generated one", idB)
	}
	c := stCtx(t)
	if err := cli.Send(c, core.NewMsg([]byte("peer-A"), []byte("to A"))); err != nil {
		t.Fatal(err)
	}
	if err := cli.Send(c, core.NewMsg(idB, []byte("to B"))); err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		conn net.Conn
		want string
	}{{a, "to A"}, {b, "to B"}} {
		buf := make([]byte, 4)
		x.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadFull(x.conn, buf); err != nil || string(buf) != x.want {
			t.Fatalf("got %q, %v; want %q", buf, err, x.want)
		}
	}
}

// TestStreamLarge moves more than 1 MiB each way, with zmqkit's default
// batch sizes and with libzmq's (8 KiB chunks).
func TestStreamLarge(t *testing.T) {
	const size = 3<<20 + 12345
	batches := []struct {
		name    string
		in, out int
	}{{"default-batch", 64 << 10, 64 << 10}, {"libzmq-batch", 8192, 8192}}
	for _, tr := range stTransports() {
		for _, bs := range batches {
			t.Run(tr.name+"/"+bs.name, func(t *testing.T) {
				zctx := stSetup(t)
				srv := stSocket(t, zctx, core.WithLinger(5*time.Second), core.WithBatchSizes(bs.in, bs.out))
				if err := srv.Bind(tr.bindEP(t)); err != nil {
					t.Fatal(err)
				}
				conn, err := tr.dial(srv.LastEndpoint())
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				id := stRecvNotify(t, srv)
				payload := stPattern(size)

				// server → client, one message
				readDone := make(chan error, 1)
				go func() {
					got := make([]byte, size)
					conn.SetReadDeadline(time.Now().Add(20 * time.Second))
					if _, err := io.ReadFull(conn, got); err != nil {
						readDone <- err
						return
					}
					if !bytes.Equal(got, payload) {
						readDone <- errors.New("client received corrupted data")
						return
					}
					readDone <- nil
				}()
				if err := srv.Send(stCtx(t), core.NewMsg(id, payload)); err != nil {
					t.Fatal(err)
				}
				if err := <-readDone; err != nil {
					t.Fatal(err)
				}

				// client → server: arrives in chunks of at most IN_BATCH_SIZE
				writeDone := make(chan error, 1)
				go func() {
					_, err := conn.Write(payload)
					writeDone <- err
				}()
				got := stRecvN(t, srv, id, size)
				if err := <-writeDone; err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, payload) {
					t.Fatal("server received corrupted data")
				}
			})
		}
	}
}

// TestStreamBackpressure: a peer that does not read makes the STREAM
// sender block at SNDHWM (libzmq: EAGAIN).
func TestStreamBackpressure(t *testing.T) {
	zctx := stSetup(t)
	srv := stSocket(t, zctx, core.WithSendHWM(2), core.WithRecvHWM(2))
	if err := srv.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	conn, err := stTransports()[0].dial(srv.LastEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	id := stRecvNotify(t, srv)
	chunk := make([]byte, 1<<20)
	blocked := false
	for i := 0; i < 256; i++ { // far more than the socket buffers hold
		if err := srv.TrySend(core.NewMsg(id, chunk)); err != nil {
			if !errors.Is(err, core.ErrWouldBlock) {
				t.Fatalf("send: %v, want ErrWouldBlock", err)
			}
			blocked = true
			break
		}
	}
	if !blocked {
		t.Fatal("sending never blocked on a peer that does not read")
	}
	// A blocking Send waits for room, and gives up at its deadline.
	c, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	for i := 0; i < 256; i++ {
		if err := srv.Send(c, core.NewMsg(id, chunk)); err != nil {
			if !errors.Is(err, core.ErrWouldBlock) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("send: %v, want ErrWouldBlock and DeadlineExceeded", err)
			}
			return
		}
	}
	t.Fatal("a blocking send never timed out on a peer that does not read")
}

// TestStreamRecvHWM: with RCVHWM reached the raw engine stops reading
// (TCP pushes back on the peer) and resumes without losing a byte.
func TestStreamRecvHWM(t *testing.T) {
	const size = 32 << 20 // more than loopback socket buffers hold
	zctx := stSetup(t)
	srv := stSocket(t, zctx, core.WithRecvHWM(2))
	if err := srv.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	conn, err := stTransports()[0].dial(srv.LastEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	id := stRecvNotify(t, srv)
	payload := stPattern(size)
	writeDone := make(chan error, 1)
	go func() {
		_, err := conn.Write(payload)
		writeDone <- err
	}()
	select {
	case err := <-writeDone:
		t.Fatalf("a %d-byte write finished while nobody read (err %v)", size, err)
	case <-time.After(100 * time.Millisecond):
	}
	got := stRecvN(t, srv, id, size)
	if err := <-writeDone; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, payload) {
		t.Fatal("data corrupted")
	}
}

// TestStreamToStream: two STREAM sockets, as libzmq's test_stream_disconnect.
func TestStreamToStream(t *testing.T) {
	zctx := stSetup(t)
	srv := stSocket(t, zctx)
	if err := srv.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	cli := stSocket(t, zctx)
	if err := cli.Connect(srv.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	sid := stRecvNotify(t, srv)
	cid := stRecvNotify(t, cli)
	c := stCtx(t)
	if err := cli.Send(c, core.NewMsg(cid, []byte("i can haz cheez burger?"))); err != nil {
		t.Fatal(err)
	}
	if got := stRecvN(t, srv, sid, 23); string(got) != "i can haz cheez burger?" {
		t.Fatalf("server got %q", got)
	}
	if err := srv.Send(c, core.NewMsg(sid, []byte("y u no disonnect?"))); err != nil {
		t.Fatal(err)
	}
	if got := stRecvN(t, cli, cid, 17); string(got) != "y u no disonnect?" {
		t.Fatalf("client got %q", got)
	}
	// The client closes; the server sees the disconnect.
	if err := cli.Send(c, core.NewMsg(cid, nil)); err != nil {
		t.Fatal(err)
	}
	if gone := stRecvNotify(t, srv); !bytes.Equal(gone, sid) {
		t.Fatalf("disconnect for %x, want %x", gone, sid)
	}
}

// TestStreamZMTPPeer: a STREAM socket does no ZMTP and checks no socket
// type: a DEALER's greeting arrives as raw bytes.
func TestStreamZMTPPeer(t *testing.T) {
	zctx := stSetup(t)
	srv := stSocket(t, zctx)
	if err := srv.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	d, err := zctx.NewSocket(core.DEALER, core.WithLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Connect(srv.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	id := stRecvNotify(t, srv)
	sig := stRecvN(t, srv, id, 10)
	if sig[0] != 0xFF || sig[9] != 0x7F {
		t.Fatalf("got % x, want a ZMTP signature", sig[:10])
	}
}

// TestStreamCloseSocket: closing a STREAM socket with live connections,
// accepted and dialled, writes what was queued (LINGER), then ends them:
// the peers see EOF, and no goroutine leaks (checked by stSetup).
func TestStreamCloseSocket(t *testing.T) {
	zctx := stSetup(t)
	s, err := zctx.NewSocket(core.STREAM, core.WithLinger(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	tr := stTransports()[0]
	dialled, err := tr.dial(s.LastEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer dialled.Close()
	ln, ep := tr.listen(t)
	defer ln.Close()
	if err := s.Connect(ep); err != nil {
		t.Fatal(err)
	}
	accepted, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer accepted.Close()
	for i := 0; i < 2; i++ {
		id := stRecvNotify(t, s)
		if err := s.Send(stCtx(t), core.NewMsg(id, []byte("last words"))); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	for _, c := range []net.Conn{dialled, accepted} {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		all, err := io.ReadAll(c)
		if err != nil || string(all) != "last words" {
			t.Fatalf("peer read %q, %v; want \"last words\" then EOF", all, err)
		}
	}
}

// TestStreamInproc: libzmq accepts STREAM over inproc, where no engine
// runs: no notifications, data passes as plain pipe messages, and
// [id][empty] ends the pipe.
func TestStreamInproc(t *testing.T) {
	zctx := stSetup(t)
	a := stSocket(t, zctx)
	if err := a.Bind("inproc://stream-inproc"); err != nil {
		t.Fatal(err)
	}
	b := stSocket(t, zctx)
	if err := b.Connect("inproc://stream-inproc"); err != nil {
		t.Fatal(err)
	}
	// b's peer got b's last generated id, also its ROUTING_ID option.
	var bid []byte
	deadline := time.Now().Add(10 * time.Second)
	for len(bid) == 0 && time.Now().Before(deadline) {
		bid = b.Options().RoutingID
		time.Sleep(time.Millisecond)
	}
	if err := b.Send(stCtx(t), core.NewMsg(bid, []byte("hi"))); err != nil {
		t.Fatal(err)
	}
	aid, data := stRecv(t, a) // no connect notification first
	if string(data) != "hi" {
		t.Fatalf("got %q", data)
	}
	if err := a.Send(stCtx(t), core.NewMsg(aid, nil)); err != nil {
		t.Fatal(err)
	}
	for time.Now().Before(deadline) {
		err := b.TrySend(core.NewMsg(bid, []byte("x")))
		if errors.Is(err, core.ErrHostUnreachable) {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("the pipe closed with [id][empty] stayed routable")
}

// A STREAM socket answering HTTP requests from a plain Go HTTP client.
func ExampleSocket_stream() {
	zctx := core.NewContext()
	defer zctx.Term()
	srv, err := zctx.NewSocket(core.STREAM)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Bind("tcp://127.0.0.1:*"); err != nil {
		log.Fatal(err)
	}
	addr := strings.TrimPrefix(srv.LastEndpoint(), "tcp://")

	// A client speaking HTTP/1.0 over a plain TCP connection.
	answer := make(chan string)
	go func() {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			answer <- err.Error()
			return
		}
		defer conn.Close()
		fmt.Fprint(conn, "GET / HTTP/1.0\r\n\r\n")
		b, _ := io.ReadAll(conn) // until the server closes
		answer <- string(b)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var req []byte
	for !bytes.HasSuffix(req, []byte("\r\n\r\n")) {
		m, err := srv.Recv(ctx) // [routing id][bytes]
		if err != nil {
			log.Fatal(err)
		}
		if len(m.Frames[1]) == 0 {
			fmt.Println("connected")
			continue
		}
		req = append(req, m.Frames[1]...)
		if bytes.HasSuffix(req, []byte("\r\n\r\n")) {
			id := m.Frames[0]
			body := "Hello, World!"
			srv.SendString(ctx, string(id), fmt.Sprintf(
				"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
			srv.Send(ctx, core.NewMsg(id, nil)) // [id][empty] closes the connection
		}
	}
	fmt.Printf("request: %q\n", req)
	fmt.Printf("response: %q\n", <-answer)
	// Output:
	// connected
	// request: "GET / HTTP/1.0\r\n\r\n"
	// response: "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!"
}
