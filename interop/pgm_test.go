//go:build cgo && !nolibzmq && linux

package interop

import (
	"encoding/binary"
	"fmt"
	"sync"
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/pgm"
	"github.com/zmqkit/zmqkit/plugins/pgm/pgmtest"
)

// pgm/epgm interop with Debian's libzmq 4.3.4 (built with OpenPGM): a
// publisher in one network namespace, subscribers in the other, joined by
// a veth pair (libzmq turns multicast loopback off, so one namespace cannot
// hear itself). pgmtest.NewRig skips without root, and fails under CI=true.
//
// Each scenario: two SUBs receive a numbered stream of multipart messages
// (some bigger than one TPDU, one of them 64 KiB), exactly once and in
// order; then a third SUB joins late and it and the first two receive the
// next stream whole. With loss, the subscribers' namespace drops 5 % of
// the packets it receives (nftables numgen) and NAK repair fills the holes.

const (
	pgmRate     = 200000 // kbit/s: RATE, high (libzmq's default is 100)
	pgmRecovery = 5 * time.Second
	pgmWait     = 60 * time.Second // for a whole stream to arrive, under load
)

// pgmBody is message seq's body: sizes from empty to several TPDUs.
func pgmBody(seq int) []byte {
	sizes := [...]int{0, 1, 200, 1400, 1500, 3000, 9000, 64 << 10}
	n := sizes[seq%len(sizes)]
	if seq%len(sizes) == len(sizes)-1 && seq%3 != 0 {
		n = 700 // the 64 KiB one now and then, not in every round
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(seq + i*7)
	}
	return b
}

func pgmMsg(seq int) [][]byte {
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], uint64(seq))
	return [][]byte{[]byte("m"), s[:], pgmBody(seq)}
}

// pgmSub reads a subscriber in its own goroutine: warm-up messages ("w")
// are counted, numbered ones ("m") must come exactly in order from next.
type pgmSub struct {
	name string
	s    sock
	mu   sync.Mutex
	warm int
	next int // the next numbered message expected
	err  error
	stop chan struct{}
	done chan struct{}
}

func startPGMSub(t *testing.T, name string, s sock, first int) *pgmSub {
	p := &pgmSub{name: name, s: s, next: first, stop: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	t.Cleanup(p.halt)
	return p
}

func (p *pgmSub) halt() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.done
}

func (p *pgmSub) fail(err error) {
	p.mu.Lock()
	p.err = err
	p.mu.Unlock()
}

func (p *pgmSub) run() {
	defer close(p.done)
	for {
		select {
		case <-p.stop:
			return
		default:
		}
		m, err := p.s.recv(100 * time.Millisecond)
		if err == errTimeout {
			continue
		}
		if err != nil {
			p.fail(fmt.Errorf("%s: recv: %w", p.name, err))
			return
		}
		switch {
		case len(m) == 1 && string(m[0]) == "w":
			p.mu.Lock()
			p.warm++
			p.mu.Unlock()
		case len(m) == 3 && string(m[0]) == "m" && len(m[1]) == 8:
			seq := int(binary.BigEndian.Uint64(m[1]))
			p.mu.Lock()
			want := p.next
			p.mu.Unlock()
			if seq != want {
				p.fail(fmt.Errorf("%s: message %d, want %d", p.name, seq, want))
				return
			}
			if body := pgmBody(seq); string(m[2]) != string(body) {
				p.fail(fmt.Errorf("%s: message %d: body of %d octets differs (want %d)", p.name, seq, len(m[2]), len(body)))
				return
			}
			p.mu.Lock()
			p.next++
			p.mu.Unlock()
		default:
			p.fail(fmt.Errorf("%s: unexpected message of %d frames: %q", p.name, len(m), m[0]))
			return
		}
	}
}

func (p *pgmSub) state() (warm, next int, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.warm, p.next, p.err
}

