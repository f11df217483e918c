package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

var monitorCmd = &command{
	name:    "monitor",
	args:    "TYPE",
	posComp: "socktype",
	summary: "probe an endpoint with a socket of TYPE and print its monitor events live",
	long: `Makes a probe socket of TYPE, binds or connects it as told, with the
security flags you give, and prints every monitor event of the probe as
it happens: connects, retries, accepts, disconnects, and handshake
failures with their reason (errno, ZMTP protocol error, ZAP status) and a
hint at the usual cause. The tool for "why doesn't it connect?".
Messages the probe receives are discarded (--messages prints them).

With --until the command ends (status 0) at the first of the given
events, or fails (status 1) when --timeout passes first: scripts can wait
until an endpoint accepts a handshake.

Examples:
  zmqkit monitor req -c tcp://127.0.0.1:5555
  zmqkit monitor sub -c tcp://broker:5556 --curve-serverkey server.key
  zmqkit monitor dealer -c ipc:///tmp/app.sock --until handshake_succeeded -t 5s
  zmqkit monitor router -b 'tcp://*:5555' --json
`,
	define: func(f *flagSet) func(*env, []string) error {
		m := &monitorCfg{events: "all"}
		m.ep.define(f, "", "bc", "the probe ")
		f.String(&m.events, "e,events", "LIST", "events to print, comma-separated (all, "+joinEvents()+")", "event")
		f.String(&m.until, "u,until", "LIST", "end at the first of these events (status 0)", "event")
		f.Int(&m.count, "n,count", "N", "end after N events")
		f.Duration(&m.timeout, "t,timeout", "D", "end after D (status 1 if --until was not met)")
		f.Bool(&m.json, "json", "print JSON lines")
		f.Bool(&m.messages, "messages", "also print the messages the probe receives (as text lines prefixed MSG)")
		f.List(&m.subscribe, "s,subscribe", "TOPIC", "sub probe: subscribe to TOPIC (default: everything)", "")
		m.of.define(f)
		m.sec.define(f, "", "Security")
		return func(e *env, pos []string) error { return m.run(e, pos) }
	},
}

func joinEvents() string {
	s := ""
	for i, n := range eventNames() {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}

type monitorCfg struct {
	ep        endpointFlags
	sec       secFlags
	of        optFlags
	events    string
	until     string
	count     int
	timeout   time.Duration
	json      bool
	messages  bool
	subscribe []string
}

func (m *monitorCfg) run(e *env, pos []string) error {
	if len(pos) != 1 {
		if len(pos) == 0 {
			return usagef("which probe socket type? (e.g. zmqkit monitor req -c tcp://127.0.0.1:5555)")
		}
		return usagef("unexpected argument %q", pos[1])
	}
	t, err := parseSocketType(pos[0])
	if err != nil {
		return err
	}
	if m.ep.empty() {
		return usagef("give at least one --bind or --connect endpoint")
	}
	mask, err := parseEvents(m.events)
	if err != nil {
		return err
	}
	var until core.Event
	if m.until != "" {
		if until, err = parseEvents(m.until); err != nil {
			return err
		}
	}
	if len(m.subscribe) > 0 && t != core.SUB {
		return usagef("--subscribe is for a sub probe")
	}
	if m.of.linger == -2 {
		m.of.linger = 0 // a probe has nothing to deliver
	}

	s := newSession(e)
	defer s.close()
	var extra []core.Option
	if t == core.SUB {
		topics := m.subscribe
		if len(topics) == 0 {
			topics = []string{""}
		}
		for _, tp := range topics {
			extra = append(extra, core.WithSubscribe(tp))
		}
	}
	sock, err := s.socket(t, &m.sec, &m.of, extra...)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	if m.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, m.timeout)
		defer cancel()
	}
	events, err := sock.WatchEvents(ctx, (mask|until)&^core.EventMonitorStopped)
	if err != nil {
		return err
	}
	if _, err := attach(sock, &m.ep); err != nil {
		return err
	}
	if t != core.PUSH && t != core.PUB && t != core.RADIO && t != core.SCATTER {
		go m.drainMessages(ctx, e, sock)
	}

	var (
		n          int
		handshaked bool
		last       string
	)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return m.end(e, until, handshaked, last)
			}
			if ev.Event == core.EventHandshakeSucceeded {
				handshaked = true
			}
			if p := problem(ev); p != "" {
				last = p
			}
			if ev.Event&mask != 0 {
				in := describe(ev)
				if m.json {
					var b bytes.Buffer
					enc := json.NewEncoder(&b)
					enc.SetEscapeHTML(false)
					enc.Encode(in)
					e.stdout.Write(b.Bytes())
				} else {
					fmt.Fprintln(e.stdout, in.line())
				}
				n++
			}
			if ev.Event&until != 0 {
				return nil
			}
			if m.count > 0 && n >= m.count {
				return nil
			}
		case <-ctx.Done():
			return m.end(e, until, handshaked, last)
		}
	}
}

// end explains why the monitor stops without meeting --until.
func (m *monitorCfg) end(e *env, until core.Event, handshaked bool, last string) error {
	if e.ctx.Err() != nil {
		if !handshaked && last != "" {
			e.warnf("no handshake completed; last problem: %s", last)
		}
		return nil // Ctrl-C
	}
	if until != 0 {
		msg := fmt.Sprintf("no %s within %v", until, m.timeout)
		if last != "" {
			msg += "; last problem: " + last
		}
		return fmt.Errorf("%s", msg)
	}
	if !handshaked && last != "" {
		e.warnf("no handshake completed; last problem: %s", last)
	}
	return nil
}

func (m *monitorCfg) drainMessages(ctx context.Context, e *env, sock *core.Socket) {
	var msg core.Msg
	for {
		if err := sock.RecvMsg(ctx, &msg); err != nil {
			return
		}
		if m.messages {
			fmt.Fprintf(e.stdout, "MSG %q\n", msg.Frames)
		}
	}
}
