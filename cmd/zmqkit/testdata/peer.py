#!/usr/bin/env python3
"""A pyzmq (libzmq) peer for zmqkit's command tests.

peer.py TYPE bind|connect ENDPOINT [options]
  --send MSG        send MSG (frames split on '|'); repeatable, in order
  --recv N          receive N messages, print each as a JSON array of frames
  --echo N          receive N messages and send each back
  --thr SIZE COUNT  remote_thr: send COUNT messages of SIZE zero bytes
  --curve-server SECRET_Z85 | --curve-client SERVER_PUBLIC_Z85
  --plain-server USER:PASS  | --plain-client USER:PASS
  --sub TOPIC       SUB subscription (default: all)
  --delay SECONDS   wait before sending
  --timeout MS      receive timeout (exit 3 on expiry)
Prints READY on stdout once bound/connected. Frames print as text
(latin-1 decoded).
"""
import json
import sys
import time

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator


def main():
    args = sys.argv[1:]
    typ, how, ep = args[0], args[1], args[2]
    opts = args[3:]
    ctx = zmq.Context()
    s = ctx.socket(getattr(zmq, typ.upper()))
    s.setsockopt(zmq.LINGER, 2000)
    sends, recv, echo, thr, delay = [], 0, 0, None, 0.0
    auth = None
    i = 0
    while i < len(opts):
        o = opts[i]
        if o == "--send":
            sends.append(opts[i + 1]); i += 2
        elif o == "--recv":
            recv = int(opts[i + 1]); i += 2
        elif o == "--echo":
            echo = int(opts[i + 1]); i += 2
        elif o == "--thr":
            thr = (int(opts[i + 1]), int(opts[i + 2])); i += 3
        elif o == "--curve-server":
            s.curve_secretkey = opts[i + 1].encode()
            s.curve_server = True
            i += 2
        elif o == "--curve-client":
            pub, sec = zmq.curve_keypair()
            s.curve_publickey, s.curve_secretkey = pub, sec
            s.curve_serverkey = opts[i + 1].encode()
            i += 2
        elif o == "--plain-server":
            user, pw = opts[i + 1].split(":", 1)
            auth = ThreadAuthenticator(ctx)
            auth.start()
            auth.configure_plain(domain="*", passwords={user: pw})
            s.plain_server = True
            i += 2
        elif o == "--plain-client":
            user, pw = opts[i + 1].split(":", 1)
            s.plain_username, s.plain_password = user.encode(), pw.encode()
            i += 2
        elif o == "--sub":
            s.setsockopt(zmq.SUBSCRIBE, opts[i + 1].encode()); i += 2
        elif o == "--delay":
            delay = float(opts[i + 1]); i += 2
        elif o == "--timeout":
            s.setsockopt(zmq.RCVTIMEO, int(opts[i + 1])); i += 2
        else:
            sys.exit("peer.py: unknown option " + o)
    if s.type == zmq.SUB and not any(o == "--sub" for o in opts):
        s.setsockopt(zmq.SUBSCRIBE, b"")
    if how == "bind":
        s.bind(ep)
    else:
        s.connect(ep)
    print("READY", flush=True)
    time.sleep(delay)
    try:
        for m in sends:
            s.send_multipart([f.encode() for f in m.split("|")])
        for _ in range(recv):
            frames = s.recv_multipart()
            print(json.dumps([f.decode("latin-1") for f in frames]), flush=True)
        for _ in range(echo):
            s.send_multipart(s.recv_multipart())
        if thr:
            size, count = thr
            for _ in range(count):
                s.send(b"\0" * size)
    except zmq.Again:
        print("TIMEOUT", flush=True)
        sys.exit(3)
    s.close()
    if auth:
        auth.stop()
    ctx.term()


main()
