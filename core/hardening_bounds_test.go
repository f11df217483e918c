package core_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

// heapInUse is the live heap after a collection.
func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

func totalAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

// floodUntilBlocked writes chunk to c until writes have blocked for wait
// three times in a row (the reader stopped) or limit octets are written;
// it returns how much was written.
func floodUntilBlocked(t *testing.T, c net.Conn, chunk []byte, limit int64, wait time.Duration) int64 {
	t.Helper()
	var n int64
	stalls, off := 0, 0
	for n < limit && stalls < 3 {
		c.SetWriteDeadline(time.Now().Add(wait))
		k, err := c.Write(chunk[off:]) // a write cut by its deadline goes on where it stopped
		n += int64(k)
		off = (off + k) % len(chunk)
		if k > 0 {
			stalls = 0
		}
		if err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("write after %d octets: %v", n, err)
			}
			stalls++
		}
	}
	return n
}

// A peer that floods PINGs and never reads the PONGs: zmqkit stops
// reading from it once its queued replies reach their bound, so the
// flood stalls in the kernel's buffers and zmqkit's memory stays within
// a few MiB (it grew by about 45 octets per PING, without bound).
func TestPingFloodBounded(t *testing.T) {
	ctx := wCtx(t)
	_, ep := wBound(t, ctx, core.ROUTER, core.WithLinger(0))
	c := wDial(t, ep)
	wHandshake(t, c, 1, "DEALER")
	ping := wCommand("PING", []byte{0, 0, 'c', 't', 'x'})
	var chunk []byte
	for len(chunk) < 64<<10 {
		chunk = append(chunk, ping...)
	}
	before := heapInUse()
	const limit = 32 << 20 // the kernel's buffers take about 9 MiB on loopback
	sent := floodUntilBlocked(t, c, chunk, limit, 300*time.Millisecond)
	grown := heapInUse() - before
	t.Logf("sent %d octets of PINGs (%d PINGs) before zmqkit stopped reading; heap grew by %d octets", sent, sent/int64(len(ping)), grown)
	if sent >= limit {
		t.Errorf("zmqkit read %d octets of PINGs that were never answered and did not stop reading", sent)
	}
	if grown > 4<<20 {
		t.Errorf("heap grew by %d octets", grown)
	}
}

// settle sends a PING and waits for its PONG: zmqkit's reader has then
// processed everything sent before it.
func settle(t *testing.T, c net.Conn) {
	t.Helper()
	wWrite(t, c, wCommand("PING", []byte{0, 0, 'e', 'n', 'd'}))
	// a slow machine (the race detector) takes a while for a million frames
	c.SetReadDeadline(time.Now().Add(60 * time.Second))
	r := bufio.NewReader(c)
	for {
		var h [2]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			t.Fatalf("waiting for the PONG: %v", err)
		}
		size := int(h[1])
		if h[0]&0x02 != 0 {
			var l [7]byte
			if _, err := io.ReadFull(r, l[:]); err != nil {
				t.Fatal(err)
			}
			size = int(binary.BigEndian.Uint64(append([]byte{h[1]}, l[:]...)))
		}
		body := make([]byte, size)
		if _, err := io.ReadFull(r, body); err != nil {
			t.Fatal(err)
		}
		if h[0]&0x04 != 0 && bytes.HasPrefix(body, []byte("\x04PONG")) && bytes.HasSuffix(body, []byte("end")) {
			return
		}
	}
}

// A peer that sends an endless multipart message: zmqkit holds the
// partial message in about 1.25 times its octets, plus a few octets per
// frame (it held 3.7 times the octets of 64 KiB frames and about 17 times
// those of 1-octet frames).
func TestPartialMultipartMemory(t *testing.T) {
	for _, tc := range []struct {
		name      string
		frameSize int
		total     int
		maxRatio  float64 // live heap growth / payload octets
		maxAlloc  float64 // octets allocated meanwhile / payload octets
	}{
		{"64KiB frames", 64 << 10, 48 << 20, 1.3, 3},
		{"1-octet frames", 1, 1 << 20, 1.25 + 4 + 1, 40}, // + 4 octets of bookkeeping per frame, slack
		{"1KiB frames", 1 << 10, 16 << 20, 1.3, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := wCtx(t)
			_, ep := wBound(t, ctx, core.PULL, core.WithLinger(0))
			c := wDial(t, ep)
			wHandshake(t, c, 1, "PUSH")
			frame := wFrame(0x01, make([]byte, tc.frameSize)) // MORE, never a last frame
			var chunk []byte
			for len(chunk) < 256<<10 {
				chunk = append(chunk, frame...)
			}
			per := len(chunk) / len(frame) * tc.frameSize
			before := heapInUse()
			allocBefore := totalAlloc()
			sent := 0
			for sent < tc.total {
				// a slow machine (the race detector) reads slowly
				c.SetWriteDeadline(time.Now().Add(60 * time.Second))
				if _, err := c.Write(chunk); err != nil {
					t.Fatal(err)
				}
				sent += per
			}
			settle(t, c)
			alloc := float64(totalAlloc()-allocBefore) / float64(sent)
			grown := heapInUse() - before
			ratio := float64(grown) / float64(sent)
			t.Logf("%d octets in %d frames held in %d octets of heap (%.2fx), %.1fx allocated on the way", sent, sent/tc.frameSize, grown, ratio, alloc)
			if ratio > tc.maxRatio {
				t.Errorf("a partial message of %d octets holds %d octets of heap (%.2fx, want <= %.2fx)", sent, grown, ratio, tc.maxRatio)
			}
			if alloc > tc.maxAlloc {
				// every reallocation copies the message so far: garbage the
				// heap holds until the next collection
				t.Errorf("%.1fx the message's octets were allocated while it arrived (want <= %.0fx)", alloc, tc.maxAlloc)
			}
		})
	}
}

