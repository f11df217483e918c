//go:build cgo && !nolibzmq

package interop

import (
	"fmt"
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"

	"github.com/zmqkit/zmqkit/core"
)

// Heartbeat settings of the libzmq side: a PING every 100 ms, disconnect
// if nothing comes back within 300 ms, and ask zmqkit (through the PING's
// TTL) to drop the connection after 1 s of silence.
const (
	hbInterval = 100 * time.Millisecond
	hbTimeout  = 300 * time.Millisecond
	hbTTL      = time.Second
	hbIdle     = time.Second // silent gap in the middle of the traffic
)

// TestHeartbeats switches ZMTP heartbeats on at the libzmq side and runs
// traffic for ~1.5 s, with a 1 s silent gap in which only PING/PONG keep
// the connection alive. zmqkit must answer every PING (libzmq's monitor
// must show one handshake and no disconnect) and must never surface
// PING/PONG as messages (every message arrives exactly once, in order).
func TestHeartbeats(t *testing.T) {
	t.Parallel()
	type hbPair struct{ sender, receiver core.SocketType }
	for _, p := range []hbPair{{PUSH, PULL}, {PUB, SUB}} {
		for _, libSends := range []bool{true, false} {
			for _, tr := range []string{"tcp", "ipc"} {
				for _, kitBinds := range []bool{true, false} {
					sendImpl, recvImpl := "zmqkit", "libzmq"
					if libSends {
						sendImpl, recvImpl = recvImpl, sendImpl
					}
					binder := "libzmq"
					if kitBinds {
						binder = "zmqkit"
					}
					name := fmt.Sprintf("%s-%v->%s-%v/%s/%s-binds", sendImpl, p.sender, recvImpl, p.receiver, tr, binder)
					t.Run(name, func(t *testing.T) {
						t.Parallel()
						runHeartbeat(t, p.sender, p.receiver, libSends, tr, kitBinds)
					})
				}
			}
		}
	}
}

func runHeartbeat(t *testing.T, senderType, receiverType core.SocketType, libSends bool, tr string, kitBinds bool) {
	kctx := newKitContext(t)
	libType, kitType := receiverType, senderType
	if libSends {
		libType, kitType = senderType, receiverType
	}
	lib := newLib(t, libType, libHeartbeat(hbInterval, hbTimeout, hbTTL))
	mon := startMonitor(t, lib)
	kit := newKit(t, kctx, kitType)

	if kitBinds {
		link(t, tr, kit, lib)
	} else {
		link(t, tr, lib, kit)
	}
	var sender, receiver sock = kit, lib
	if libSends {
		sender, receiver = lib, kit
	}

	skip := skipFirst(syncProbe)
	if receiverType == SUB {
		if err := receiver.subscribe(""); err != nil {
			t.Fatal(err)
		}
		retryUntil(t, "subscription", func() error { return sender.send([]byte(syncProbe)) }, receiver, skip)
	}
	mon.waitFor(t, zmq.EVENT_HANDSHAKE_SUCCEEDED, 1)

	start := time.Now()
	for i := 0; i < 10; i++ {
		msg := [][]byte{[]byte(fmt.Sprintf("hb-%d", i)), pattern(100+i, byte(i))}
		mustSend(t, sender, msg...)
		expect(t, receiver, msg, skip)
		if i == 4 {
			time.Sleep(hbIdle)
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}
	expectQuiet(t, receiver, skip)
	elapsed := time.Since(start)

	if n := mon.count(zmq.EVENT_DISCONNECTED); n != 0 {
		t.Errorf("libzmq %v with heartbeats (ivl %v, timeout %v) disconnected %d times in %v: zmqkit did not answer PINGs? events: %v",
			libType, hbInterval, hbTimeout, n, elapsed.Round(time.Millisecond), mon.snapshot())
	}
	if n := mon.count(zmq.EVENT_HANDSHAKE_SUCCEEDED); n != 1 {
		t.Errorf("libzmq %v completed %d handshakes, want exactly 1 (a reconnect happened); events: %v",
			libType, n, mon.snapshot())
	}
}
