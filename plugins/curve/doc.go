// Package curve is zmqkit's CURVE security mechanism (CurveZMQ, ZeroMQ
// RFC 25/26) in pure Go over golang.org/x/crypto's NaCl box, secretbox and
// curve25519, byte-compatible with libzmq built with libsodium, including
// its departures from the RFC:
//
//   - each traffic frame travels as a MESSAGE command boxed under the
//     transient keys, sent as a plain data frame; MORE (bit 0) and
//     COMMAND (bit 1, so PING/PONG/SUBSCRIBE/CANCEL are encrypted too)
//     are in the flags octet inside the box;
//   - HELLO is padded with 72 zero octets against amplification, the
//     server keeps no state but a per-connection cookie key until INITIATE;
//   - short nonces count from 1 per direction and each received one must be
//     greater than the last (ZMTP_INVALID_SEQUENCE otherwise); a vouch
//     that does not carry the client's transient key fails with
//     ZMTP_KEY_EXCHANGE; boxes that do not open fail with
//     ZMTP_CRYPTOGRAPHIC.
//
// Importing the package registers the mechanism. Select it with the
// libzmq option names through core.WithMechanism("CURVE", asServer,
// map{"CURVE_SECRETKEY": ...}) or the typed helpers:
//
//	server: core.WithMechanism(curve.Server(serverSecret))
//	client: core.WithMechanism(curve.Client(serverPublic, clientPublic, clientSecret))
//
// Keys are 32 raw bytes or 40 characters of Z85 (package z85). A server
// asks the context's ZAP handler (inproc://zeromq.zap.01, see package
// auth) to authenticate the client's long-term public key when one is
// bound; with none it accepts any client ("Stonehouse"), unless
// ZAP_ENFORCE_DOMAIN is set.
//
// Traffic frames cost one Salsa20 pass and one Poly1305 each, with the
// per-direction XSalsa20 key computed once per connection. Both run in
// internal packages with SIMD kernels in Go assembly on amd64 (Salsa20: 16
// blocks at once with AVX-512, 8 with AVX2; Poly1305: AVX-512 IFMA or AVX2),
// chosen at start-up from golang.org/x/sys/cpu, with portable Go elsewhere
// (and with the purego build tag): no cgo. Frames are encrypted from the
// caller's buffer and decrypted into the received message, with no other
// copy.
//
// The package also generates key pairs (NewKeyPair, zmq_curve_keypair),
// derives public keys (PublicKey, zmq_curve_public) and reads and writes
// certificates in czmq's format (Cert, LoadCert, LoadCertDir).
package curve
