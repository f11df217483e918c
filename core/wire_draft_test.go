package core_test

// Wire tests for the draft socket types against recorded bytes: the
// greeting and READY each type sends (its ZMTP Socket-Type), RADIO/DISH's
// JOIN and LEAVE commands and group frames over ZMTP (libzmq's
// radio_session_t / dish_session_t layout), and RADIO/DISH/DGRAM
// datagrams over udp (libzmq's udp_engine_t layout). Debian's libzmq has
// no draft API, so a live libzmq cannot be the peer here.

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

// libzmq's greeting as a NULL client sends it (signature with padding 1,
// version 3.0 as libzmq 4.3 sends it, "NULL", as-server 0, filler) is
// checked by wHandshake; here the READY body each draft type sends.
func TestWireDraftReady(t *testing.T) {
	for _, c := range []struct {
		typ  core.SocketType
		name string
		peer string
	}{
		{core.SERVER, "SERVER", "CLIENT"},
		{core.CLIENT, "CLIENT", "SERVER"},
		{core.RADIO, "RADIO", "DISH"},
		{core.DISH, "DISH", "RADIO"},
		{core.GATHER, "GATHER", "SCATTER"},
		{core.SCATTER, "SCATTER", "GATHER"},
		{core.DGRAM, "DGRAM", "DGRAM"},
		{core.PEER, "PEER", "PEER"},
		{core.CHANNEL, "CHANNEL", "CHANNEL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := wCtx(t)
			s, ep := wBound(t, ctx, c.typ)
			defer s.Close()
			conn := wDial(t, ep)
			// recorded: 04 1c 05 "READY" 0b "Socket-Type" 00 00 00 len name
			want := append([]byte{0x04, byte(6 + 12 + 4 + len(c.name)), 0x05}, "READY"...)
			want = append(want, 0x0b)
			want = append(want, "Socket-Type"...)
			want = append(want, 0, 0, 0, byte(len(c.name)))
			want = append(want, c.name...)
			got := wHandshake(t, conn, 1, c.peer)
			if !bytes.Equal(got, want) {
				t.Fatalf("READY\n got % x\nwant % x", got, want)
			}
			if c.typ.String() != c.name || !c.typ.Compatible(c.peer) {
				t.Fatalf("%v: name or compatibility wrong", c.typ)
			}
		})
	}
}

// TestWireDraftIncompatible: a peer of the wrong type is dropped
// (libzmq's check_socket_type).
func TestWireDraftIncompatible(t *testing.T) {
	for _, c := range []struct {
		typ  core.SocketType
		peer string
	}{{core.SERVER, "DEALER"}, {core.CLIENT, "CLIENT"}, {core.PEER, "SERVER"}, {core.RADIO, "SUB"}, {core.DISH, "PUB"}, {core.CHANNEL, "PAIR"}, {core.SCATTER, "PULL"}, {core.GATHER, "PUSH"}} {
		t.Run(c.typ.String(), func(t *testing.T) {
			ctx := wCtx(t)
			s, ep := wBound(t, ctx, c.typ)
			defer s.Close()
			conn := wDial(t, ep)
			wWrite(t, conn, wGreeting(1, "NULL"))
			wRead(t, conn, 64)
			wWrite(t, conn, wReady(c.peer))
			wClosed(t, conn, 2*time.Second, c.peer+" peer")
		})
	}
}

// TestWireDishJoin: a DISH sends JOIN/LEAVE as commands ("\x04JOIN" +
// group, "\x05LEAVE" + group), re-sends its groups on connect, and takes
// RADIO messages as [group, MORE][body].
func TestWireDishJoin(t *testing.T) {
	ctx := wCtx(t)
	dish, ep := wBound(t, ctx, core.DISH)
	defer dish.Close()
	if err := dish.Join("early"); err != nil {
		t.Fatal(err)
	}
	c := wDial(t, ep)
	wHandshake(t, c, 1, "RADIO")
	wExpect(t, c, []byte("\x04\x0a\x04JOINearly"), "JOIN sent on connect")
	if err := dish.Join("Movies"); err != nil {
		t.Fatal(err)
	}
	wExpect(t, c, []byte("\x04\x0b\x04JOINMovies"), "JOIN")
	if err := dish.Leave("early"); err != nil {
		t.Fatal(err)
	}
	wExpect(t, c, []byte("\x04\x0b\x05LEAVEearly"), "LEAVE")
	// RADIO → DISH: group frame with MORE, then the body
	wWrite(t, c, []byte("\x01\x02TV\x00\x07Friends")) // not joined: filtered
	wWrite(t, c, []byte("\x01\x06Movies\x00\x09Godfather"))
	m := dRecv(t, dish)
	if m.Group() != "Movies" || string(m.Frames[0]) != "Godfather" {
		t.Fatalf("got %q %q", m.Group(), m.Frames)
	}
	// a message without its group frame breaks the protocol: disconnect
	wWrite(t, c, []byte("\x00\x05alone"))
	wClosed(t, c, 2*time.Second, "DISH given a one-frame message")
}

