# Sourced by scripts/test.sh (step 0): libzmq 4.3.4 built from Debian's
# source package with the draft API, ws, wss (GnuTLS) and libsodium, the
# real peer of the interop tests in interop/wsdraft (ws, wss, and the draft
# socket types: SERVER/CLIENT, RADIO/DISH, SCATTER/GATHER, PEER). Debian's
# binary libzmq5 has none of them (and keeps serving the other interop
# tests: it has OpenPGM, this build does not).
#
# The build is cached under $ZMQKIT_CACHE, keyed by version and
# configuration; from scratch it needs a deb-src line for bookworm (added
# as /etc/apt/sources.list.d/zmqkit-deb-src.sources when missing),
# build-essential, dpkg-dev, pkg-config, autoconf, automake, libtool,
# libgnutls28-dev and libsodium-dev, and takes about 80 s on 2 cores. Exports ZMQKIT_LIBZMQ_DRAFT, the install
# prefix (lib/pkgconfig/libzmq.pc inside).
#
# By hand: bash -c 'ZMQKIT_CACHE=/var/cache/zmqkit; apt_install() { apt-get
# install -y "$@"; }; fail() { echo "$*"; exit 1; }; . scripts/prereq/20-libzmq-draft.sh'
LIBZMQ_DRAFT_VERSION=4.3.4
LIBZMQ_DRAFT_DEBIAN_VERSION=4.3.4-6 # bookworm's zeromq3 source package
LIBZMQ_DRAFT_CONFIG="--enable-drafts --enable-ws --with-tls --with-libsodium --without-docs --disable-static --disable-Werror"
ZMQKIT_LIBZMQ_DRAFT="$ZMQKIT_CACHE/libzmq-$LIBZMQ_DRAFT_VERSION-draft-ws-tls-sodium"
export ZMQKIT_LIBZMQ_DRAFT

libzmq_draft_ok() {
	[ -f "$ZMQKIT_LIBZMQ_DRAFT/.complete" ] && [ -f "$ZMQKIT_LIBZMQ_DRAFT/lib/pkgconfig/libzmq.pc" ] \
		&& ls "$ZMQKIT_LIBZMQ_DRAFT"/lib/libzmq.so.5* >/dev/null 2>&1
}

libzmq_draft_build() {
	local sudo=""
	[ "$(id -u)" -ne 0 ] && sudo="sudo"
	apt_install build-essential dpkg-dev pkg-config autoconf automake libtool libgnutls28-dev libsodium-dev
	if ! grep -rqs "^Types:.*deb-src" /etc/apt/sources.list.d/ && ! grep -qs "^deb-src .*bookworm" /etc/apt/sources.list; then
		echo "adding a deb-src entry for bookworm (apt-get source zeromq3)"
		printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
			| $sudo tee /etc/apt/sources.list.d/zmqkit-deb-src.sources >/dev/null
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -q \
			|| fail "apt-get update after adding the deb-src entry failed"
	fi
	local work
	work=$(mktemp -d "${TMPDIR:-/tmp}/zmqkit-libzmq-draft.XXXXXX")
	# (errexit does not hold in a function called from a || list: every
	# step checks)
	(
		cd "$work" || exit 1
		# as root apt-get warns that it downloads unsandboxed: harmless
		apt-get source -q "zeromq3=$LIBZMQ_DRAFT_DEBIAN_VERSION" >source.log 2>&1 \
			|| { tail -20 source.log; exit 1; }
		cd zeromq3-"$LIBZMQ_DRAFT_VERSION" || exit 1
		# Debian's source has no configure script: dh_autoreconf makes it
		if [ ! -x configure ]; then
			./autogen.sh >autogen.log 2>&1 || { tail -20 autogen.log; exit 1; }
		fi
		# shellcheck disable=SC2086
		./configure --prefix="$ZMQKIT_LIBZMQ_DRAFT" $LIBZMQ_DRAFT_CONFIG >configure.log 2>&1 \
			|| { tail -30 configure.log; exit 1; }
		make -j"$(nproc)" >make.log 2>&1 || { tail -40 make.log; exit 1; }
		$sudo mkdir -p "$ZMQKIT_CACHE" || exit 1
		$sudo make install >install.log 2>&1 || { tail -20 install.log; exit 1; }
		$sudo touch "$ZMQKIT_LIBZMQ_DRAFT/.complete"
	)
	local rc=$?
	rm -rf "$work"
	return $rc
}

if libzmq_draft_ok; then
	echo "libzmq $LIBZMQ_DRAFT_VERSION (draft, ws, wss) cached in $ZMQKIT_LIBZMQ_DRAFT"
else
	echo "building libzmq $LIBZMQ_DRAFT_VERSION with drafts, ws, wss and libsodium into $ZMQKIT_LIBZMQ_DRAFT (~80 s on 2 cores)"
	start=$(date +%s)
	libzmq_draft_build || fail "building the draft libzmq failed (see above)"
	libzmq_draft_ok || fail "the draft libzmq build left no library in $ZMQKIT_LIBZMQ_DRAFT"
	echo "built in $(($(date +%s) - start)) s"
fi
