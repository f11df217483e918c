// Package interop holds zmqkit's wire-compatibility tests against the
// reference C implementation, libzmq 4.3, driven through the cgo binding
// github.com/pebbe/zmq4.
//
// It is a separate Go module (github.com/zmqkit/zmqkit/interop, with a
// replace directive pointing at ../) so that the main module stays pure Go:
// nothing under github.com/zmqkit/zmqkit imports cgo or needs libzmq, and
// `CGO_ENABLED=0 go build ./...` works there on every platform. Only this
// module links libzmq.
//
// The tests cover, for every compatible pair of classic socket types
// (PAIR, PUB/XPUB-SUB/XSUB, REQ/DEALER-REP/ROUTER, DEALER-DEALER,
// ROUTER-ROUTER, PUSH-PULL), both directions (zmqkit binds / libzmq binds,
// zmqkit sends / libzmq sends) over tcp and ipc, with single, multipart,
// 0-byte, 255/256-byte and >64 KiB frames; subscriptions in both wire forms
// (ZMTP 3.1 SUBSCRIBE/CANCEL commands and 0x01/0x00 data frames);
// ZMTP heartbeats switched on at the libzmq side; and libzmq peers
// restarted mid-stream.
//
// Running: the tests need libzmq (>= 4.3) with its headers, pkg-config and
// a C compiler. On Debian/Ubuntu: apt-get install libzmq3-dev pkg-config gcc.
// scripts/test.sh at the repository root installs them when missing and
// runs this module after the main one:
//
//	cd interop && go test ./...
//
// When CI=true the tests never skip: a missing libzmq or cgo toolchain is a
// failure. Outside CI, building without cgo (CGO_ENABLED=0, or no C
// compiler) or with -tags nolibzmq turns the suite into a single skipped
// test explaining what is missing.
//
// interop/wsdraft (build tag zmqdraft) holds the ws, wss and draft-socket
// tests against libzmq 4.3.4 built with drafts, ws and wss from Debian's
// source package (scripts/prereq/20-libzmq-draft.sh caches the build under
// $ZMQKIT_CACHE); its test binary links that build through pkg-config and
// an rpath, apart from the rest of the module, which keeps Debian's libzmq
// (it has OpenPGM). scripts/test.sh runs it; by hand:
//
//	D=$ZMQKIT_CACHE/libzmq-4.3.4-draft-ws-tls-sodium
//	PKG_CONFIG_PATH=$D/lib/pkgconfig CGO_LDFLAGS="-Wl,-rpath,$D/lib" \
//		go test -tags zmqdraft ./wsdraft
//
// interop/cmd/compare (a side-by-side performance comparison tool),
// interop/cmd/idlepeers (what idle peers cost zmqkit and libzmq) and
// interop/cmd/crosscheck (the main module type-checked for other systems,
// scripts/test.sh step 3) also live in this module.
package interop
