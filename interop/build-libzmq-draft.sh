#!/usr/bin/env bash
# interop/build-libzmq-draft.sh — build (or find cached) the libzmq that
# the ws/wss and draft-socket interop tests (interop/wsdraft) and the ws
# rows of interop/cmd/compare link: libzmq 4.3.4 from Debian's source
# package with the draft API, ws, wss (GnuTLS) and libsodium. The work is
# done by scripts/prereq/20-libzmq-draft.sh, which scripts/test.sh also
# runs; this wrapper runs it alone and prints how to use the result.
#
#   bash interop/build-libzmq-draft.sh          # as root (apt-get), ~80 s the first time
#   ZMQKIT_CACHE=/some/dir bash interop/build-libzmq-draft.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export ZMQKIT_CACHE=${ZMQKIT_CACHE:-/var/cache/zmqkit}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
apt_install() {
	local sudo=""
	[ "$(id -u)" -ne 0 ] && sudo="sudo"
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -q
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "$@"
}

# shellcheck source=../scripts/prereq/20-libzmq-draft.sh
source scripts/prereq/20-libzmq-draft.sh

D=$ZMQKIT_LIBZMQ_DRAFT
cat <<USAGE
The draft libzmq is in $D. Link it with:
  cd interop
  export PKG_CONFIG_PATH=$D/lib/pkgconfig CGO_LDFLAGS="-Wl,-rpath,$D/lib"
  go test -tags zmqdraft ./wsdraft                      # ws/wss + draft sockets against libzmq
  go run ./cmd/compare -libs zmqkit,libzmq -transports ws,wss -lat=false   # ws throughput
USAGE
