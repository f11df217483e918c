package curve_test

import (
	"encoding/binary"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/nacl/box"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/curve"
	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/zmtp"
)

type pair struct {
	srvKP, cliKP curve.KeyPair
	srv, cli     mechanism.Session
}

func newPair(t testing.TB) *pair {
	p := &pair{srvKP: mustKP(t), cliKP: mustKP(t)}
	var err error
	p.srv, err = (&curve.Mechanism{}).NewSession(&mechanism.Config{AsServer: true, Metadata: kitMeta,
		Options: map[string][]byte{curve.OptSecretKey: p.srvKP.Secret[:]}})
	if err != nil {
		t.Fatal(err)
	}
	p.cli, err = (&curve.Mechanism{}).NewSession(&mechanism.Config{Metadata: kitMeta,
		Options: map[string][]byte{curve.OptSecretKey: p.cliKP.Secret[:], curve.OptPublicKey: p.cliKP.Public[:],
			curve.OptServerKey: p.srvKP.Public[:]}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func next(t testing.TB, s mechanism.Session) []byte {
	t.Helper()
	b, err := s.Next()
	if err != nil || b == nil {
		t.Fatalf("Next: %v", err)
	}
	return b
}

// run completes the handshake and returns the four commands.
func (p *pair) run(t testing.TB) (hello, welcome, initiate, ready []byte) {
	hello = next(t, p.cli)
	must(t, p.srv.Process(hello))
	welcome = next(t, p.srv)
	must(t, p.cli.Process(welcome))
	initiate = next(t, p.cli)
	must(t, p.srv.Process(initiate))
	ready = next(t, p.srv)
	must(t, p.cli.Process(ready))
	if p.srv.Status() != mechanism.Ready || p.cli.Status() != mechanism.Ready {
		t.Fatal("not ready")
	}
	return
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, what string, err error, want uint32) {
	t.Helper()
	var pe *mechanism.ProtocolError
	if !errors.As(err, &pe) || pe.Code != want {
		t.Errorf("%s: %v, want protocol error %#x", what, err, want)
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x20
	return c
}

func TestBadServerInput(t *testing.T) {
	p := newPair(t)
	hello := next(t, p.cli)
	cases := []struct {
		name string
		cmd  []byte
		code uint32
	}{
		{"empty", []byte{}, mechanism.ErrZMTPMalformedCommandUnspec},
		{"garbage", []byte{0x40, 'x'}, mechanism.ErrZMTPMalformedCommandUnspec},
		{"reordered INITIATE", append([]byte("\x08INITIATE"), make([]byte, 300)...), mechanism.ErrZMTPUnexpectedCommand},
		{"READY", []byte("\x05READY"), mechanism.ErrZMTPUnexpectedCommand},
		{"truncated HELLO", hello[:199], mechanism.ErrZMTPMalformedCommandHello},
		{"oversized HELLO", append(append([]byte(nil), hello...), 0), mechanism.ErrZMTPMalformedCommandHello},
		{"HELLO version 2", flip(hello, 6), mechanism.ErrZMTPMalformedCommandHello},
		{"HELLO bad box", flip(hello, 150), mechanism.ErrZMTPCryptographic},
		{"HELLO wrong transient key", flip(hello, 90), mechanism.ErrZMTPCryptographic},
	}
	for _, c := range cases {
		s, _ := (&curve.Mechanism{}).NewSession(&mechanism.Config{AsServer: true,
			Options: map[string][]byte{curve.OptSecretKey: p.srvKP.Secret[:]}})
		err := s.Process(c.cmd)
		wantCode(t, c.name, err, c.code)
		if s.Status() != mechanism.Failed {
			t.Errorf("%s: status %v", c.name, s.Status())
		}
		if _, err2 := s.Next(); err2 == nil {
			t.Errorf("%s: Next after failure gives no error", c.name)
		}
	}
}

func TestBadInitiate(t *testing.T) {
	mk := func() (*pair, []byte) {
		p := newPair(t)
		hello := next(t, p.cli)
		must(t, p.srv.Process(hello))
		welcome := next(t, p.srv)
		must(t, p.cli.Process(welcome))
		return p, next(t, p.cli)
	}
	for _, c := range []struct {
		name string
		mod  func([]byte) []byte
		code uint32
	}{
		{"truncated", func(b []byte) []byte { return b[:256] }, mechanism.ErrZMTPMalformedCommandInitiate},
		{"bad cookie nonce", func(b []byte) []byte { return flip(b, 12) }, mechanism.ErrZMTPCryptographic},
		{"bad cookie", func(b []byte) []byte { return flip(b, 50) }, mechanism.ErrZMTPCryptographic},
		{"bad box", func(b []byte) []byte { return flip(b, 200) }, mechanism.ErrZMTPCryptographic},
		{"bad short nonce", func(b []byte) []byte { return flip(b, 110) }, mechanism.ErrZMTPCryptographic},
		{"HELLO again", func(b []byte) []byte { return append([]byte("\x05HELLO"), make([]byte, 194)...) }, mechanism.ErrZMTPUnexpectedCommand},
	} {
		p, ini := mk()
		wantCode(t, c.name, p.srv.Process(c.mod(ini)), c.code)
	}
}

// A vouch that does not carry the client's transient key: the INITIATE
// is built by hand, as a client that lies would.
func TestVouchMismatch(t *testing.T) {
	p := newPair(t)
	srvPub := p.srvKP.Public
	// client transient keys we control
	cnPub, cnSec, _ := box.GenerateKey(nil2{})
	var nonce [24]byte
	copy(nonce[:], "CurveZMQHELLO---")
	binary.BigEndian.PutUint64(nonce[16:], 1)
	hello := make([]byte, 200)
	copy(hello, "\x05HELLO\x01\x00")
	copy(hello[80:], cnPub[:])
	binary.BigEndian.PutUint64(hello[112:], 1)
	box.Seal(hello[120:120], make([]byte, 64), &nonce, &srvPub, cnSec)
	must(t, p.srv.Process(hello))
	welcome := next(t, p.srv)
	copy(nonce[:], "WELCOME-")
	copy(nonce[8:], welcome[8:24])
	plain, ok := box.Open(nil, welcome[24:], &nonce, &srvPub, cnSec)
	if !ok {
		t.Fatal("cannot open WELCOME")
	}
	var sPrime [32]byte
	copy(sPrime[:], plain[:32])
	cookie := plain[32:128]
	// vouch for some other transient key
	other, _, _ := box.GenerateKey(nil2{})
	var vn [24]byte
	copy(vn[:], "VOUCH---")
	vplain := append(append([]byte(nil), other[:]...), srvPub[:]...)
	vouch := box.Seal(nil, vplain, &vn, &sPrime, &p.cliKP.Secret)
	ip := append(append(append([]byte(nil), p.cliKP.Public[:]...), vn[8:]...), vouch...)
	ip = zmtp.AppendProperties(ip, kitMeta)
	copy(nonce[:], "CurveZMQINITIATE")
	binary.BigEndian.PutUint64(nonce[16:], 2)
	ini := append([]byte("\x08INITIATE"), cookie...)
	ini = binary.BigEndian.AppendUint64(ini, 2)
	ini = box.Seal(ini, ip, &nonce, &sPrime, cnSec)
	wantCode(t, "vouch", p.srv.Process(ini), mechanism.ErrZMTPKeyExchange)
}

// nil2 is a deterministic-enough entropy source for hand-made keys.
type nil2 struct{}

func (nil2) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte(time.Now().UnixNano()>>uint(i%8)) ^ byte(i*7)
	}
	return len(b), nil
}

func TestBadClientInput(t *testing.T) {
	mk := func() (*pair, []byte) {
		p := newPair(t)
		must(t, p.srv.Process(next(t, p.cli)))
		return p, next(t, p.srv)
	}
	p, w := mk()
	wantCode(t, "short WELCOME", p.cli.Process(w[:167]), mechanism.ErrZMTPCryptographic)
	p, w = mk()
	wantCode(t, "bad WELCOME", p.cli.Process(flip(w, 100)), mechanism.ErrZMTPCryptographic)
	p, w = mk()
	wantCode(t, "READY first", p.cli.Process([]byte("\x05READY12345678")), mechanism.ErrZMTPUnexpectedCommand)
	// READY problems
	mkReady := func() (*pair, []byte) {
		p, w := mk()
		must(t, p.cli.Process(w))
		must(t, p.srv.Process(next(t, p.cli)))
		return p, next(t, p.srv)
	}
	p, r := mkReady()
	wantCode(t, "short READY", p.cli.Process(r[:29]), mechanism.ErrZMTPMalformedCommandReady)
	p, r = mkReady()
	wantCode(t, "bad READY", p.cli.Process(flip(r, len(r)-1)), mechanism.ErrZMTPCryptographic)
	p, _ = mkReady()
	wantCode(t, "WELCOME again", p.cli.Process(w), mechanism.ErrZMTPUnexpectedCommand)
}

func TestBadMessages(t *testing.T) {
	p := newPair(t)
	p.run(t)
	m1, _, _ := p.cli.Encode(nil, []byte("one"), 0)
	m2, _, _ := p.cli.Encode(nil, []byte("two"), zmtp.FlagMore)
	m3, _, _ := p.cli.Encode(nil, []byte("ping"), zmtp.FlagCommand)
	// out of order: m2 first, then m1 is a replay
	got, fl, err := p.srv.Decode(nil, m2, 0)
	if err != nil || string(got) != "two" || fl != zmtp.FlagMore {
		t.Fatalf("m2: %q %#x %v", got, fl, err)
	}
	_, _, err = p.srv.Decode(nil, m1, 0)
	wantCode(t, "older nonce", err, mechanism.ErrZMTPInvalidSequence)
	_, _, err = p.srv.Decode(nil, m2, 0)
	wantCode(t, "replay", err, mechanism.ErrZMTPInvalidSequence)
	got, fl, err = p.srv.Decode(nil, m3, 0)
	if err != nil || string(got) != "ping" || fl != zmtp.FlagCommand {
		t.Fatalf("command: %q %#x %v", got, fl, err)
	}
	m4, _, _ := p.cli.Encode(nil, []byte("four"), 0)
	_, _, err = p.srv.Decode(nil, flip(m4, 20), 0)
	wantCode(t, "tampered", err, mechanism.ErrZMTPCryptographic)
	_, _, err = p.srv.Decode(nil, m4[:32], 0)
	wantCode(t, "truncated", err, mechanism.ErrZMTPMalformedCommandMessage)
	_, _, err = p.srv.Decode(nil, []byte("\x05READY\x00\x00\x00"), 0)
	wantCode(t, "not MESSAGE", err, mechanism.ErrZMTPUnexpectedCommand)
	_, _, err = p.srv.Decode(nil, []byte{0x30}, 0)
	wantCode(t, "garbage", err, mechanism.ErrZMTPMalformedCommandUnspec)
	// server → client, all sizes around the 32-byte first block
	for n := 0; n < 200; n++ {
		body := make([]byte, n)
		for i := range body {
			body[i] = byte(i * 3)
		}
		w, wfl, err := p.srv.Encode(nil, body, 0)
		if err != nil || wfl != 0 {
			t.Fatal(err)
		}
		got, _, err := p.cli.Decode([]byte("prefix"), w, 0)
		if err != nil || string(got) != "prefix"+string(body) {
			t.Fatalf("size %d: %v", n, err)
		}
	}
}

// Over the wire: a peer that sends garbage after a CURVE greeting is
// dropped with the right event, and the server keeps working.
func TestWireGarbage(t *testing.T) {
	srv := mustKP(t)
	ctx := newCtx(t)
	pull := sock(t, ctx, core.PULL, core.WithMechanism(curve.ServerKeys(srv)))
	mon := watch(t, pull)
	must(t, pull.Bind("tcp://127.0.0.1:*"))
	addr := strings.TrimPrefix(pull.LastEndpoint(), "tcp://")
	for _, c := range []struct {
		name string
		body []byte
		code uint32
	}{
		{"truncated HELLO", append([]byte("\x05HELLO\x01\x00"), make([]byte, 100)...), mechanism.ErrZMTPMalformedCommandHello},
		{"INITIATE first", append([]byte("\x08INITIATE"), make([]byte, 300)...), mechanism.ErrZMTPUnexpectedCommand},
		{"garbage HELLO", append([]byte("\x05HELLO\x01\x00"), make([]byte, 192)...), mechanism.ErrZMTPCryptographic},
	} {
		conn, err := net.Dial("tcp", addr)
		must(t, err)
		conn.Write(zmtp.AppendGreeting(nil, "CURVE", false))
		conn.Write(zmtp.AppendFrame(nil, c.body, zmtp.FlagCommand))
		e := expectEvent(t, mon, core.EventHandshakeFailedProtocol)
		if e.Value != uint64(c.code) {
			t.Errorf("%s: event value %#x, want %#x", c.name, e.Value, c.code)
		}
		conn.Close()
	}
	// mechanism mismatch
	conn, err := net.Dial("tcp", addr)
	must(t, err)
	conn.Write(zmtp.AppendGreeting(nil, "NULL", false))
	if e := expectEvent(t, mon, core.EventHandshakeFailedProtocol); e.Value != uint64(mechanism.ErrZMTPMechanismMismatch) {
		t.Errorf("mismatch: %#x", e.Value)
	}
	conn.Close()
}
