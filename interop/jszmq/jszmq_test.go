// Package jszmq tests zmqkit's ws transport against jszmq (npm "jszmq",
// a pure-JavaScript ZeroMQ over WebSocket speaking bare ZWS 2.0) running
// in Node: PUB/SUB (with subscribe and unsubscribe), REQ/REP and
// DEALER/ROUTER, each with zmqkit on either side of the pattern and as
// either the server (bind) or the client (connect).
//
// node runs peer.js (beside this file) as a child process, driven over
// its stdin and stdout. jszmq comes from $ZMQKIT_JSZMQ/node_modules,
// which scripts/prereq/25-jszmq.sh installs (and caches) for
// scripts/test.sh. Without node or jszmq the tests skip, unless CI=true,
// where they fail.
package jszmq

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/ws"
)

// wait bounds every single wait of a test: generous, for a loaded machine.
const wait = 20 * time.Second

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "jszmq: goroutines leaked:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// jszmqDir is the folder whose node_modules holds jszmq.
func jszmqDir() string {
	if d := os.Getenv("ZMQKIT_JSZMQ"); d != "" {
		return d
	}
	cache := os.Getenv("ZMQKIT_CACHE")
	if cache == "" {
		cache = "/var/cache/zmqkit"
	}
	return filepath.Join(cache, "jszmq-0.1.2")
}

// needNode finds node and jszmq, or skips (fails when CI=true).
func needNode(t *testing.T) (node, modules string) {
	t.Helper()
	miss := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...) + " (scripts/prereq/25-jszmq.sh installs both)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		miss("node not found: %v", err)
	}
	modules = filepath.Join(jszmqDir(), "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "jszmq", "package.json")); err != nil {
		miss("jszmq not installed in %s: %v", modules, err)
	}
	return node, modules
}

// ---------------------------------------------------------------------
// the jszmq peer

type event struct {
	Ev     string   `json:"ev"`
	Addr   string   `json:"addr,omitempty"`
	Frames []string `json:"frames,omitempty"`
	Error  string   `json:"error,omitempty"`
}

type peer struct {
	t       *testing.T
	typ     string
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	replies chan event    // answers to commands
	msgs    chan []string // messages received, decoded
	done    chan struct{} // stdout closed
}

// startPeer runs `node peer.js typ`; the test's cleanup closes it and
// waits for the process.
func startPeer(t *testing.T, typ string) *peer {
	t.Helper()
	node, modules := needNode(t)
	cmd := exec.Command(node, "peer.js", typ)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	cmd.Stderr = &logWriter{t: t, prefix: "node " + typ + " stderr: "}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &peer{t: t, typ: typ, cmd: cmd, stdin: stdin,
		replies: make(chan event, 16), msgs: make(chan []string, 4096), done: make(chan struct{})}
	go p.read(stdout)
	t.Cleanup(p.stop)
	return p
}

func (p *peer) read(r io.Reader) {
	defer close(p.done)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var ev event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			p.t.Logf("node %s: unparsable line %q: %v", p.typ, sc.Text(), err)
			continue
		}
		switch ev.Ev {
		case "msg":
			frames := make([]string, len(ev.Frames))
			for i, f := range ev.Frames {
				b, err := base64.StdEncoding.DecodeString(f)
				if err != nil {
					p.t.Logf("node %s: bad base64 %q", p.typ, f)
				}
				frames[i] = string(b)
			}
			select {
			case p.msgs <- frames:
			default:
				p.t.Logf("node %s: message dropped by the test harness (queue full)", p.typ)
			}
		case "error":
			// jszmq reports failed (re)connects this way: not fatal by
			// itself, the test's expectations decide.
			p.t.Logf("node %s: error event: %s", p.typ, ev.Error)
		default:
			p.replies <- ev
		}
	}
}

// do sends one command and waits for its answer.
func (p *peer) do(cmd map[string]any) event {
	p.t.Helper()
	b, _ := json.Marshal(cmd)
	if _, err := p.stdin.Write(append(b, '\n')); err != nil {
		p.t.Fatalf("node %s: write command: %v", p.typ, err)
	}
	select {
	case ev := <-p.replies:
		return ev
	case <-p.done:
		p.t.Fatalf("node %s exited during %v", p.typ, cmd["op"])
	case <-time.After(wait):
		p.t.Fatalf("node %s: no answer to %v within %v", p.typ, cmd["op"], wait)
	}
	return event{}
}

func enc(frames []string) []string {
	out := make([]string, len(frames))
	for i, f := range frames {
		out[i] = base64.StdEncoding.EncodeToString([]byte(f))
	}
	return out
}

