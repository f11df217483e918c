# Sourced by scripts/test.sh (step 0): what the pgm/epgm tests need. They
# run publishers and subscribers in two network namespaces joined by a veth
# pair (iproute2's ip, as root) and drop packets with nftables; the interop
# tests talk to Debian's libzmq5, which is built with OpenPGM (10-libzmq.sh
# installs it).
need=""
command -v ip >/dev/null 2>&1 || need="$need iproute2"
command -v nft >/dev/null 2>&1 || need="$need nftables"
if [ -n "$need" ]; then
	echo "installing$need with apt-get (pgm namespace tests)"
	# shellcheck disable=SC2086
	apt_install $need
fi
command -v ip >/dev/null 2>&1 || fail "iproute2's ip is missing (pgm tests)"
command -v nft >/dev/null 2>&1 || fail "nftables' nft is missing (pgm tests)"
echo "ip and nft found ($(nft --version 2>/dev/null))"