// waitPGM polls until cond holds for every subscriber, one fails, or
// pgmWait passes; tick runs between polls (the warm-up sends there).
func waitPGM(t *testing.T, what string, subs []*pgmSub, cond func(warm, next int) bool, tick func()) {
	t.Helper()
	deadline := time.Now().Add(pgmWait)
	for {
		all := true
		for _, p := range subs {
			warm, next, err := p.state()
			if err != nil {
				logPGMStats(t)
				t.Fatal(err)
			}
			if !cond(warm, next) {
				all = false
			}
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			for _, p := range subs {
				warm, next, _ := p.state()
				t.Logf("%s: %d warm-up messages, next numbered %d", p.name, warm, next)
			}
			logPGMStats(t)
			t.Fatalf("%s: not done after %v", what, pgmWait)
		}
		if tick != nil {
			tick()
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func logPGMStats(t *testing.T) {
	for _, st := range pgm.Stats() {
		t.Logf("zmqkit %s %s: bad %d, send errors %d, sender %+v, receiver %+v",
			st.Role, st.Local, st.BadPackets, st.SendErrors, st.Sender, st.Receiver)
	}
}

// kitInNS makes a zmqkit socket bound to ep in the rig's namespace i (Bind
// opens the pgm sockets on the calling thread, which Do puts there).
func kitInNS(t testing.TB, rig *pgmtest.Rig, i int, st core.SocketType, ep string) *kitSock {
	t.Helper()
	kctx := newKitContext(t)
	k := newKit(t, kctx, st, core.WithRate(pgmRate), core.WithRecoveryInterval(pgmRecovery),
		core.WithSendHWM(0), core.WithRecvHWM(0))
	if st == SUB {
		if err := k.subscribe(""); err != nil {
			t.Fatal(err)
		}
	}
	if err := rig.Do(i, func() error { return k.s.Bind(ep) }); err != nil {
		t.Fatalf("zmqkit %v bind %s: %v", st, ep, err)
	}
	return k
}

// libInNS makes a libzmq socket connected to ep in the rig's namespace i,
// in a libzmq context of its own whose I/O threads start there (libzmq
// opens the pgm sockets in its I/O thread, and resolves the interface in
// zmq_connect's).
func libInNS(t testing.TB, rig *pgmtest.Rig, i int, st core.SocketType, ep string, opts ...libOption) *libSock {
	t.Helper()
	var l *libSock
	err := rig.Do(i, func() error {
		ctx, err := zmq.NewContext()
		if err != nil {
			return err
		}
		t.Cleanup(func() {
			done := make(chan error, 1)
			go func() { done <- ctx.Term() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("libzmq context term: %v", err)
				}
			case <-time.After(termTimeout):
				t.Errorf("libzmq context term hung")
			}
		})
		s, err := ctx.NewSocket(zmq.Type(st)) // starts the context's threads here
		if err != nil {
			return err
		}
		l = &libSock{s: s, st: st, sndto: opTimeout}
		t.Cleanup(l.close)
		for _, set := range []func() error{
			func() error { return s.SetLinger(0) },
			func() error { return s.SetSndtimeo(opTimeout) },
			func() error { return s.SetRate(pgmRate) },
			func() error { return s.SetRecoveryIvl(pgmRecovery) },
			func() error { return s.SetSndhwm(0) },
			func() error { return s.SetRcvhwm(0) },
		} {
			if err := set(); err != nil {
				return err
			}
		}
		for _, o := range opts {
			if err := o(s); err != nil {
				return err
			}
		}
		if st == SUB {
			if err := s.SetSubscribe(""); err != nil {
				return err
			}
		}
		return s.Connect(ep)
	})
	if err != nil {
		t.Fatalf("libzmq %v connect %s: %v", st, ep, err)
	}
	return l
}

func TestPGM(t *testing.T) {
	// raw pgm:// runs the same protocol engine in IP packets: its scenarios
	// check the encapsulation both ways, and repair both ways
	for _, scheme := range []string{"epgm", "pgm"} {
		for _, pubKit := range []bool{true, false} {
			for _, loss := range []int{0, 5} {
				name := "zmqkit-PUB→libzmq-SUBs"
				if !pubKit {
					name = "libzmq-PUB→zmqkit-SUBs"
				}
				name = fmt.Sprintf("%s/%s/loss-%d%%", name, scheme, loss)
				t.Run(name, func(t *testing.T) { runPGM(t, scheme, pubKit, loss) })
			}
		}
	}
}

func runPGM(t *testing.T, scheme string, pubKit bool, loss int) {
	rig := pgmtest.NewRig(t)
	const port = 5555
	n := 200 // numbered messages per phase
	if loss > 0 {
		n = 600
	}
	newSub := func(name string, first int) *pgmSub {
		var s sock
		if pubKit {
			s = libInNS(t, rig, 1, SUB, rig.Endpoint(1, scheme, port))
		} else {
			s = kitInNS(t, rig, 1, SUB, rig.Endpoint(1, scheme, port))
		}
		return startPGMSub(t, name, s, first)
	}
	subs := []*pgmSub{newSub("SUB 1", 0), newSub("SUB 2", 0)}
	var pub sock
	if pubKit {
		pub = kitInNS(t, rig, 0, PUB, rig.Endpoint(0, scheme, port))
	} else {
		pub = libInNS(t, rig, 0, PUB, rig.Endpoint(0, scheme, port))
	}
	send := func(frames ...[]byte) {
		if err := pub.send(frames...); err != nil {
			t.Fatalf("%s PUB: %v", pub.impl(), err)
		}
	}
	// Warm-up: a subscriber joins the stream at the first message start
	// it sees; the publisher sends "w" until each one got one.
	warmUp := func(who []*pgmSub) {
		waitPGM(t, "warm-up", who, func(warm, _ int) bool { return warm > 0 }, func() { send([]byte("w")) })
	}
	// and, behind a zmqkit publisher, until an SPM sent after the warm-up
	// has reached them with the loss still off (see the late joiner below)
	spms := func() (n uint64) {
		for _, st := range pgm.Stats() {
			if st.Sender != nil {
				n += st.Sender.SPMs
			}
		}
		return n
	}
	knowSource := func() {
		if !pubKit || loss == 0 {
			return
		}
		before := spms()
		deadline := time.Now().Add(10 * time.Second)
		for spms() == before {
			if time.Now().After(deadline) {
				t.Fatal("the publisher sent no SPM within 10 s of the warm-up")
			}
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond) // in flight across the veth pair
	}
	warmUp(subs)
	knowSource()
	if loss > 0 {
		if err := rig.Loss(1, loss); err != nil {
			t.Fatal(err)
		}
	}
	for seq := range n {
		send(pgmMsg(seq)...)
	}
	waitPGM(t, "first stream", subs, func(_, next int) bool { return next == n }, nil)

	// a late joiner: from its warm-up on, it misses nothing either
	// An OpenPGM receiver cannot NAK before an SPM has told it the
	// source's address: what it misses until then it declares lost
	// (OpenPGM's trace: "Dropped 1 messages due to invalid NLA"), and
	// libzmq's pgm_receiver then delivers frames of two messages as one
	// ("unexpected message of 5 frames"). It asks for an SPM only once
	// (an SPMR, to the group and to the source), when its timers next
	// run: often only as the next stream begins. So libzmq's late
	// joiners join with the loss off and meet it again from their first
	// message on (joining under loss, they failed so in about one run in
	// five, libzmq to libzmq too); zmqkit's late joiners join under loss.
	// Issue 15: behind a zmqkit publisher, libzmq subscribers failed so
	// in 9 of 60 runs of this scenario (the late one, or SUB 2 when the
	// publisher's opening SPMs went out before its I/O thread had joined
	// the group), behind a libzmq publisher 0 of 30. zmqkit answered an
	// SPMR 1 to 10 ms late (its read loop waited for a CPU behind the
	// sending goroutine) and once, where OpenPGM answers both copies
	// within 0.1 ms: one SPM lost to the 5 % left a subscriber without
	// the address for the whole stream. Now the sender answers at once,
	// both copies, and reads its sockets between bursts: 0 of 60 over
	// epgm. Over raw pgm 2 of 39 still failed so (an SPMR sent lazily
	// once the stream under loss began, or both answers lost), so a
	// libzmq subscriber's join also waits for an SPM sent after its
	// warm-up with the loss off (knowSource): it then has the address
	// before it meets the loss, as a subscriber of a running stream does.
	if loss > 0 && pubKit {
		if err := rig.Loss(1, 0); err != nil {
			t.Fatal(err)
		}
	}
	late := newSub("late SUB", n)
	warmUp([]*pgmSub{late})
	knowSource()
	if loss > 0 && pubKit {
		if err := rig.Loss(1, loss); err != nil {
			t.Fatal(err)
		}
	}
	subs = append(subs, late)
	for seq := n; seq < 2*n; seq++ {
		send(pgmMsg(seq)...)
	}
	waitPGM(t, "second stream", subs, func(_, next int) bool { return next == 2*n }, nil)
	if pubKit {
		for _, st := range pgm.Stats() {
			if st.Sender != nil {
				t.Logf("zmqkit sender: %+v", *st.Sender)
				if loss > 0 && st.Sender.RDATA == 0 {
					t.Errorf("no repairs sent under %d %% loss: %+v", loss, *st.Sender)
				}
			}
		}
	} else {
		for _, st := range pgm.Stats() {
			if st.Receiver != nil {
				t.Logf("zmqkit receiver: %+v", *st.Receiver)
				if loss > 0 && (st.Receiver.NAKs == 0 || st.Receiver.Repairs == 0) {
					t.Errorf("no NAKs or repairs under %d %% loss: %+v", loss, *st.Receiver)
				}
			}
		}
	}
}

// zmqkit and libzmq subscribers on one host share the group's port
// (OpenPGM binds it with SO_REUSEPORT), whichever comes first, behind a
// zmqkit and a libzmq publisher.
func TestPGMMixedSubscribers(t *testing.T) {
	for _, pubKit := range []bool{true, false} {
		for _, kitFirst := range []bool{true, false} {
			name := fmt.Sprintf("zmqkit-PUB=%v/zmqkit-SUB-first=%v", pubKit, kitFirst)
			t.Run(name, func(t *testing.T) {
				rig := pgmtest.NewRig(t)
				const port = 5556
				ep := rig.Endpoint(1, "epgm", port)
				var subs []*pgmSub
				for _, kit := range []bool{kitFirst, !kitFirst} {
					if kit {
						subs = append(subs, startPGMSub(t, "zmqkit SUB", kitInNS(t, rig, 1, SUB, ep), 0))
					} else {
						subs = append(subs, startPGMSub(t, "libzmq SUB", libInNS(t, rig, 1, SUB, ep), 0))
					}
				}
				var pub sock
				if pubKit {
					pub = kitInNS(t, rig, 0, PUB, rig.Endpoint(0, "epgm", port))
				} else {
					pub = libInNS(t, rig, 0, PUB, rig.Endpoint(0, "epgm", port))
				}
				send := func(frames ...[]byte) {
					if err := pub.send(frames...); err != nil {
						t.Fatalf("%s PUB: %v", pub.impl(), err)
					}
				}
				waitPGM(t, "warm-up", subs, func(warm, _ int) bool { return warm > 0 }, func() { send([]byte("w")) })
				const n = 100
				for seq := range n {
					send(pgmMsg(seq)...)
				}
				waitPGM(t, "stream", subs, func(_, next int) bool { return next == n }, nil)
			})
		}
	}
}
