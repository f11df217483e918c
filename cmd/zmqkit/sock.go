package main

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/zmqkit/zmqkit/auth"
	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/curve"
	"github.com/zmqkit/zmqkit/plugins/plain"
)

// socketTypes lists the type names, lower case, in libzmq's order.
func socketTypes() []string {
	var out []string
	for t := core.PAIR; t <= core.CHANNEL; t++ {
		out = append(out, strings.ToLower(t.String()))
	}
	return out
}

func parseSocketType(s string) (core.SocketType, error) {
	for t := core.PAIR; t <= core.CHANNEL; t++ {
		if strings.EqualFold(s, t.String()) || strings.EqualFold(s, "ZMQ_"+t.String()) {
			return t, nil
		}
	}
	return 0, usagef("unknown socket type %q (one of %s)", s, strings.Join(socketTypes(), ", "))
}

// endpointFlags are a socket's binds and connects.
type endpointFlags struct {
	binds, connects []string
}

func (ep *endpointFlags) define(f *flagSet, prefix, short string, what string) {
	bn, cn := prefix+"bind", prefix+"connect"
	if short != "" {
		bn, cn = bn+","+short[:1], cn+","+short[1:]
	}
	f.List(&ep.binds, bn, "EP", "bind "+what+"to endpoint EP", "endpoint")
	f.List(&ep.connects, cn, "EP", "connect "+what+"to endpoint EP", "endpoint")
}

func (ep *endpointFlags) empty() bool { return len(ep.binds)+len(ep.connects) == 0 }

// secFlags select a security mechanism for one socket. The role follows
// from the flags: a CURVE client names the server's key, a CURVE server
// has only its own secret; a PLAIN client gives a user name, a PLAIN
// server lists users.
type secFlags struct {
	prefix string

	curveServerKey string   // client: the server's public key
	curveSecret    string   // own secret key (client: optional, generated)
	curveAllow     []string // server: allowed client keys, cert files or dirs
	plainUser      string
	plainPassword  string
	plainServer    bool
	plainAllow     []string // server: user:password
	plainUsers     string   // server: password file
	zapDomain      string
}

func (sf *secFlags) define(f *flagSet, prefix, title string) {
	sf.prefix = prefix
	p := prefix
	f.section(title)
	f.String(&sf.curveServerKey, p+"curve-serverkey", "KEY", "be a CURVE client of the server with this public key (Z85 or certificate file)", "file")
	f.String(&sf.curveSecret, p+"curve-secret", "KEY", "own CURVE secret key (Z85, secret certificate file or key file); alone: be a CURVE server", "file")
	f.List(&sf.curveAllow, p+"curve-allow", "KEY", "CURVE server: allow only these client keys (Z85, certificate file, or a directory of certificates)", "file")
	f.String(&sf.plainUser, p+"plain-user", "USER", "be a PLAIN client with this user name", "")
	f.String(&sf.plainPassword, p+"plain-password", "PASS", "PLAIN client password", "")
	f.Bool(&sf.plainServer, p+"plain-server", "be a PLAIN server (with --"+p+"plain-allow or --"+p+"plain-users)")
	f.List(&sf.plainAllow, p+"plain-allow", "USER:PASS", "PLAIN server: accept this user", "")
	f.String(&sf.plainUsers, p+"plain-users", "FILE", "PLAIN server: accept the users of this file (name=password lines)", "file")
	f.String(&sf.zapDomain, p+"zap-domain", "DOMAIN", "ZAP domain (ZMQ_ZAP_DOMAIN)", "")
	f.section("")
}

// fromEnv fills unset unprefixed flags from the environment.
func (sf *secFlags) fromEnv(e *env) {
	if sf.prefix != "" {
		return
	}
	set := func(p *string, name string) {
		if *p == "" {
			*p = e.getenv(name)
		}
	}
	set(&sf.curveServerKey, "ZMQKIT_CURVE_SERVERKEY")
	set(&sf.curveSecret, "ZMQKIT_CURVE_SECRETKEY")
	set(&sf.plainUser, "ZMQKIT_PLAIN_USERNAME")
	set(&sf.plainPassword, "ZMQKIT_PLAIN_PASSWORD")
}