func (p *peer) bind(addr string) string {
	p.t.Helper()
	ev := p.do(map[string]any{"op": "bind", "addr": addr})
	if ev.Ev != "bound" {
		p.t.Fatalf("node %s bind: %+v", p.typ, ev)
	}
	return ev.Addr
}

func (p *peer) connect(addr string) {
	p.t.Helper()
	if ev := p.do(map[string]any{"op": "connect", "addr": addr}); ev.Ev != "connected" {
		p.t.Fatalf("node %s connect: %+v", p.typ, ev)
	}
}

func (p *peer) send(frames ...string) {
	p.t.Helper()
	if ev := p.do(map[string]any{"op": "send", "frames": enc(frames)}); ev.Ev != "sent" {
		p.t.Fatalf("node %s send: %+v", p.typ, ev)
	}
}

func (p *peer) subscribe(topic string) {
	p.t.Helper()
	if ev := p.do(map[string]any{"op": "subscribe", "topic": enc([]string{topic})[0]}); ev.Ev != "subscribed" {
		p.t.Fatalf("node %s subscribe: %+v", p.typ, ev)
	}
}

func (p *peer) unsubscribe(topic string) {
	p.t.Helper()
	if ev := p.do(map[string]any{"op": "unsubscribe", "topic": enc([]string{topic})[0]}); ev.Ev != "unsubscribed" {
		p.t.Fatalf("node %s unsubscribe: %+v", p.typ, ev)
	}
}

func (p *peer) recv() []string {
	p.t.Helper()
	select {
	case m := <-p.msgs:
		return m
	case <-p.done:
		p.t.Fatalf("node %s exited while the test waited for a message", p.typ)
	case <-time.After(wait):
		p.t.Fatalf("node %s: no message within %v", p.typ, wait)
	}
	return nil
}

// tryRecv waits at most d for a message.
func (p *peer) tryRecv(d time.Duration) ([]string, bool) {
	select {
	case m := <-p.msgs:
		return m, true
	case <-time.After(d):
		return nil, false
	}
}

// stop closes stdin (peer.js then closes its socket and exits) and waits;
// a peer that does not exit is killed (its own process group only).
func (p *peer) stop() {
	p.stdin.Close()
	exited := make(chan error, 1)
	go func() {
		<-p.done
		exited <- p.cmd.Wait()
	}()
	select {
	case err := <-exited:
		if err != nil {
			p.t.Errorf("node %s exited: %v", p.typ, err)
		}
	case <-time.After(wait):
		p.t.Errorf("node %s did not exit after its stdin closed: killing it", p.typ)
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
}

type logWriter struct {
	t      *testing.T
	prefix string
	mu     sync.Mutex
}

func (w *logWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		w.t.Log(w.prefix + line)
	}
	return len(b), nil
}

// ---------------------------------------------------------------------
// the zmqkit side