// TestWireRadioGroups: a RADIO applies JOIN/LEAVE commands and sends
// [group, MORE][body] to the peers that joined.
func TestWireRadioGroups(t *testing.T) {
	ctx := wCtx(t)
	radio, ep := wBound(t, ctx, core.RADIO)
	defer radio.Close()
	c := wDial(t, ep)
	wHandshake(t, c, 1, "DISH")
	wWrite(t, c, wCommand("JOIN", []byte("Movies")))
	deadline := time.Now().Add(3 * time.Second)
	var got []byte
	for time.Now().Before(deadline) {
		m := core.NewMsgString("Godfather")
		m.SetGroup("Movies")
		radio.TrySend(m)
		c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		var b [64]byte
		n, _ := c.Read(b[:])
		if n > 0 {
			got = append(got, b[:n]...)
			break
		}
	}
	// keep reading until a whole first message (group frame + body) is in
	want := []byte("\x01\x06Movies\x00\x09Godfather")
	for len(got) < len(want) {
		got = append(got, wRead(t, c, 1)...)
	}
	if !bytes.Equal(got[:len(want)], want) {
		t.Fatalf("got % x\nwant % x", got[:len(want)], want)
	}
	// drain what the probe loop queued, then LEAVE and check silence
	wWrite(t, c, wCommand("LEAVE", []byte("Movies")))
	time.Sleep(100 * time.Millisecond)
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	buf := make([]byte, 4096)
	for {
		if _, err := c.Read(buf); err != nil {
			break
		}
	}
	m := core.NewMsgString("after")
	m.SetGroup("Movies")
	radio.TrySend(m)
	wQuiet(t, c, 150*time.Millisecond, "after LEAVE")
}

// udp datagrams in libzmq's layout.

func udpListen(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestWireRadioUDPDatagram(t *testing.T) {
	raw := udpListen(t)
	ctx := wCtx(t)
	radio, _ := ctx.NewSocket(core.RADIO)
	defer radio.Close()
	if err := radio.Connect("udp://" + raw.LocalAddr().String()); err != nil {
		t.Fatal(err)
	}
	// RADIO over udp sends every group: no JOIN travels over udp
	buf := make([]byte, 9000)
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		m := core.NewMsgString("Godfather")
		m.SetGroup("Movies")
		radio.TrySend(m)
		raw.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		n, _, err := raw.ReadFromUDP(buf)
		if err != nil {
			continue
		}
		want := []byte("\x06MoviesGodfather")
		if !bytes.Equal(buf[:n], want) {
			t.Fatalf("datagram % x, want % x", buf[:n], want)
		}
		// an empty group: length 0
		e := core.NewMsgString("x")
		radio.TrySend(e)
		for {
			raw.SetReadDeadline(time.Now().Add(2 * time.Second))
			n, _, err = raw.ReadFromUDP(buf)
			if err != nil {
				t.Fatal(err)
			}
			if string(buf[:n]) != string(want) {
				break
			}
		}
		if !bytes.Equal(buf[:n], []byte("\x00x")) {
			t.Fatalf("datagram % x, want 00 78", buf[:n])
		}
		return
	}
	t.Fatal("no datagram")
}

func TestWireDishUDPDatagram(t *testing.T) {
	ctx := wCtx(t)
	dish, _ := ctx.NewSocket(core.DISH)
	defer dish.Close()
	if err := dish.Bind("udp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	dish.Join("Movies")
	addr, _ := net.ResolveUDPAddr("udp4", strings.TrimPrefix(dish.LastEndpoint(), "udp://"))
	raw := udpListen(t)
	send := func(b []byte) {
		if _, err := raw.WriteToUDP(b, addr); err != nil {
			t.Fatal(err)
		}
	}
	send([]byte("\x02TVFriends"))                                   // not joined
	send([]byte("\x09Movies"))                                      // group length beyond the datagram: ignored
	send([]byte("\x06MoviesGodfather"))                             // ok
	send(append([]byte("\xc8"), bytes.Repeat([]byte("g"), 200)...)) // 200-octet group (4.3.5 had a signed-length bug here)
	m := dRecv(t, dish)
	if m.Group() != "Movies" || string(m.Frames[0]) != "Godfather" {
		t.Fatalf("got %q %q", m.Group(), m.Frames)
	}
	cfExpectNothing(t, dish, 100*time.Millisecond)
	dish.Join(strings.Repeat("g", 200))
	send(append(append([]byte("\xc8"), bytes.Repeat([]byte("g"), 200)...), "long"...))
	m = dRecv(t, dish)
	if len(m.Group()) != 200 || string(m.Frames[0]) != "long" {
		t.Fatalf("got group of %d, %q", len(m.Group()), m.Frames)
	}
}

func TestWireDgramUDP(t *testing.T) {
	ctx := wCtx(t)
	s, _ := ctx.NewSocket(core.DGRAM)
	defer s.Close()
	if err := s.Bind("udp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	addr, _ := net.ResolveUDPAddr("udp4", strings.TrimPrefix(s.LastEndpoint(), "udp://"))
	raw := udpListen(t)
	if _, err := raw.WriteToUDP([]byte("ping"), addr); err != nil {
		t.Fatal(err)
	}
	got := cfRecv(t, s)
	cfExpectFrames(t, got, raw.LocalAddr().String(), "ping")
	cfSend(t, s, got[0], "pong")
	buf := make([]byte, 100)
	raw.SetReadDeadline(time.Now().Add(3 * time.Second))
	n, from, err := raw.ReadFromUDP(buf)
	if err != nil {
		t.Fatal(err)
	}
	if string(buf[:n]) != "pong" || from.String() != addr.String() {
		t.Fatalf("got %q from %v", buf[:n], from)
	}
}
