package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

var proxyCmd = &command{
	name:    "proxy",
	args:    "FRONTEND_TYPE BACKEND_TYPE",
	posComp: "socktype",
	summary: "forward between a frontend and a backend socket (zmq_proxy), steerable, with statistics",
	long: `Runs libzmq's zmq_proxy between a frontend socket and a backend socket,
e.g. router/dealer (a shared queue), xsub/xpub (a pub-sub forwarder) or
pull/push (a streamer), each bound or connected to its own endpoints and
with its own security. Whole multipart messages are forwarded; nothing is
dropped when a side is full (the proxy waits).

--capture-* adds a capture socket that gets a copy of every message.
--control-* adds a control socket (zmq_proxy_steerable): send it PAUSE,
RESUME, TERMINATE or STATISTICS (answered with 8 frames of uint64 in host
order: frontend msgs in, bytes in, msgs out, bytes out, then backend's).
A rep control socket gets an empty reply to the other commands.

The statistics (frames and bytes each way, counted as libzmq counts them)
are printed on stdout at the end (Ctrl-C, TERMINATE), on SIGUSR1, and
every --stats-interval.

Examples:
  zmqkit proxy router dealer --frontend-bind 'tcp://*:5559' --backend-bind 'tcp://*:5560'
  zmqkit proxy xsub xpub --frontend-connect tcp://pub-host:5556 --backend-bind 'tcp://*:5556' \
      --capture-bind ipc:///tmp/tap.sock --control-bind tcp://127.0.0.1:5599
  zmqkit proxy pull push --frontend-bind 'tcp://*:5557' --frontend-curve-secret server_secret \
      --backend-connect ipc:///tmp/workers.sock
  echo STATISTICS | zmqkit cat req -c tcp://127.0.0.1:5599 --out hex
`,
	define: func(f *flagSet) func(*env, []string) error {
		p := &proxyCfg{captureType: "pub", controlType: "rep"}
		p.front.define(f, "frontend-", "", "the frontend ")
		p.back.define(f, "backend-", "", "the backend ")
		p.capture.define(f, "capture-", "", "a capture socket ")
		f.String(&p.captureType, "capture-type", "TYPE", "capture socket type", "socktype")
		p.control.define(f, "control-", "", "a control socket ")
		f.String(&p.controlType, "control-type", "TYPE", "control socket type (rep, pair, sub, router, ...)", "socktype")
		f.Duration(&p.interval, "stats-interval", "D", "also print the statistics every D")
		f.Bool(&p.json, "json", "print statistics as JSON lines")
		p.of.define(f)
		p.frontSec.define(f, "frontend-", "Frontend security")
		p.backSec.define(f, "backend-", "Backend security")
		return func(e *env, pos []string) error { return p.run(e, pos) }
	},
}

type proxyCfg struct {
	front, back, capture, control endpointFlags
	captureType, controlType      string
	frontSec, backSec             secFlags
	of                            optFlags
	interval                      time.Duration
	json                          bool
}

// proxyStats are one side's counters as STATISTICS gives them.
type proxyStats struct {
	RecvMsgs  uint64 `json:"msgs_in"`
	RecvBytes uint64 `json:"bytes_in"`
	SentMsgs  uint64 `json:"msgs_out"`
	SentBytes uint64 `json:"bytes_out"`
}

type proxyReport struct {
	Time     string     `json:"time"`
	Frontend proxyStats `json:"frontend"`
	Backend  proxyStats `json:"backend"`
}