func zsock(t *testing.T, typ core.SocketType, opts ...core.Option) *core.Socket {
	t.Helper()
	c := core.NewContext()
	s, err := c.NewSocket(typ, append([]core.Option{core.WithLinger(0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := c.TermContext(ctx); err != nil {
			t.Errorf("zmqkit context term: %v", err)
		}
	})
	return s
}

func zsend(t *testing.T, s *core.Socket, frames ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := s.Send(ctx, core.NewMsgString(frames...)); err != nil {
		t.Fatalf("zmqkit %v send: %v", s.Type(), err)
	}
}

func zrecv(t *testing.T, s *core.Socket) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	m, err := s.Recv(ctx)
	if err != nil {
		t.Fatalf("zmqkit %v recv: %v", s.Type(), err)
	}
	out := make([]string, len(m.Frames))
	for i, f := range m.Frames {
		out[i] = string(f)
	}
	return out
}

func ztryRecv(s *core.Socket, d time.Duration) ([]string, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	m, err := s.Recv(ctx)
	if err != nil {
		return nil, false
	}
	out := make([]string, len(m.Frames))
	for i, f := range m.Frames {
		out[i] = string(f)
	}
	return out, true
}

func eq(got []string, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------------
// wiring: who binds

// wire connects a zmqkit socket and a jszmq peer: zmqkit binds when
// zmqkitBinds, else jszmq binds (on an ephemeral port) and zmqkit
// connects, offering bare ZWS2.0 first (jszmq's server takes the first
// offer whatever it is).
func wire(t *testing.T, z *core.Socket, p *peer, zmqkitBinds bool) {
	t.Helper()
	if zmqkitBinds {
		if err := z.Bind("ws://127.0.0.1:*/zmq"); err != nil {
			t.Fatal(err)
		}
		ep := z.LastEndpoint()
		if !strings.HasSuffix(ep, "/zmq") {
			t.Fatalf("LastEndpoint %q has lost the path", ep)
		}
		p.connect(ep)
		return
	}
	ep := p.bind("ws://127.0.0.1:0/zmq")
	if err := z.Connect(ep); err != nil {
		t.Fatal(err)
	}
}

// zopts are the options of the zmqkit socket: a client offers bare
// ZWS2.0 first, which jszmq's server needs.
func zopts(zmqkitBinds bool, opts ...core.Option) []core.Option {
	if !zmqkitBinds {
		opts = append(opts, core.WithTransportOption(ws.BareFirst(true)))
	}
	return opts
}

type role struct {
	name        string
	zmqkitBinds bool
}

var roles = []role{{"zmqkit-binds", true}, {"jszmq-binds", false}}

// ---------------------------------------------------------------------
// PUB/SUB

// TestPubSub: a zmqkit PUB and a jszmq SUB. The SUB subscribes to "A";
// the PUB publishes "A-n" and "B-n" until an A arrives, and no B may
// ever arrive. Then the SUB unsubscribes "A" and subscribes "C"; once a
// C arrives, no A may follow it.
func TestPubSub(t *testing.T) {
	for _, r := range roles {
		t.Run("zmqkit-pub/"+r.name, func(t *testing.T) {
			pub := zsock(t, core.PUB, zopts(r.zmqkitBinds)...)
			sub := startPeer(t, "sub")
			wire(t, pub, sub, r.zmqkitBinds)
			sub.subscribe("A")
			pubSubScenario(t,
				func(m string) { zsend(t, pub, m) },
				func(d time.Duration) ([]string, bool) { return sub.tryRecv(d) },
				func(topic string) { sub.unsubscribe(topic) },
				func(topic string) { sub.subscribe(topic) })
		})
		t.Run("zmqkit-sub/"+r.name, func(t *testing.T) {
			sub := zsock(t, core.SUB, zopts(r.zmqkitBinds)...)
			pub := startPeer(t, "pub")
			wire(t, sub, pub, r.zmqkitBinds)
			if err := sub.Subscribe("A"); err != nil {
				t.Fatal(err)
			}
			pubSubScenario(t,
				func(m string) { pub.send(m) },
				func(d time.Duration) ([]string, bool) { return ztryRecv(sub, d) },
				func(topic string) {
					if err := sub.Unsubscribe(topic); err != nil {
						t.Fatal(err)
					}
				},
				func(topic string) {
					if err := sub.Subscribe(topic); err != nil {
						t.Fatal(err)
					}
				})
		})
	}
}

func pubSubScenario(t *testing.T, publish func(string), recv func(time.Duration) ([]string, bool),
	unsubscribe, subscribe func(string)) {
	t.Helper()
	// until the subscription has reached the publisher (and the
	// connection is up), what is published is lost: publish until it
	// arrives.
	deadline := time.Now().Add(wait)
	n := 0
	for got := false; !got; n++ {
		if time.Now().After(deadline) {
			t.Fatalf("no A message within %v", wait)
		}
		publish(fmt.Sprintf("B-%d", n))
		publish(fmt.Sprintf("A-%d", n))
		for {
			m, ok := recv(50 * time.Millisecond)
			if !ok {
				break
			}
			if len(m) != 1 || !strings.HasPrefix(m[0], "A-") {
				t.Fatalf("subscribed to A, received %q", m)
			}
			got = true
		}
	}
	publish("B-last")
	publish("A-last")
	for {
		m, ok := recv(wait)
		if !ok {
			t.Fatal("A-last not received")
		}
		if len(m) != 1 || !strings.HasPrefix(m[0], "A-") {
			t.Fatalf("subscribed to A, received %q", m)
		}
		if m[0] == "A-last" {
			break
		}
	}

	unsubscribe("A")
	subscribe("C")
	deadline = time.Now().Add(wait)
	sawC := false
	for n = 0; !sawC; n++ {
		if time.Now().After(deadline) {
			t.Fatalf("no C message within %v of subscribing", wait)
		}
		publish(fmt.Sprintf("A-%d", n))
		publish(fmt.Sprintf("C-%d", n))
		for {
			m, ok := recv(50 * time.Millisecond)
			if !ok {
				break
			}
			switch {
			case len(m) == 1 && strings.HasPrefix(m[0], "C-"):
				sawC = true
			case len(m) == 1 && strings.HasPrefix(m[0], "A-") && !sawC:
				// published before the unsubscription reached the PUB
			default:
				t.Fatalf("after unsubscribing A (and a C arrived), received %q", m)
			}
		}
	}
	publish("A-final")
	publish("C-final")
	for {
		m, ok := recv(wait)
		if !ok {
			t.Fatal("C-final not received")
		}
		if len(m) != 1 || !strings.HasPrefix(m[0], "C-") {
			t.Fatalf("unsubscribed from A, received %q", m)
		}
		if m[0] == "C-final" {
			break
		}
	}
}

// ---------------------------------------------------------------------
// REQ/REP

const rounds = 5

// TestReqRep: zmqkit REQ against jszmq REP and jszmq REQ against zmqkit
// REP, a few round trips of two-frame requests each.
func TestReqRep(t *testing.T) {
	for _, r := range roles {
		t.Run("zmqkit-req/"+r.name, func(t *testing.T) {
			req := zsock(t, core.REQ, zopts(r.zmqkitBinds)...)
			rep := startPeer(t, "rep")
			wire(t, req, rep, r.zmqkitBinds)
			for i := 0; i < rounds; i++ {
				zsend(t, req, "hello", fmt.Sprint(i))
				if got := rep.recv(); !eq(got, "hello", fmt.Sprint(i)) {
					t.Fatalf("jszmq REP received %q, want [hello %d]", got, i)
				}
				rep.send("world", fmt.Sprint(i))
				if got := zrecv(t, req); !eq(got, "world", fmt.Sprint(i)) {
					t.Fatalf("zmqkit REQ received %q, want [world %d]", got, i)
				}
			}
		})
		t.Run("zmqkit-rep/"+r.name, func(t *testing.T) {
			rep := zsock(t, core.REP, zopts(r.zmqkitBinds)...)
			req := startPeer(t, "req")
			wire(t, rep, req, r.zmqkitBinds)
			for i := 0; i < rounds; i++ {
				req.send("hello", fmt.Sprint(i))
				if got := zrecv(t, rep); !eq(got, "hello", fmt.Sprint(i)) {
					t.Fatalf("zmqkit REP received %q, want [hello %d]", got, i)
				}
				zsend(t, rep, "world", fmt.Sprint(i))
				if got := req.recv(); !eq(got, "world", fmt.Sprint(i)) {
					t.Fatalf("jszmq REQ received %q, want [world %d]", got, i)
				}
			}
		})
	}
}

// ---------------------------------------------------------------------
// DEALER/ROUTER

// TestDealerRouter: a zmqkit DEALER (routing id "zk-dealer") against a
// jszmq ROUTER, and a jszmq DEALER against a zmqkit ROUTER; the ROUTER
// answers through the routing id it received.
func TestDealerRouter(t *testing.T) {
	for _, r := range roles {
		t.Run("zmqkit-dealer/"+r.name, func(t *testing.T) {
			dealer := zsock(t, core.DEALER, zopts(r.zmqkitBinds, core.WithRoutingID([]byte("zk-dealer")))...)
			router := startPeer(t, "router")
			wire(t, dealer, router, r.zmqkitBinds)
			for i := 0; i < rounds; i++ {
				zsend(t, dealer, "ask", fmt.Sprint(i))
				got := router.recv()
				if len(got) != 3 || got[1] != "ask" || got[2] != fmt.Sprint(i) {
					t.Fatalf("jszmq ROUTER received %q, want [<id> ask %d]", got, i)
				}
				// jszmq keys a peer that sent a routing id by 0x00 + that id
				if !strings.HasSuffix(got[0], "zk-dealer") {
					t.Fatalf("jszmq ROUTER saw routing id %q, want one carrying zk-dealer", got[0])
				}
				router.send(got[0], "answer", fmt.Sprint(i))
				if got := zrecv(t, dealer); !eq(got, "answer", fmt.Sprint(i)) {
					t.Fatalf("zmqkit DEALER received %q, want [answer %d]", got, i)
				}
			}
		})
		t.Run("zmqkit-router/"+r.name, func(t *testing.T) {
			router := zsock(t, core.ROUTER, zopts(r.zmqkitBinds)...)
			dealer := startPeer(t, "dealer")
			wire(t, router, dealer, r.zmqkitBinds)
			var id string
			for i := 0; i < rounds; i++ {
				dealer.send("ask", fmt.Sprint(i))
				got := zrecv(t, router)
				if len(got) != 3 || got[1] != "ask" || got[2] != fmt.Sprint(i) {
					t.Fatalf("zmqkit ROUTER received %q, want [<id> ask %d]", got, i)
				}
				if i == 0 {
					id = got[0]
				} else if got[0] != id {
					t.Fatalf("routing id changed from %q to %q", id, got[0])
				}
				zsend(t, router, got[0], "answer", fmt.Sprint(i))
				if got := dealer.recv(); !eq(got, "answer", fmt.Sprint(i)) {
					t.Fatalf("jszmq DEALER received %q, want [answer %d]", got, i)
				}
			}
		})
	}
}