// zmtpPeerConn connects a raw ZMTP 3.1 PUSH peer to a zmqkit PULL made
// with opts, and watches its DISCONNECTED events.
func zmtpPeerConn(t *testing.T, opts ...core.Option) (net.Conn, *core.Socket, <-chan core.MonitorEvent) {
	t.Helper()
	ctx := wCtx(t)
	s, ep := wBound(t, ctx, core.PULL, append([]core.Option{core.WithLinger(0)}, opts...)...)
	ch, err := s.WatchEvents(context.Background(), core.EventDisconnected)
	if err != nil {
		t.Fatal(err)
	}
	c := wDial(t, ep)
	wHandshake(t, c, 1, "PUSH")
	return c, s, ch
}

func expectDisconnected(t *testing.T, ch <-chan core.MonitorEvent, within time.Duration, errno syscall.Errno) {
	t.Helper()
	select {
	case ev := <-ch:
		if ev.Errno != errno {
			t.Fatalf("DISCONNECTED with %v (%v), want %v", ev.Errno, ev.Err, errno)
		}
	case <-time.After(within):
		t.Fatalf("no DISCONNECTED within %v", within)
	}
}

// A frame header announcing a size no process could hold (2^62 octets),
// with MAXMSGSIZE unset: the connection is closed at once as a protocol
// error (it used to wait for the octets).
func TestImpossibleFrameSize(t *testing.T) {
	for _, hdr := range [][]byte{
		{0x02, 0x40, 0, 0, 0, 0, 0, 0, 0},       // 2^62, last frame
		{0x03, 0x40, 0, 0, 0, 0, 0, 0, 0},       // 2^62, MORE
		{0x06, 0x40, 0, 0, 0, 0, 0, 0, 0},       // a command of 2^62
		{0x02, 0x7f, 0xff, 0, 0, 0, 0, 0, 0, 0}, // ~2^63
	} {
		c, _, ch := zmtpPeerConn(t)
		wWrite(t, c, hdr)
		expectDisconnected(t, ch, 2*time.Second, syscall.EPROTO)
		wClosed(t, c, 2*time.Second, "zmqkit after an impossible frame size")
	}
}

// MAXMSGSIZE applies to each frame, as in libzmq; MaxMultipartSize bounds
// the whole message, its frames counting 16 octets each on top of their
// size.
func TestMaxMultipartSize(t *testing.T) {
	// per frame: ten frames of 90 octets pass a MAXMSGSIZE of 100
	c, s, ch := zmtpPeerConn(t, core.WithMaxMsgSize(100))
	for i := 0; i < 9; i++ {
		wWrite(t, c, wFrame(0x01, make([]byte, 90)))
	}
	wWrite(t, c, wFrame(0x00, make([]byte, 90)))
	cctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	m, err := s.Recv(cctx)
	if err != nil || len(m.Frames) != 10 {
		t.Fatalf("recv: %v, %d frames", err, len(m.Frames))
	}
	wWrite(t, c, wFrame(0x00, make([]byte, 101)))
	expectDisconnected(t, ch, 2*time.Second, syscall.EMSGSIZE)

	// the whole message: 1 MiB
	c, s, ch = zmtpPeerConn(t, core.WithMaxMultipartSize(1<<20))
	for i := 0; i < 7; i++ {
		wWrite(t, c, wFrame(0x01, make([]byte, 128<<10)))
	}
	wWrite(t, c, wFrame(0x00, make([]byte, 64<<10)))
	if m, err = s.Recv(cctx); err != nil || len(m.Frames) != 8 {
		t.Fatalf("recv below the limit: %v, %d frames", err, len(m.Frames))
	}
	for i := 0; i < 9; i++ {
		c.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := c.Write(wFrame(0x01, make([]byte, 128<<10))); err != nil {
			break // closed by zmqkit
		}
	}
	expectDisconnected(t, ch, 2*time.Second, syscall.EMSGSIZE)

	// 1-octet frames count 17 octets each
	c, _, ch = zmtpPeerConn(t, core.WithMaxMultipartSize(64<<10))
	one := wFrame(0x01, []byte{1})
	var chunk []byte
	for len(chunk) < 3*5000 {
		chunk = append(chunk, one...)
	}
	c.SetWriteDeadline(time.Now().Add(time.Second))
	c.Write(chunk)
	expectDisconnected(t, ch, 2*time.Second, syscall.EMSGSIZE)

	if _, err := wCtx(t).NewSocket(core.PULL, core.WithMaxMultipartSize(-2)); !errors.Is(err, core.ErrInvalid) {
		t.Fatalf("MaxMultipartSize -2: %v", err)
	}
}
