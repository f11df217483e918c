package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/zmqkit/zmqkit/core"
)

var catCmd = &command{
	name:    "cat",
	args:    "TYPE",
	posComp: "socktype",
	summary: "send stdin and print what arrives, on a socket of any type (nc for ZeroMQ)",
	long: `Makes one socket of TYPE (pair, pub, sub, xpub, xsub, req, rep, dealer,
router, push, pull, stream, and the draft server, client, radio, dish,
scatter, gather, dgram, peer, channel), binds and connects it as told, then:

  push pub radio scatter           send stdin, one message per line; end at EOF
  pull sub dish gather             print what arrives
  req                              send a line, print the reply, repeat
  rep                              print a request, reply with the next line
                                   (or --echo, or --reply TEXT)
  others (dealer, router, pair...) both at once; at EOF keep receiving
                                   (-w: end at EOF; -r: ignore stdin)

Input (--in): text lines, one single-frame message each, or frames split
by --delim; hex (frames in hex, split by --delim, default space); json
(one object per line: {"frames":["a",{"hex":"00ff"}],"routing_id":..,
"group":".."}, or an array of frames). -0 separates messages by NUL
instead of newline; --whole sends all of stdin as one message; --file
sends files, one message each.
Output (--out): text (frames joined by --delim, default TAB), hex, or
json lines with the frames and, where known, the routing id, the group
and the peer's metadata (Socket-Type, Identity, Peer-Address, User-Id).
On ROUTER and STREAM the first frame is the routing id; in text it is
shown (and read back) as 0x<hex> when it is not printable.

Keys and credentials come from the flags, or else from the environment:
ZMQKIT_CURVE_SERVERKEY, ZMQKIT_CURVE_SECRETKEY, ZMQKIT_PLAIN_USERNAME,
ZMQKIT_PLAIN_PASSWORD. Connection problems (refused, handshake failed,
authentication refused) are reported on stderr as they happen.

Examples:
  zmqkit cat pull --bind 'tcp://*:5555'
  seq 3 | zmqkit cat push --connect tcp://127.0.0.1:5555
  zmqkit cat sub -c tcp://127.0.0.1:5556 --subscribe weather. -n 1 -t 5s
  echo ping | zmqkit cat req -c tcp://127.0.0.1:5557 --out json
  zmqkit cat rep -b ipc:///tmp/echo.sock --echo
  zmqkit cat router -b 'tcp://*:5558' --delim '|'
`,
	define: func(f *flagSet) func(*env, []string) error {
		c := &catCfg{inFmt: "text", outFmt: "text"}
		c.ep.define(f, "", "bc", "")
		f.Int(&c.count, "n,count", "N", "end after N messages received (sent, for send-only types; round trips for req)")
		f.Duration(&c.timeout, "t,timeout", "D", "fail (exit 1) when a receive or send waits longer than D; also caps linger")
		f.List(&c.subscribe, "s,subscribe", "TOPIC", "sub/xsub: subscribe to TOPIC (sub default: everything)", "")
		f.List(&c.join, "join", "GROUP", "dish: join GROUP", "")
		f.String(&c.group, "group", "GROUP", "radio: send to GROUP", "")
		f.Bool(&c.recvOnly, "r,recv-only", "only receive; do not read stdin")
		f.Bool(&c.sendOnly, "w,send-only", "only send; end at the end of input")
		f.Bool(&c.echo, "echo", "rep: reply with the request itself")
		f.String(&c.reply, "reply", "TEXT", "rep: reply TEXT to every request", "")
		f.Duration(&c.delay, "delay", "D", "wait D after binding/connecting before sending (pub: let subscribers join)")
		f.Bool(&c.verbose, "v,verbose", "report every connection event on stderr")
		f.section("Input and output")
		f.Enum(&c.inFmt, "in", "FORMAT", "input format", "text", "hex", "json")
		f.Enum(&c.outFmt, "out", "FORMAT", "output format", "text", "hex", "json")
		f.String(&c.delim, "d,delim", "SEP", "frame separator within a message (input and output)", "")
		f.Bool(&c.null, "0,null", "messages are separated by NUL instead of newline")
		f.Bool(&c.whole, "whole", "send all of stdin as one single-frame message")
		f.List(&c.files, "f,file", "PATH", "send the content of PATH as one message", "file")
		c.of.define(f)
		c.sec.define(f, "", "Security")
		return func(e *env, pos []string) error { return c.run(e, pos) }
	},
}