func (p *proxyCfg) run(e *env, pos []string) error {
	if len(pos) != 2 {
		return usagef("want two socket types, FRONTEND_TYPE BACKEND_TYPE (e.g. zmqkit proxy router dealer ...)")
	}
	ft, err := parseSocketType(pos[0])
	if err != nil {
		return err
	}
	bt, err := parseSocketType(pos[1])
	if err != nil {
		return err
	}
	if p.front.empty() {
		return usagef("give --frontend-bind or --frontend-connect")
	}
	if p.back.empty() {
		return usagef("give --backend-bind or --backend-connect")
	}
	if p.of.linger == -2 {
		p.of.linger = 0 // a proxy drops what is in flight when it ends, as zmq_proxy's users close their sockets
	}

	s := newSession(e)
	defer s.close()
	front, err := s.socket(ft, &p.frontSec, &p.of)
	if err != nil {
		return fmt.Errorf("frontend: %w", err)
	}
	back, err := s.socket(bt, &p.backSec, &p.of)
	if err != nil {
		return fmt.Errorf("backend: %w", err)
	}
	s.watchProblems(front, false)
	s.watchProblems(back, false)
	if _, err := attach(front, &p.front); err != nil {
		return prefixErr("frontend", err)
	}
	if _, err := attach(back, &p.back); err != nil {
		return prefixErr("backend", err)
	}
	var capture *core.Socket
	if !p.capture.empty() {
		ct, err := parseSocketType(p.captureType)
		if err != nil {
			return err
		}
		if capture, err = s.socket(ct, nil, nil); err != nil {
			return fmt.Errorf("capture: %w", err)
		}
		if _, err := attach(capture, &p.capture); err != nil {
			return prefixErr("capture", err)
		}
	}
	var external *core.Socket
	if !p.control.empty() {
		ct, err := parseSocketType(p.controlType)
		if err != nil {
			return err
		}
		if external, err = s.socket(ct, nil, nil); err != nil {
			return fmt.Errorf("control: %w", err)
		}
		if _, err := attach(external, &p.control); err != nil {
			return prefixErr("control", err)
		}
	}

	// The proxy's own control socket is an inproc PAIR that this command
	// drives: for the statistics on signals, and to relay the external
	// control socket's commands.
	var rnd [8]byte
	rand.Read(rnd[:])
	ctlEP := "inproc://zmqkit-proxy-control-" + hex.EncodeToString(rnd[:])
	ctlProxy, err := s.socket(core.PAIR, nil, nil)
	if err != nil {
		return err
	}
	if err := ctlProxy.Bind(ctlEP); err != nil {
		return err
	}
	ctl, err := s.socket(core.PAIR, nil, nil)
	if err != nil {
		return err
	}
	if err := ctl.Connect(ctlEP); err != nil {
		return err
	}

	fmt.Fprintf(e.stderr, "zmqkit proxy: %s %s <-> %s %s%s\n", ft, strings.Join(append(p.front.binds, p.front.connects...), ","),
		bt, strings.Join(append(p.back.binds, p.back.connects...), ","), joinOpt(" capture ", p.capture))

	done := make(chan error, 1)
	go func() { done <- core.ProxySteerable(context.Background(), front, back, capture, ctlProxy) }()

	cmds := make(chan ctlReq)
	if external != nil {
		go p.relay(e, external, cmds)
	}
	var tick <-chan time.Time
	if p.interval > 0 {
		tk := time.NewTicker(p.interval)
		defer tk.Stop()
		tick = tk.C
	}
	ask := func(cmd string) ([][]byte, error) {
		if err := ctl.Send(context.Background(), core.NewMsgString(cmd)); err != nil {
			return nil, err
		}
		if cmd != "STATISTICS" {
			return nil, nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		m, err := ctl.Recv(ctx)
		if err != nil {
			return nil, err
		}
		return m.Frames, nil
	}
	printStats := func() error {
		fr, err := ask("STATISTICS")
		if err != nil {
			return err
		}
		return p.printStats(e, fr)
	}
	for {
		select {
		case err := <-done:
			return err
		case <-e.ctx.Done():
			err := printStats()
			ask("TERMINATE")
			<-done
			return err
		case <-e.usr1:
			if err := printStats(); err != nil {
				e.warnf("statistics: %v", err)
			}
		case <-tick:
			if err := printStats(); err != nil {
				e.warnf("statistics: %v", err)
			}
		case r := <-cmds:
			if r.cmd == "TERMINATE" {
				printStats()
			}
			fr, err := ask(r.cmd)
			r.reply <- ctlResp{frames: fr, err: err}
			if r.cmd == "TERMINATE" {
				err := <-done
				if err == nil {
					fmt.Fprintln(e.stderr, "zmqkit proxy: TERMINATE received")
				}
				return err
			}
		}
	}
}

func joinOpt(label string, ep endpointFlags) string {
	if ep.empty() {
		return ""
	}
	return label + strings.Join(append(ep.binds, ep.connects...), ",")
}

func prefixErr(side string, err error) error {
	var ue *usageError
	if errors.As(err, &ue) {
		return &usageError{msg: side + ": " + ue.msg}
	}
	return fmt.Errorf("%s: %w", side, err)
}

type ctlReq struct {
	cmd   string
	reply chan ctlResp
}

type ctlResp struct {
	frames [][]byte
	err    error
}

// relay serves the external control socket: each command goes to the
// proxy through this command's own control socket; STATISTICS is
// answered, and a REP gets an empty reply to the others (as libzmq).
func (p *proxyCfg) relay(e *env, ext *core.Socket, cmds chan<- ctlReq) {
	for {
		m, err := ext.Recv(e.ctx)
		if err != nil {
			return
		}
		var prefix [][]byte
		frames := m.Frames
		if ext.Type() == core.ROUTER && len(frames) > 1 {
			prefix, frames = frames[:1], frames[1:]
			if len(frames) > 1 && len(frames[0]) == 0 {
				prefix, frames = append(prefix, frames[0]), frames[1:]
			}
		}
		if len(frames) != 1 {
			if ext.Type() == core.REP {
				ext.Send(e.ctx, core.NewMsg([]byte{}))
			}
			continue
		}
		cmd := string(frames[0])
		r := ctlReq{cmd: cmd, reply: make(chan ctlResp, 1)}
		select {
		case cmds <- r:
		case <-e.ctx.Done():
			return
		}
		resp := <-r.reply
		switch {
		case cmd == "STATISTICS" && resp.err == nil:
			ext.Send(e.ctx, core.NewMsg(append(prefix, resp.frames...)...))
		case ext.Type() == core.REP:
			ext.Send(e.ctx, core.NewMsg([]byte{}))
		}
		if cmd == "TERMINATE" {
			return
		}
	}
}

func (p *proxyCfg) printStats(e *env, fr [][]byte) error {
	if len(fr) != 8 {
		return fmt.Errorf("STATISTICS reply of %d frames", len(fr))
	}
	var v [8]uint64
	for i, f := range fr {
		if len(f) != 8 {
			return fmt.Errorf("STATISTICS frame of %d bytes", len(f))
		}
		v[i] = binary.NativeEndian.Uint64(f)
	}
	r := proxyReport{
		Time:     time.Now().Format(time.RFC3339),
		Frontend: proxyStats{v[0], v[1], v[2], v[3]},
		Backend:  proxyStats{v[4], v[5], v[6], v[7]},
	}
	if p.json {
		b, _ := json.Marshal(r)
		fmt.Fprintf(e.stdout, "%s\n", b)
		return nil
	}
	fmt.Fprintf(e.stdout, "%-20s %12s %14s %12s %14s\n", r.Time, "frames in", "bytes in", "frames out", "bytes out")
	fmt.Fprintf(e.stdout, "%-20s %12d %14d %12d %14d\n", "frontend", v[0], v[1], v[2], v[3])
	fmt.Fprintf(e.stdout, "%-20s %12d %14d %12d %14d\n", "backend", v[4], v[5], v[6], v[7])
	return nil
}
