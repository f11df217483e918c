// peer.js: a jszmq socket driven by the Go tests of interop/jszmq.
//
//   node peer.js TYPE
//
// TYPE is a jszmq socket type (pub, sub, req, rep, dealer, router, ...).
// Commands arrive on stdin, one JSON object a line; events leave on stdout,
// one JSON object a line. Frames travel base64 encoded.
//
//   {"op":"bind","addr":"ws://127.0.0.1:0/path"}  -> {"ev":"bound","addr":"ws://127.0.0.1:PORT/path"}
//       (port 0: an http server on an ephemeral port carries the listener)
//   {"op":"connect","addr":"ws://..."}             -> {"ev":"connected"}
//   {"op":"subscribe","topic":B64}                 -> {"ev":"subscribed"}
//   {"op":"unsubscribe","topic":B64}               -> {"ev":"unsubscribed"}
//   {"op":"send","frames":[B64,...]}               -> {"ev":"sent"}
//   {"op":"close"}                                 -> {"ev":"closed"}, then exit 0
//   every message received                         -> {"ev":"msg","frames":[B64,...]}
//   any error                                      -> {"ev":"error","error":"..."}
//
// Closing stdin closes the socket and exits too, so the process never
// outlives its test. jszmq is found through NODE_PATH
// ($ZMQKIT_JSZMQ/node_modules, installed by scripts/prereq/25-jszmq.sh).
'use strict';

const http = require('http');
const readline = require('readline');
const zmq = require('jszmq');

const type = process.argv[2];
if (!type) {
	process.stderr.write('usage: node peer.js TYPE\n');
	process.exit(2);
}

function emit(obj) {
	process.stdout.write(JSON.stringify(obj) + '\n');
}

const sock = zmq.socket(type);
const servers = [];
let closed = false;

sock.on('message', (...frames) => {
	emit({ ev: 'msg', frames: frames.map((f) => Buffer.from(f).toString('base64')) });
});
// jszmq's endpoints emit 'error' on a failed (re)connect; unhandled, it
// would end the process.
sock.on('error', (err) => emit({ ev: 'error', error: String(err) }));
process.on('uncaughtException', (err) => emit({ ev: 'error', error: String(err && err.stack || err) }));

function shutdown() {
	if (closed) return;
	closed = true;
	try {
		sock.close();
	} catch (err) {
		emit({ ev: 'error', error: String(err) });
	}
	for (const s of servers) s.close();
	emit({ ev: 'closed' });
	// ws closes its connections asynchronously; nothing else is pending.
	setTimeout(() => process.exit(0), 50);
}

function bind(addr) {
	const u = new URL(addr);
	if (u.port !== '0') {
		sock.bind(addr);
		emit({ ev: 'bound', addr });
		return;
	}
	const server = http.createServer((req, res) => {
		res.writeHead(404);
		res.end();
	});
	servers.push(server);
	server.listen(0, u.hostname, () => {
		u.port = String(server.address().port);
		const real = u.toString();
		sock.bind(real, server);
		emit({ ev: 'bound', addr: real });
	});
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
	if (!line.trim()) return;
	let cmd;
	try {
		cmd = JSON.parse(line);
		switch (cmd.op) {
			case 'bind':
				bind(cmd.addr);
				break;
			case 'connect':
				sock.connect(cmd.addr);
				emit({ ev: 'connected' });
				break;
			case 'subscribe':
				sock.subscribe(Buffer.from(cmd.topic, 'base64'));
				emit({ ev: 'subscribed' });
				break;
			case 'unsubscribe':
				sock.unsubscribe(Buffer.from(cmd.topic, 'base64'));
				emit({ ev: 'unsubscribed' });
				break;
			case 'send':
				sock.send(cmd.frames.map((f) => Buffer.from(f, 'base64')));
				emit({ ev: 'sent' });
				break;
			case 'close':
				shutdown();
				break;
			default:
				emit({ ev: 'error', error: 'unknown op ' + cmd.op });
		}
	} catch (err) {
		emit({ ev: 'error', error: String(err && err.stack || err) });
	}
});
rl.on('close', shutdown);