// options returns the socket options for the mechanism, configuring the
// context's ZAP handler (started on first need through zapFor) for
// servers that authenticate.
func (sf *secFlags) options(e *env, zapFor func() (*auth.Authenticator, error)) ([]core.Option, error) {
	sf.fromEnv(e)
	p := "--" + sf.prefix
	curveSet := sf.curveServerKey != "" || sf.curveSecret != "" || len(sf.curveAllow) > 0
	plainClient := sf.plainUser != "" || sf.plainPassword != ""
	plainSrv := sf.plainServer || len(sf.plainAllow) > 0 || sf.plainUsers != ""
	if curveSet && (plainClient || plainSrv) {
		return nil, usagef("choose CURVE or PLAIN, not both")
	}
	if plainClient && plainSrv {
		return nil, usagef("%splain-user/%splain-password (client) do not go with %splain-server/-allow/-users", p, p, p)
	}
	var opts []core.Option
	domain := sf.zapDomain
	if domain == "" && sf.prefix != "" {
		domain = strings.TrimSuffix(sf.prefix, "-")
	}
	curveSrv := sf.curveServerKey == "" && sf.curveSecret != ""
	if sf.zapDomain != "" || (sf.prefix != "" && (plainSrv || curveSrv)) {
		opts = append(opts, core.WithZAPDomain(domain))
	}
	authDomain := domain
	if sf.prefix == "" && sf.zapDomain == "" {
		authDomain = auth.AnyDomain
	}
	switch {
	case sf.curveServerKey != "":
		if len(sf.curveAllow) > 0 {
			return nil, usagef("%scurve-allow is for servers; a client (%scurve-serverkey) does not take it", p, p)
		}
		server, err := loadPublicKey(sf.curveServerKey)
		if err != nil {
			return nil, fmt.Errorf("%scurve-serverkey: %w", p, err)
		}
		var kp curve.KeyPair
		if sf.curveSecret != "" {
			kp, err = loadSecretKey(sf.curveSecret)
			if err != nil {
				return nil, fmt.Errorf("%scurve-secret: %w", p, err)
			}
		} else if kp, err = curve.NewKeyPair(); err != nil {
			return nil, err
		}
		opts = append(opts, core.WithMechanism(curve.ClientKeys(server, kp)))
	case sf.curveSecret != "":
		kp, err := loadSecretKey(sf.curveSecret)
		if err != nil {
			return nil, fmt.Errorf("%scurve-secret: %w", p, err)
		}
		opts = append(opts, core.WithMechanism(curve.ServerKeys(kp)))
		a, err := zapFor()
		if err != nil {
			return nil, err
		}
		if len(sf.curveAllow) == 0 {
			a.AllowAnyCurve(authDomain, true)
			break
		}
		for _, k := range sf.curveAllow {
			if st, err := os.Stat(k); err == nil && st.IsDir() {
				if err := a.LoadCertDir(authDomain, k); err != nil {
					return nil, fmt.Errorf("%scurve-allow %s: %w", p, k, err)
				}
				continue
			}
			pub, err := loadPublicKey(k)
			if err != nil {
				return nil, fmt.Errorf("%scurve-allow: %w", p, err)
			}
			if err := a.AllowCurveKeys(authDomain, curve.Z85(pub[:])); err != nil {
				return nil, fmt.Errorf("%scurve-allow: %w", p, err)
			}
		}
	case len(sf.curveAllow) > 0:
		return nil, usagef("%scurve-allow needs %scurve-secret (the server's secret key)", p, p)
	case plainClient:
		opts = append(opts, core.WithMechanism(plain.Client(sf.plainUser, sf.plainPassword)))
	case plainSrv:
		if len(sf.plainAllow) == 0 && sf.plainUsers == "" {
			return nil, usagef("%splain-server needs %splain-allow USER:PASS or %splain-users FILE", p, p, p)
		}
		opts = append(opts, core.WithMechanism(plain.Server()))
		a, err := zapFor()
		if err != nil {
			return nil, err
		}
		if sf.plainUsers != "" {
			if err := a.LoadPasswordFile(authDomain, sf.plainUsers); err != nil {
				return nil, fmt.Errorf("%splain-users: %w", p, err)
			}
		}
		if len(sf.plainAllow) > 0 {
			users := map[string]string{}
			for _, up := range sf.plainAllow {
				u, pw, ok := strings.Cut(up, ":")
				if !ok || u == "" {
					return nil, usagef("%splain-allow wants USER:PASS, got %q", p, up)
				}
				users[u] = pw
			}
			if sf.plainUsers != "" {
				return nil, usagef("give %splain-allow or %splain-users, not both", p, p)
			}
			a.SetUsers(authDomain, users)
		}
	}
	return opts, nil
}

