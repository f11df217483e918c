//go:build linux

package pgm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/plugins/pgm/internal/proto"
	"github.com/zmqkit/zmqkit/plugins/pgm/internal/wire"
	"github.com/zmqkit/zmqkit/plugins/pgm/pgmtest"
)

func testSettings(rate int) settings {
	return settings{rateKbps: rate, recovery: 10 * time.Second, maxTPDU: 1500, maxMsgSize: -1,
		sock: sockOpts{hops: 1}, timers: proto.DefaultTimers()}
}

func openIn(t *testing.T, rig *pgmtest.Rig, i int, scheme string, r role, port int, st settings) *session {
	t.Helper()
	var s *session
	ep := rig.Endpoint(i, scheme, port)
	err := rig.Do(i, func() error {
		sp, err := parseSpec(ep, ep[len(scheme)+3:])
		if err != nil {
			return err
		}
		e, err := resolve(ep, sp)
		if err != nil {
			return err
		}
		s, err = open(e, scheme == "pgm", r, ep, st)
		return err
	})
	if err != nil {
		t.Fatalf("open %s %v: %v", ep, r, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func readMsg(t *testing.T, s *session) [][]byte {
	t.Helper()
	var m [][]byte
	for {
		b, flags, err := s.ReadFrame(nil)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		m = append(m, b)
		if flags&1 == 0 {
			return m
		}
	}
}

// Sessions over real sockets across the rig: a sender in one namespace, two
// receivers in the other, with loss.
func TestSessionsAcrossRig(t *testing.T) {
	for _, scheme := range []string{"epgm", "pgm"} {
		t.Run(scheme, func(t *testing.T) {
			rig := pgmtest.NewRig(t)
			st := testSettings(50000)
			r1 := openIn(t, rig, 1, scheme, roleReceiver, 5555, st)
			r2 := openIn(t, rig, 1, scheme, roleReceiver, 5555, st)
			snd := openIn(t, rig, 0, scheme, roleSender, 5555, st)
			if err := rig.Loss(1, 5); err != nil {
				t.Fatal(err)
			}
			const n = 3000
			done := make(chan error, 1)
			go func() {
				for i := range n {
					body := make([]byte, 8+(i%7)*400)
					binary.BigEndian.PutUint64(body, uint64(i))
					if err := snd.WriteFrame([]byte("topic"), 1); err != nil {
						done <- err
						return
					}
					if err := snd.WriteFrame(body, 0); err != nil {
						done <- err
						return
					}
					if i%10 == 9 {
						snd.Flush()
					}
				}
				done <- snd.Flush()
			}()
			for _, r := range []*session{r1, r2} {
				for i := range n {
					m := readMsg(t, r)
					if len(m) != 2 || string(m[0]) != "topic" || len(m[1]) != 8+(i%7)*400 || binary.BigEndian.Uint64(m[1]) != uint64(i) {
						t.Fatalf("message %d: %d frames, %q", i, len(m), fmt.Sprint(m[0]))
					}
					if !bytes.Equal(m[1][8:], make([]byte, len(m[1])-8)) {
						t.Fatalf("message %d corrupted", i)
					}
				}
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			r1.mu.Lock()
			t.Logf("receiver: %+v bad %d", r1.rcv.Stats(), r1.bad)
			r1.mu.Unlock()
			snd.mu.Lock()
			t.Logf("sender: %+v", snd.snd.Stats)
			snd.mu.Unlock()
		})
	}
}

// A sender hears SPM requests sent to the group as well as those sent to
// it, and answers each, with or without data to send (OpenPGM's sources
// do, and its receivers send each request both ways, once: issue 15).
func TestSenderAnswersGroupSPMR(t *testing.T) {
	for _, scheme := range []string{"epgm", "pgm"} {
		t.Run(scheme, func(t *testing.T) {
			rig := pgmtest.NewRig(t)
			const port = 5558
			snd := openIn(t, rig, 0, scheme, roleSender, port, testSettings(50000))
			stats := func() proto.SenderStats {
				snd.mu.Lock()
				defer snd.mu.Unlock()
				return snd.snd.Stats
			}
			tsi := snd.snd.TSI()
			spmr := wire.AppendSPMR(nil, wire.Hdr{SPort: port, DPort: tsi.SPort, GSI: tsi.GSI})
			var c net.PacketConn
			var to net.Addr
			if err := rig.Do(1, func() (err error) {
				if scheme == "pgm" {
					c, err = net.ListenPacket("ip4:113", rig.Addr[1].String())
					to = &net.IPAddr{IP: rig.Group.AsSlice()}
				} else {
					c, err = net.ListenPacket("udp4", netip.AddrPortFrom(rig.Addr[1], 0).String())
					to = net.UDPAddrFromAddrPort(netip.AddrPortFrom(rig.Group, port))
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			before := stats()
			for i := range 2 {
				if _, err := c.WriteTo(spmr, to); err != nil {
					t.Fatal(err)
				}
				deadline := time.Now().Add(5 * time.Second)
				for st := stats(); st.SPMRs < before.SPMRs+uint64(i+1) || st.SPMs < before.SPMs+uint64(i+1); st = stats() {
					if time.Now().After(deadline) {
						t.Fatalf("SPMR %d to the group: not answered: %+v (before %+v)", i+1, st, before)
					}
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
}
