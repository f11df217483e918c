# Sourced by scripts/test.sh (step 0): Node.js and jszmq (npm "jszmq", a
# pure-JavaScript ZeroMQ over WebSocket) for interop/jszmq, whose Go tests
# run jszmq peers under node. jszmq is installed with npm into
# $ZMQKIT_CACHE/jszmq-<version>/node_modules, once: a rerun with the cache
# in place needs no network. Exports ZMQKIT_JSZMQ (that folder).
#
# By hand: bash -c 'ZMQKIT_CACHE=/var/cache/zmqkit; apt_install() { apt-get
# install -y "$@"; }; fail() { echo "$*"; exit 1; }; . scripts/prereq/25-jszmq.sh'
JSZMQ_VERSION=0.1.2 # the only published version
ZMQKIT_JSZMQ="$ZMQKIT_CACHE/jszmq-$JSZMQ_VERSION"
export ZMQKIT_JSZMQ

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "node/npm missing: installing nodejs and npm with apt-get"
	apt_install nodejs npm
fi
command -v node >/dev/null 2>&1 || fail "nodejs installed but node is not on PATH"
echo "node $(node --version)"

jszmq_ok() {
	[ -f "$ZMQKIT_JSZMQ/.complete" ] && [ -f "$ZMQKIT_JSZMQ/node_modules/jszmq/package.json" ]
}

jszmq_install() {
	local work
	work=$(mktemp -d "${TMPDIR:-/tmp}/zmqkit-jszmq.XXXXXX")
	(
		cd "$work" || exit 1
		printf '{"name":"zmqkit-interop-jszmq","private":true,"dependencies":{"jszmq":"%s"}}\n' "$JSZMQ_VERSION" >package.json
		npm install --no-audit --no-fund --omit=dev --no-package-lock >npm.log 2>&1 \
			|| { tail -20 npm.log; exit 1; }
		[ -f node_modules/jszmq/package.json ] || { echo "npm left no node_modules/jszmq"; exit 1; }
		mkdir -p "$ZMQKIT_CACHE" || exit 1
		rm -rf "$ZMQKIT_JSZMQ.tmp" && mkdir -p "$ZMQKIT_JSZMQ.tmp" || exit 1
		mv node_modules package.json "$ZMQKIT_JSZMQ.tmp/" || exit 1
		touch "$ZMQKIT_JSZMQ.tmp/.complete"
		rm -rf "$ZMQKIT_JSZMQ" && mv "$ZMQKIT_JSZMQ.tmp" "$ZMQKIT_JSZMQ"
	)
	local rc=$?
	rm -rf "$work"
	return $rc
}

if jszmq_ok; then
	echo "jszmq $JSZMQ_VERSION cached in $ZMQKIT_JSZMQ"
else
	echo "installing jszmq $JSZMQ_VERSION with npm into $ZMQKIT_JSZMQ"
	jszmq_install || fail "installing jszmq with npm failed (see above)"
	jszmq_ok || fail "npm left no jszmq in $ZMQKIT_JSZMQ"
fi