type catCfg struct {
	ep  endpointFlags
	sec secFlags
	of  optFlags

	count                    int
	timeout, delay           time.Duration
	subscribe, join          []string
	group                    string
	recvOnly, sendOnly, echo bool
	reply                    string
	verbose                  bool
	inFmt, outFmt, delim     string
	null, whole              bool
	files                    []string
	typ                      core.SocketType
	lastRID                  atomic.Uint32 // SERVER/PEER: the last peer heard from or connected
	outMu                    sync.Mutex
	out                      *bufio.Writer
	sendCount, recvCount     int
}

// inMsg is one parsed input message.
type inMsg struct {
	frames [][]byte
	rid    uint32
	group  string
	err    error
}

func sendOnlyType(t core.SocketType) bool {
	switch t {
	case core.PUSH, core.PUB, core.RADIO, core.SCATTER:
		return true
	}
	return false
}

func recvOnlyType(t core.SocketType) bool {
	switch t {
	case core.PULL, core.SUB, core.DISH, core.GATHER:
		return true
	}
	return false
}

func (c *catCfg) run(e *env, pos []string) error {
	if len(pos) != 1 {
		if len(pos) == 0 {
			return usagef("which socket type? (e.g. zmqkit cat pull --bind tcp://*:5555)")
		}
		return usagef("unexpected argument %q (one socket type; endpoints go with --bind/--connect)", pos[1])
	}
	t, err := parseSocketType(pos[0])
	if err != nil {
		return err
	}
	c.typ = t
	if c.ep.empty() {
		return usagef("give at least one --bind or --connect endpoint")
	}
	if c.recvOnly && c.sendOnly {
		return usagef("-r and -w exclude each other")
	}
	if c.recvOnly && sendOnlyType(t) {
		return usagef("a %s socket cannot receive", t)
	}
	if c.sendOnly && recvOnlyType(t) {
		return usagef("a %s socket cannot send", t)
	}
	if (c.recvOnly || c.sendOnly) && (t == core.REQ || t == core.REP) {
		return usagef("req and rep sockets alternate sending and receiving: -r and -w do not apply")
	}
	if (c.echo || c.reply != "") && t != core.REP {
		return usagef("--echo and --reply are for rep sockets")
	}
	if c.echo && c.reply != "" {
		return usagef("--echo and --reply exclude each other")
	}
	if len(c.subscribe) > 0 && t != core.SUB && t != core.XSUB {
		return usagef("--subscribe is for sub and xsub sockets")
	}
	if len(c.join) > 0 && t != core.DISH {
		return usagef("--join is for dish sockets")
	}
	if t == core.DISH && len(c.join) == 0 {
		return usagef("a dish socket receives only the groups it joins: give --join GROUP")
	}
	if c.group != "" && t != core.RADIO {
		return usagef("--group is for radio sockets")
	}
	if c.whole && (len(c.files) > 0 || c.null) {
		return usagef("--whole does not go with --file or -0")
	}
	if c.inFmt == "hex" && c.delim == "" {
		c.delim = " "
	}
	if c.timeout > 0 && c.of.linger == -2 {
		c.of.linger = c.timeout
	}

	s := newSession(e)
	defer s.close()
	var extra []core.Option
	if t == core.SUB {
		topics := c.subscribe
		if len(topics) == 0 {
			topics = []string{""}
		}
		for _, tp := range topics {
			extra = append(extra, core.WithSubscribe(tp))
		}
	}
	sock, err := s.socket(t, &c.sec, &c.of, extra...)
	if err != nil {
		return err
	}
	s.watchProblems(sock, c.verbose)
	peerID, err := attach(sock, &c.ep)
	if err != nil {
		return err
	}
	c.lastRID.Store(peerID) // PEER: send to the last peer connected until one speaks
	for _, g := range c.join {
		if err := sock.Join(g); err != nil {
			return err
		}
	}
	c.out = bufio.NewWriterSize(e.stdout, 64<<10)
	defer c.out.Flush()

	if t == core.XSUB {
		for _, tp := range c.subscribe {
			if err := sock.Send(e.ctx, core.NewMsg(append([]byte{1}, tp...))); err != nil {
				return err
			}
		}
	}

	canSend := !recvOnlyType(t) && !c.recvOnly
	canRecv := !sendOnlyType(t) && !c.sendOnly
	var in <-chan inMsg
	if canSend && !c.echo && c.reply == "" {
		in = c.readInput(e)
	}
	if canSend && c.delay > 0 {
		select {
		case <-time.After(c.delay):
		case <-e.ctx.Done():
			return nil
		}
	}

	var runErr error
	switch {
	case t == core.REQ:
		runErr = c.loopReq(e, s, sock, in)
	case t == core.REP:
		runErr = c.loopRep(e, s, sock, in)
	case canSend && canRecv:
		runErr = c.loopDuplex(e, s, sock, in)
	case canSend:
		runErr = c.loopSend(e, s, sock, in)
	default:
		runErr = c.loopRecv(e, s, sock)
	}
	c.outMu.Lock()
	c.out.Flush()
	c.outMu.Unlock()
	if runErr != nil && e.ctx.Err() != nil && errors.Is(runErr, context.Canceled) {
		runErr = nil // Ctrl-C ends cat normally
	}
	if runErr == nil && c.sendCount > 0 {
		runErr = drain(e, sock)
		if runErr == nil && e.ctx.Err() == nil && needsHandshake(&c.ep) && !s.waitHandshake(100*time.Millisecond) {
			runErr = fmt.Errorf("%d message(s) sent but none delivered: no connection completed its handshake%s", c.sendCount, s.problemSuffix())
		}
	}
	return runErr
}