// optFlags are the generic socket options: -o NAME=VALUE with libzmq's
// option names, and a few common ones as their own flags.
// lingerForever stands for ZMQ_LINGER -1.
const lingerForever = time.Duration(math.MaxInt64)

type optFlags struct {
	raw       []string
	linger    time.Duration
	hwm       int
	routingID string
	heartbeat time.Duration
	reconnect time.Duration
}

func (of *optFlags) define(f *flagSet) {
	of.linger = -2 // unset
	of.hwm = -1
	of.reconnect = -2
	f.section("Socket options")
	f.String(&of.routingID, "identity,routing-id", "ID", "routing id (ZMQ_ROUTING_ID)", "")
	f.Int(&of.hwm, "hwm", "N", "send and receive high-water marks (ZMQ_SNDHWM/RCVHWM; 0 = none)")
	f.Duration(&of.linger, "linger", "D", "how long unsent messages may delay the end (ZMQ_LINGER; default -1: until delivered; Ctrl-C cuts it short)")
	f.Duration(&of.heartbeat, "heartbeat", "D", "send ZMTP PINGs every D and drop peers silent for longer (ZMQ_HEARTBEAT_IVL)")
	f.Duration(&of.reconnect, "reconnect-ivl", "D", "reconnect interval (ZMQ_RECONNECT_IVL, -1 = never; default 100ms)")
	f.List(&of.raw, "o,option", "NAME=VALUE", "any socket option by its libzmq name, e.g. -o sndhwm=10 -o tcp_keepalive=1 (see --option help)", "sockopt")
	f.section("")
}

// options returns the core options for the flags.
func (of *optFlags) options() ([]core.Option, error) {
	var opts []core.Option
	if of.routingID != "" {
		opts = append(opts, core.WithRoutingID([]byte(of.routingID)))
	}
	if of.hwm >= 0 {
		opts = append(opts, core.WithSendHWM(of.hwm), core.WithRecvHWM(of.hwm))
	}
	switch {
	case of.linger == -2 || of.linger < 0:
		// Until delivered, as libzmq's -1 promises: the core's -1 stops
		// waiting while no connection attempt is under way (so messages
		// sent right after a connect could be dropped at exit); a finite
		// linger of centuries waits for reconnects too. Ctrl-C cuts it.
		opts = append(opts, core.WithLinger(lingerForever))
	default:
		opts = append(opts, core.WithLinger(of.linger))
	}
	if of.heartbeat > 0 {
		opts = append(opts, core.WithHeartbeat(of.heartbeat, 0, -1))
	}
	if of.reconnect != -2 {
		opts = append(opts, core.WithReconnectInterval(of.reconnect))
	}
	for _, kv := range of.raw {
		if kv == "help" {
			return nil, usagef("socket options: %s", strings.Join(sockoptNames(), " "))
		}
		name, val, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, usagef("--option wants NAME=VALUE, got %q", kv)
		}
		o, err := sockopt(strings.ToLower(strings.TrimPrefix(strings.ToLower(name), "zmq_")), val)
		if err != nil {
			return nil, usagef("--option %s: %v", kv, err)
		}
		opts = append(opts, o)
	}
	return opts, nil
}

