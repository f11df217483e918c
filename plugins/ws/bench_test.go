package ws_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/zmqkit/zmqkit/plugins/ws"
	"github.com/zmqkit/zmqkit/registry/transport"
)

// Benchmarks of the data phase alone (no sockets), at the transport
// level: one side writes b.N binary messages, the other reads them.
//
//	go test ./plugins/ws -run '^$' -bench 'Frames|Coder'
//
// BenchmarkFrames is this plugin's own framing over the upgraded
// connection (WriteFrame, a Flush when the writer runs dry, ReadFrame);
// BenchmarkCoder is coder/websocket's per-message API (Conn.Write,
// Conn.Read) over the same loopback TCP, which the plugin uses for the
// upgrade only: the comparison is why it frames the data phase itself.

var benchSizes = []struct {
	name string
	n    int
}{{"64B", 64}, {"1KiB", 1 << 10}, {"64KiB", 64 << 10}}

func BenchmarkFrames(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			t := ws.New()
			cfg := &transport.Config{KeepAlive: -1, KeepAliveCount: -1, MaxMsgSize: -1, Mechanism: "NULL"}
			l, err := t.Listen(context.Background(), "ws", "127.0.0.1:0/b", cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			dc, err := t.Dial(context.Background(), "ws", strings.TrimPrefix(l.Endpoint(), "ws://"), cfg)
			if err != nil {
				b.Fatal(err)
			}
			ac, err := l.Accept(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			d, a := dc.(transport.FrameConn), ac.(transport.FrameConn)
			defer d.Close()
			defer a.Close()
			errs := make(chan error, 2)
			go func() { errs <- d.(transport.Handshaker).Handshake(context.Background()) }()
			go func() { errs <- a.(transport.Handshaker).Handshake(context.Background()) }()
			for range 2 {
				if err := <-errs; err != nil {
					b.Fatal(err)
				}
			}
			msg := make([]byte, sz.n)
			b.SetBytes(int64(sz.n))
			b.ReportAllocs()
			b.ResetTimer()
			n := b.N
			done := make(chan error, 1)
			go func() {
				var buf []byte
				for i := 0; i < n; i++ {
					var err error
					if buf, _, err = a.ReadFrame(buf[:0]); err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}()
			for i := 0; i < n; i++ {
				if err := d.WriteFrame(msg, 0); err != nil {
					b.Fatal(err)
				}
				if i%64 == 63 {
					if err := d.Flush(); err != nil {
						b.Fatal(err)
					}
				}
			}
			if err := d.Flush(); err != nil {
				b.Fatal(err)
			}
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

func BenchmarkCoder(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			accepted := make(chan *websocket.Conn, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c, err := websocket.Accept(w, r, nil)
				if err != nil {
					return
				}
				c.SetReadLimit(-1)
				accepted <- c
			}))
			defer srv.Close()
			ctx := context.Background()
			d, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer d.CloseNow()
			a := <-accepted
			defer a.CloseNow()
			msg := make([]byte, sz.n)
			b.SetBytes(int64(sz.n))
			b.ReportAllocs()
			b.ResetTimer()
			n := b.N
			done := make(chan error, 1)
			go func() {
				for i := 0; i < n; i++ {
					if _, _, err := a.Read(ctx); err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}()
			for i := 0; i < n; i++ {
				if err := d.Write(ctx, websocket.MessageBinary, msg); err != nil {
					b.Fatal(err)
				}
			}
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