// drain waits, within the socket's linger, until every message sent has
// left the socket's queues, and fails naming how many did not. After
// Ctrl-C it waits at most shutdownGrace: messages still queued then are
// a failure too (exit status 1), as when the linger runs out.
func drain(e *env, sock *core.Socket) error {
	linger := sock.Options().Linger
	start := time.Now()
	for {
		st, err := sock.PipeStats()
		if err != nil {
			return nil
		}
		var queued uint64
		for _, p := range st {
			queued += p.Outbound
		}
		if queued == 0 {
			return nil
		}
		switch {
		case linger >= 0 && linger != lingerForever && time.Since(start) >= linger:
			return fmt.Errorf("%d message(s) not delivered within the linger (%v)", queued, linger)
		case e.ctx.Err() != nil && e.graceLeft() == 0:
			return fmt.Errorf("interrupted: %d message(s) not delivered", queued)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// attach binds and connects; an endpoint the socket rejects outright
// (syntax, unknown transport) is bad usage. On a PEER socket it returns
// the routing id of the last peer connected.
func attach(sock *core.Socket, ep *endpointFlags) (peerID uint32, err error) {
	for _, b := range ep.binds {
		if err := sock.Bind(b); err != nil {
			return 0, endpointErr(err)
		}
	}
	for _, cn := range ep.connects {
		if sock.Type() == core.PEER {
			id, err := sock.ConnectPeer(cn)
			if err != nil {
				return 0, endpointErr(err)
			}
			peerID = id
			continue
		}
		if err := sock.Connect(cn); err != nil {
			return 0, endpointErr(err)
		}
	}
	return peerID, nil
}

func endpointErr(err error) error {
	if errors.Is(err, core.ErrProtocolNotSupported) || errors.Is(err, core.ErrInvalid) || errors.Is(err, core.ErrNoCompatProto) {
		return &usageError{msg: err.Error()}
	}
	return err
}

// needsHandshake says whether the endpoints' transports report handshakes
// (inproc and the datagram transports do not).
func needsHandshake(ep *endpointFlags) bool {
	for _, x := range append(append([]string(nil), ep.binds...), ep.connects...) {
		switch scheme, _, _ := strings.Cut(x, "://"); scheme {
		case "inproc", "udp", "pgm", "epgm":
			return false
		}
	}
	return true
}

// opCtx bounds one wait by --timeout.
func (c *catCfg) opCtx(e *env) (context.Context, context.CancelFunc) {
	if c.timeout > 0 {
		return context.WithTimeout(e.ctx, c.timeout)
	}
	return context.WithCancel(e.ctx)
}

// opErr explains a failed send or receive.
func (c *catCfg) opErr(e *env, s *session, what string, err error) error {
	if e.ctx.Err() != nil {
		return context.Canceled
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, core.ErrWouldBlock) {
		return fmt.Errorf("timed out after %v %s%s", c.timeout, what, s.problemSuffix())
	}
	return err
}

func (c *catCfg) recvOne(e *env, s *session, sock *core.Socket) error {
	ctx, cancel := c.opCtx(e)
	m, err := sock.Recv(ctx)
	cancel()
	if err != nil {
		return c.opErr(e, s, "waiting for a message", err)
	}
	if id := m.RoutingID(); id != 0 {
		c.lastRID.Store(id)
	}
	c.recvCount++
	return c.print(m)
}

func (c *catCfg) sendOne(e *env, s *session, sock *core.Socket, im inMsg) error {
	m, err := c.toMsg(im)
	if err != nil {
		return err
	}
	ctx, cancel := c.opCtx(e)
	err = sock.Send(ctx, m)
	cancel()
	if err != nil {
		return c.opErr(e, s, "sending (no peer took the message)", err)
	}
	c.sendCount++
	return nil
}

func (c *catCfg) done() bool { return c.count > 0 && c.recvCount >= c.count }

func (c *catCfg) loopRecv(e *env, s *session, sock *core.Socket) error {
	for !c.done() {
		if err := c.recvOne(e, s, sock); err != nil {
			return err
		}
	}
	return nil
}

func (c *catCfg) loopSend(e *env, s *session, sock *core.Socket, in <-chan inMsg) error {
	for c.count <= 0 || c.sendCount < c.count {
		var im inMsg
		var ok bool
		select {
		case im, ok = <-in:
		case <-e.ctx.Done():
			return context.Canceled
		}
		if !ok {
			return nil
		}
		if im.err != nil {
			return im.err
		}
		if err := c.sendOne(e, s, sock, im); err != nil {
			return err
		}
	}
	return nil
}

func (c *catCfg) loopReq(e *env, s *session, sock *core.Socket, in <-chan inMsg) error {
	for !c.done() {
		var im inMsg
		var ok bool
		select {
		case im, ok = <-in:
		case <-e.ctx.Done():
			return context.Canceled
		}
		if !ok {
			return nil
		}
		if im.err != nil {
			return im.err
		}
		if err := c.sendOne(e, s, sock, im); err != nil {
			return err
		}
		if err := c.recvOne(e, s, sock); err != nil {
			return err
		}
	}
	return nil
}

func (c *catCfg) loopRep(e *env, s *session, sock *core.Socket, in <-chan inMsg) error {
	for !c.done() {
		ctx, cancel := c.opCtx(e)
		m, err := sock.Recv(ctx)
		cancel()
		if err != nil {
			return c.opErr(e, s, "waiting for a request", err)
		}
		c.recvCount++
		if err := c.print(m); err != nil {
			return err
		}
		var im inMsg
		switch {
		case c.echo:
			im.frames = m.Frames
		case c.reply != "":
			im, err = c.parse([]byte(c.reply))
			if err != nil {
				return usagef("--reply: %v", err)
			}
		default:
			var ok bool
			select {
			case im, ok = <-in:
			case <-e.ctx.Done():
				return context.Canceled
			}
			if !ok {
				return nil // no reply left to give
			}
			if im.err != nil {
				return im.err
			}
		}
		if err := c.sendOne(e, s, sock, im); err != nil {
			return err
		}
	}
	return nil
}

func (c *catCfg) loopDuplex(e *env, s *session, sock *core.Socket, in <-chan inMsg) error {
	errc := make(chan error, 2)
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	go func() {
		for {
			var im inMsg
			var ok bool
			select {
			case im, ok = <-in:
			case <-ctx.Done():
				return
			}
			if !ok {
				if c.sendOnly {
					errc <- nil
				}
				return
			}
			if im.err != nil {
				errc <- im.err
				return
			}
			if err := c.sendOne(e, s, sock, im); err != nil {
				errc <- err
				return
			}
		}
	}()
	if !c.sendOnly {
		go func() {
			for !c.done() {
				if err := c.recvOne(e, s, sock); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
	}
	select {
	case err := <-errc:
		return err
	case <-e.ctx.Done():
		return context.Canceled
	}
}

// toMsg builds the message to send from parsed input.
func (c *catCfg) toMsg(im inMsg) (core.Msg, error) {
	m := core.NewMsg(im.frames...)
	switch c.typ {
	case core.SERVER, core.PEER:
		id := im.rid
		if id == 0 {
			id = c.lastRID.Load()
		}
		if id == 0 {
			return m, fmt.Errorf("a %s socket sends to a routing id: receive a message first, or give \"routing_id\" with --in json", c.typ)
		}
		m.SetRoutingID(id)
	case core.RADIO:
		g := im.group
		if g == "" {
			g = c.group
		}
		if g == "" {
			return m, fmt.Errorf("a radio socket sends to a group: give --group, or \"group\" with --in json")
		}
		if err := m.SetGroup(g); err != nil {
			return m, err
		}
	}
	return m, nil
}

// readInput parses stdin (or the --file files) into messages.
func (c *catCfg) readInput(e *env) <-chan inMsg {
	ch := make(chan inMsg, 64)
	go func() {
		defer close(ch)
		emit := func(im inMsg) bool {
			select {
			case ch <- im:
				return im.err == nil
			case <-e.ctx.Done():
				return false
			}
		}
		if len(c.files) > 0 {
			for _, p := range c.files {
				b, err := os.ReadFile(p)
				if err != nil {
					emit(inMsg{err: err})
					return
				}
				if !emit(inMsg{frames: [][]byte{b}}) {
					return
				}
			}
			return
		}
		if c.whole {
			b, err := io.ReadAll(e.stdin)
			if err != nil {
				emit(inMsg{err: fmt.Errorf("reading stdin: %w", err)})
				return
			}
			emit(inMsg{frames: [][]byte{b}})
			return
		}
		sep := byte('\n')
		if c.null {
			sep = 0
		}
		r := bufio.NewReaderSize(e.stdin, 64<<10)
		for n := 1; ; n++ {
			line, err := r.ReadBytes(sep)
			if len(line) > 0 && line[len(line)-1] == sep {
				line = line[:len(line)-1]
			} else if err == nil {
				continue
			}
			if len(line) > 0 || err == nil {
				im, perr := c.parse(line)
				if perr != nil {
					im.err = fmt.Errorf("input message %d: %v", n, perr)
				}
				if !emit(im) {
					return
				}
			}
			if err != nil {
				if err != io.EOF {
					emit(inMsg{err: fmt.Errorf("reading stdin: %w", err)})
				}
				return
			}
		}
	}()
	return ch
}

// parse turns one input message into frames.
func (c *catCfg) parse(line []byte) (inMsg, error) {
	var im inMsg
	switch c.inFmt {
	case "json":
		return parseJSONMsg(line, c.typ)
	case "hex":
		for _, part := range bytes.Split(line, []byte(c.delim)) {
			b, err := hex.DecodeString(string(bytes.TrimSpace(part)))
			if err != nil {
				return im, fmt.Errorf("bad hex: %v", err)
			}
			im.frames = append(im.frames, b)
		}
	default:
		if c.delim != "" {
			im.frames = bytes.Split(line, []byte(c.delim))
		} else {
			im.frames = [][]byte{line}
		}
		if (c.typ == core.ROUTER || c.typ == core.STREAM) && len(im.frames) > 0 {
			im.frames[0] = parseIDText(im.frames[0])
		}
	}
	return im, nil
}

// parseIDText reads a routing id written as 0x<hex>, or takes it as is.
func parseIDText(b []byte) []byte {
	if len(b) > 2 && b[0] == '0' && b[1] == 'x' {
		if d, err := hex.DecodeString(string(b[2:])); err == nil {
			return d
		}
	}
	return b
}

// idText shows a routing id as text, or as 0x<hex> when it is not
// printable.
func idText(b []byte) string {
	if len(b) > 0 && printable(b) && !bytes.HasPrefix(b, []byte("0x")) {
		return string(b)
	}
	return "0x" + hex.EncodeToString(b)
}

func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// jsonFrame is a frame in JSON: a string when it is valid UTF-8, else
// {"hex": "..."}.
func jsonFrame(b []byte) any {
	if utf8.Valid(b) {
		return string(b)
	}
	return map[string]string{"hex": hex.EncodeToString(b)}
}

func decodeJSONFrame(v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return []byte(x), nil
	case map[string]any:
		if h, ok := x["hex"].(string); ok {
			return hex.DecodeString(h)
		}
		if b, ok := x["base64"].(string); ok {
			return base64.StdEncoding.DecodeString(b)
		}
	}
	return nil, fmt.Errorf("a frame is a string, {\"hex\":...} or {\"base64\":...}")
}

type jsonMsg struct {
	Frames    []any             `json:"frames"`
	RoutingID any               `json:"routing_id,omitempty"`
	Group     string            `json:"group,omitempty"`
	Meta      map[string]string `json:"meta,omitempty"`
}

func parseJSONMsg(line []byte, t core.SocketType) (inMsg, error) {
	var im inMsg
	line = bytes.TrimSpace(line)
	var jm jsonMsg
	if len(line) > 0 && line[0] == '[' {
		if err := json.Unmarshal(line, &jm.Frames); err != nil {
			return im, fmt.Errorf("bad JSON: %v", err)
		}
	} else if err := json.Unmarshal(line, &jm); err != nil {
		return im, fmt.Errorf("bad JSON: %v", err)
	}
	for _, f := range jm.Frames {
		b, err := decodeJSONFrame(f)
		if err != nil {
			return im, err
		}
		im.frames = append(im.frames, b)
	}
	im.group = jm.Group
	switch id := jm.RoutingID.(type) {
	case nil:
	case float64:
		if id <= 0 || id > 0xffffffff || id != float64(uint32(id)) {
			return im, fmt.Errorf("routing_id %v is not a uint32", id)
		}
		if t == core.ROUTER || t == core.STREAM {
			return im, fmt.Errorf("a %s routing id is a frame: a string or {\"hex\":...}", t)
		}
		im.rid = uint32(id)
	default:
		b, err := decodeJSONFrame(id)
		if err != nil {
			return im, fmt.Errorf("routing_id: %v", err)
		}
		if t != core.ROUTER && t != core.STREAM {
			return im, fmt.Errorf("routing_id on a %s socket is a number", t)
		}
		im.frames = append([][]byte{b}, im.frames...)
	}
	return im, nil
}

// print writes one received message in the output format.
func (c *catCfg) print(m core.Msg) error {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	sep := byte('\n')
	if c.null {
		sep = 0
	}
	frames := m.Frames
	switch c.outFmt {
	case "json":
		jm := jsonMsg{Frames: []any{}}
		if (c.typ == core.ROUTER || c.typ == core.STREAM) && len(frames) > 0 {
			jm.RoutingID = jsonFrame(frames[0])
			frames = frames[1:]
		} else if id := m.RoutingID(); id != 0 {
			jm.RoutingID = id
		}
		for _, f := range frames {
			jm.Frames = append(jm.Frames, jsonFrame(f))
		}
		jm.Group = m.Group()
		if p := m.Properties(); p != nil {
			for _, n := range p.Names() {
				if jm.Meta == nil {
					jm.Meta = map[string]string{}
				}
				v, _ := p.Get(n)
				jm.Meta[n] = v
			}
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(jm); err != nil {
			return err
		}
		c.out.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
	case "hex":
		d := c.delim
		if d == "" {
			d = " "
		}
		for i, f := range frames {
			if i > 0 {
				c.out.WriteString(d)
			}
			c.out.WriteString(hex.EncodeToString(f))
		}
	default:
		d := c.delim
		if d == "" {
			d = "\t"
		}
		for i, f := range frames {
			if i > 0 {
				c.out.WriteString(d)
			}
			if i == 0 && (c.typ == core.ROUTER || c.typ == core.STREAM) {
				c.out.WriteString(idText(f))
				continue
			}
			c.out.Write(f)
		}
	}
	c.out.WriteByte(sep)
	return c.out.Flush()
}