type sockoptKind int

const (
	optInt sockoptKind = iota
	optBool
	optDur
	optBytes
)

type sockoptDef struct {
	kind sockoptKind
	set  func(v any) core.Option
}

// sockopts maps libzmq option names (without ZMQ_, lower case) to setters.
var sockopts = map[string]sockoptDef{
	"sndhwm":             {optInt, func(v any) core.Option { return core.WithSendHWM(v.(int)) }},
	"rcvhwm":             {optInt, func(v any) core.Option { return core.WithRecvHWM(v.(int)) }},
	"linger":             {optDur, func(v any) core.Option { return core.WithLinger(v.(time.Duration)) }},
	"sndtimeo":           {optDur, func(v any) core.Option { return core.WithSendTimeout(v.(time.Duration)) }},
	"rcvtimeo":           {optDur, func(v any) core.Option { return core.WithRecvTimeout(v.(time.Duration)) }},
	"reconnect_ivl":      {optDur, func(v any) core.Option { return core.WithReconnectInterval(v.(time.Duration)) }},
	"reconnect_ivl_max":  {optDur, func(v any) core.Option { return core.WithReconnectIntervalMax(v.(time.Duration)) }},
	"reconnect_stop":     {optInt, func(v any) core.Option { return core.WithReconnectStop(v.(int)) }},
	"connect_timeout":    {optDur, func(v any) core.Option { return core.WithConnectTimeout(v.(time.Duration)) }},
	"handshake_ivl":      {optDur, func(v any) core.Option { return core.WithHandshakeInterval(v.(time.Duration)) }},
	"heartbeat_ivl":      {optDur, func(v any) core.Option { return core.WithHeartbeat(v.(time.Duration), 0, -1) }},
	"immediate":          {optBool, func(v any) core.Option { return core.WithImmediate(v.(bool)) }},
	"conflate":           {optBool, func(v any) core.Option { return core.WithConflate(v.(bool)) }},
	"maxmsgsize":         {optInt, func(v any) core.Option { return core.WithMaxMsgSize(int64(v.(int))) }},
	"backlog":            {optInt, func(v any) core.Option { return core.WithBacklog(v.(int)) }},
	"routing_id":         {optBytes, func(v any) core.Option { return core.WithRoutingID(v.([]byte)) }},
	"identity":           {optBytes, func(v any) core.Option { return core.WithRoutingID(v.([]byte)) }},
	"connect_routing_id": {optBytes, func(v any) core.Option { return core.WithConnectRoutingID(v.([]byte)) }},
	"router_mandatory":   {optBool, func(v any) core.Option { return core.WithRouterMandatory(v.(bool)) }},
	"router_handover":    {optBool, func(v any) core.Option { return core.WithRouterHandover(v.(bool)) }},
	"router_notify":      {optInt, func(v any) core.Option { return core.WithRouterNotify(v.(int)) }},
	"probe_router":       {optBool, func(v any) core.Option { return core.WithProbeRouter(v.(bool)) }},
	"req_correlate":      {optBool, func(v any) core.Option { return core.WithReqCorrelate(v.(bool)) }},
	"req_relaxed":        {optBool, func(v any) core.Option { return core.WithReqRelaxed(v.(bool)) }},
	"stream_notify":      {optBool, func(v any) core.Option { return core.WithStreamNotify(v.(bool)) }},
	"xpub_verbose":       {optBool, func(v any) core.Option { return core.WithXPubVerbose(v.(bool)) }},
	"xpub_verboser":      {optBool, func(v any) core.Option { return core.WithXPubVerboser(v.(bool)) }},
	"xpub_manual":        {optBool, func(v any) core.Option { return core.WithXPubManual(v.(bool)) }},
	"xpub_nodrop":        {optBool, func(v any) core.Option { return core.WithXPubNoDrop(v.(bool)) }},
	"xpub_welcome_msg":   {optBytes, func(v any) core.Option { return core.WithXPubWelcomeMsg(v.([]byte)) }},
	"invert_matching":    {optBool, func(v any) core.Option { return core.WithInvertMatching(v.(bool)) }},
	"only_first_subscribe": {optBool, func(v any) core.Option {
		return core.WithOnlyFirstSubscribe(v.(bool))
	}},
	"ipv6":           {optBool, func(v any) core.Option { return core.WithIPv6(v.(bool)) }},
	"tos":            {optInt, func(v any) core.Option { return core.WithTOS(v.(int)) }},
	"priority":       {optInt, func(v any) core.Option { return core.WithPriority(v.(int)) }},
	"sndbuf":         {optInt, func(v any) core.Option { return core.WithSendBuffer(v.(int)) }},
	"rcvbuf":         {optInt, func(v any) core.Option { return core.WithRecvBuffer(v.(int)) }},
	"tcp_keepalive":  {optInt, func(v any) core.Option { return core.WithTCPKeepAlive(v.(int), -1, -1, -1) }},
	"tcp_maxrt":      {optDur, func(v any) core.Option { return core.WithTCPMaxRT(v.(time.Duration)) }},
	"bindtodevice":   {optBytes, func(v any) core.Option { return core.WithBindToDevice(string(v.([]byte))) }},
	"multicast_hops": {optInt, func(v any) core.Option { return core.WithMulticastHops(v.(int)) }},
	"multicast_loop": {optBool, func(v any) core.Option { return core.WithMulticastLoop(v.(bool)) }},
	"zap_domain":     {optBytes, func(v any) core.Option { return core.WithZAPDomain(string(v.([]byte))) }},
	"zap_enforce_domain": {optBool, func(v any) core.Option {
		return core.WithZAPEnforceDomain(v.(bool))
	}},
	"hello_msg":      {optBytes, func(v any) core.Option { return core.WithHelloMsg(v.([]byte)) }},
	"disconnect_msg": {optBytes, func(v any) core.Option { return core.WithDisconnectMsg(v.([]byte)) }},
	"hiccup_msg":     {optBytes, func(v any) core.Option { return core.WithHiccupMsg(v.([]byte)) }},
	"metadata": {optBytes, func(v any) core.Option {
		k, val, _ := strings.Cut(string(v.([]byte)), ":")
		return core.WithMetadata(k, val)
	}},
	"subscribe": {optBytes, func(v any) core.Option { return core.WithSubscribe(string(v.([]byte))) }},
}

func sockoptNames() []string {
	var out []string
	for n := range sockopts {
		out = append(out, n)
	}
	sortStrings(out)
	return out
}

func sockopt(name, val string) (core.Option, error) {
	d, ok := sockopts[name]
	if !ok {
		return nil, fmt.Errorf("unknown option %q (-o help lists them)", name)
	}
	switch d.kind {
	case optInt:
		n, err := strconv.Atoi(val)
		if err != nil {
			return nil, fmt.Errorf("want an integer")
		}
		return d.set(n), nil
	case optBool:
		switch strings.ToLower(val) {
		case "1", "true", "on", "yes":
			return d.set(true), nil
		case "0", "false", "off", "no":
			return d.set(false), nil
		}
		return nil, fmt.Errorf("want 0 or 1")
	case optDur:
		v, err := parseDuration(val)
		if err != nil {
			return nil, err
		}
		return d.set(v), nil
	default:
		return d.set([]byte(val)), nil
	}
}
